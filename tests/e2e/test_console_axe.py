"""axe-core finds nothing on any screen of the console's shell, for each role, on a desktop and on a phone,
with the console's real CSP in force (the journeys check their own states too)."""
from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.conftest import PageProblems
from tests.e2e.console import console_url, settled, sign_in
from tests.e2e.stack import Demo

pytestmark = pytest.mark.e2e

# Settings last: the owner's second steps below continue on it.
SCREENS = {"today": "Today", "receivables": "Receivables", "cases": "Cases", "account": "Your account",
           "settings": "Settings"}


@pytest.mark.parametrize("role", ["owner", "viewer"])
@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_every_screen_of_the_shell_has_no_axe_violation(stack: Demo, browser: Any, role: str,
                                                        viewport: dict[str, int]) -> None:
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Madrid", viewport=viewport)
    page = context.new_page()
    problems = PageProblems(page)
    try:
        page.goto(console_url(stack))
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        assert axe_violations(page) == [], "sign-in"
        sign_in(page, stack, role)
        for route, title in SCREENS.items():
            page.goto(f"{console_url(stack)}#/{route}")
            expect(page.get_by_role("heading", level=1)).to_have_text(title)
            settled(page)
            assert axe_violations(page) == [], route
        if role == "owner":  # the settings' second steps: a key shown once, a removal asked again
            name = f"axe check {viewport['width']}"
            page.get_by_label("Key name").fill(name)
            page.get_by_role("button", name="Create key").click()
            expect(page.locator("#new-key")).to_be_visible()
            page.locator(f"#keys tr[data-key='{name}']").get_by_role("button", name="Revoke").click()
            assert axe_violations(page) == [], "settings, key shown and revoke asked"
        page.goto(f"{console_url(stack)}#/cases?q=nothing-matches-this&status=paid")
        expect(page.get_by_text("No case matches these filters.")).to_be_visible()
        assert axe_violations(page) == [], "cases, nothing found"
    finally:
        context.close()
    assert problems.items == []

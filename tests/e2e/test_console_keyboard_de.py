"""The console in German and by keyboard alone: choose the language, sign in, move between screens, search
cases and open one without a mouse; focus lands on each new screen's heading and is always visible."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.browser import press as tab
from tests.e2e.console import console_url, id_token, settled, staff_email, staff_password
from tests.e2e.stack import Demo, api_json, create_case

pytestmark = pytest.mark.e2e

NBSP = "\u00a0"


def tab_to(page: Any, text: str, key: str = "Tab", limit: int = 25) -> dict[str, Any]:
    """Press Tab until the control reading `text` has the focus; every stop on the way shows its focus."""
    for _ in range(limit):
        focused = tab(page, key)
        assert focused["outline"] >= 2, focused
        if focused["text"] == text:
            return focused
    raise AssertionError(f"{text!r} is not reachable by {key}")


def euros_de(minor: int) -> str:
    major, cents = divmod(minor, 100)
    return f"{major:,}".replace(",", ".") + f",{cents:02d}{NBSP}€"


def test_a_german_broker_works_the_console_by_keyboard_alone(stack: Demo, console_tab: Any) -> None:
    case = create_case(stack, name="Jürgen Tastatur", currency="EUR", amount=123_456, days_overdue=20)
    page = console_tab
    page.goto(console_url(stack))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

    assert tab(page)["text"] == "Skip to main content"
    assert tab(page)["id"] == "lang"
    for _ in range(3):  # English -> Español -> Français -> Deutsch
        page.keyboard.press("ArrowDown")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    assert page.evaluate("document.documentElement.lang") == "de"
    assert tab(page)["id"] == "email"
    page.keyboard.type(staff_email("viewer"))
    assert tab(page)["id"] == "password"
    page.keyboard.type(staff_password(stack))
    page.keyboard.press("Enter")

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Heute")
    expect(heading).to_be_focused()
    expect(page).to_have_title("Heute – Inkasso-Konsole")
    settled(page)

    tab_to(page, "Forderungen", key="Shift+Tab")
    page.keyboard.press("Enter")
    expect(heading).to_have_text("Forderungen")
    expect(heading).to_be_focused()
    settled(page)
    status, book = api_json(f"{stack.api_url}/admin/reports/receivables", id_token(stack, "viewer"))
    assert status == 200
    [eur] = [row for row in book["currencies"] if row["currency"] == "EUR"]
    expect(page.locator("[data-testid=open-EUR]")).to_have_text(euros_de(eur["open"]))
    expect(page.get_by_role("table", name="Altersstruktur in EUR").get_by_role("columnheader")).to_have_text(
        ["Tage überfällig", "Betrag", "Fälle"])
    assert axe_violations(page) == []

    # The skip link jumps over the header.
    page.reload()
    settled(page)
    assert tab(page)["text"] == "Zum Hauptinhalt springen"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    tab_to(page, "Fälle", key="Shift+Tab")
    page.keyboard.press("Enter")
    expect(heading).to_have_text("Fälle")
    expect(heading).to_be_focused()
    assert tab(page)["id"] == "f-q"  # the search comes first
    page.keyboard.type("Jürgen Tastatur")
    page.keyboard.press("Enter")
    # The matching list itself, not the whole book it replaces: its rows are the ones to tab through.
    expect(page.locator("main [role=status]")).to_have_text("1 passender Fall auf dieser Seite.")
    row = page.locator("#cases tbody tr", has_text="Jürgen Tastatur").first
    expect(row.locator("td.num").last).to_have_text(euros_de(123_456))
    expect(row).to_contain_text("Offen")
    tab_to(page, "Jürgen Tastatur")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(f"#/cases/{case['case_id']}") + "$"))
    expect(heading).to_be_focused()

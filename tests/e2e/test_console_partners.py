"""An owner keeps the partners cases can be escalated to in Settings: adds one (a bad email is named, nothing is
written), sees it as the API stores it, and removes it."""
from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.console import id_token, settled, sign_in
from tests.e2e.stack import Demo, api_json

pytestmark = pytest.mark.e2e


def stored(stack: Demo, name: str) -> list[dict[str, Any]]:
    status, answer = api_json(f"{stack.api_url}/admin/partners", id_token(stack, "owner"))
    assert status == 200
    return [p for p in answer["items"] if p["name"] == name]


def test_an_owner_adds_a_partner_and_removes_it(stack: Demo, console_tab: Any) -> None:
    page = console_tab
    sign_in(page, stack, "owner", screen="settings")
    settled(page)
    name = f"Lex & Partners {uuid4().hex[:4]}"
    form = page.get_by_role("form", name="Add a partner")
    form.get_by_label("Kind").select_option("law_firm")
    form.get_by_label("Partner name").fill(name)
    form.get_by_label("Partner email").fill("not an email")
    form.get_by_label("Fee (%)").fill("12.5")
    form.get_by_role("button", name="Add").click()
    expect(form.get_by_label("Partner email")).to_have_attribute("aria-invalid", "true")
    assert stored(stack, name) == []

    form.get_by_label("Partner email").fill("cases@lex.example")
    form.get_by_role("button", name="Add").click()
    expect(page.get_by_role("status").filter(has_text=f"{name} added.")).to_be_visible()
    row = page.locator("#partners tr", has_text=name)
    expect(row.get_by_role("cell")).to_have_text(["Law firm", "12.5%", "Remove"])
    [partner] = stored(stack, name)
    assert (partner["kind"], partner["email"], partner["fee_bp"]) == ("law_firm", "cases@lex.example", 1250)
    assert axe_violations(page) == []

    row.get_by_role("button", name="Remove").click()
    row.get_by_role("button", name=f"Remove {name} now").click()
    expect(row).to_have_count(0)
    assert stored(stack, name) == []

"""The page by keyboard alone: every control in a sensible order, focus always visible, errors announced."""
from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.browser import press as tab
from tests.e2e.stack import Demo, create_case

pytestmark = pytest.mark.e2e


def test_tab_reaches_every_control_in_order_with_a_visible_focus(stack: Demo, page: Any) -> None:
    case = create_case(stack, amount=12_345)
    page.goto(case["pay_url"])
    expect(page.locator("#v-case")).to_be_visible()

    stops = []
    for _ in range(12):
        focused = tab(page)
        if focused["tag"] == "body":
            break
        stops.append(focused)
    assert [(s["tag"], s["text"]) for s in stops] == [
        ("select", "en"), ("button", "Pay €123.45 now"), ("summary", "Pay part of it"),
        ("summary", "Pay in installments"),  # the API offers plans
        ("summary", "Promise to pay by a date"), ("summary", "I already paid"), ("summary", "Dispute this invoice"),
        ("a", "collections@demo-brokers.test")]
    assert all(s["outline"] >= 2 for s in stops), stops


def test_a_keyboard_user_switches_language_opens_an_action_and_hears_the_error(stack: Demo, page: Any) -> None:
    case = create_case(stack, amount=12_345)
    page.goto(case["pay_url"])
    expect(page.locator("#v-case")).to_be_visible()

    assert tab(page)["id"] == "lang"
    page.keyboard.press("ArrowDown")  # English -> Español
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Factura {case['invoice']['number']}")
    page.keyboard.press("ArrowUp")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {case['invoice']['number']}")

    assert tab(page)["id"] == "pay-full"
    assert tab(page)["text"] == "Pay part of it"
    page.keyboard.press("Enter")
    expect(page.get_by_label("Amount (EUR)")).to_be_visible()
    assert tab(page)["id"] == "part-amount"
    page.keyboard.type("12,3456")
    page.keyboard.press("Enter")

    amount = page.get_by_label("Amount (EUR)")
    expect(amount).to_be_focused()
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#part-amount-err")).to_have_text("Enter an amount like 1234.50.")
    expect(amount).to_have_accessible_description("From €12.35 to €122.95. Enter an amount like 1234.50.")
    # Announced through the form's alert region, shown once beside the field.
    expect(page.locator("#f-part").get_by_role("alert")).to_have_text("Enter an amount like 1234.50.")
    assert axe_violations(page) == []

    page.keyboard.press("Control+A")
    page.keyboard.type("500")
    page.keyboard.press("Enter")
    expect(page.locator("#f-part").get_by_role("alert")).to_have_text("Enter at most €123.45.")
    page.keyboard.press("Control+A")
    page.keyboard.type("0")
    page.keyboard.press("Enter")
    expect(page.locator("#f-part").get_by_role("alert")).to_have_text("Enter an amount above zero.")

    # Space on the next summary opens it and closes the first (one action at a time).
    assert tab(page)["tag"] == "button"
    assert tab(page)["text"] == "Pay in installments"  # the API offers plans
    assert tab(page)["text"] == "Promise to pay by a date"
    page.keyboard.press(" ")
    expect(page.get_by_label("I will pay by")).to_be_visible()
    expect(page.get_by_label("Amount (EUR)")).to_be_hidden()
    assert tab(page)["id"] == "promise-date"

"""Paying from the page through Checkout (the local Stripe stand-in in the demo) and coming back."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.stack import Demo, admin_case, api_json, create_case

pytestmark = pytest.mark.e2e



def test_pay_in_full_through_checkout_then_the_page_and_the_admin_view_show_it_paid(payments: Demo,
                                                                                   page: Any) -> None:
    case = create_case(payments, amount=12_345)
    page.goto(case["pay_url"])
    page.get_by_role("button", name="Pay €123.45 now").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Pay €123\.45\b"))  # the stand-in
    assert page.url.split("/checkout/")[0] != payments.site_url
    page.get_by_role("button", name="Pay", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you!")
    assert page.url == f"{payments.site_url}/pay/success"
    assert axe_violations(page) == []

    page.goto(case["pay_url"])  # the link again, as the success page says
    expect(page.locator("#c-status")).to_have_text("Paid")
    expect(page.get_by_text("Nothing to pay. Thank you!")).to_be_visible()
    expect(page.locator("#c-timeline")).to_contain_text("Payment received: €123.45")
    events = [e["type"] for e in admin_case(payments, case["case_id"])["events"]]
    assert "payment_received" in events


def test_a_part_payment_declined_at_checkout_comes_back_to_the_cancel_page(payments: Demo, page: Any) -> None:
    case = create_case(payments, amount=12_345)
    page.goto(case["pay_url"])
    page.locator("summary", has_text="Pay part of it").click()
    page.get_by_label("Amount (EUR)").fill("50")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Pay €50\.00\b"))
    page.get_by_role("button", name="Decline").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Payment cancelled")
    assert page.url == f"{payments.site_url}/pay/cancel"
    page.goto(case["pay_url"])
    expect(page.locator("#c-due")).to_have_text("€123.45")


def test_the_whole_payment_by_keyboard_in_spanish(payments: Demo, browser: Any) -> None:
    context = browser.new_context(locale="es-ES", timezone_id="Europe/Madrid")
    try:
        page = context.new_page()
        case = create_case(payments, locale="es", amount=84_000)
        page.goto(case["pay_url"])
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Factura {case['invoice']['number']}")
        page.keyboard.press("Tab")  # the language
        page.keyboard.press("Tab")  # pay in full
        expect(page.get_by_role("button", name="Pagar 840,00\u00a0€ ahora")).to_be_focused()
        page.keyboard.press("Enter")
        pay = page.get_by_role("button", name="Pay", exact=True)  # the stand-in's Checkout
        expect(pay).to_be_visible()
        for _ in range(10):
            if pay.evaluate("b => b === document.activeElement"):
                break
            page.keyboard.press("Tab")
        expect(pay).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("¡Gracias!")
        page.goto(case["pay_url"])
        expect(page.locator("#c-status")).to_have_text("Pagada")
    finally:
        context.close()


def test_a_link_replaced_while_the_page_is_open_stops_at_paying(payments: Demo, page: Any) -> None:
    case = create_case(payments)
    page.goto(case["pay_url"])
    expect(page.locator("#v-case")).to_be_visible()
    status, _ = api_json(f"{payments.api_url}/admin/cases/{case['case_id']}/links", payments.api_key, {})
    assert status == 201
    page.get_by_role("button", name="Pay €123.45 now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work any more")
    assert case["invoice"]["number"] not in page.content()

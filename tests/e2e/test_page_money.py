"""Amounts on the page as Checkout charges them: the API's exponent for every currency, and the discount."""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.stack import Demo, admin_case, api_json, create_case

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("currency", "amount", "shown", "typed", "charged", "at_checkout"), [
    ("JPY", 12_345, r"12,345", "5000", 5_000, "¥5,000 jpy"),  # no decimals
    ("KWD", 12_345, r"12\.345", "5.5", 5_500, "5.500 kwd"),  # three decimals
    # Stripe counts two decimals for HUF where the browser's own currency data has none.
    ("HUF", 1_234_567, r"12,345\.67", "2500.50", 250_050, "2,500.50 huf"),
])
def test_the_page_shows_and_reads_amounts_in_the_currencys_minor_units(payments: Demo, page: Any, currency: str,
                                                                      amount: int, shown: str, typed: str,
                                                                      charged: int, at_checkout: str) -> None:
    case = create_case(payments, currency=currency, amount=amount)
    page.goto(case["pay_url"])
    expect(page.locator("#c-due")).to_have_text(re.compile(rf"^\D*{shown}\D*$"))
    expect(page.locator("#pay-full")).to_have_text(re.compile(rf"^Pay \D*{shown}\D* now$"))

    page.locator("summary", has_text="Pay part of it").click()
    page.get_by_label(f"Amount ({currency})").fill(typed)
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Pay {at_checkout}")  # the stand-in
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you!")

    [paid] = [p for p in admin_case(payments, case["case_id"])["payments"]["items"] if p["state"] == "succeeded"]
    assert paid["amount"] == charged


@pytest.fixture
def early_discount(payments: Demo) -> Iterator[None]:
    """2% off for paying within 10 days of the invoice; the demo broker's policy is put back afterwards."""
    url = f"{payments.api_url}/admin/policy"
    status, before = api_json(url, payments.api_key)
    assert status == 200, before
    status, answer = api_json(url, payments.api_key, {**before["policy"], "discount": {"rate_bp": 200, "days": 10}},
                              method="PUT")
    assert status == 200, answer
    yield
    status, answer = api_json(url, payments.api_key, before["policy"], method="PUT")
    assert status == 200, answer


def test_the_page_shows_the_discounted_price_and_why_before_checkout(payments: Demo, page: Any,
                                                                    early_discount: None) -> None:
    case = create_case(payments, amount=100_000, days_overdue=-25)  # issued 5 days ago
    deadline = date.fromisoformat(case["invoice"]["issued_on"]) + timedelta(days=10)
    page.goto(case["pay_url"])
    expect(page.locator("#c-due")).to_have_text("€1,000.00")
    pay = page.get_by_role("button", name="Pay €980.00 now")
    expect(pay).to_have_accessible_description(
        f"€20.00 off the €1,000.00 due if you pay it all by {deadline.day} {deadline:%B %Y}.")
    assert axe_violations(page) == []

    pay.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay €980.00 eur")  # what Checkout charges


def test_a_part_payment_must_leave_what_a_card_can_still_pay(payments: Demo, page: Any) -> None:
    case = create_case(payments, amount=12_345)
    page.goto(case["pay_url"])
    page.locator("summary", has_text="Pay part of it").click()
    expect(page.locator("#part-hint")).to_have_text("From €12.35 to €122.95.")
    amount = page.get_by_label("Amount (EUR)")
    amount.fill("123.44")  # would leave €0.01
    page.get_by_role("button", name="Continue to payment").click()
    expect(amount).to_have_accessible_description(re.compile(r"Enter an amount from €12\.35 to €122\.95\.$"))
    expect(amount).to_be_focused()


def test_a_remainder_no_card_can_pay_offers_no_pay_button(payments: Demo, page: Any) -> None:
    case = create_case(payments, amount=12_345)
    status, answer = api_json(f"{payments.api_url}/admin/cases/{case['case_id']}/payments", payments.api_key, {
        "amount": 12_344, "method": "bank_transfer", "reference": "BT-E2E", "received_on": date.today().isoformat()})
    assert status == 201, answer
    page.goto(case["pay_url"])
    expect(page.locator("#c-due")).to_have_text("€0.01")
    expect(page.locator("#c-small")).to_contain_text("The €0.01 left is less than one card payment can be.")
    expect(page.locator("#pay-full")).to_be_hidden()
    expect(page.locator("#a-part")).to_be_hidden()
    assert axe_violations(page) == []

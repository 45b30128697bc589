"""The pay page as a customer opens it: who asks, what for, how much, what happened, and the token kept safe."""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.stack import Demo, api_json, create_case

pytestmark = pytest.mark.e2e


def open_case(page: Any, pay_url: str) -> None:
    page.goto(pay_url)
    expect(page.locator("#v-case")).to_be_visible()


def balance(page: Any) -> dict[str, str]:
    rows = page.locator("#c-balance tr")
    return {rows.nth(i).locator("th").inner_text(): rows.nth(i).locator("td").inner_text()
            for i in range(rows.count())}


def test_a_pay_link_shows_who_asks_the_invoice_the_balance_and_the_history(stack: Demo, page: Any) -> None:
    case = create_case(stack, currency="GBP", amount=12_345, description="Bookkeeping, Q3")
    number = case["invoice"]["number"]
    open_case(page, case["pay_url"])

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {number}")
    expect(page.locator("#c-from")).to_have_text("From Demo Brokers Ltd")
    expect(page.locator("#c-due")).to_have_text("£123.45")
    expect(page.locator("#c-status")).to_have_text("Open")
    expect(page.get_by_role("button", name="Pay £123.45 now")).to_be_visible()
    assert balance(page) == {"Invoice amount": "£123.45", "Fees": "£0.00", "Interest": "£0.00",
                             "Discount": "£0.00", "Paid": "£0.00", "Amount due": "£123.45"}
    details = page.locator("#c-details")
    expect(details).to_contain_text("Bookkeeping, Q3")
    expect(details).to_contain_text(number)
    # Dates follow the reader's English (en-GB here): day, month name, year.
    due_on = date.fromisoformat(case["invoice"]["due_on"])
    expect(details.locator("dd").last).to_have_text(f"{due_on.day} {due_on:%B %Y}")
    expect(page.get_by_role("link", name="collections@demo-brokers.test")).to_have_attribute(
        "href", "mailto:collections@demo-brokers.test")
    expect(page.locator("#c-timeline li")).to_have_count(1)
    expect(page.locator("#c-timeline li")).to_contain_text(f"Invoice {number} for £123.45")
    expect(page).to_have_title(f"Invoice {number} · Demo Brokers Ltd")
    assert axe_violations(page) == []


def test_the_token_leaves_the_address_bar_and_is_kept_nowhere_but_in_memory(stack: Demo, page: Any) -> None:
    case = create_case(stack)
    token = case["pay_url"].split("#", 1)[1]
    requests: list[Any] = []
    page.on("request", lambda request: requests.append(request))
    open_case(page, case["pay_url"])

    assert page.url == f"{stack.site_url}/pay"
    assert page.evaluate("[location.hash, localStorage.length, sessionStorage.length, document.cookie]") == [
        "", 0, 0, ""]
    assert page.evaluate("history.state") is None
    assert not [r.url for r in requests if token in r.url]
    api_calls = [r for r in requests if r.url.startswith(stack.api_url) and r.method == "GET"]
    assert [r.url for r in api_calls] == [f"{stack.api_url}/customer/case"]
    assert api_calls[0].headers["authorization"] == f"Bearer {token}"
    assert all(r.url.startswith((stack.site_url, stack.api_url)) for r in requests)  # nothing third-party
    # A reload has no token to read: the customer opens the link again.
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open your personal link")
    expect(page.locator("#v-case")).to_be_hidden()


def test_another_link_pasted_into_the_same_tab_opens_its_own_case(stack: Demo, page: Any) -> None:
    first, second = create_case(stack), create_case(stack, currency="USD", amount=5_000)
    open_case(page, first["pay_url"])
    page.goto(second["pay_url"])  # the same page with another fragment: no reload, a hashchange
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {second['invoice']['number']}")
    expect(page.locator("#c-due")).to_have_text("US$50.00")
    assert page.url == f"{stack.site_url}/pay"


def test_money_received_shows_in_the_breakdown_and_a_paid_case_offers_nothing_to_pay(stack: Demo,
                                                                                   page: Any) -> None:
    case = create_case(stack, amount=20_000)
    payments = f"{stack.api_url}/admin/cases/{case['case_id']}/payments"
    status, _ = api_json(payments, stack.api_key, {"amount": 5_000, "method": "bank_transfer",
                                                   "reference": "TR-1", "received_on": case["invoice"]["due_on"]})
    assert status == 201
    open_case(page, case["pay_url"])
    expect(page.locator("#c-due")).to_have_text("€150.00")
    assert balance(page)["Paid"] == "-€50.00"
    expect(page.locator("#c-timeline li").first).to_contain_text("Payment received: €50.00")
    expect(page.get_by_role("button", name="Pay €150.00 now")).to_be_visible()

    status, _ = api_json(payments, stack.api_key, {"amount": 15_000, "method": "bank_transfer",
                                                   "reference": "TR-2", "received_on": case["invoice"]["due_on"]})
    assert status == 201
    page.goto(case["pay_url"])
    expect(page.locator("#c-status")).to_have_text("Paid")
    expect(page.locator("#c-due")).to_have_text("€0.00")
    expect(page.get_by_text("Nothing to pay. Thank you!")).to_be_visible()
    expect(page.locator("#pay-full")).to_be_hidden()
    expect(page.locator("details:visible")).to_have_count(0)
    expect(page.locator("#c-others")).to_be_hidden()
    assert axe_violations(page) == []

"""axe-core on the states the other page tests do not already check: every action form open, its errors, the
pages Checkout returns to. (The case view, languages, link errors, network errors and the paid case are
checked where their journeys are tested.)"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.stack import Demo, create_case

pytestmark = pytest.mark.e2e


def open_action(summary: str, submit: str | None = None) -> Callable[[Demo, Any], None]:
    def state(stack: Demo, page: Any) -> None:
        page.goto(create_case(stack)["pay_url"])
        page.locator("summary", has_text=summary).click()
        if submit:  # empty: every required field reports its error
            page.get_by_role("button", name=submit).click()
            expect(page.locator("details[open] [aria-invalid], details[open] .err:not([hidden])").first).to_be_visible()
    return state


def plan_offers(stack: Demo, page: Any) -> None:
    """Plan offers, added to a real case view the way GET /customer/case will carry them."""
    case = create_case(stack, amount=30_000)

    def with_offers(route: Any) -> None:
        if route.request.method != "GET":
            route.continue_()
            return
        response = route.fetch()
        view = response.json()
        view["plan_offers"] = [
            {"offer_id": f"o{n}", "installments": n, "first_amount": 30_000 // n + 30_000 % n,
             "schedule": [{"due_on": f"2026-{m + 1:02d}-01", "amount": 30_000 // n} for m in range(n)]}
            for n in (3, 6)]
        route.fulfill(response=response, body=json.dumps(view))

    page.route(f"{stack.api_url}/customer/case", with_offers)
    page.goto(case["pay_url"])
    page.get_by_text("Pay in installments").click()
    expect(page.get_by_role("radio")).to_have_count(2)
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.locator("#plan-offers-err")).to_have_text("Choose a plan.")
    expect(page.get_by_role("radio", name="3 installments, first €100.00")).to_be_focused()


def route_page(path: str, heading: str) -> Callable[[Demo, Any], None]:
    def state(stack: Demo, page: Any) -> None:
        page.goto(f"{stack.site_url}{path}")
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    return state


STATES: dict[str, Callable[[Demo, Any], None]] = {
    "pay part open": open_action("Pay part of it"),
    "promise open, no date": open_action("Promise to pay by a date", "Send my promise"),
    "already paid open, nothing filled": open_action("I already paid", "Send"),
    "dispute open, nothing filled": open_action("Dispute this invoice", "Open the dispute"),
    "plan offers, none chosen": plan_offers,
    "back from Checkout, paid": route_page("/pay/success", "Thank you!"),
    "back from Checkout, cancelled": route_page("/pay/cancel", "Payment cancelled"),
}


@pytest.mark.parametrize("state", STATES)
def test_axe_finds_no_violations(stack: Demo, page: Any, state: str) -> None:
    STATES[state](stack, page)
    assert axe_violations(page) == []

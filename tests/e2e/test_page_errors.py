"""When the network or the server lets the customer down: a human message and a way forward, every time.

The browser's network is cut, or an answer is replaced, with Playwright's routing: the page meets what a bad
connection or a failing API would give it, while the rest of the stack is real.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.stack import Demo, create_case

pytestmark = pytest.mark.e2e

CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Authorization,Content-Type",
        "Access-Control-Allow-Methods": "GET,POST,OPTIONS"}


def answer(status: int, body: dict[str, Any]) -> Any:
    """A route handler answering like the API would (CORS preflight included) with `status` and `body`."""
    def handle(route: Any) -> None:
        if route.request.method == "OPTIONS":
            route.fulfill(status=200, headers=CORS)
        else:
            route.fulfill(status=status, headers={**CORS, "Content-Type": "application/json"},
                          body=json.dumps(body))
    return handle


def opened(stack: Demo, page: Any, **case: Any) -> dict[str, Any]:
    created = create_case(stack, **case)
    page.goto(created["pay_url"])
    expect(page.locator("#v-case")).to_be_visible()
    return created


def test_no_network_while_loading_says_so_and_try_again_loads_the_case(stack: Demo, page: Any) -> None:
    case = create_case(stack, amount=12_345)
    page.route(f"{stack.api_url}/**", lambda route: route.abort("internetdisconnected"))
    page.goto(case["pay_url"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Something went wrong")
    expect(page.get_by_text("We could not reach the server. Check your connection and try again.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    assert axe_violations(page) == []

    page.unroute(f"{stack.api_url}/**")
    page.get_by_role("button", name="Try again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {case['invoice']['number']}")
    expect(page.locator("#c-due")).to_have_text("€123.45")


def test_a_server_error_while_loading_is_ours_to_own_and_can_be_retried(stack: Demo, page: Any) -> None:
    case = create_case(stack)
    page.route(f"{stack.api_url}/customer/case", answer(503, {"message": "Service Unavailable"}))
    page.goto(case["pay_url"])
    expect(page.get_by_text("Something went wrong on our side. Please try again in a moment.")).to_be_visible()
    expect(page.locator("#v-case")).to_be_hidden()
    page.unroute(f"{stack.api_url}/customer/case")
    page.get_by_role("button", name="Try again").click()
    expect(page.locator("#v-case")).to_be_visible()


def test_a_conflict_on_paying_explains_and_reloads_the_case(stack: Demo, page: Any) -> None:
    opened(stack, page, amount=12_345)
    page.route(f"{stack.api_url}/customer/checkout", answer(409, {"error": {
        "code": "payment_pending", "message": "a payment for the whole amount is already on its way",
        "field": "amount"}}))
    loads = []
    page.on("request", lambda r: loads.append(r.url) if r.url.endswith("/customer/case") else None)
    page.get_by_role("button", name="Pay €123.45 now").click()
    alert = page.locator("#a-full").get_by_role("alert")
    expect(alert).to_have_text("A payment is already on its way.")
    assert loads  # the case was read again, so what is on screen is current
    expect(page.locator("#v-case")).to_be_visible()
    assert axe_violations(page) == []


def test_a_server_error_on_paying_keeps_the_page_and_asks_to_try_again(stack: Demo, page: Any) -> None:
    opened(stack, page, amount=12_345)
    page.route(f"{stack.api_url}/customer/checkout", answer(502, {"message": "Bad Gateway"}))
    page.get_by_text("Pay part of it").click()
    page.get_by_label("Amount (EUR)").fill("50")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.locator("#f-part").get_by_role("alert")).to_have_text(
        "Something went wrong on our side. Please try again in a moment.")
    expect(page.get_by_label("Amount (EUR)")).to_have_value("50")  # nothing to type again


def test_a_part_payment_below_the_brokers_minimum_is_explained_at_the_field(stack: Demo, page: Any) -> None:
    opened(stack, page, amount=12_345)
    page.route(f"{stack.api_url}/customer/checkout", answer(400, {"error": {
        "code": "invalid_input", "message": "must be at least 1235 (a part payment is at least 10% of the amount due)",
        "field": "amount"}}))
    page.get_by_text("Pay part of it").click()
    page.get_by_label("Amount (EUR)").fill("50")  # within the range the page knows; the server still refuses
    page.get_by_role("button", name="Continue to payment").click()
    message = "This amount cannot be paid as a part payment. Try a larger amount, or pay in full."
    expect(page.locator("#part-amount-err")).to_have_text(message)
    expect(page.get_by_label("Amount (EUR)")).to_be_focused()
    expect(page.get_by_label("Amount (EUR)")).to_have_attribute("aria-invalid", "true")


def test_losing_the_network_on_an_action_says_so(stack: Demo, page: Any) -> None:
    opened(stack, page)
    page.route(f"{stack.api_url}/**", lambda route: route.abort("internetdisconnected"))
    page.get_by_role("button", name="Pay €123.45 now").click()
    expect(page.locator("#a-full").get_by_role("alert")).to_have_text(
        "We could not reach the server. Check your connection and try again.")
    expect(page.get_by_role("button", name="Pay €123.45 now")).to_be_visible()

"""Links that do not open a case: tampered, expired, replaced, or none at all. No case data, and a way forward."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.stack import Demo, api_json, create_case, expired_pay_url

pytestmark = pytest.mark.e2e

LINK_TITLE = "This link does not work any more"
# Until POST /customer/link-refresh exists the page says how to get a link another way; either is a way forward.
FRESH_ANSWERS = (
    "If this link can be renewed, a fresh one is on its way to the email address we have for you.",
    "Please reply to your latest reminder to ask for a fresh link.",
)


def tampered(pay_url: str) -> str:
    """The same link with one character of its signature changed, as a typo or a forger would.

    A middle character: the last one of a base64 signature may carry only padding bits, and changing
    those leaves the signature itself untouched.
    """
    at = len(pay_url) - 10
    return pay_url[:at] + ("A" if pay_url[at] != "A" else "B") + pay_url[at + 1:]


def assert_no_case_data(page: Any, case: dict[str, Any]) -> None:
    text = page.locator("body").inner_text()
    for secret in (case["invoice"]["number"], case["customer"]["name"], "Demo Brokers Ltd", "123.45",
                   case["invoice"]["description"]):
        assert secret not in text
    assert case["invoice"]["number"] not in page.content()  # not even hidden in the document


def test_a_tampered_link_shows_a_clear_error_with_no_case_data(stack: Demo, page: Any) -> None:
    case = create_case(stack, amount=12_345)
    page.goto(tampered(case["pay_url"]))
    expect(page.get_by_role("heading", level=1)).to_have_text(LINK_TITLE)
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    expect(page.get_by_text("Links expire after a while")).to_be_visible()
    expect(page.locator("#v-case")).to_be_hidden()
    assert_no_case_data(page, case)
    assert page.url == f"{stack.site_url}/pay"
    assert axe_violations(page) == []


def test_an_expired_link_offers_a_fresh_one(stack: Demo, page: Any) -> None:
    case = create_case(stack, amount=12_345)
    page.goto(expired_pay_url(stack, case["case_id"]))
    expect(page.get_by_role("heading", level=1)).to_have_text(LINK_TITLE)
    assert_no_case_data(page, case)
    fresh = page.get_by_role("button", name="Email me a fresh link")
    expect(fresh).to_be_visible()
    fresh.click()
    answer = page.get_by_role("status").filter(has_text="fresh")
    expect(answer).to_have_text(re.compile("|".join(map(re.escape, FRESH_ANSWERS))))
    expect(answer).to_be_focused()
    expect(fresh).to_be_hidden()
    assert axe_violations(page) == []


def test_a_link_replaced_by_a_newer_one_stops_working(stack: Demo, page: Any) -> None:
    case = create_case(stack)
    status, _ = api_json(f"{stack.api_url}/admin/cases/{case['case_id']}/links", stack.api_key, {})
    assert status == 201
    page.goto(case["pay_url"])
    expect(page.get_by_role("heading", level=1)).to_have_text(LINK_TITLE)
    expect(page.get_by_role("button", name="Email me a fresh link")).to_be_visible()
    assert_no_case_data(page, case)


def test_the_page_without_a_link_says_where_to_find_one(stack: Demo, page: Any) -> None:
    page.goto(f"{stack.site_url}/pay")
    expect(page.get_by_role("heading", level=1)).to_have_text("Open your personal link")
    expect(page.get_by_text("Open the link in your reminder email or text message")).to_be_visible()
    expect(page.get_by_role("button", name="Email me a fresh link")).to_have_count(0)
    assert axe_violations(page) == []

"""An expired link, in a real browser against `portal demo`: the page offers a fresh link, and the demo's outbox
then holds an email to the customer whose pay link opens the case again."""
from __future__ import annotations

import html
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.stack import Demo, create_case, expired_pay_url, http

pytestmark = pytest.mark.e2e

PAY_LINK = re.compile(r"http://[^\s\"'<>]+/pay#[A-Za-z0-9._-]+")


def outbox_links_to(demo: Demo, address: str) -> list[str]:
    """The distinct pay links of the outbox's emails to `address` (each email is an <article class="email">,
    its link both in the message and listed under it)."""
    status, _, page = http(f"{demo.site_url}/outbox")
    assert status == 200
    articles = page.decode().split('<article class="email">')[1:]
    return list(dict.fromkeys(link for a in articles if f"<dt>To</dt><dd>{html.escape(address)}</dd>" in a
                              for link in PAY_LINK.findall(html.unescape(a))))


def test_an_expired_link_offers_a_fresh_one_which_arrives_by_email_and_opens_the_case(stack: Demo,
                                                                                      page: Any) -> None:
    case = create_case(stack)
    address = case["customer"]["email"]
    assert outbox_links_to(stack, address) == []
    expired = expired_pay_url(stack, case["case_id"])

    page.goto(expired)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work any more")
    assert case["invoice"]["number"] not in page.content()
    fresh = page.get_by_role("button", name="Email me a fresh link")
    expect(fresh).to_be_visible()
    assert axe_violations(page) == []
    fresh.click()

    expect(page.locator("#l-msg")).to_have_text(
        "If this link can be renewed, a fresh one is on its way to the email address we have for you.")
    expect(page.locator("#l-msg")).to_be_focused()
    expect(fresh).to_be_hidden()
    assert axe_violations(page) == []

    [link] = outbox_links_to(stack, address)  # the email the customer now has
    assert link != expired and link.startswith(f"{stack.site_url}/pay#")
    status, _, _ = http(f"{stack.api_url}/customer/case", link.split("#", 1)[1])
    assert status == 200
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {case['invoice']['number']}")
    expect(page.locator("#c-status")).to_have_text("Open")

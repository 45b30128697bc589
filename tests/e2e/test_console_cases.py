"""The Cases screen: search by name, email or invoice number, filters, sorting and paging, all from the API,
kept in the address so Back and a bookmark return to the same list; Today leads to the cases that need a person."""
from __future__ import annotations

import re
from typing import Any
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.console import settled, sign_in
from tests.e2e.stack import Demo, api_json, create_case

pytestmark = pytest.mark.e2e


def names(page: Any) -> list[str]:
    settled(page)
    return [n.strip() for n in page.locator("#cases tbody th a").all_inner_texts()]


def listed(page: Any, expected: list[str]) -> None:
    """The list shows these customers first, in this order (waiting for the API's answer)."""
    for n, name in enumerate(expected):
        expect(page.locator("#cases tbody th a").nth(n)).to_have_text(name)


def test_search_filter_sort_and_page_through_cases(stack: Demo, console_tab: Any) -> None:
    tag = uuid4().hex[:6]
    for n in range(27):  # more than one page of 25
        create_case(stack, name=f"Pager {tag} {n:02d}", amount=1_000 + n * 100, currency="EUR",
                    days_overdue=n + 1)
    gbp = create_case(stack, name=f"Sterling {tag}", currency="GBP", amount=77_700, days_overdue=40)
    page = console_tab
    sign_in(page, stack, "collector", screen="cases")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cases")

    page.get_by_role("searchbox", name="Search").fill(f"pager {tag}")
    page.get_by_role("button", name="Show cases").click()
    expect(page).to_have_url(re.compile(re.escape(f"q=pager+{tag}")))
    expect(page.get_by_role("status")).to_have_text("25 matching cases on this page.")
    first = names(page)
    assert len(first) == 25 and all(n.startswith(f"Pager {tag}") for n in first)
    assert axe_violations(page) == []

    page.get_by_role("button", name="Next page").click()
    expect(page.locator("#cases tbody tr")).to_have_count(2)
    second = names(page)
    assert not set(first) & set(second)
    page.get_by_role("button", name="Previous page").click()
    expect(page.locator("#cases tbody th a")).to_have_text(first)

    page.get_by_role("button", name="Balance").click()  # ascending, then descending
    expect(page.get_by_role("columnheader", name="Balance")).to_have_attribute("aria-sort", "ascending")
    page.get_by_role("button", name="Balance").click()
    expect(page.get_by_role("columnheader", name="Balance")).to_have_attribute("aria-sort", "descending")
    listed(page, [f"Pager {tag} 26", f"Pager {tag} 25", f"Pager {tag} 24"])
    expect(page.locator("#cases tbody tr").first.locator("td.num").last).to_have_text("€36.00")

    page.get_by_label("Overdue from (days)").fill("10")
    page.get_by_label("Overdue up to (days)").fill("12")
    page.get_by_role("button", name="Show cases").click()
    expect(page.locator("#cases tbody th a")).to_have_text([f"Pager {tag} 11", f"Pager {tag} 10", f"Pager {tag} 09"])

    page.go_back()  # the previous list, from the address
    listed(page, [f"Pager {tag} 26", f"Pager {tag} 25", f"Pager {tag} 24"])

    # Search by invoice number, and the currency filter.
    page.get_by_role("button", name="Clear filters").click()
    page.get_by_role("searchbox", name="Search").fill(gbp["invoice"]["number"].lower())
    page.get_by_label("Currency").fill("gbp")
    page.get_by_role("button", name="Show cases").click()
    expect(page.locator("#cases tbody th a")).to_have_text([f"Sterling {tag}"])
    expect(page.locator("#cases tbody tr td.num").last).to_have_text("£777.00")
    page.get_by_role("link", name=f"Sterling {tag}").click()
    expect(page).to_have_url(re.compile(re.escape(f"#/cases/{gbp['case_id']}") + "$"))


def test_today_lists_a_disputed_case_one_click_from_it(stack: Demo, console_tab: Any) -> None:
    case = create_case(stack, name=f"Disputer {uuid4().hex[:6]}", amount=45_600)
    token = case["pay_url"].split("#", 1)[1]
    status, _ = api_json(f"{stack.api_url}/customer/dispute", token, {
        "reason": "wrong_amount", "message": "We agreed on less."})
    assert status in (200, 201)
    page = console_tab
    sign_in(page, stack, "collector")
    expect(page.get_by_role("heading", level=1)).to_have_text("Today")
    settled(page)
    disputes = page.get_by_role("region", name="Disputes awaiting a decision")
    item = disputes.get_by_role("listitem").filter(has_text=case["customer"]["name"])
    expect(item).to_contain_text("€456.00")
    expect(item).to_contain_text("Says the amount is wrong")
    link = item.get_by_role("link", name=case["customer"]["name"], exact=False)
    assert axe_violations(page) == []
    link.click()
    expect(page).to_have_url(re.compile(re.escape(f"#/cases/{case['case_id']}") + "$"))

"""Choosing a payment plan on the page, in a real browser against `portal demo`: the offers the API makes, the
stand-in's Checkout for the first installment, and the page and the admin view showing the plan."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.stack import Demo, admin_case, create_case

pytestmark = pytest.mark.e2e



def test_choosing_a_plan_pays_its_first_installment_and_the_page_shows_the_schedule(payments: Demo,
                                                                                   page: Any) -> None:
    case = create_case(payments, amount=30_000)
    page.goto(case["pay_url"])
    page.locator("summary", has_text="Pay in installments").click()
    expect(page.get_by_role("radio")).to_have_count(5)  # 2 to 6 monthly installments: the default policy

    page.get_by_role("radio", name="3 installments, first €100.00").check()
    page.locator("details[open]").get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Pay €100\.00\b"))  # the stand-in
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you!")

    page.goto(case["pay_url"])
    expect(page.locator("#c-status")).to_have_text("On a payment plan")
    expect(page.locator("#c-due")).to_have_text("€200.00")
    schedule = page.locator("#c-plan-list li")
    expect(schedule).to_have_count(3)
    expect(schedule.first).to_contain_text("€100.00 (paid)")
    expect(page.locator("#c-timeline")).to_contain_text("Payment plan: 3 installments")
    expect(page.locator("summary", has_text="Pay in installments")).to_be_hidden()
    admin = admin_case(payments, case["case_id"])
    assert (admin["status"], admin["plan"]["state"]) == ("on_plan", "active")
    assert admin["next_action_at"] == admin["plan"]["next_charge_at"]

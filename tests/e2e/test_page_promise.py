"""Promising to pay by a date from the page, in a real browser against `portal demo`: the page confirms and shows
the case promised, and the broker's view shows the reminders waiting until that date."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.stack import Demo, admin_case, create_case

pytestmark = pytest.mark.e2e
# Several writes in a row, each saved to disk by the demo before it answers: seconds late in a long session.
ACTION_MS = 20_000


def test_a_promise_to_pay_shows_promised_and_pauses_the_reminders_until_that_date(stack: Demo, page: Any) -> None:
    pay_by = date.today() + timedelta(days=7)  # within the default policy's 14 days
    case = create_case(stack, amount=12_345)
    page.goto(case["pay_url"])
    page.locator("summary", has_text="Promise to pay by a date").click()
    page.get_by_label("I will pay by").fill(pay_by.isoformat())
    assert axe_violations(page) == []  # the open promise form
    page.get_by_role("button", name="Send my promise").click()

    long_date = f"{pay_by.day} {pay_by:%B %Y}"  # en-GB, as the browser reads: 29 November 2026
    expect(page.locator("#c-msg")).to_have_text(f"Thank you. We have noted your promise to pay by {long_date}.",
                                                timeout=ACTION_MS)
    expect(page.locator("#c-status")).to_have_text("Payment promised")
    expect(page.locator("#c-timeline")).to_contain_text(f"Promise to pay by {long_date}")
    expect(page.locator("summary", has_text="Promise to pay by a date")).to_be_hidden()
    assert axe_violations(page) == []

    admin = admin_case(stack, case["case_id"])
    assert admin["status"] == "promised"
    assert admin["promise"]["pay_by"] == pay_by.isoformat()
    # No reminder step while the promise holds; the case comes back to the sweep only after the promised day.
    next_step = admin["reminders"]["next_step"]
    assert (next_step["step"], next_step["at"], next_step["reason"]) == (None, None, "case is promised")
    back_on = date.fromisoformat(admin["next_action_at"][:10])
    assert pay_by < back_on <= pay_by + timedelta(days=1), admin["next_action_at"]

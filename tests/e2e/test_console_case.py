"""The Case screen in a real browser against `portal demo`: a collector answers a dispute with its PDF shown in
place, reconciles an "I already paid" claim, sees the exact next reminder; each role sees only what it may do."""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.console import id_token, session, settled, sign_in
from tests.e2e.console_case_kit import already_paid_case, delivery_note, disputed_case
from tests.e2e.stack import Demo, admin_case, api_json, create_case

pytestmark = pytest.mark.e2e


def case_screen(page: Any) -> Any:
    settled(page)
    return page.locator("main")


def test_a_collector_upholds_part_of_a_dispute_after_reading_its_pdf(stack: Demo, console_tab: Any,
                                                                    context: Any) -> None:
    pdf = delivery_note()
    name = f"Dana Dispute {uuid4().hex[:6]}"
    case = disputed_case(stack, name=name, amount=30_000, disputed=10_000, pdf=pdf)
    collector = session(stack, "collector")["user"]["name"]
    page = console_tab
    sign_in(page, stack, "collector")
    settled(page)
    today = page.get_by_role("region", name=re.compile("^Disputes"))
    with page.expect_response(lambda r: "response-content-disposition=inline" in r.url) as framed:
        today.get_by_role("link", name=re.compile(re.escape(name))).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"{name} – {case['invoice']['number']}")
    # The customer's PDF is shown in place, from the evidence bucket, under the console's CSP (no violation).
    evidence = page.locator("iframe[title='Evidence: delivery-note.pdf']")
    expect(evidence).to_be_visible()
    shown = framed.value
    assert (shown.status, shown.headers["content-type"]) == (200, "application/pdf")
    assert shown.headers["content-disposition"].startswith("inline")
    assert evidence.get_attribute("src") == shown.url
    main = case_screen(page)
    expect(main.locator("blockquote")).to_have_text("Only two of the three chairs arrived.")
    assert axe_violations(page) == []

    decision = page.get_by_role("form", name="Decide")
    decision.get_by_label("Uphold in part").check()
    decision.get_by_label("Credit").fill("40.00")
    decision.get_by_label("Message to the customer").fill("We credit the chair that did not arrive.")
    decision.get_by_role("button", name="Send decision").click()

    expect(page.get_by_role("status").filter(has_text="Decision sent to the customer.")).to_be_visible()
    expect(page.locator("#case-due")).to_have_text("€260.00")
    expect(page.get_by_role("form", name="Decide")).to_have_count(0)  # decided: nothing left to answer
    latest = page.locator("#timeline li", has_text="Dispute decided").first
    expect(latest).to_contain_text(collector)
    expect(latest).to_contain_text("upheld in part")

    # The API's own record names the collector, and the customer's page shows the new balance.
    events = admin_case(stack, case["case_id"])["events"]
    [resolved] = [e for e in events if e["type"] == "dispute_resolved"]
    by = resolved.get("by") or resolved["data"].get("by")
    assert (by["kind"], by["name"]) == ("user", collector)
    customer = context.new_page()
    customer.goto(case["pay_url"])
    expect(customer.locator("#c-due")).to_have_text("€260.00")


def test_a_collector_reconciles_an_already_paid_claim_with_what_the_bank_shows(stack: Demo,
                                                                              console_tab: Any) -> None:
    paid_on = (date.today() - timedelta(days=2)).isoformat()
    case = already_paid_case(stack, name=f"Paula Paid {uuid4().hex[:6]}", amount=12_345, reference="TRX-4711",
                             paid_on=paid_on)
    page = console_tab
    sign_in(page, stack, "collector", screen=f"cases/{case['case_id']}")
    main = case_screen(page)
    claims = page.get_by_role("region", name="“I already paid” claims")
    expect(claims).to_contain_text("reference TRX-4711")
    claims.get_by_role("button", name="Reconcile").click()

    dialog = page.get_by_role("dialog", name="Reconcile")
    expect(dialog.get_by_label("Reference")).to_have_value("TRX-4711")
    expect(dialog.get_by_label("Received on")).to_have_value(paid_on)
    expect(dialog.get_by_label("Method")).to_have_value("bank_transfer")
    dialog.get_by_label("Amount").fill("12,34.5")  # a typo: the API's message goes beside the field
    dialog.get_by_role("button", name="Record payment").click()
    amount = dialog.get_by_label("Amount")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_be_focused()
    expect(dialog.locator("#pay-amount-err")).to_have_text(re.compile("must be"))
    assert axe_violations(page) == []
    amount.fill("123.45")
    dialog.get_by_role("button", name="Record payment").click()

    expect(dialog).to_have_count(0)
    expect(main.locator("#case-due")).to_have_text("€0.00")
    expect(claims).to_contain_text("Recorded")
    expect(claims.get_by_role("button", name="Reconcile")).to_have_count(0)
    assert admin_case(stack, case["case_id"])["status"] == "paid"


def test_the_case_shows_the_exact_next_reminder_the_customer_will_get(stack: Demo, console_tab: Any) -> None:
    case = create_case(stack, name=f"Nora Next {uuid4().hex[:6]}", amount=55_500, days_overdue=1)
    status, preview = api_json(f"{stack.api_url}/admin/cases/{case['case_id']}/next-reminder",
                               id_token(stack, "viewer"))
    assert status == 200 and preview["next"] and preview["next"]["email"], preview
    page = console_tab
    sign_in(page, stack, "viewer", screen=f"cases/{case['case_id']}")
    reminder = page.get_by_role("region", name="Next reminder")
    expect(reminder.locator("#next-subject")).to_have_text(preview["next"]["email"]["subject"])
    shown = reminder.locator("#next-email").inner_text()
    assert shown.strip() == preview["next"]["email"]["text"].strip()
    assert "Nora Next" in shown and case["pay_url"].split("#", 1)[1] not in shown  # never the live pay token


def test_each_role_sees_only_the_actions_it_may_take(stack: Demo, browser: Any) -> None:
    pdf = delivery_note()
    case = disputed_case(stack, name=f"Rolf Roles {uuid4().hex[:6]}", amount=20_000, disputed=5_000, pdf=pdf)
    working = ["Add note", "Record payment", "Pause reminders", "New pay link", "Offer a plan", "Escalate to a partner"]
    expected = {"viewer": [], "collector": working, "owner": [*working, "Write off"]}
    for role, actions in expected.items():
        context = browser.new_context(locale="en-GB", timezone_id="Europe/Madrid",
                                      viewport={"width": 1280, "height": 900})
        page = context.new_page()
        try:
            sign_in(page, stack, role, screen=f"cases/{case['case_id']}")
            settled(page)
            region = page.get_by_role("region", name="Actions")
            if actions:
                expect(region.get_by_role("button")).to_have_text(actions)
                expect(page.get_by_role("form", name="Decide")).to_be_visible()
            else:
                expect(region).to_have_count(0)
                expect(page.get_by_role("form", name="Decide")).to_have_count(0)
                # Building the evidence pack is a read: the viewer's only button.
                expect(page.locator("main").get_by_role("button")).to_have_text(["Build evidence pack"])
                expect(page.locator("iframe.pdf")).to_be_visible()  # reading the evidence is for every role
        finally:
            context.close()
    # Hiding is not the guard: the API refuses the viewer's and the collector's attempts all the same.
    path = f"{stack.api_url}/admin/cases/{case['case_id']}"
    status, answer = api_json(f"{path}/notes", id_token(stack, "viewer"), {"kind": "note", "text": "hi"})
    assert (status, answer["error"]["code"]) == (403, "forbidden")
    status, answer = api_json(f"{path}/write-off", id_token(stack, "collector"), {"reason": "uncollectable"})
    assert (status, answer["error"]["code"]) == (403, "forbidden")


def test_an_owner_pauses_resumes_issues_a_new_link_and_writes_off(stack: Demo, console_tab: Any, context: Any) -> None:
    case = create_case(stack, name=f"Otto Owner {uuid4().hex[:6]}", amount=9_900, days_overdue=40)
    page = console_tab
    sign_in(page, stack, "owner", screen=f"cases/{case['case_id']}")
    main = case_screen(page)
    actions = page.get_by_role("region", name="Actions")

    actions.get_by_role("button", name="Pause reminders").click()
    dialog = page.get_by_role("dialog", name="Pause reminders")
    dialog.get_by_label("Reason").fill("Customer on holiday")
    dialog.get_by_role("button", name="Pause reminders").click()
    expect(main.locator("dl.facts")).to_contain_text("until resumed – Customer on holiday")
    expect(actions.get_by_role("button", name="Pause reminders")).to_have_count(0)
    actions.get_by_role("button", name="Resume reminders").click()
    expect(actions.get_by_role("button", name="Pause reminders")).to_be_visible()
    expect(main.locator("dl.facts")).not_to_contain_text("Reminders paused")

    opener = actions.get_by_role("button", name="New pay link")
    opener.click()
    dialog = page.get_by_role("dialog", name="New pay link")
    dialog.get_by_role("button", name="Issue new link").click()
    link = dialog.get_by_label("Pay link")
    expect(link).to_have_value(re.compile(r"/pay#"))
    fresh = link.input_value()
    assert fresh != case["pay_url"]
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()  # the dialog hands the focus back to what opened it
    customer = context.new_page()
    customer.goto(fresh)
    expect(customer.locator("#c-due")).to_have_text("€99.00")

    actions.get_by_role("button", name="Write off").click()
    dialog = page.get_by_role("dialog", name="Write off")
    dialog.get_by_label("Reason").fill("The company was dissolved")
    dialog.get_by_role("button", name="Write off").click()
    expect(main.locator("dl.facts .pill")).to_have_text("Written off")
    expect(main.locator("#timeline li").first).to_contain_text(session(stack, "owner")["user"]["name"])

"""The Policy screen in a real browser against its own `portal demo` (its policy changes stay its own): an owner
edits the ladder, sees the preview follow and the API's message beside a wrong field, saves; the next sweep
follows the new version and the version history names the owner."""
from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.console import session, settled, sign_in
from tests.e2e.stack import ROOT, Demo, admin_case, create_case

pytestmark = pytest.mark.e2e


def sweep(demo: Demo, at: str) -> str:
    """`portal sweep --at`: the sweep and its worker, as the demo prints how to run them."""
    done = subprocess.run([sys.executable, "-m", "portal", "sweep", "--at", at, "--data-dir", demo.flag("--data-dir")],
                          cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return done.stdout


def contacts(page: Any) -> list[str]:
    return [line.split(" · ", 1)[1] for line in page.locator("#preview-list li").all_inner_texts()]


def test_a_viewer_previews_a_change_but_has_nothing_to_save(stack: Demo, console_tab: Any) -> None:
    page = console_tab
    sign_in(page, stack, "viewer", screen="policy")
    settled(page)
    page.get_by_label("Customer's time zone").fill("Asia/Tokyo")
    page.get_by_label("Currency").select_option("JPY")
    page.get_by_label("Sample invoice amount").fill("120000")
    expect(page.locator("#preview-list li").first).to_contain_text("step -3")
    expect(page.get_by_role("button", name="Save as the new version")).to_have_count(0)
    assert axe_violations(page) == []


def test_an_owner_edits_the_ladder_sees_the_preview_saves_and_the_next_sweep_follows_it(
        stack: Demo, console_tab: Any) -> None:
    stack = stack
    case = create_case(stack, name="Sven Sweep", amount=50_000, days_overdue=5)  # opened under the default
    owner = session(stack, "owner")["user"]["name"]
    page = console_tab
    sign_in(page, stack, "owner", screen="policy")  # (the viewer's test runs first: the sweep below moves the
    # demo's clock to the next weekday, after which this stack's fresh sign-ins count as expired)
    expect(page.get_by_role("heading", level=1)).to_have_text("Reminder policy")
    settled(page)
    expect(page.locator("#preview-list li")).to_have_count(7)
    before = contacts(page)
    assert before[2].startswith("step +3 · Reminder · Email + SMS"), before

    page.get_by_label("Step 3: Days from due date", exact=True).fill("4")
    page.get_by_label("Step 3: Message", exact=True).select_option("formal")
    page.get_by_label("Step 3: Stage", exact=True).select_option("formal")
    expect(page.locator("#preview-list li").nth(2)).to_contain_text("step +4 · Formal · Email + SMS")
    after = contacts(page)
    assert after[:2] == before[:2] and after[3:] == before[3:]

    # A rule across fields: the API names the step, and its message stands beside that step's offset.
    page.get_by_label("Step 2: Days from due date", exact=True).fill("5")
    offset = page.get_by_label("Step 3: Days from due date", exact=True)
    expect(offset).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#ladder-2-off-err")).to_have_text(
        "steps must be in increasing order of offset_days, each offset once")
    expect(page.get_by_role("region", name="Preview")).to_contain_text("Fix the field marked above")
    assert axe_violations(page) == []
    page.get_by_label("Step 2: Days from due date", exact=True).fill("0")
    expect(offset).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#preview-list li").nth(2)).to_contain_text("step +4")

    page.get_by_role("button", name="Save as the new version").click()
    expect(page.get_by_role("status").filter(has_text="Saved as version 1.")).to_be_visible()
    versions = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Changed"))
    expect(versions.locator("tbody tr").first).to_contain_text("Version 1")
    expect(versions.locator("tbody tr").first).to_contain_text(owner)
    expect(versions.locator("tbody tr").first).to_contain_text("ladder")
    assert axe_violations(page) == []

    # A saved version reads as it was saved.
    versions.get_by_role("link", name="Version 1").click()
    expect(page.get_by_text("You are looking at version 1.")).to_be_visible()
    expect(page.get_by_label("Step 3: Days from due date", exact=True)).to_have_value("4")

    # The next sweep (a weekday, inside contact hours) starts the step of the saved version for the old case.
    today = date.today()
    weekday = today + timedelta(days=1 if today.weekday() < 4 else 7 - today.weekday())
    sweep(stack, f"{weekday.isoformat()}T10:00:00Z")
    started = [e["data"] for e in admin_case(stack, case["case_id"])["events"] if e["type"] == "reminder_started"]
    assert [(s["step"], s["template"], s["policy_version"]) for s in started] == [("+4", "formal", 1)]


"""Opening a dispute from the page with a PDF as evidence, in a real browser against `portal demo`: the file goes
from the browser straight to the demo's S3 (moto) through a presigned POST, under the page's real CSP."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.stack import Demo, admin_case, create_case, http

pytestmark = pytest.mark.e2e
# Several writes in a row, each saved to disk by the demo before it answers: seconds late in a long session.
ACTION_MS = 20_000

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def test_a_dispute_with_a_pdf_reaches_the_broker_and_pauses_the_reminders(stack: Demo, page: Any,
                                                                            tmp_path: Path) -> None:
    evidence = tmp_path / "delivery-note.pdf"
    evidence.write_bytes(PDF)
    case = create_case(stack, amount=12_345)
    page.goto(case["pay_url"])
    page.locator("summary", has_text="Dispute this invoice").click()
    page.get_by_label("Reason").select_option(label="I did not receive what was invoiced")
    page.get_by_label("What happened?").fill("Nothing was delivered; the courier's note is attached.")
    page.get_by_label("Evidence (optional)").set_input_files(str(evidence))
    assert axe_violations(page) == []  # the open dispute form, filled in
    page.get_by_role("button", name="Open the dispute").click()

    expect(page.locator("#c-msg")).to_have_text(re.compile(r"^Your dispute is open\. .+ will answer you\.$"),
                                                timeout=ACTION_MS)
    expect(page.locator("#c-status")).to_have_text("Disputed")
    expect(page.locator("#c-timeline")).to_contain_text("Dispute opened")
    expect(page.locator("summary", has_text="Dispute this invoice")).to_be_hidden()
    assert axe_violations(page) == []

    admin = admin_case(stack, case["case_id"])
    assert admin["status"] == "disputed"
    [dispute] = admin["disputes"]
    assert (dispute["reason"], dispute["message"]) == (
        "not_received", "Nothing was delivered; the courier's note is attached.")
    [attachment] = dispute["attachments"]
    assert (attachment["filename"], attachment["content_type"], attachment["size"]) == (
        "delivery-note.pdf", "application/pdf", len(PDF))
    status, _, stored = http(attachment["download_url"])  # the broker's download: the very bytes sent
    assert (status, stored) == (200, PDF)
    # The ladder is paused: no reminder step is scheduled while the dispute is open.
    next_step = admin["reminders"]["next_step"]
    assert (next_step["step"], next_step["at"], next_step["reason"]) == (None, None, "case is disputed")

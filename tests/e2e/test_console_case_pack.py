"""The Case screen builds a case's evidence pack: the build is followed until its link appears, and the link
gives the ZIP whose manifest names the case."""
from __future__ import annotations

import io
import json
import zipfile
from typing import Any
from urllib.request import urlopen

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.console import settled, sign_in
from tests.e2e.stack import Demo, create_case

pytestmark = pytest.mark.e2e


def test_a_viewer_builds_the_evidence_pack_and_downloads_it(stack: Demo, console_tab: Any) -> None:
    case = create_case(stack, name="Pia Pack", amount=45_600, days_overdue=20)
    page = console_tab
    sign_in(page, stack, "viewer", f"cases/{case['case_id']}")
    settled(page)
    pack = page.get_by_role("region", name="Evidence pack")
    pack.get_by_role("button", name="Build evidence pack").click()
    # The worker builds it in the background; the screen follows the build until the link is there.
    link = pack.get_by_role("link", name="Download the evidence pack (ZIP)")
    expect(link).to_be_visible(timeout=60_000)
    with urlopen(link.get_attribute("href"), timeout=30) as answer:  # noqa: S310 - the stack's own S3 link
        archive = zipfile.ZipFile(io.BytesIO(answer.read()))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["case_id"] == case["case_id"]
    assert axe_violations(page) == []

"""Each role sees only the buttons it may use, and the API refuses the rest whatever the screen shows:
a viewer reads, a collector works cases, an owner runs settings, staff and API keys."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.console import id_token, settled, sign_in
from tests.e2e.stack import Demo, api_json, http

pytestmark = pytest.mark.e2e

SETTINGS = {"name": "Demo Brokers Ltd", "email": "collections@demo-brokers.test"}


def owner_only_calls(demo: Demo) -> list[tuple[str, str, Any]]:
    return [("PUT", "/admin/settings", SETTINGS),
            ("POST", "/admin/users", {"email": f"{uuid4().hex[:8]}@demo.example", "name": "Nobody", "role": "viewer"}),
            ("GET", "/admin/users", None),
            ("POST", "/admin/api-keys", {"name": "sneaky"}),
            ("GET", "/admin/api-keys", None)]


@pytest.mark.parametrize("role", ["viewer", "collector"])
def test_staff_below_owner_see_no_settings_buttons_and_the_api_refuses_them(stack: Demo, console_tab: Any,
                                                                            role: str) -> None:
    page = console_tab
    sign_in(page, stack, role, screen="settings")
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    settled(page)
    expect(page.get_by_role("heading", name="Sender and contact details")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("Email")  # the details, to read
    expect(page.get_by_role("button")).to_have_text(["Sign out"])  # nothing to press but signing out
    expect(page.get_by_role("textbox")).to_have_count(0)
    expect(page.get_by_role("heading", name="Staff")).to_have_count(0)
    expect(page.get_by_role("heading", name="API keys")).to_have_count(0)
    assert axe_violations(page) == []

    token = id_token(stack, role)
    for method, path, body in owner_only_calls(stack):
        status, answer = api_json(f"{stack.api_url}{path}", token, body, method=method)
        assert (status, answer["error"]["code"]) == (403, "forbidden"), (method, path, answer)


def test_a_viewer_sees_no_action_on_any_screen_and_cannot_act_through_the_api(stack: Demo, console_tab: Any) -> None:
    page = console_tab
    sign_in(page, stack, "viewer")
    for screen in ("Today", "Receivables", "Cases"):
        page.get_by_role("navigation", name="Console").get_by_role("link", name=screen).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(screen)
        settled(page)
        # Reading tools only: the language, signing out, downloads, filters, sorting and paging.
        labels = page.get_by_role("button").all_inner_texts()
        reading = re.compile(r"^(Sign out|Download .+\.csv|Show cases|Clear filters|Customer|Due on|Balance|"
                             r"Last change|Next page|Previous page|Try again)\W*$")
        assert [b for b in labels if not reading.match(b.strip())] == [], labels
    token = id_token(stack, "viewer")
    status, cases = api_json(f"{stack.api_url}/admin/cases?limit=1", token)
    assert status == 200 and cases["items"]
    case_id = cases["items"][0]["case_id"]
    for path, body in ((f"/admin/cases/{case_id}/notes", {"text": "a viewer's note"}),
                       (f"/admin/cases/{case_id}/pause", {}),
                       (f"/admin/cases/{case_id}/links", {})):
        status, answer = api_json(f"{stack.api_url}{path}", token, body)
        assert (status, answer["error"]["code"]) == (403, "forbidden"), (path, answer)


@pytest.fixture
def restored_settings(stack: Demo) -> Iterator[None]:
    """The demo broker's details as they were: cases the page's tests open later carry them."""
    url = f"{stack.api_url}/admin/settings"
    _, before = api_json(url, id_token(stack, "owner"))
    yield
    api_json(url, id_token(stack, "owner"), {k: v for k, v in before.items() if v is not None}, "PUT")


def test_an_owner_saves_the_sender_details(stack: Demo, console_tab: Any, restored_settings: None) -> None:
    page = console_tab
    sign_in(page, stack, "owner", screen="settings")
    settled(page)
    digits = f"{uuid4().int % 1_000_000:06d}"
    page.get_by_label("Phone").fill(f"+34 600 {digits[:3]} {digits[3:]}")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_role("status")).to_have_text("Saved. The next reminders use these details.")
    status, settings = api_json(f"{stack.api_url}/admin/settings", id_token(stack, "viewer"))
    assert status == 200 and settings["phone"] == f"+34600{digits}"

    page.get_by_label("Email", exact=True).first.fill("not an email")
    page.get_by_role("button", name="Save details").click()
    expect(page.locator("#s-email")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []


def test_an_owner_creates_an_api_key_sees_it_once_and_revokes_it(stack: Demo, console_tab: Any) -> None:
    page = console_tab
    sign_in(page, stack, "owner", screen="settings")
    settled(page)
    name = f"Accounting sync {uuid4().hex[:4]}"
    page.get_by_label("Key name").fill(name)
    page.get_by_role("button", name="Create key").click()

    secret = page.locator("#new-key")
    expect(secret).to_be_visible()
    key = secret.inner_text()
    row = page.locator(f"#keys tr[data-key='{name}']")
    last_used = row.get_by_role("cell").nth(2)
    expect(last_used).to_have_text("Never")
    status, _ = api_json(f"{stack.api_url}/admin/cases?limit=1", key)
    assert status == 200  # the key works
    expect(row.get_by_role("cell").first).to_have_text(f"…{key[-4:]}")
    assert axe_violations(page) == []
    page.get_by_role("button", name="I have saved it").click()
    expect(secret).to_have_count(0)
    page.reload()
    settled(page)
    expect(page.get_by_text(key)).to_have_count(0)  # shown only once
    expect(last_used).to_have_text(row.get_by_role("cell").nth(1).inner_text())  # used today, as made

    row = page.locator(f"#keys tr[data-key='{name}']")
    row.get_by_role("button", name="Revoke").click()
    expect(row.get_by_role("button", name=f"Revoke {name} now")).to_be_focused()
    page.keyboard.press("Enter")
    expect(row).to_have_count(0)
    status, _, _ = http(f"{stack.api_url}/admin/cases?limit=1", key)
    assert status == 401


def test_an_owner_invites_a_person_changes_their_role_and_removes_them(stack: Demo, console_tab: Any) -> None:
    page = console_tab
    sign_in(page, stack, "owner", screen="settings")
    settled(page)
    email = f"new-{uuid4().hex[:6]}@demo.example"
    page.get_by_label("Name", exact=True).last.fill("Nina New")
    page.locator("#i-email").fill(email)
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_role("status")).to_contain_text(f"{email} is invited")
    row = page.locator(f"#staff tr[data-user='{email}']")
    expect(row).to_contain_text("Invited")
    row.get_by_label("Role of Nina New").select_option("collector")
    row.get_by_role("button", name="Change role").click()
    expect(row.get_by_role("button", name="Change role")).to_have_count(0)
    status, users = api_json(f"{stack.api_url}/admin/users", id_token(stack, "owner"))
    assert [u["role"] for u in users["items"] if u["email"] == email] == ["collector"]

    row.get_by_role("button", name="Remove").click()
    row.get_by_role("button", name="Remove Nina New now").click()
    expect(row).to_have_count(0)
    status, users = api_json(f"{stack.api_url}/admin/users", id_token(stack, "owner"))
    assert email not in [u["email"] for u in users["items"]]
    # Owners cannot remove themselves: their own row has no Remove button.
    expect(page.locator("#staff tr[data-user='owner@demo.example']").get_by_role("button")).to_have_count(0)

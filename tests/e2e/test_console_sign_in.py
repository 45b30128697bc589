"""Signing in and out of the console: a wrong password, signing out, an expired session each end on a clear
screen; a stale ID token alone is renewed without the person noticing."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.console import console_url, sign_in, staff_email, staff_password
from tests.e2e.stack import Demo, http

pytestmark = pytest.mark.e2e

SESSION = "console.session"


def stored(page: Any) -> dict[str, Any] | None:
    text = page.evaluate(f"sessionStorage.getItem('{SESSION}')")
    return json.loads(text) if text else None


def tamper_id_token(page: Any) -> None:
    """The ID token's signature no longer matches (what the API sees of an expired or forged token: a 401)."""
    page.evaluate(f"""() => {{
      const s = JSON.parse(sessionStorage.getItem('{SESSION}'));
      s.tokens.id_token = s.tokens.id_token.slice(0, -6) + (s.tokens.id_token.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA');
      sessionStorage.setItem('{SESSION}', JSON.stringify(s));
    }}""")


def test_a_wrong_password_says_so_and_keeps_the_person_on_the_sign_in_screen(stack: Demo, console_tab: Any) -> None:
    page = console_tab
    page.goto(console_url(stack))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Email").fill(staff_email("owner"))
    page.get_by_label("Password").fill("not-the-password-1A!")
    page.get_by_role("button", name="Sign in").click()

    password = page.get_by_label("Password")
    expect(page.get_by_text("The email or password is wrong. Try again.")).to_be_visible()
    expect(password).to_be_focused()
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_value("")
    expect(password).to_have_accessible_description("The email or password is wrong. Try again.")
    expect(page.get_by_label("Email")).to_have_value(staff_email("owner"))
    assert page.url.endswith("#/sign-in") and stored(page) is None
    assert axe_violations(page) == []


def test_signing_out_ends_the_session_and_says_so(stack: Demo, console_tab: Any) -> None:
    page = console_tab
    sign_in(page, stack, "collector")
    refresh_token = stored(page)["tokens"]["refresh_token"]  # type: ignore[index]
    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("status")).to_have_text("You have signed out. Sign in again to continue.")
    assert stored(page) is None
    # Signed out everywhere: the refresh token the tab held is refused, and the screens are behind sign-in.
    status, _, _ = http(f"{stack.api_url}/console/session/refresh", body={"refresh_token": refresh_token})
    assert status == 401
    page.goto(f"{console_url(stack)}#/receivables")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert axe_violations(page) == []


def test_an_expired_session_sends_the_person_to_sign_in_and_back_where_they_were(stack: Demo,
                                                                                   console_tab: Any) -> None:
    page = console_tab
    sign_in(page, stack, "viewer", screen="receivables")
    expect(page.get_by_role("heading", level=1)).to_have_text("Receivables")
    # Both tokens have run out: the ID token is refused (a 401), and so is the refresh token.
    tamper_id_token(page)
    page.evaluate(f"""() => {{
      const s = JSON.parse(sessionStorage.getItem('{SESSION}'));
      s.tokens.refresh_token = 'expired-' + s.tokens.refresh_token;
      sessionStorage.setItem('{SESSION}', JSON.stringify(s));
    }}""")

    page.get_by_role("link", name="Cases").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("status")).to_have_text(
        "Your session has expired. Sign in again to continue where you were.")
    assert stored(page) is None
    assert axe_violations(page) == []

    page.get_by_label("Email").fill(staff_email("viewer"))
    page.get_by_label("Password").fill(staff_password(stack))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cases")


def test_a_stale_id_token_is_renewed_without_the_person_noticing(stack: Demo, console_tab: Any) -> None:
    page = console_tab
    sign_in(page, stack, "viewer")
    before = stored(page)["tokens"]["id_token"]  # type: ignore[index]
    tamper_id_token(page)

    page.get_by_role("link", name="Cases").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cases")
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^\d+ cases? on this page\.$"))
    expect(page.get_by_role("alert")).to_have_count(0)
    after = stored(page)["tokens"]["id_token"]  # type: ignore[index]
    assert after and after != before


def test_a_forgotten_password_asks_for_the_emailed_code_without_saying_whether_the_account_exists(
        stack: Demo, console_tab: Any) -> None:
    page = console_tab
    page.goto(console_url(stack))
    page.get_by_role("button", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    page.get_by_label("Email").fill("nobody-here@demo.example")
    page.get_by_role("button", name="Send me a code").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    expect(page.get_by_role("status")).to_have_text("If this email belongs to an account, a code is on its way to it.")
    expect(page.get_by_label("Code from the email")).to_be_visible()
    expect(page.get_by_label("New password")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Back to sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

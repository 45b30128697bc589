"""The console's two sign-in challenges in the browser: an invited member replaces the temporary password the
invitation gave them, and a member who turned on an authenticator app (TOTP) on their account screen is then
asked for its 6-digit code.

Each test invites its own member (a unique email) with `portal user invite`, which prints the temporary
password as the demo's stand-in for Cognito's invitation email."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from typing import Any
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.console import console_url, id_token, sign_in
from tests.e2e.stack import ROOT, Demo, api_json, http
from tests.staff_kit import totp

pytestmark = pytest.mark.e2e

SESSION = "console.session"
NETWORK = 20_000  # ms: each step waits on the API and moto on a machine that may be busy


def stored(page: Any) -> dict[str, Any] | None:
    text = page.evaluate(f"sessionStorage.getItem('{SESSION}')")
    return json.loads(text) if text else None


def invite(demo: Demo, role: str = "viewer") -> tuple[str, str]:
    """A new member of the demo broker, as the operator invites them: their email and temporary password."""
    email = f"challenge-{uuid4().hex[:8]}@demo.example"
    done = subprocess.run([sys.executable, "-m", "portal", "user", "invite", email, "--name", "Cleo Challenge",
                           "--role", role, "--data-dir", demo.flag("--data-dir")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    temporary = re.search(r"temporary password (\S+)", done.stdout)
    assert temporary, done.stdout
    return email, temporary.group(1)


def sign_in_api(demo: Demo, email: str, password: str) -> tuple[int, dict[str, Any]]:
    status, answer = api_json(f"{demo.api_url}/console/session", "", {"email": email, "password": password})
    return status, dict(answer)



def step(at: float) -> int:
    return int(at // 30)


def until_accepted(attempt: Any, secret: str) -> None:
    """Type the app's current code as a person does; a code that went stale on its way (the 30-second step
    ended before Cognito checked it) is typed again with the new one, and only then. `attempt(code)` returns
    True once accepted."""
    for _ in range(3):
        typed_at = time.time()
        if attempt(totp(secret, typed_at)):
            return
        assert step(time.time()) != step(typed_at), "the app's current code was refused"
    raise AssertionError("three codes in a row went stale")


def a_wrong_code(secret: str) -> str:
    """Six digits that are not the app's code now, nor a step either side of now."""
    now = time.time()
    valid = {totp(secret, now + d) for d in (-30, 0, 30, 60)}
    return next(c for c in ("000000", "111111", "123456", "654321", "999999") if c not in valid)


def user_row(demo: Demo, email: str) -> dict[str, Any]:
    status, users = api_json(f"{demo.api_url}/admin/users", id_token(demo, "owner"))
    assert status == 200, users
    (row,) = [u for u in users["items"] if u["email"] == email]
    return dict(row)


def sign_in_with_password(page: Any, demo: Demo, email: str, password: str) -> None:
    page.goto(console_url(demo))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_an_invited_member_replaces_the_temporary_password_and_lands_signed_in(stack: Demo,
                                                                             console_tab: Any) -> None:
    page = console_tab
    email, temporary = invite(stack, "collector")
    assert user_row(stack, email)["status"] == "invited"

    sign_in_with_password(page, stack, email, temporary)

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Choose your password", timeout=NETWORK)
    expect(heading).to_be_focused()
    expect(page.get_by_text("This is your first sign-in: replace the temporary password you were sent.")
           ).to_be_visible()
    fresh = page.get_by_label("New password")
    # The hint states the pool's own policy (infra/: 12 characters, upper and lower case, a digit).
    rule = "At least 12 characters, with upper and lower case letters and a digit."
    expect(fresh).to_have_accessible_description(rule)
    assert stored(page) is None
    assert axe_violations(page) == []

    # One character short of the policy: refused, the person is told why and stays on the screen.
    fresh.fill("Nearly-ok-1")
    page.get_by_role("button", name="Save password and sign in").click()
    weak = "Choose a longer password (at least 12 characters) with upper and lower case letters and a digit."
    expect(page.get_by_text(weak)).to_be_visible(timeout=NETWORK)
    expect(fresh).to_be_focused()
    expect(fresh).to_have_attribute("aria-invalid", "true")
    expect(fresh).to_have_accessible_description(f"{rule} {weak}")
    expect(heading).to_have_text("Choose your password")
    assert stored(page) is None

    chosen = f"My-own-{uuid4().hex[:6]}-Pass1"
    fresh.fill(chosen)
    page.get_by_role("button", name="Save password and sign in").click()
    expect(heading).to_have_text("Today", timeout=NETWORK)
    expect(page.get_by_role("navigation", name="Console")).to_be_visible()
    expect(page).to_have_url(re.compile("#/today$"))
    assert stored(page)["user"]["role"] == "collector"  # type: ignore[index]

    # The temporary password is spent; the chosen one signs in straight away, and the member is active.
    status, answer = sign_in_api(stack, email, temporary)
    assert status == 401 and answer["error"]["code"] == "bad_credentials", answer
    status, answer = sign_in_api(stack, email, chosen)
    assert status == 200 and "tokens" in answer, answer
    assert user_row(stack, email)["status"] == "active"


def test_a_member_turns_on_an_authenticator_app_in_the_console_and_sign_in_then_asks_for_its_code(
        stack: Demo, console_tab: Any) -> None:
    page = console_tab
    email, temporary = invite(stack, "viewer")
    status, first = sign_in_api(stack, email, temporary)
    assert status == 200 and first["challenge"] == "NEW_PASSWORD_REQUIRED", first
    password = f"Chosen-{uuid4().hex[:6]}-Pass1"
    status, answer = api_json(f"{stack.api_url}/console/session/challenge", "", {
        "email": email, "session": first["session"], "challenge": "NEW_PASSWORD_REQUIRED",
        "new_password": password})
    assert status == 200, answer
    assert user_row(stack, email)["mfa"] is False

    # Signed in with the password alone, the member opens their own account from their name in the header.
    sign_in_with_password(page, stack, email, password)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Today", timeout=NETWORK)
    page.get_by_role("banner").get_by_role("link", name="Cleo Challenge Viewer").click()
    expect(heading).to_have_text("Your account", timeout=NETWORK)
    expect(heading).to_be_focused()
    expect(page).to_have_url(re.compile("#/account$"))
    panel = page.get_by_role("region", name="Two-step sign-in")
    state = panel.locator("#mfa-state")
    expect(state).to_have_text("Off. You sign in with your password alone.", timeout=NETWORK)
    assert axe_violations(page) == []

    with page.expect_response(lambda r: r.url.endswith("/console/mfa/setup"), timeout=NETWORK) as started:
        panel.get_by_role("button", name="Set up an authenticator app").click()
    assert started.value.status == 200
    setup = panel.get_by_role("heading", name="Add the console to your authenticator app")
    expect(setup).to_be_focused(timeout=NETWORK)
    # The key as a person types it into the app (groups of four), and the link an app on this device opens.
    shown = panel.locator("#mfa-secret").inner_text()
    assert re.fullmatch(r"\w{4}( \w{4})*( \w{1,3})?", shown), shown  # base32 (moto: "asdf asdf asdf")
    secret = shown.replace(" ", "")
    link = panel.get_by_role("link", name="Add to my authenticator app").get_attribute("href")
    assert link and link.startswith("otpauth://totp/") and f"secret={secret}&" in link, link
    code = panel.get_by_role("textbox", name="6-digit code")
    expect(code).to_have_attribute("autocomplete", "one-time-code")
    expect(code).to_have_attribute("inputmode", "numeric")
    assert axe_violations(page) == []

    # A wrong code: refused on the field, the setup stays open for the app's next code, and nothing is on.
    code.fill(a_wrong_code(secret))
    turn_on = panel.get_by_role("button", name="Turn on two-step sign-in")
    turn_on.click()
    wrong = "That code is wrong or has expired. Enter the current code."
    expect(panel.get_by_text(wrong)).to_be_visible(timeout=NETWORK)
    expect(code).to_be_focused()
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(code).to_have_value("")
    expect(code).to_have_accessible_description(wrong)
    expect(setup).to_be_visible()
    expect(state).to_have_text("Off. You sign in with your password alone.")
    assert user_row(stack, email)["mfa"] is False
    assert axe_violations(page) == []

    def confirm(digits: str) -> bool:
        code.fill(digits)
        with page.expect_response(lambda r: r.url.endswith("/console/mfa/verify"), timeout=NETWORK) as answered:
            turn_on.click()
        return bool(answered.value.status == 204)

    until_accepted(confirm, secret)
    done = panel.get_by_role("status")
    expect(done).to_have_text("Two-step sign-in is on. From your next sign-in, the console asks for the code "
                              "from your app.", timeout=NETWORK)
    expect(done).to_be_focused()
    expect(state).to_have_text("On. After your password, the console asks for the 6-digit code from your "
                               "authenticator app.")
    expect(setup).to_have_count(0)
    expect(panel.get_by_role("button", name="Set up an authenticator app")).to_have_count(0)
    assert user_row(stack, email)["mfa"] is True
    assert axe_violations(page) == []

    # Opened again (the account screen reads /admin/me afresh), it says on.
    page.get_by_role("link", name="Today").click()
    expect(heading).to_have_text("Today", timeout=NETWORK)
    page.get_by_role("banner").get_by_role("link", name="Cleo Challenge Viewer").click()
    expect(state).to_have_text(re.compile(r"^On\. "), timeout=NETWORK)

    page.get_by_role("button", name="Sign out").click()
    expect(heading).to_have_text("Sign in", timeout=NETWORK)
    assert stored(page) is None
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()

    expect(heading).to_have_text("Enter your code", timeout=NETWORK)
    expect(heading).to_be_focused()
    expect(page.get_by_text("Open your authenticator app and enter the 6-digit code for the console.")
           ).to_be_visible()
    code = page.get_by_label("6-digit code")
    expect(code).to_have_attribute("autocomplete", "one-time-code")
    assert stored(page) is None, "the password alone signed the person in"
    assert axe_violations(page) == []

    # A wrong code: said clearly, the field is emptied for the next try, and nobody is signed in.
    code.fill(a_wrong_code(secret))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text(wrong)).to_be_visible(timeout=NETWORK)
    expect(code).to_be_focused()
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(code).to_have_value("")
    expect(code).to_have_accessible_description(wrong)
    expect(heading).to_have_text("Enter your code")
    assert stored(page) is None

    def verify(digits: str) -> bool:
        code.fill(digits)
        with page.expect_response(lambda r: r.url.endswith("/console/session/challenge")
                                  and r.request.method == "POST", timeout=NETWORK) as answered:
            page.get_by_role("button", name="Verify").click()
        return bool(answered.value.status == 200)

    until_accepted(verify, secret)
    expect(heading).to_have_text("Today", timeout=NETWORK)
    expect(page.get_by_role("navigation", name="Console")).to_be_visible()
    expect(page).to_have_url(re.compile("#/today$"))
    user = stored(page)["user"]  # type: ignore[index]
    assert user["mfa"] is True and user["role"] == "viewer", user

    # Turned off again on the account screen, after asking once more: the password alone signs in.
    page.get_by_role("banner").get_by_role("link", name="Cleo Challenge Viewer").click()
    expect(state).to_have_text(re.compile(r"^On\. "), timeout=NETWORK)
    panel.get_by_role("button", name="Turn off two-step sign-in").click()
    really = panel.get_by_role("button", name="Turn it off now: sign in with my password alone")
    expect(really).to_be_focused()
    assert axe_violations(page) == []
    really.click()
    done = panel.get_by_role("status")
    expect(done).to_have_text(re.compile(r"^Two-step sign-in is off\. "), timeout=NETWORK)
    expect(done).to_be_focused()
    expect(state).to_have_text("Off. You sign in with your password alone.")
    expect(panel.get_by_role("button", name="Set up an authenticator app")).to_be_visible()
    assert user_row(stack, email)["mfa"] is False
    status, answer = sign_in_api(stack, email, password)
    assert status == 200 and answer["user"]["mfa"] is False, answer


def test_an_owner_resets_the_authenticator_of_a_member_who_lost_their_phone(stack: Demo, console_tab: Any) -> None:
    email, temporary = invite(stack, "collector")
    password = f"Chosen-{uuid4().hex[:6]}-Pass1"
    status, first = sign_in_api(stack, email, temporary)
    assert status == 200 and first["challenge"] == "NEW_PASSWORD_REQUIRED", first
    status, answer = api_json(f"{stack.api_url}/console/session/challenge", "", {
        "email": email, "session": first["session"], "challenge": "NEW_PASSWORD_REQUIRED",
        "new_password": password})
    assert status == 200, answer
    access = answer["tokens"]["access_token"]
    status, setup = api_json(f"{stack.api_url}/console/mfa/setup", "", {"access_token": access})
    assert status == 200, setup

    def verify(code: str) -> bool:
        status, _, _ = http(f"{stack.api_url}/console/mfa/verify", None, {"access_token": access, "code": code})
        return status == 204

    until_accepted(verify, setup["secret"])
    status, asked = sign_in_api(stack, email, password)
    assert asked.get("challenge") == "SOFTWARE_TOKEN_MFA", asked

    page = console_tab
    sign_in(page, stack, "owner", screen="settings")
    row = page.locator(f"#staff tr[data-user='{email}']")
    expect(row).to_contain_text("2-step", timeout=NETWORK)
    row.get_by_role("button", name="Reset 2-step").click()
    really = row.get_by_role("button", name="Reset Cleo Challenge's authenticator now")
    expect(really).to_be_focused()
    really.click()
    expect(row.get_by_role("button", name="Reset 2-step")).to_have_count(0, timeout=NETWORK)
    expect(row).not_to_contain_text("2-step")
    assert user_row(stack, email)["mfa"] is False
    status, answer = sign_in_api(stack, email, password)
    assert status == 200 and answer["user"]["mfa"] is False, answer

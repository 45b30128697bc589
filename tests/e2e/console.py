"""The broker console in the browser: the demo's staff, signing in, the API as each role sees it.

The `console_tab` fixture (a desktop tab) is in conftest.py."""
from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.stack import Demo, api_json

ROLES = ("owner", "collector", "viewer")


def console_url(demo: Demo) -> str:
    return f"{demo.site_url}/console"


def staff_email(role: str) -> str:
    return f"{role}@demo.example"


def staff_password(demo: Demo) -> str:
    """The demo staff's password, as `portal demo` prints it beside the console's URL."""
    match = re.search(r"\bpassword:?\s+([^\s;,)]+)", demo.output, re.I)
    assert match, demo.output
    return match.group(1)


def session(demo: Demo, role: str) -> dict[str, Any]:
    """POST /console/session for the demo's `role` user: its tokens and user."""
    status, answer = api_json(f"{demo.api_url}/console/session", "", {
        "email": staff_email(role), "password": staff_password(demo)})
    assert status == 200 and "tokens" in answer, answer
    return dict(answer)


def id_token(demo: Demo, role: str) -> str:
    return str(session(demo, role)["tokens"]["id_token"])


def sign_in(page: Any, demo: Demo, role: str = "owner", screen: str = "") -> None:
    """Sign in through the sign-in screen as the demo's `role` user; ends on `screen` (Today by default)."""
    page.goto(f"{console_url(demo)}#/{screen or 'today'}")
    page.get_by_label("Email").fill(staff_email(role))
    page.get_by_label("Password").fill(staff_password(demo))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Console")).to_be_visible()
    expect(page.locator("main [role=status]", has_text="Loading")).to_have_count(0)


def settled(page: Any) -> None:
    """Every API answer of the screen is in (no loading message left)."""
    expect(page.locator("main [role=status]", has_text=re.compile("Loading|Wird geladen|Cargando|Chargement"))
           ).to_have_count(0)

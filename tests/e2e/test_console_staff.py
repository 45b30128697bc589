"""The local stack starts with Cognito and the three demo staff the demo prints: each signs in with the
printed password and gets exactly what their role allows."""
from __future__ import annotations

import re

import pytest

from tests.e2e.console import id_token, session
from tests.e2e.stack import api_json, http

pytestmark = pytest.mark.e2e


def test_the_demo_prints_the_console_and_its_owners_sign_in(stack):
    assert stack.printed("Console") == f"{stack.site_url}/console"
    assert re.search(r"^\s+sign in as owner@demo.example \(owner\)", stack.output, re.M)
    assert re.search(r"^\s+password \S+$", stack.output, re.M)


@pytest.mark.parametrize("role", ["owner", "collector", "viewer"])
def test_each_demo_member_signs_in_with_their_role(stack, role):
    status, me = api_json(f"{stack.api_url}/admin/me", session(stack, role)["tokens"]["id_token"])
    assert status == 200 and me["user"]["role"] == role and me["user"]["kind"] == "user"
    assert me["permissions"] == {"write": role != "viewer", "own": role == "owner"}


def test_a_viewers_write_is_refused_with_403_and_cors_names_the_site(stack):
    token = id_token(stack, "viewer")
    status, headers, _ = http(f"{stack.api_url}/admin/cases", token, {"customer": {}, "invoice": {}})
    assert status == 403
    assert headers.get("Access-Control-Allow-Origin") == stack.site_url

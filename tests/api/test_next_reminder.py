"""The case's next reminder, previewed: the same words the worker then sends, in the customer's language, with a
placeholder instead of a live pay link."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.api.self_service_kit import CUSTOMER, World
from tests.conftest import SITE, get
from tests.integration.reminder_stack import sent_sms

LINK = re.compile(rf"{re.escape(SITE)}/pay#[A-Za-z0-9_.~-]+")


@pytest.fixture
def world(client, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield World(client, monkeypatch)


def next_reminder(world: World, case_id: str, key: str | None = None):
    return get(world.client, f"/admin/cases/{case_id}/next-reminder", key or world.key)


def test_the_preview_is_what_the_customer_then_receives_except_the_link(world):
    case_id, _ = world.open_case()
    world.at("2026-11-01T12:00:00Z")  # -3 and +0 went out; +3 (email and SMS) is next, on Tuesday 3 November
    shown = next_reminder(world, case_id)
    assert shown.status_code == 200, shown.json_body
    step = shown.json_body["next"]
    assert (step["step"], step["stage"], step["channels"], step["language"]) == (
        "+3", "reminder", ["email", "sms"], "en")
    # The start of the contact window in Berlin, where winter time (UTC+1) has begun.
    assert (step["at"], step["local_time"]) == ("2026-11-03T07:00:00.000Z", "2026-11-03T08:00:00+01:00")
    assert f"{SITE}/pay#preview" in step["email"]["text"] and f"{SITE}/pay#preview" in step["sms"]["text"]
    assert LINK.findall(step["email"]["html"]) == [f"{SITE}/pay#preview"] * len(LINK.findall(step["email"]["html"]))
    before = len(world.emails(CUSTOMER))

    world.at("2026-11-03T08:00:00Z")
    sent = world.emails(CUSTOMER)[before:]
    assert [m.subject for m in sent] == [step["email"]["subject"]]
    placeholder = f"{SITE}/pay#preview"
    assert LINK.sub(placeholder, sent[0].text) == step["email"]["text"]
    assert LINK.sub(placeholder, sent[0].html) == step["email"]["html"]
    assert LINK.sub(placeholder, sent_sms()[-1][2]) == step["sms"]["text"]


def test_the_preview_speaks_the_customers_language(world):
    case_id, _ = world.open_case(customer__locale="de")
    step = next_reminder(world, case_id).json_body["next"]
    assert step["language"] == "de" and step["step"] == "-3"
    assert "Rechnung" in step["email"]["text"]


def test_a_paused_case_has_no_next_reminder(world):
    case_id, _ = world.open_case()
    assert world.broker(f"/admin/cases/{case_id}/pause", {"reason": "talking to them"}).status_code == 200
    assert next_reminder(world, case_id).json_body == {"next": None}


def test_another_brokers_case_is_a_404(world, other_broker):
    case_id, _ = world.open_case()
    answer = next_reminder(world, case_id, other_broker[1])
    assert (answer.status_code, answer.json_body["error"]["code"]) == (404, "not_found")

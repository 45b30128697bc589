"""POST /admin/cases/{case_id}/pause and /resume, and what GET /admin/cases/{case_id} says comes next."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.api.conftest import open_case, read_case
from tests.conftest import post

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)  # a Friday


@pytest.fixture
def case(client, broker, clock) -> dict:
    clock.now = NOW
    _, key = broker
    return open_case(client, key, customer__timezone="America/Los_Angeles", invoice__issued_on="2026-11-01",
                     invoice__due_on="2026-12-01")


def test_a_new_case_shows_its_next_step_and_when(client, broker, case):
    _, key = broker
    read = read_case(client, key, case["case_id"])
    # -3 is Saturday 28 November, 08:00 in Los Angeles = 16:00 UTC.
    assert read["next_action_at"] == "2026-11-28T16:00:00.000Z"
    reminders = read["reminders"]
    assert reminders["next_action_at"] == read["next_action_at"]
    assert reminders["next_step"]["step"] == {"step": "-3", "offset_days": -3, "stage": "courtesy",
                                              "template": "courtesy", "channels": ["email"], "actions": []}
    assert reminders["next_step"]["at"] == "2026-11-28T16:00:00.000Z"
    assert reminders["paused"] is None and reminders["last_step"] is None


def test_pausing_takes_the_case_out_of_the_sweep_and_says_why(client, broker, case, clock):
    _, key = broker
    answer = post(client, f"/admin/cases/{case['case_id']}/pause", key, {"reason": "customer on holiday"})
    assert answer.status_code == 200, answer.json_body
    body = answer.json_body
    assert body["next_action_at"] is None
    assert body["reminders"]["paused"] == {"since": "2026-11-20T09:00:00.000Z", "until": None,
                                           "reason": "customer on holiday"}
    assert body["reminders"]["next_step"]["reason"] == "paused"
    event = body["events"][-1]
    assert (event["type"], event["actor"], event["data"]) == (
        "reminders_paused", "broker", {"until": None, "reason": "customer on holiday"})


def test_a_pause_until_a_time_wakes_the_case_then(client, broker, case):
    _, key = broker
    answer = post(client, f"/admin/cases/{case['case_id']}/pause", key, {"until": "2026-12-10T17:00:00+01:00"})
    assert answer.status_code == 200
    assert answer.json_body["next_action_at"] == "2026-12-10T16:00:00.000Z"
    assert answer.json_body["reminders"]["paused"]["until"] == "2026-12-10T16:00:00.000Z"


def test_resume_continues_where_the_ladder_stood(client, broker, case, clock):
    _, key = broker
    post(client, f"/admin/cases/{case['case_id']}/pause", key, {})
    clock.advance(days=10)  # 30 November: the -3 step would have gone out meanwhile
    answer = post(client, f"/admin/cases/{case['case_id']}/resume", key, {})
    assert answer.status_code == 200, answer.json_body
    body = answer.json_body
    assert body["events"][-1]["type"] == "reminders_resumed"
    assert body["events"][-1]["data"] == {"paused_days": 10, "reason": None}
    # Still the -3 courtesy note, moved by the 10 days paused: 8 December (a Tuesday), 08:00 Los Angeles.
    assert body["reminders"]["next_step"]["step"]["step"] == "-3"
    assert body["next_action_at"] == "2026-12-08T16:00:00.000Z"
    again = post(client, f"/admin/cases/{case['case_id']}/resume", key, {})
    assert again.status_code == 200 and len(again.json_body["events"]) == len(body["events"])


@pytest.mark.parametrize(("body", "field"), [
    ({"until": "2026-11-19T00:00:00Z"}, "until"),
    ({"until": "tomorrow"}, "until"),
    ({"until": "2026-12-01T10:00:00"}, "until"),  # no time zone
    ({"reason": "x" * 501}, "reason"),
    ({"reason": 7}, "reason"),
    ({"for": "a week"}, "for"),
])
def test_a_bad_pause_is_a_400_naming_the_field_and_changes_nothing(client, broker, case, body, field):
    _, key = broker
    before = read_case(client, key, case["case_id"])
    answer = post(client, f"/admin/cases/{case['case_id']}/pause", key, body)
    assert answer.status_code == 400 and answer.json_body["error"]["field"] == field
    assert read_case(client, key, case["case_id"]) == before


def test_resume_takes_no_body(client, broker, case):
    _, key = broker
    answer = post(client, f"/admin/cases/{case['case_id']}/resume", key, {"now": True})
    assert answer.status_code == 400 and answer.json_body["error"]["field"] == "now"


def test_a_paid_case_cannot_be_paused(client, broker, case):
    _, key = broker
    paid = post(client, f"/admin/cases/{case['case_id']}/payments", key, {
        "amount": case["balance"]["due"], "method": "bank_transfer", "reference": "BT-1", "received_on": "2026-11-01"})
    assert paid.status_code == 201 and paid.json_body["status"] == "paid"
    answer = post(client, f"/admin/cases/{case['case_id']}/pause", key, {})
    assert answer.status_code == 409 and answer.json_body["error"]["field"] == "status"


@pytest.mark.parametrize("action", ["pause", "resume"])
def test_another_brokers_case_is_a_404_and_stays_as_it_was(client, broker, other_broker, case, action):
    _, key = broker
    _, other_key = other_broker
    before = read_case(client, key, case["case_id"])
    answer = post(client, f"/admin/cases/{case['case_id']}/{action}", other_key, {})
    missing = post(client, f"/admin/cases/c0000000000000000/{action}", other_key, {})
    assert answer.status_code == 404 and answer.json_body == missing.json_body
    assert read_case(client, key, case["case_id"]) == before


def test_pause_needs_a_key(client, case):
    assert client.http.post(f"/admin/cases/{case['case_id']}/pause", body="{}").status_code == 401

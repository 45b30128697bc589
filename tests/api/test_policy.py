"""GET/PUT /admin/policy: the default until changed, every change a new version with who and when."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.dynamo_policy import DynamoPolicyStore
from chalicelib.domain.errors import Conflict
from chalicelib.domain.policy import DEFAULT_POLICY, PolicyRecord
from chalicelib.services import brokers
from tests.api.conftest import open_case
from tests.conftest import TABLE, auth, get

BY = {"kind": "user", "id": "u1", "name": "Olga Owner"}


def keyed_id(api_key: str) -> str:
    """The public id of an API key (what a change made with it records)."""
    return "k" + brokers.hash_key(api_key)[:16]

GENTLE = {
    "ladder": [
        {"offset_days": 5, "template": "reminder", "stage": "reminder", "channels": ["email"]},
        {"offset_days": 20, "template": "final", "stage": "final", "channels": ["email", "sms"]},
        {"offset_days": 35, "template": "escalation", "stage": "escalation", "channels": [],
         "actions": ["mark_ready_for_collections", "notify_broker"]},
    ],
    "contact": {"window_start": "09:00", "window_end": "17:00", "days": ["mon", "tue", "wed", "thu", "fri"]},
    "late_fee": None,
    "sender": {"from_email": "ar@acme.test", "from_name": "Acme Receivables", "reply_to": "help@acme.test"},
}


def put(client, key: str, body: Any) -> Any:
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.http.put("/admin/policy", headers=auth(key), body=raw)


def test_a_broker_starts_with_the_default_policy(client, broker):
    _, key = broker
    answer = get(client, "/admin/policy", key)
    assert answer.status_code == 200
    assert answer.json_body == {"version": 0, "updated_at": None, "updated_by": None, "is_default": True,
                                "policy": DEFAULT_POLICY.as_dict()}
    assert [s["offset_days"] for s in answer.json_body["policy"]["ladder"]] == [-3, 0, 3, 10, 20, 30, 45]


def test_each_change_is_a_new_version_kept_with_who_and_when(client, broker, clock):
    broker_id, key = broker
    clock.now = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)
    first = put(client, key, GENTLE)
    assert first.status_code == 200, first.json_body
    assert first.json_body["version"] == 1 and first.json_body["is_default"] is False
    assert first.json_body["updated_by"] == {"kind": "api_key", "id": keyed_id(key), "name": "key 1"}
    assert first.json_body["updated_at"] == "2026-11-22T09:30:00.000Z"
    clock.advance(hours=1)
    second_body = copy.deepcopy(GENTLE)
    second_body["contact"]["max_contacts"] = 2
    second = put(client, key, second_body)
    assert second.json_body["version"] == 2

    current = get(client, "/admin/policy", key).json_body
    assert current["version"] == 2 and current["policy"]["contact"]["max_contacts"] == 2
    older = get(client, "/admin/policy?version=1", key).json_body
    assert older["version"] == 1 and older["policy"]["contact"]["max_contacts"] == 3
    assert older["updated_at"] == "2026-11-22T09:30:00.000Z"
    assert get(client, "/admin/policy?version=0", key).json_body["is_default"] is True


def test_what_is_stored_is_the_whole_policy_with_defaults_filled_in(client, broker):
    _, key = broker
    stored = put(client, key, {"ladder": [{"offset_days": 2, "template": "reminder", "stage": "reminder"}]}).json_body
    assert stored["policy"]["ladder"] == [{"offset_days": 2, "channels": ["email"], "template": "reminder",
                                           "stage": "reminder", "actions": []}]
    assert stored["policy"]["contact"] == DEFAULT_POLICY.contact.as_dict()


BAD = [
    ({"ladder": [{"offset_days": 1, "template": "reminder", "stage": "reminder"},
                 {"offset_days": 9, "template": "reminder", "stage": "reminder"},
                 {"offset_days": "ten", "template": "reminder", "stage": "reminder"}]}, "ladder[2].offset_days"),
    ({"ladder": []}, "ladder"),
    ({}, "ladder"),
    ({**GENTLE, "contact": {"window_start": "25:00"}}, "contact.window_start"),
    ({**GENTLE, "sender": {"from_email": "nobody"}}, "sender.from_email"),
    ({**GENTLE, "interest": {"regime": "contractual"}}, "interest.rate_bp"),
    ({**GENTLE, "surprise": 1}, "surprise"),
    ("[1, 2]", "body"),
    ("{not json", "body"),
]


@pytest.mark.parametrize(("body", "field"), BAD, ids=[f for _, f in BAD])
def test_a_bad_policy_is_a_400_naming_the_field_and_stores_nothing(client, broker, body, field):
    _, key = broker
    put(client, key, GENTLE)
    answer = put(client, key, body)
    assert answer.status_code == 400
    assert answer.json_body["error"]["field"] == field
    assert answer.json_body["error"]["code"] == "invalid_input"
    assert get(client, "/admin/policy", key).json_body["version"] == 1


@pytest.mark.parametrize(("query", "status", "field"), [("version=9", 404, "version"), ("version=x", 400, "version"),
                                                         ("colour=red", 400, "colour")])
def test_asking_for_a_version_that_is_not_there(client, broker, query, status, field):
    _, key = broker
    answer = get(client, f"/admin/policy?{query}", key)
    assert answer.status_code == status and answer.json_body["error"]["field"] == field


def test_one_brokers_policy_never_reaches_another(client, broker, other_broker):
    _, key = broker
    _, other_key = other_broker
    put(client, key, GENTLE)
    assert get(client, "/admin/policy", other_key).json_body["is_default"] is True
    assert get(client, "/admin/policy?version=1", other_key).status_code == 404
    put(client, other_key, {"ladder": [{"offset_days": 1, "template": "reminder", "stage": "reminder"}]})
    mine = get(client, "/admin/policy", key).json_body
    assert mine["version"] == 1 and mine["policy"]["ladder"][0]["offset_days"] == 5


def test_the_policy_needs_a_key(client, broker):
    assert client.http.get("/admin/policy").status_code == 401
    assert client.http.put("/admin/policy", body=json.dumps(GENTLE)).status_code == 401


def test_new_cases_follow_the_policy_in_force(client, broker, clock):
    _, key = broker
    clock.now = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)
    put(client, key, GENTLE)
    case = open_case(client, key, customer__timezone="Europe/Berlin", invoice__issued_on="2026-11-01",
                     invoice__due_on="2026-12-01", invoice__number="INV-GENTLE")
    # +5 is Sunday 6 December: deferred to Monday at the policy's 09:00 in Berlin (08:00 UTC).
    assert case["next_action_at"] == "2026-12-07T08:00:00.000Z"
    read = get(client, f"/admin/cases/{case['case_id']}", key).json_body
    assert read["reminders"]["next_step"]["step"]["step"] == "+5"
    assert read["reminders"]["policy_version"] == 1


def test_two_writers_cannot_both_store_the_same_version(aws_env):
    import boto3

    store = DynamoPolicyStore(boto3.client("dynamodb"), TABLE)
    record = PolicyRecord("b1", 1, DEFAULT_POLICY.as_dict(), "2026-11-22T09:00:00.000Z", BY)
    store.add(record)
    with pytest.raises(Conflict) as caught:
        store.add(PolicyRecord("b1", 1, {"ladder": []}, "2026-11-22T09:00:01.000Z", BY))
    assert caught.value.field == "version"
    assert store.current("b1") == record
    assert bootstrap.policy_service().policy_for("b1") == DEFAULT_POLICY.__class__(version=1)


def test_a_version_stored_before_staff_sign_in_names_an_api_key(aws_env):
    import boto3

    from chalicelib.adapters import keys

    boto3.client("dynamodb").put_item(TableName=TABLE, Item={  # as the code before names stored it
        "PK": {"S": keys.broker_pk("b1")}, "SK": {"S": keys.policy_sk(1)}, "version": {"N": "1"},
        "policy": {"S": json.dumps(DEFAULT_POLICY.as_dict())}, "updated_at": {"S": "2026-11-22T09:00:00.000Z"},
        "updated_by": {"S": "broker:b1"}})
    stored = DynamoPolicyStore(boto3.client("dynamodb"), TABLE).current("b1")
    assert stored is not None and stored.updated_by == {"kind": "api_key", "id": "", "name": "API key"}

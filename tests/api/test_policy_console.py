"""The Policy screen's preview (every contact a sample invoice would get, from the sweep's ladder code) and the
history of versions with who changed what."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone

import pytest

from tests.api.test_policy import BAD, GENTLE, put
from tests.conftest import auth, get

INVOICE = {"amount": 125000, "currency": "EUR", "due_date": "2026-10-30", "timezone": "America/New_York"}


def preview(client, key, body):
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.http.post("/admin/policy/preview", headers=auth(key), body=raw)


def test_the_preview_of_the_current_policy_lists_every_step_at_the_customers_local_time(client, broker):
    _, key = broker
    answer = preview(client, key, {"invoice": INVOICE})
    assert answer.status_code == 200, answer.json_body
    contacts = answer.json_body["contacts"]
    assert [c["step"] for c in contacts] == ["-3", "+0", "+3", "+10", "+20", "+30", "+45"]  # the default ladder
    # Tuesday 27 October, at the start of the default contact window in New York (EDT, UTC-4).
    assert (contacts[0]["at"], contacts[0]["local_time"]) == ("2026-10-27T12:00:00.000Z", "2026-10-27T08:00:00-04:00")
    # New York leaves summer time on 1 November: the same local hour is an hour later in UTC.
    assert (contacts[3]["at"], contacts[3]["local_time"]) == ("2026-11-09T13:00:00.000Z", "2026-11-09T08:00:00-05:00")
    # +30 falls on Sunday 29 November: the default contact days move it to Monday.
    assert contacts[5]["local_time"] == "2026-11-30T08:00:00-05:00"
    assert {"email"} <= set(contacts[0]["channels"])
    assert any(c.get("fee", {}).get("amount", 0) > 0 for c in contacts)  # the default late fee


def test_a_posted_policy_is_previewed_without_being_stored(client, broker):
    _, key = broker
    weekdays = copy.deepcopy(GENTLE)
    answer = preview(client, key, {"policy": weekdays, "invoice": {**INVOICE, "language": "de"}})
    assert answer.status_code == 200, answer.json_body
    contacts = answer.json_body["contacts"]
    assert [(c["step"], c["stage"], c["channels"]) for c in contacts] == [
        ("+5", "reminder", ["email"]), ("+20", "final", ["email", "sms"]), ("+35", "escalation", [])]
    # +5 is Wednesday 4 November; +35 falls on Friday 4 December; +20 on Thursday 19 November.
    assert [c["local_time"][:10] for c in contacts] == ["2026-11-04", "2026-11-19", "2026-12-04"]
    assert contacts[2]["notify_broker"] is True and "fee" not in contacts[0]
    assert get(client, "/admin/policy", key).json_body["version"] == 0


def test_a_tier_follows_its_own_ladder(client, broker):
    _, key = broker
    tiered = {**GENTLE, "tiers": [{"tier": "gold", "ladder": [
        {"offset_days": 15, "template": "reminder", "stage": "reminder", "channels": ["email"]}]}]}
    answer = preview(client, key, {"policy": tiered, "invoice": {**INVOICE, "tier": "gold"}})
    assert answer.status_code == 200, answer.json_body
    assert [c["step"] for c in answer.json_body["contacts"]] == ["+15"]


@pytest.mark.parametrize(("body", "field"), [b for b in BAD if isinstance(b[0], dict)], ids=lambda v: str(v)[:20])
def test_an_invalid_policy_is_the_same_400_as_saving_it(client, broker, body, field):
    _, key = broker
    answer = preview(client, key, {"policy": body, "invoice": INVOICE})
    saved = put(client, key, body)
    assert answer.status_code == 400 and answer.json_body == saved.json_body
    assert answer.json_body["error"]["field"] == field


@pytest.mark.parametrize(("invoice", "field"), [
    ({k: v for k, v in INVOICE.items() if k != "due_date"}, "invoice.due_date"),
    ({**INVOICE, "timezone": "Mars/Base"}, "invoice.timezone"),
    ({**INVOICE, "amount": 0}, "invoice.amount"),
    ({**INVOICE, "currency": "XXX"}, "invoice.currency"),
    ({**INVOICE, "language": "it"}, "invoice.language"),
    ({**INVOICE, "due_date": "2026-02-30"}, "invoice.due_date"),
])
def test_a_bad_sample_invoice_is_a_400_naming_the_field(client, broker, invoice, field):
    answer = preview(client, broker[1], {"invoice": invoice})
    assert (answer.status_code, answer.json_body["error"]["field"]) == (400, field)


def test_versions_say_who_stored_each_when_and_what_it_changed(client, broker, clock, console_users):
    broker_id, key = broker
    owner = console_users.create(broker_id, "owner", name="Olga Owner")
    assert get(client, "/admin/policy/versions", key).json_body == {"items": []}
    clock.now = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)
    assert put(client, key, GENTLE).status_code == 200
    clock.advance(hours=2)
    stricter = copy.deepcopy(GENTLE)
    stricter["contact"]["max_contacts"] = 2
    assert put(client, console_users.id_token(owner), stricter).status_code == 200

    items = get(client, "/admin/policy/versions", key).json_body["items"]
    assert [(i["version"], i["updated_at"], i["changed"]) for i in items] == [
        (2, "2026-11-22T11:30:00.000Z", ["contact"]),
        # The first against the default, which also has tiers that GENTLE leaves out.
        (1, "2026-11-22T09:30:00.000Z", ["contact", "ladder", "late_fee", "sender", "tiers"])]
    me = get(client, "/admin/me", key).json_body["user"]
    assert items[1]["updated_by"] == {"kind": "api_key", "id": me["id"], "name": me["name"]}
    assert items[0]["updated_by"] == {"kind": "user", "id": owner.id, "name": "Olga Owner"}


def test_one_brokers_versions_never_reach_another(client, broker, other_broker):
    assert put(client, broker[1], GENTLE).status_code == 200
    assert get(client, "/admin/policy/versions", other_broker[1]).json_body == {"items": []}

"""Promise to pay through the API: the ladder pauses until the promised day; kept, nothing more happens;
broken, the ladder resumes on its own the morning after, with a message saying so."""
from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.api.self_service_kit import CUSTOMER, World


@pytest.fixture
def world(client, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield World(client, monkeypatch)


def promise(world: World, case_id: str, pay_by: str) -> object:
    return world.customer("/customer/promise", world.token(case_id), {"pay_by": pay_by})


def test_a_promise_pauses_reminders_until_the_day_after_it(world):
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")
    answer = promise(world, case_id, "2026-11-12")

    assert answer.status_code == 201, answer.json_body
    body = answer.json_body
    assert body["status"] == "promised" and body["promise"] == {"pay_by": "2026-11-12", "status": "open"}
    assert body["timeline"][-2]["type"] == "promise_made" and body["timeline"][-2]["data"] == {"pay_by": "2026-11-12"}
    made = world.events(case_id, "promise_made")
    assert [(e.actor, e.data["pay_by"]) for e in made] == [("customer", "2026-11-12")]
    admin = world.read(case_id)
    assert admin["reminders"]["next_step"]["reason"] == "case is promised"
    assert admin["next_action_at"] == "2026-11-13T07:00:00.000Z"  # Friday 13 November, 08:00 in Berlin

    sent = len(world.emails(CUSTOMER))
    world.at("2026-11-13T06:59:00Z")  # +10 (10 November) would have gone out by now
    assert len(world.emails(CUSTOMER)) == sent


def test_a_kept_promise_ends_the_case_and_nothing_more_is_sent(world):
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")
    promise(world, case_id, "2026-11-12")
    world.at("2026-11-10T15:00:00Z")
    paid = world.broker(f"/admin/cases/{case_id}/payments", {"amount": 125000, "method": "bank_transfer",
                                                              "reference": "BT-77", "received_on": "2026-11-10"})
    assert paid.status_code == 201 and paid.json_body["status"] == "paid"
    before = world.subjects(CUSTOMER)
    world.at("2027-01-31T09:00:00Z")
    assert world.events(case_id, "promise_missed") == []
    assert world.events(case_id, "reminders_resumed") == []
    assert world.subjects(CUSTOMER) == before


def test_a_broken_promise_resumes_the_ladder_with_a_promise_missed_message(world):
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")  # -3, +0, +3 sent; +10 was due on 10 November
    promise(world, case_id, "2026-11-12")
    world.at("2026-11-12T18:00:00Z")
    world.broker(f"/admin/cases/{case_id}/payments", {"amount": 50000, "method": "bank_transfer",
                                                       "reference": "BT-78", "received_on": "2026-11-12"})
    world.at("2026-11-13T09:00:00Z")

    missed = world.events(case_id, "promise_missed")
    assert [(e.at, e.actor, e.data["pay_by"], e.data["due"]) for e in missed] == [
        ("2026-11-13T07:00:00.000Z", "system", "2026-11-12", 75000)]
    message = world.emails(CUSTOMER)[-1]
    assert message.subject == "Your promise to pay invoice INV-1 by November 12, 2026"
    assert "€750.00" in message.text and "/pay#" in message.text
    case = world.read(case_id)
    assert case["status"] == "open" and case["promise"] == {"pay_by": "2026-11-12", "status": "missed"}
    resumed = [e for e in case["events"] if e["type"] == "reminders_resumed"]
    assert resumed[-1]["data"] == {"paused_days": 8, "reason": "promise missed"}
    # The ladder goes on from +10 (not from the start), eight days later: Wednesday 18 November, 08:00.
    assert case["reminders"]["next_step"]["step"]["step"] == "+10"
    world.at("2026-11-19T09:00:00Z")
    formal = [e for e in world.events(case_id, "reminder_sent") if e.data["step"] == "+10"]
    assert [e.at for e in formal] == ["2026-11-18T07:00:00.000Z"]

    again = promise(world, case_id, "2026-11-25")
    assert again.status_code == 409 and again.json_body["error"]["code"] == "promise_missed"


def test_the_same_promise_twice_is_one_promise(world):
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")
    first, second = promise(world, case_id, "2026-11-12"), promise(world, case_id, "2026-11-12")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json_body == second.json_body
    assert len(world.events(case_id, "promise_made")) == 1
    other = promise(world, case_id, "2026-11-14")
    assert other.status_code == 409 and other.json_body["error"]["code"] == "promise_exists"


def test_no_promise_while_disputed_or_once_paid(world):
    disputed, _ = world.open_case("INV-1")
    world.dispute(disputed)
    answer = promise(world, disputed, "2026-10-10")
    assert answer.status_code == 409 and answer.json_body["error"]["code"] == "dispute_open"
    paid, _ = world.open_case("INV-2")
    world.broker(f"/admin/cases/{paid}/payments", {"amount": 125000, "method": "cash", "reference": "C-1",
                                                    "received_on": "2026-10-01"})
    answer = promise(world, paid, "2026-10-10")
    assert answer.status_code == 409 and answer.json_body["error"]["code"] == "closed"


@pytest.mark.parametrize(("body", "field"), [
    ({"pay_by": "2026-11-04"}, "pay_by"),  # yesterday
    ({"pay_by": "2026-11-20"}, "pay_by"),  # fifteen days ahead: the default limit is fourteen
    ({"pay_by": "next week"}, "pay_by"),
    ({}, "pay_by"),
    ({"pay_by": "2026-11-12", "amount": 5}, "amount"),
])
def test_bad_promises_are_a_400_naming_the_field(world, body, field):
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")
    answer = world.customer("/customer/promise", world.token(case_id), body)
    assert answer.status_code == 400 and answer.json_body["error"]["field"] == field
    assert world.events(case_id, "promise_made") == []


def test_the_limit_comes_from_the_brokers_policy(world):
    case_id, _ = world.open_case()
    policy = world.client.http.get("/admin/policy", headers={"Authorization": f"Bearer {world.key}"}).json_body
    changed = world.client.http.put("/admin/policy", headers={"Authorization": f"Bearer {world.key}",
                                                              "Content-Type": "application/json"},
                                    body=json.dumps({**policy["policy"], "self_service": {
                                        "promise_max_days": 30}}))
    assert changed.status_code == 200, changed.json_body
    assert promise(world, case_id, "2026-10-29").status_code == 201

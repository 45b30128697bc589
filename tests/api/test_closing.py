"""Closing cases through the API on moto: partners, escalation (with its evidence pack by a link that
expires), partner outcomes, mediation and write-off. Emails are read from moto's SES, packs from S3."""
from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

from chalicelib import schemas
from chalicelib.domain import partners
from portal.pack_trigger import PackTrigger
from tests.api.self_service_kit import CUSTOMER, World

AGENCY = {"kind": "collection_agency", "name": "Dunning & Sons", "email": "cases@dunning.test", "fee_bp": 1500,
          "min_balance": {"EUR": 50000}, "contact_customer": False}


@pytest.fixture
def world(client, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield World(client, monkeypatch)


def call(world: World, method: str, path: str, body: Any = None, key: str | None = None) -> Any:
    import json

    headers = {"Authorization": f"Bearer {key or world.key}", "Content-Type": "application/json"}
    return world.client.http.request(method, path, headers=headers, body=json.dumps(body).encode() if body else b"")


def add_partner(world: World, **fields: Any) -> dict[str, Any]:
    answer = call(world, "POST", "/admin/partners", {**AGENCY, **fields})
    assert answer.status_code == 201, answer.json_body
    return answer.json_body


def escalate(world: World, case_id: str, partner_id: str, **body: Any) -> Any:
    return world.broker(f"/admin/cases/{case_id}/escalate", {"partner_id": partner_id, **body})


def deliver_packs() -> int:
    """Play the evidence pack queue's trigger until it is empty: how many messages the worker got."""
    return PackTrigger(boto3.client("sqs"), os.environ["PACK_QUEUE_URL"]).drain()


def types(world: World, case_id: str) -> list[str]:
    return [e.type for e in world.events(case_id)]


def test_partner_kinds_in_the_schema_are_the_domains():
    assert schemas.PARTNER_KINDS == list(partners.KINDS)


def test_a_broker_keeps_partners_and_changes_or_removes_them(world, other_broker):
    agency = add_partner(world)
    assert agency["fee_bp"] == 1500 and agency["min_balance"] == {"EUR": 50000} and agency["webhook_url"] is None
    lawyer = add_partner(world, kind="law_firm", name="Bright LLP", email="desk@bright.test",
                         webhook_url="https://bright.test/hooks", contact_customer=True)

    listed = call(world, "GET", "/admin/partners").json_body["items"]
    assert sorted(p["name"] for p in listed) == ["Bright LLP", "Dunning & Sons"]
    changed = call(world, "PATCH", f"/admin/partners/{lawyer['partner_id']}", {"fee_bp": 2000, "webhook_url": None})
    assert changed.status_code == 200 and changed.json_body["fee_bp"] == 2000
    assert call(world, "GET", f"/admin/partners/{lawyer['partner_id']}").json_body["webhook_url"] is None

    # Another broker's key reaches none of them.
    assert call(world, "GET", f"/admin/partners/{agency['partner_id']}", key=other_broker[1]).status_code == 404
    assert call(world, "GET", "/admin/partners", key=other_broker[1]).json_body["items"] == []

    gone = call(world, "DELETE", f"/admin/partners/{agency['partner_id']}")
    assert gone.status_code == 200 and gone.json_body["name"] == "Dunning & Sons"
    assert call(world, "GET", f"/admin/partners/{agency['partner_id']}").status_code == 404
    assert call(world, "DELETE", f"/admin/partners/{agency['partner_id']}").status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({**AGENCY, "kind": "bank"}, "kind"),
    ({**AGENCY, "fee_bp": 10_001}, "fee_bp"),
    ({**AGENCY, "min_balance": {"XXX": 1}}, "min_balance"),
    ({**AGENCY, "min_balance": {"EUR": -1}}, "min_balance.EUR"),
    ({**AGENCY, "webhook_url": "http://plain.test/hook"}, "webhook_url"),
    ({k: v for k, v in AGENCY.items() if k != "email"}, "email"),
])
def test_a_bad_partner_is_a_400_naming_the_field_and_stores_nothing(world, body, field):
    answer = call(world, "POST", "/admin/partners", body)
    assert answer.status_code == 400 and answer.json_body["error"]["field"] == field, answer.json_body
    assert call(world, "GET", "/admin/partners").json_body["items"] == []


def test_the_ladder_marks_a_case_ready_and_the_broker_confirms_the_escalation(world):
    case_id, _ = world.open_case()
    agency = add_partner(world)
    world.at("2026-12-16T12:00:00Z")  # every step ran, the escalation step last (+45)

    view = world.read(case_id)
    assert view["status"] == "open" and view["closing"]["ready_for_collections"] is True
    assert "ready_for_collections" in types(world, case_id)
    assert any(s.startswith("Ready for collections") for s in world.subjects("ar@acme.test"))

    answer = escalate(world, case_id, agency["partner_id"], note="Customer stopped answering in November")
    assert answer.status_code == 201, answer.json_body
    assert answer.json_body["status"] == "escalated"
    assert answer.json_body["closing"]["escalation"]["partner_name"] == "Dunning & Sons"
    escalated = world.events(case_id, "escalated")[0].data
    assert (escalated["partner_id"], escalated["fee_bp"], escalated["via"]) == (agency["partner_id"], 1500, "ladder")
    assert escalated["link_expires_at"] > world.now.isoformat()[:10]

    # The customer gets the policy's formal notice at once; the pack is queued, not built in the request.
    assert world.subjects(CUSTOMER)[-1] == "Account referred: invoice INV-1"
    assert answer.json_body["pack"]["status"] == "building" and world.emails("cases@dunning.test") == []
    assert "escalation_sent" not in types(world, case_id)

    # The evidence pack worker builds it; the partner gets it by a link that expires.
    assert deliver_packs() == 1
    status = world.client.http.get(answer.json_body["pack"]["status_url"],
                                   headers={"Authorization": f"Bearer {world.key}"})
    assert status.json_body["status"] == "ready"
    to_partner = world.emails("cases@dunning.test")
    assert len(to_partner) == 1 and "Customer stopped answering" in to_partner[0].text
    url = next(word for word in to_partner[0].text.split() if word.startswith("http"))
    assert "X-Amz-Expires=604800" in url  # seven days
    pack = requests.get(url, timeout=10)
    assert pack.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(pack.content)).namelist()
    assert {"statement.pdf", "timeline.json", "manifest.json"} <= set(names)
    sent = world.events(case_id, "escalation_sent")[0].data
    assert sent["manifest_sha256"] in to_partner[0].text and sent["partner_message_id"]
    assert sent["customer_message_id"] and sent["pack_key"] == escalated["pack_key"]


def test_a_build_message_delivered_twice_emails_the_partner_once(world):
    case_id, _ = world.open_case()
    agency = add_partner(world)
    answer = escalate(world, case_id, agency["partner_id"])
    assert answer.status_code == 201, answer.json_body
    sqs, url = boto3.client("sqs"), os.environ["PACK_QUEUE_URL"]
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    sqs.send_message(QueueUrl=url, MessageBody=message["Body"])  # SQS may deliver a message more than once
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)

    assert deliver_packs() == 2
    assert len(world.emails("cases@dunning.test")) == 1
    assert types(world, case_id).count("escalation_sent") == 1


def test_a_partner_that_contacts_the_customer_itself_stops_the_ladder_until_the_case_returns(world):
    case_id, _ = world.open_case()
    agency = add_partner(world, min_balance={})
    world.at("2026-11-12T12:00:00Z")  # the formal notice (+10) went out; the late fee step (+20) is next
    assert escalate(world, case_id, agency["partner_id"]).status_code == 201
    assert world.read(case_id)["reminders"]["next_step"]["reason"].startswith("with a collections partner")

    world.at("2026-11-25T12:00:00Z")
    assert not [e for e in world.events(case_id, "reminder_started") if e.data["step"] == "+20"]

    back = world.broker(f"/admin/cases/{case_id}/escalation/outcome", {"returned_to_broker": True, "closed": True,
                                                                      "note": "No contact possible"})
    assert back.status_code == 201, back.json_body
    assert back.json_body["status"] == "open" and back.json_body["closing"]["escalation"] is None
    resumed = world.events(case_id, "reminders_resumed")[-1].data
    assert resumed["paused_days"] == 13  # the ladder continues where it stood, moved by the days it was held
    step = back.json_body["reminders"]["next_step"]
    assert step["step"]["step"] == "+20" and step["at"] >= "2026-12-03"


def test_a_partner_that_lets_the_ladder_run_leaves_reminders_going_out(world):
    case_id, _ = world.open_case()
    lawyer = add_partner(world, kind="law_firm", min_balance={}, contact_customer=True)
    world.at("2026-11-12T12:00:00Z")
    assert escalate(world, case_id, lawyer["partner_id"]).status_code == 201
    world.at("2026-11-25T12:00:00Z")
    assert [e for e in world.events(case_id, "reminder_started") if e.data["step"] == "+20"]
    assert world.read(case_id)["status"] == "escalated"


def test_escalation_is_refused_below_the_minimum_and_on_closed_or_disputed_cases(world):
    agency = add_partner(world, min_balance={"EUR": 200000})
    mediator = add_partner(world, kind="mediator", name="Calm Talks", email="m@calm.test")
    case_id, _ = world.open_case()
    below = escalate(world, case_id, agency["partner_id"])
    assert below.status_code == 409 and below.json_body["error"]["code"] == "below_minimum"
    assert below.json_body["error"]["field"] == "partner_id" and "2000.00 EUR" in below.json_body["error"]["message"]
    wrong = escalate(world, case_id, mediator["partner_id"])
    assert wrong.status_code == 400 and wrong.json_body["error"]["field"] == "partner_id"
    assert escalate(world, case_id, "p000000000000").status_code == 404

    cheap = add_partner(world, min_balance={})
    world.dispute(case_id)
    disputed = escalate(world, case_id, cheap["partner_id"])
    assert disputed.status_code == 409 and disputed.json_body["error"]["code"] == "disputed"

    paid_id, _ = world.open_case("INV-2")
    world.broker(f"/admin/cases/{paid_id}/payments", {"amount": 125000, "method": "bank_transfer",
                                                       "reference": "TX-1", "received_on": "2026-10-01"})
    closed = escalate(world, paid_id, cheap["partner_id"])
    assert closed.status_code == 409 and closed.json_body["error"]["code"] == "closed"
    assert "escalated" not in types(world, case_id) + types(world, paid_id)


def test_money_a_partner_collects_enters_the_ledger_with_its_fee_beside_it(world):
    case_id, _ = world.open_case()
    agency = add_partner(world)
    assert escalate(world, case_id, agency["partner_id"]).status_code == 201

    answer = world.broker(f"/admin/cases/{case_id}/escalation/outcome",
                          {"collected_amount": 50000, "collected_on": "2026-10-01",
                           "closed": False, "returned_to_broker": False})
    assert answer.status_code == 201, answer.json_body
    view = answer.json_body
    assert view["balance"]["paid"] == 50000 and view["balance"]["due"] == 75000
    assert [(p["source"], p["amount"]) for p in view["payments"]["items"]] == [("partner", 50000)]
    outcome = world.events(case_id, "escalation_outcome")[0].data
    assert outcome["partner_fee"] == 7500 and outcome["collected_amount"] == 50000  # 15% of 500.00
    assert view["closing"]["escalation"]["collected"] == 50000

    rest = world.broker(f"/admin/cases/{case_id}/escalation/outcome", {
        "collected_amount": 75000, "collected_on": "2026-10-01", "partner_fee": 10000, "closed": True,
        "returned_to_broker": False})
    assert rest.json_body["status"] == "paid" and rest.json_body["balance"]["due"] == 0

    bad = world.broker(f"/admin/cases/{case_id}/escalation/outcome", {"collected_amount": 1, "closed": False,
                                                                              "returned_to_broker": False})
    assert bad.status_code == 400 and bad.json_body["error"]["field"] == "collected_on"


def test_a_mediation_holds_the_ladder_until_its_date_then_ends(world):
    case_id, _ = world.open_case()
    mediator = add_partner(world, kind="mediator", name="Calm Talks", email="m@calm.test")
    agency = add_partner(world)
    world.at("2026-11-04T12:00:00Z")
    not_a_mediator = world.broker(f"/admin/cases/{case_id}/mediation",
                                  {"mediator_id": agency["partner_id"], "hold_until": "2026-11-20T00:00:00Z"})
    assert not_a_mediator.status_code == 400 and not_a_mediator.json_body["error"]["field"] == "mediator_id"

    answer = world.broker(f"/admin/cases/{case_id}/mediation",
                          {"mediator_id": mediator["partner_id"], "hold_until": "2026-11-20T00:00:00Z"})
    assert answer.status_code == 201, answer.json_body
    assert answer.json_body["closing"]["mediation"]["mediator_name"] == "Calm Talks"
    assert answer.json_body["reminders"]["paused"]["until"] == "2026-11-20T00:00:00.000Z"

    world.at("2026-11-19T12:00:00Z")
    assert not [e for e in world.events(case_id, "reminder_started") if e.data["step"] == "+10"]
    world.at("2026-11-21T12:00:00Z")
    ended = world.events(case_id, "mediation_ended")
    assert len(ended) == 1 and ended[0].data["mediator"] == "Calm Talks"
    assert world.read(case_id)["closing"]["mediation"] is None
    assert world.events(case_id, "reminders_resumed")[-1].data["paused_days"] == 16  # held 4 to 20 November
    world.at("2026-11-27T12:00:00Z")  # the +10 step, moved by those days: 26 November
    assert [e for e in world.events(case_id, "reminder_started") if e.data["step"] == "+10"]


def test_a_disputed_case_is_mediated_through_its_dispute(world):
    case_id, _ = world.open_case()
    mediator = add_partner(world, kind="mediator", name="Calm Talks", email="m@calm.test")
    world.dispute(case_id)
    answer = world.broker(f"/admin/cases/{case_id}/mediation",
                          {"mediator_id": mediator["partner_id"], "hold_until": "2026-11-20T00:00:00Z"})
    assert answer.status_code == 409 and answer.json_body["error"]["code"] == "disputed"


def test_a_full_write_off_stops_the_ladder_and_a_later_payment_is_a_recovery(world):
    case_id, _ = world.open_case()
    world.at("2026-11-04T12:00:00Z")
    answer = world.broker(f"/admin/cases/{case_id}/write-off", {"reason": "Customer insolvent"})
    assert answer.status_code == 201, answer.json_body
    view = answer.json_body
    assert view["status"] == "written_off" and view["next_action_at"] is None
    assert view["balance"]["due"] == 0 and view["closing"]["written_off"] == 125000
    assert world.events(case_id, "written_off")[0].data["full"] is True

    world.broker(f"/admin/cases/{case_id}/payments", {"amount": 25000, "method": "bank_transfer",
                                                       "reference": "TX-9", "received_on": "2026-11-04"})
    after = world.read(case_id)
    assert after["status"] == "written_off" and after["next_action_at"] is None  # reopens nothing
    assert after["closing"]["recovered"] == 25000 and after["closing"]["written_off"] == 100000
    assert world.events(case_id, "recovery_received")[0].data["amount"] == 25000
    again = world.broker(f"/admin/cases/{case_id}/write-off", {"reason": "twice"})
    assert again.status_code == 409 and again.json_body["error"]["code"] == "closed"

    world.broker(f"/admin/cases/{case_id}/payments", {"amount": 100000, "method": "bank_transfer",
                                                       "reference": "TX-10", "received_on": "2026-11-04"})
    assert world.read(case_id)["status"] == "paid"  # everything written off came back


def test_a_partial_write_off_of_a_small_remainder_settles_it(world):
    case_id, token = world.open_case()
    world.broker(f"/admin/cases/{case_id}/payments", {"amount": 124980, "method": "bank_transfer",
                                                       "reference": "TX-1", "received_on": "2026-10-01"})
    assert world.read(case_id)["payments"]["flags"] == ["small_remainder"]
    page = world.client.http.get("/customer/case", headers={"Authorization": f"Bearer {world.token(case_id)}"})
    assert page.json_body["pay"]["blocked"] == "small_remainder"

    too_much = world.broker(f"/admin/cases/{case_id}/write-off", {"amount": 21, "reason": "rounding"})
    assert too_much.status_code == 400 and too_much.json_body["error"]["field"] == "amount"
    answer = world.broker(f"/admin/cases/{case_id}/write-off", {"amount": 20, "reason": "bank charges"})
    assert answer.status_code == 201, answer.json_body
    view = answer.json_body
    assert view["status"] == "paid" and view["balance"]["due"] == 0 and view["payments"]["flags"] == []
    assert world.events(case_id, "written_off")[0].data["full"] is False


def test_a_partial_write_off_reduces_what_is_owed(world):
    case_id, _ = world.open_case()
    answer = world.broker(f"/admin/cases/{case_id}/write-off", {"amount": 25000, "reason": "goodwill"})
    assert answer.json_body["status"] == "open" and answer.json_body["balance"]["due"] == 100000
    assert answer.json_body["next_action_at"] is not None


@pytest.mark.parametrize(("path", "body", "field"), [
    ("escalate", {"partner_id": "not-a-partner"}, "partner_id"),
    ("escalate", {"partner_id": "p000000000000", "extra": 1}, "extra"),
    ("escalation/outcome", {"closed": "yes", "returned_to_broker": False}, "closed"),
    ("escalation/outcome", {"closed": False}, "returned_to_broker"),
    ("mediation", {"mediator_id": "p000000000000", "hold_until": "2026-13-01T00:00:00Z"}, "hold_until"),
    ("mediation", {"mediator_id": "p000000000000"}, "hold_until"),
    ("write-off", {"amount": 100}, "reason"),
    ("write-off", {"amount": 0, "reason": "x"}, "amount"),
    ("write-off", {"amount": 10**14, "reason": "x"}, "amount"),
])
def test_bad_closing_requests_are_a_400_naming_the_field_and_change_nothing(world, path, body, field):
    case_id, _ = world.open_case()
    before = types(world, case_id)
    answer = world.broker(f"/admin/cases/{case_id}/{path}", body)
    assert answer.status_code == 400 and answer.json_body["error"]["field"] == field, answer.json_body
    assert types(world, case_id) == before


def test_rules_across_fields_are_a_400_naming_the_field(world):
    case_id, _ = world.open_case()
    mediator = add_partner(world, kind="mediator", name="Calm Talks", email="m@calm.test")
    past = world.broker(f"/admin/cases/{case_id}/mediation",
                        {"mediator_id": mediator["partner_id"], "hold_until": "2026-09-01T00:00:00Z"})
    assert past.status_code == 400 and past.json_body["error"]["field"] == "hold_until"
    agency = add_partner(world, min_balance={})
    assert escalate(world, case_id, agency["partner_id"]).status_code == 201
    fee = world.broker(f"/admin/cases/{case_id}/escalation/outcome", {
        "collected_amount": 100, "collected_on": "2026-10-01", "partner_fee": 101, "closed": False,
        "returned_to_broker": False})
    assert fee.status_code == 400 and fee.json_body["error"]["field"] == "partner_fee"
    future = world.broker(f"/admin/cases/{case_id}/escalation/outcome", {
        "collected_amount": 100, "collected_on": "2027-10-01", "closed": False, "returned_to_broker": False})
    assert future.status_code == 400 and future.json_body["error"]["field"] == "collected_on"
    assert "escalation_outcome" not in types(world, case_id)

""""I already paid" through the API: the broker is asked to reconcile, reminders pause for a few days and
then resume on their own unless the payment is found."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.self_service_kit import BROKER, CUSTOMER, World

REPORT = {"paid_on": "2026-11-04", "method": "bank_transfer", "reference": "SEPA 2026-11-04 ACME INV-1"}


@pytest.fixture
def world(client, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield World(client, monkeypatch)


def report(world: World, case_id: str, **body: str) -> object:
    return world.customer("/customer/already-paid", world.token(case_id), {**REPORT, **body})


def test_already_paid_asks_the_broker_to_reconcile_and_pauses_reminders_for_five_days(world):
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")  # -3, +0, +3 sent; +10 is due on 10 November
    answer = report(world, case_id)

    assert answer.status_code == 201, answer.json_body
    assert answer.json_body["status"] == "open"
    assert answer.json_body["timeline"][-1] == {"type": "already_paid_reported", "at": "2026-11-05T10:00:00.000Z",
                                                "data": {"paid_on": "2026-11-04"}}
    reported = world.events(case_id, "already_paid_reported", "reminders_paused")
    assert [(e.type, e.actor) for e in reported] == [("already_paid_reported", "customer"),
                                                     ("reminders_paused", "customer")]
    assert reported[0].data["reference"] == REPORT["reference"]
    notice = world.emails(BROKER)[-1]
    assert notice.subject == "Please check a payment: invoice INV-1 (Jane Customer)"
    assert REPORT["reference"] in notice.text and "November 4, 2026" in notice.text
    admin = world.read(case_id)
    assert admin["reminders"]["paused"]["until"] == "2026-11-10T10:00:00.000Z"
    assert admin["payment_reports"][0]["pause_until"] == "2026-11-10T10:00:00.000Z"

    sent = len(world.emails(CUSTOMER))
    world.at("2026-11-10T09:59:00Z")
    assert len(world.emails(CUSTOMER)) == sent  # +10 waits
    world.at("2026-11-17T09:00:00Z")
    resumed = world.events(case_id, "reminders_resumed")
    assert [(e.at, e.data) for e in resumed] == [("2026-11-10T10:00:00.000Z", {"paused_days": 5,
                                                                               "reason": "pause ended"})]
    formal = [e for e in world.events(case_id, "reminder_sent") if e.data["step"] == "+10"]
    assert [e.at for e in formal] == ["2026-11-16T07:00:00.000Z"]  # 15 November is a Sunday: Monday, 08:00


def test_when_the_broker_finds_the_payment_the_case_closes_and_reminders_stop(world):
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")
    report(world, case_id)
    found = world.broker(f"/admin/cases/{case_id}/payments", {"amount": 125000, "method": "bank_transfer",
                                                               "reference": "SEPA-1104", "received_on": "2026-11-04"})
    assert found.json_body["status"] == "paid"
    before = len(world.events(case_id, "reminder_sent"))
    world.at("2027-01-31T09:00:00Z")
    assert len(world.events(case_id, "reminder_sent")) == before


def test_the_same_report_twice_is_one_report_and_a_different_one_waits(world):
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")
    first, second = report(world, case_id), report(world, case_id)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json_body == second.json_body
    assert len(world.events(case_id, "already_paid_reported")) == 1
    assert len(world.emails(BROKER)) == 1
    other = report(world, case_id, reference="another one")
    assert other.status_code == 409 and other.json_body["error"]["code"] == "report_pending"


def test_no_report_on_a_disputed_or_paid_case(world):
    disputed, _ = world.open_case("INV-1")
    world.dispute(disputed)
    answer = report(world, disputed, paid_on="2026-10-01")
    assert answer.status_code == 409 and answer.json_body["error"]["code"] == "dispute_open"
    paid, _ = world.open_case("INV-2")
    world.broker(f"/admin/cases/{paid}/payments", {"amount": 125000, "method": "cash", "reference": "C-1",
                                                    "received_on": "2026-10-01"})
    answer = report(world, paid, paid_on="2026-10-01")
    assert answer.status_code == 409 and answer.json_body["error"]["code"] == "closed"


@pytest.mark.parametrize(("body", "field"), [
    ({"paid_on": "2026-11-06"}, "paid_on"),  # tomorrow
    ({"paid_on": "04/11/2026"}, "paid_on"),
    ({"method": "bitcoin"}, "method"),
    ({"reference": ""}, "reference"),
    ({"reference": "x" * 201}, "reference"),
])
def test_bad_reports_are_a_400_naming_the_field(world, body, field):
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")
    answer = report(world, case_id, **body)
    assert answer.status_code == 400 and answer.json_body["error"]["field"] == field
    assert world.events(case_id, "already_paid_reported") == []

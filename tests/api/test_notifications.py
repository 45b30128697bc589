"""Broker notifications through the API: the preferences decide who hears about what, in which language, now
or in the morning digest; every notice is logged with SES's message id. What went out is read from moto's SES."""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.domain.cases import iso
from chalicelib.services import brokers
from tests.api.self_service_kit import BROKER, World
from tests.integration.reminder_stack import SentEmail

TEAM = ["ops@acme.test", "cfo@acme.test"]


@pytest.fixture
def world(client, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield World(client, monkeypatch)


def put_prefs(world: World, body: Any) -> Any:
    return world.client.http.put("/admin/notifications", body=json.dumps(body), headers={
        "Authorization": f"Bearer {world.key}", "Content-Type": "application/json"})


def prefs(world: World, body: dict[str, Any]) -> dict[str, Any]:
    answer = put_prefs(world, body)
    assert answer.status_code == 200, answer.json_body
    return dict(answer.json_body)


def to_team(world: World) -> list[SentEmail]:
    return [m for m in world.emails() if m.to == ", ".join(TEAM)]


def log(world: World, limit: int = 100) -> list[Any]:
    """The broker's notice log through the API, every page, oldest first."""
    items: list[Any] = []
    cursor = None
    while True:
        path = f"/admin/notifications/log?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = world.client.http.get(path, headers={"Authorization": f"Bearer {world.key}"})
        assert page.status_code == 200, page.json_body
        items += [SimpleNamespace(kind=i["notice"], **{k: v for k, v in i.items() if k != "notice"})
                  for i in page.json_body["items"]]
        cursor = page.json_body["next_cursor"]
        if not cursor:
            return items[::-1]


def already_paid(world: World, case_id: str) -> Any:
    return world.customer("/customer/already-paid", world.token(case_id), {
        "paid_on": world.now.date().isoformat(), "method": "bank_transfer", "reference": "SEPA-1104"})


def offline_payment(world: World, case_id: str, amount: int, reference: str = "BT-1") -> Any:
    answer = world.broker(f"/admin/cases/{case_id}/payments", {
        "amount": amount, "method": "bank_transfer", "reference": reference,
        "received_on": world.now.date().isoformat()})
    assert answer.status_code == 201, answer.json_body
    return answer


# --- preferences --------------------------------------------------------------------------------------

def test_the_defaults_until_the_broker_sets_them_then_what_they_set(world):
    answer = world.client.http.get("/admin/notifications", headers={"Authorization": f"Bearer {world.key}"})
    assert answer.status_code == 200
    defaults = answer.json_body
    assert (defaults["updated_at"], defaults["locale"], defaults["timezone"]) == (None, "en", "UTC")
    assert defaults["digest"] == {"enabled": False, "hour": 8, "recipients": []}
    assert {n: r["delivery"] for n, r in defaults["notices"].items()} == {n: "immediate" for n in (
        "dispute", "already_paid", "plan_defaulted", "escalation", "email_bounced", "currency_mismatch",
        "large_payment", "payment")}

    stored = prefs(world, {"recipients": TEAM, "locale": "de", "timezone": "Europe/Berlin",
                           "digest": {"enabled": True, "hour": 7},
                           "notices": {"dispute": {"delivery": "digest"}, "payment": {"delivery": "off"}},
                           "large_payment": {"EUR": 100000}})
    again = world.client.http.get("/admin/notifications", headers={"Authorization": f"Bearer {world.key}"})
    assert again.json_body == stored
    assert stored["updated_at"] == iso(world.now)
    assert (stored["locale"], stored["digest"]["hour"], stored["large_payment"]) == ("de", 7, {"EUR": 100000})
    assert stored["notices"]["dispute"] == {"delivery": "digest", "recipients": []}
    assert stored["notices"]["payment"]["delivery"] == "off"


@pytest.mark.parametrize(("body", "field"), [
    ({"locale": "it"}, "locale"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"recipients": ["not an address"]}, "recipients[0]"),
    ({"recipients": ["a@acme.test", "a@acme.test"]}, "recipients[1]"),
    ({"digest": {"hour": 24}}, "digest.hour"),
    ({"digest": {"enabled": "yes"}}, "digest.enabled"),
    ({"notices": {"dispute": {"delivery": "sometimes"}}}, "notices.dispute.delivery"),
    ({"notices": {"gossip": {"delivery": "off"}}}, "notices.gossip"),
    ({"notices": {"dispute": {"delivery": "digest"}}}, "notices.dispute.delivery"),  # the digest is off
    ({"large_payment": {"EUR": 0}}, "large_payment.EUR"),
    ({"large_payment": {"EUR": 1.5}}, "large_payment.EUR"),
    ({"large_payment": {"XXX": 100}}, "large_payment.XXX"),  # not a currency the portal knows
    ({"colour": "blue"}, "colour"),
    ([], "body"),
])
def test_bad_preferences_are_a_400_naming_the_field_and_change_nothing(world, body, field):
    before = world.client.http.get("/admin/notifications", headers={"Authorization": f"Bearer {world.key}"})
    answer = put_prefs(world, body)
    assert answer.status_code == 400, answer.json_body
    assert answer.json_body["error"]["field"] == field
    after = world.client.http.get("/admin/notifications", headers={"Authorization": f"Bearer {world.key}"})
    assert after.json_body == before.json_body


def test_preferences_and_the_log_need_the_brokers_key(world):
    assert world.client.http.get("/admin/notifications").status_code == 401
    assert world.client.http.get("/admin/notifications/log").status_code == 401


def test_a_brokers_preferences_and_log_are_theirs_alone(world, client):
    prefs(world, {"recipients": TEAM, "locale": "fr"})
    case_id, _ = world.open_case()
    offline_payment(world, case_id, 10000)
    _, other_key = brokers.create_broker(bootstrap.store(), bootstrap.utc_now, "Other Ltd", "ar@other.test")
    other = {"Authorization": f"Bearer {other_key}"}
    theirs = client.http.get("/admin/notifications", headers=other).json_body
    assert (theirs["recipients"], theirs["locale"], theirs["updated_at"]) == ([], "en", None)
    assert client.http.get("/admin/notifications/log", headers=other).json_body == {"items": [], "next_cursor": None}
    assert len(log(world)) == 1


def test_the_log_pages_newest_first_and_refuses_a_cursor_it_did_not_give(world):
    prefs(world, {"notices": {"payment": {"delivery": "off"}}})
    case_id, _ = world.open_case()
    for n in range(3):
        offline_payment(world, case_id, 10000, f"BT-{n}")
    whole = log(world)
    assert [(e.kind, e.delivery) for e in whole] == [("payment_received", "recorded")] * 3
    assert log(world, limit=1) == whole  # three pages of one
    for cursor in ("not*base64", "QkFE"):  # "BAD": base64, but no key of this log
        answer = world.client.http.get(f"/admin/notifications/log?cursor={cursor}",
                                       headers={"Authorization": f"Bearer {world.key}"})
        assert answer.status_code == 400 and answer.json_body["error"]["field"] == "cursor"


# --- each notice when its trigger happens -------------------------------------------------------------

def test_a_dispute_goes_to_every_address_of_the_team_in_german_and_is_logged_with_its_message_id(world):
    prefs(world, {"recipients": TEAM, "locale": "de"})
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")
    assert world.dispute(case_id).status_code == 201

    [notice] = to_team(world)
    assert notice.subject == "Neuer Einwand: Rechnung INV-1 (Jane Customer)"
    assert "erhebt Einwand gegen den gesamten Betrag" in notice.text
    assert "Offener Betrag: 1.250,00\xa0€" in notice.text and "1.250,00\xa0€" in notice.html  # German amounts
    assert world.emails(BROKER) == []  # the team's addresses replace the broker's own
    [entry] = [e for e in log(world) if e.kind == "dispute"]
    assert (entry.delivery, entry.case_id, entry.message_id) == ("sent", case_id, notice.message_id)


@pytest.mark.parametrize(("locale", "subject"), [
    ("en", "Please check a payment: invoice INV-1 (Jane Customer)"),
    ("es", "Compruebe un pago: factura INV-1 (Jane Customer)"),
    ("fr", "Paiement à vérifier : facture INV-1 (Jane Customer)"),
    ("de", "Bitte Zahlung prüfen: Rechnung INV-1 (Jane Customer)"),
])
def test_an_already_paid_claim_is_told_in_the_brokers_language(world, locale, subject):
    prefs(world, {"locale": locale})
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")
    assert already_paid(world, case_id).status_code == 201
    [notice] = world.emails(BROKER)
    assert notice.subject == subject
    assert f'<html lang="{locale}">' in notice.html


def test_a_notice_turned_off_is_not_sent_but_logged_as_off(world):
    prefs(world, {"notices": {"already_paid": {"delivery": "off"}}})
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")
    assert already_paid(world, case_id).status_code == 201
    assert world.emails(BROKER) == []
    [entry] = [e for e in log(world) if e.kind == "already_paid"]
    assert (entry.delivery, entry.message_id) == ("off", None)


def test_a_notice_can_name_its_own_addresses(world):
    prefs(world, {"recipients": TEAM, "notices": {"already_paid": {"recipients": ["books@acme.test"]}}})
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")
    already_paid(world, case_id)
    assert world.subjects("books@acme.test") == ["Please check a payment: invoice INV-1 (Jane Customer)"]
    assert to_team(world) == []


def test_a_large_payment_is_told_at_the_brokers_threshold_for_its_currency(world):
    prefs(world, {"locale": "de", "large_payment": {"EUR": 50000, "USD": 1}})
    case_id, _ = world.open_case()
    offline_payment(world, case_id, 49999, "BT-SMALL")
    assert world.emails(BROKER) == []  # under the EUR threshold (the USD one is for USD cases)
    offline_payment(world, case_id, 50000, "BT-LARGE")
    [notice] = world.emails(BROKER)
    assert notice.subject == "Große Zahlung: 500,00 € für Rechnung INV-1 (Jane Customer)"  # a header: plain spaces
    assert "Schwelle für große Zahlungen von 500,00\xa0€" in notice.text and "offline:BT-LARGE" in notice.text
    [entry] = [e for e in log(world) if e.kind == "large_payment"]
    assert entry.message_id == notice.message_id


def test_paid_in_full_is_told_to_the_team_and_can_be_turned_off(world):
    prefs(world, {"recipients": TEAM})
    first, _ = world.open_case("INV-1")
    offline_payment(world, first, 125000)
    assert [m.subject for m in to_team(world)] == ["Paid: invoice INV-1 (Jane Customer)"]

    prefs(world, {"recipients": TEAM, "notices": {"payment": {"delivery": "off"}}})
    second, _ = world.open_case("INV-2")
    offline_payment(world, second, 125000, "BT-2")
    assert len(to_team(world)) == 1


def test_escalation_goes_to_the_team_in_french_and_off_is_recorded_on_the_case_as_skipped(world):
    prefs(world, {"recipients": TEAM, "locale": "fr"})
    escalated, _ = world.open_case("INV-1")
    world.at("2027-01-20T12:00:00Z")  # +45 days after the final notice went out
    [notice] = to_team(world)
    assert notice.subject == "Prêt pour le recouvrement : facture INV-1 (Jane Customer)"
    sent = [e for e in world.events(escalated, "reminder_sent") if e.data.get("channel") == "broker"]
    assert [e.data["message_id"] for e in sent] == [notice.message_id]  # recorded on the case

    prefs(world, {"recipients": TEAM, "notices": {"escalation": {"delivery": "off"}}})
    quiet, _ = world.open_case("INV-2")
    world.at("2027-04-01T12:00:00Z")
    assert len(to_team(world)) == 1
    skipped = world.events(quiet, "reminder_skipped")
    assert [e.data.get("reason") for e in skipped] == ["broker_unreachable"]


def test_an_email_bounced_notice_is_routed_by_the_preferences(world):
    """The bounce handler sends `broker_email_bounced` through send_notice, as every broker notice goes."""
    from chalicelib.adapters.templates import Templates
    from chalicelib.domain.policy import DEFAULT_POLICY
    from chalicelib.services.broker_notices import case_model
    from chalicelib.services.notices import send_notice

    prefs(world, {"recipients": TEAM, "locale": "es"})
    case_id, _ = world.open_case()
    case, events = world.stack.case(case_id)
    message_id = send_notice(renderer=Templates(), mailer=bootstrap.broker_notices()._mailer, clock=bootstrap.utc_now,
                             sender=DEFAULT_POLICY.sender, case=case, event=events[-1], to_broker=True,
                             template="broker_email_bounced",
                             model={**case_model(case), "complained": False, "sms_follows": True},
                             broker=bootstrap.broker_notices())
    [notice] = to_team(world)
    assert (notice.subject, notice.message_id) == (
        "El correo a Jane Customer fue rechazado: factura INV-1", message_id)
    assert [(e.kind, e.message_id) for e in log(world)] == [("email_bounced", message_id)]


# --- the digest ---------------------------------------------------------------------------------------

def digest_run(world: World) -> None:
    """What the hourly schedule does: the Lambda handler Chalice registered."""
    from app import app

    app.handler_map["broker_digest"]({
        "version": "0", "id": "scheduled", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "region": "eu-west-1", "time": iso(world.now), "resources": [], "detail": {}}, None)


def hourly(world: World, until: str) -> None:
    """Move the clock an hour at a time, sweeping and running the digest as the schedules would."""
    end = datetime.fromisoformat(until.replace("Z", "+00:00"))
    while world.now < end:
        world.at(iso(min(end, world.now.replace(minute=0, second=0) + timedelta(hours=1))))
        digest_run(world)


def digests(world: World) -> list[SentEmail]:
    return [m for m in world.emails() if "digest" in m.subject.lower() or "Übersicht" in m.subject]


def test_the_digest_goes_at_eight_in_the_brokers_zone_with_payments_promises_and_tomorrows_sends(world):
    world.at("2026-11-01T12:00:00Z")
    prefs(world, {"recipients": TEAM, "locale": "de", "timezone": "Europe/Berlin", "digest": {"enabled": True},
                  "notices": {"already_paid": {"delivery": "digest"}}})
    paid, _ = world.open_case("INV-PAID")
    promised, _ = world.open_case("INV-PROM")
    reminded, _ = world.open_case("INV-NEXT")  # its +3 reminder goes out on 3 November
    offline_payment(world, paid, 40000)
    world.customer("/customer/promise", world.token(promised), {"pay_by": "2026-11-02"})
    held, _ = world.open_case("INV-HELD")
    assert already_paid(world, held).status_code == 201
    assert to_team(world) == []  # the claim waits for the digest

    hourly(world, "2026-11-02T06:30:00Z")  # 07:30 in Berlin
    assert digests(world) == []
    hourly(world, "2026-11-02T07:00:00Z")  # 08:00 in Berlin (CET)
    [digest] = digests(world)
    assert digest.to == ", ".join(TEAM)
    assert digest.subject == "Ihre Inkasso-Übersicht für 2. November 2026"
    text = digest.text
    assert "Zahlungseingänge der letzten 24 Stunden: 1\n- 400,00\xa0€: Jane Customer, Rechnung INV-PAID" in text
    assert ("Heute fällige Zahlungszusagen: 1\n"
            "- Jane Customer, Rechnung INV-PROM: 1.250,00\xa0€ bis heute zugesagt") in text
    tomorrow = text.split("Mahnungen, die morgen verschickt werden: ")[1].split("\n\n")[0]
    assert "Rechnung INV-NEXT: Erinnerung (email, sms), 1.250,00\xa0€ offen" in tomorrow
    assert "INV-PROM" not in tomorrow  # a promise pauses its ladder
    assert ("Benachrichtigungen, die Sie hier lesen möchten: 1\n"
            "- Meldung „bereits bezahlt“: Jane Customer, Rechnung INV-HELD") in text

    hourly(world, "2026-11-03T06:00:00Z")
    assert len(digests(world)) == 1  # once a morning, however often the schedule runs
    hourly(world, "2026-11-03T07:00:00Z")
    assert len(digests(world)) == 2
    assert "Zahlungseingänge der letzten 24 Stunden: 0" in digests(world)[-1].text


def test_the_digest_follows_the_broker_across_a_daylight_saving_change(world):
    world.at("2026-10-23T12:00:00Z")
    prefs(world, {"timezone": "Europe/Berlin", "digest": {"enabled": True, "hour": 9}})
    hourly(world, "2026-10-26T09:00:00Z")  # summer time ends on 25 October
    sent = [m.raw["Date"] for m in digests(world)]
    assert [str(d) for d in sent] == ["Sat, 24 Oct 2026 07:00:00 +0000", "Sun, 25 Oct 2026 08:00:00 +0000",
                                      "Mon, 26 Oct 2026 08:00:00 +0000"]

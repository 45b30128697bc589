"""`portal sweep --at ...` against a running moto server (as the demo runs it), and the outbox page."""
from __future__ import annotations

import argparse
import io
import json
import os
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.services import brokers
from portal import infra, outbox, sweep
from portal.local_aws import REGION, LocalResources, MotoServer, clients, point_boto3_at
from tests.conftest import store_customer_name

TABLE, SECRET = "portal-sweep-cases", "portal-sweep/link-keys"


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoServer]:
    saved = dict(os.environ)
    monkeypatch.setattr(bootstrap, "utc_now", bootstrap.utc_now)  # restored after the test
    server = MotoServer("127.0.0.1", 0)
    server.start()
    endpoint = f"http://127.0.0.1:{server.port}"
    reset = lambda: urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))  # noqa: E731
    reset()  # the server shares this process's moto state: start from nothing, and leave nothing behind
    try:
        client = clients(endpoint)
        infra.create_table(client("dynamodb"), TABLE)
        infra.create_link_keys_secret(client("secretsmanager"), SECRET)
        infra.create_anchor_bucket(client("s3"), LocalResources().anchors, REGION)  # the demo's
        point_boto3_at(endpoint)
        os.environ.update({"TABLE_NAME": TABLE, "LINK_KEYS_SECRET_ID": SECRET, "SITE_URL": "http://site.test",
                           "AUTH_CACHE_SECONDS": "0", "ANCHOR_BUCKET": LocalResources().anchors})
        bootstrap.reset()
        yield server
    finally:
        reset()
        server.stop()
        os.environ.clear()
        os.environ.update(saved)
        bootstrap.reset()


@pytest.fixture
def moto_server(moto: MotoServer) -> str:
    return f"http://127.0.0.1:{moto.port}"


def open_cases() -> str:
    clock = lambda: datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)  # noqa: E731
    broker, _ = brokers.create_broker(bootstrap.store(), clock, "Demo Brokers", "ar@demo.test")
    bootstrap.utc_now = clock  # type: ignore[assignment]
    bootstrap.reset()
    for number, tz, locale in (("D-1", "Europe/Berlin", "de"), ("D-2", "America/New_York", "en")):
        bootstrap.case_service().create(broker.broker_id, {
            "customer": {"name": f"Customer {number}", "email": f"{number.lower()}@example.test",
                         "phone": "+14155550100", "locale": locale, "timezone": tz},
            "invoice": {"number": number, "amount": 45990, "currency": "EUR", "issued_on": "2026-10-01",
                        "due_on": "2026-10-31"}}, None)
    return broker.broker_id


def args(at: str, as_json: bool = False) -> Any:
    return argparse.Namespace(at=sweep.moment(at), json=as_json, data_dir=None)


def run(endpoint: str, at: str, as_json: bool = False) -> str:
    out = io.StringIO()
    namespace = args(at, as_json)
    namespace.data_dir = __import__("pathlib").Path("/nonexistent")
    assert sweep.command(namespace, endpoint, out, table=TABLE, secret_id=SECRET) == 0
    return out.getvalue()


def test_portal_sweep_time_travels_and_prints_what_it_did(moto_server):
    open_cases()
    before = run(moto_server, "2026-11-19T10:00:00Z")  # a Thursday: Berlin 11:00, New York 05:00
    assert "sweep as of 2026-11-19T10:00:00.000Z: 2 case(s) due" in before
    # Berlin is inside the window: opened at +1, the case starts at the newest step due then, +0.
    assert "step +0 (reminder) started" in before and "sent email 'due_today'" in before
    assert "1 message(s) sent" in before  # New York is still asleep: deferred, not sent
    later = run(moto_server, "2026-11-19T14:00:00Z")
    assert "sent email 'due_today'" in later and "1 message(s) sent" in later
    again = run(moto_server, "2026-11-19T14:00:00Z")  # the same moment twice: nothing new
    assert "0 case(s) due" in again and "0 message(s) sent" in again


def test_a_case_the_worker_cannot_handle_is_printed_and_stays_queued_while_the_others_go_out(moto_server):
    broker_id = open_cases()
    berlin = next(c for c in bootstrap.case_service().list_cases(broker_id, None, 10, None)[0]
                  if c.invoice.number == "D-1")
    # stored data no email can encode
    store_customer_name(bootstrap.aws("dynamodb"), TABLE, broker_id, berlin.case_id, "Jane \ud800")
    printed = run(moto_server, "2026-11-19T14:00:00Z")  # both due and inside their windows
    assert f"{berlin.case_id}: FAILED" in printed and "1 message(s) sent" in printed
    queue = bootstrap.settings().require("reminder_queue_url")
    left = bootstrap.aws("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert int(left["ApproximateNumberOfMessagesNotVisible"]) == 1  # it comes back, as Lambda would redrive it


def test_portal_sweep_refuses_real_aws():
    assert sweep.command(args("2026-11-19T10:00:00Z"), None) == 1


@pytest.fixture
def watched(moto: MotoServer, tmp_path: Any) -> outbox.Outbox:
    """An outbox watching the moto server, as the demo's does, with the sends' clock."""
    box = outbox.Outbox(tmp_path / "outbox.jsonl", lambda: bootstrap.utc_now())
    moto.watchers.append(box.watch)
    return box


def test_the_outbox_shows_every_message_with_its_time_case_and_pay_link(watched, moto_server, tmp_path):
    broker_id = open_cases()
    run(moto_server, "2026-11-19T14:00:00Z")
    run(moto_server, "2026-11-23T16:00:00Z")  # +3 for both: email and SMS
    page = watched.page()
    messages = json.loads(watched.as_json(""))["messages"]
    mails = [m for m in messages if m["channel"] == "email"]
    texts = [m for m in messages if m["channel"] == "sms"]
    assert len(mails) == 4 and len(texts) == 2
    assert "Outbox: 6 messages" in page
    assert "Rechnung D-1 war am 31. Oktober 2026 fällig" in page  # decoded; German for the Berlin customer
    assert [m["seq"] for m in messages] == [6, 5, 4, 3, 2, 1]  # newest first
    older = json.loads(watched.as_json("limit=2&before=5"))  # a script pages back from what it has seen
    assert [m["seq"] for m in older["messages"]] == [4, 3] and older["total"] == 6
    assert {t["at"][:10] for t in texts} == {"2026-11-23"}  # when it went out, by the clock that sent it
    cases = {c.case_id for c in bootstrap.case_service().list_cases(broker_id, None, 10, None)[0]}
    assert {m["case_id"] for m in messages} == cases
    for message in messages:
        assert len(message["pay_links"]) == 1 and message["pay_links"][0].startswith("http://127.0.0.1:8080/pay#")
        assert message["pay_links"][0] in page  # a plain, clickable link under each message
        assert bootstrap.pay_links().read(message["pay_links"][0].split("#", 1)[1]).ref  # which reminder
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page and "<script" not in page
    # It survives a restart: a new Outbox on the same file shows the same messages.
    assert json.loads(outbox.Outbox(tmp_path / "outbox.jsonl", bootstrap.utc_now).as_json("limit=2"))[
        "messages"] == messages[:2]


def test_an_empty_outbox_says_how_to_fill_it():
    page = outbox.render([], 0)
    assert "Nothing sent yet" in page and ".venv/bin/portal sweep --at" in page


def test_the_outbox_escapes_what_it_shows():
    page = outbox.render([
        {"channel": "email", "seq": 2, "at": "2026-11-19T14:00:00.000Z", "message_id": "m1", "to": "<b@x.test>",
         "from": "a@x.test", "reply_to": "", "subject": "<script>alert(1)</script>", "date": "", "html": "",
         "text": "hi <b> http://site.test/pay#tok.en", "pay_links": ["http://site.test/pay#tok.en"],
         "case_id": "<i>c1</i>"},
        {"channel": "sms", "seq": 1, "at": "2026-11-19T14:00:00.000Z", "message_id": "s1", "to": "+1",
         "text": "<img src=x> http://site.test/pay#abc", "pay_links": ["http://site.test/pay#abc"],
         "case_id": None}], 2)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "<img src=x>" not in page and "<i>c1</i>" not in page
    assert 'href="http://site.test/pay#abc"' in page and 'href="http://site.test/pay#tok.en"' in page


def test_the_outbox_shows_the_brokers_notices_and_digest_as_sent_to_the_team(watched, moto_server):
    from chalicelib.domain.policy import DEFAULT_POLICY

    broker_id = open_cases()
    infra.verify_sender(bootstrap.aws("sesv2"), DEFAULT_POLICY.sender.from_email.split("@", 1)[1])
    bootstrap.broker_notices().put(broker_id, {
        "recipients": ["ops@demo.test", "cfo@demo.test"], "locale": "de", "timezone": "Europe/Berlin",
        "digest": {"enabled": True}, "large_payment": {"EUR": 40000}})
    listed = bootstrap.case_service().list_cases(broker_id, None, 10, None)[0]
    case = next(c for c in listed if c.invoice.number == "D-1")
    bootstrap.payment_service().record_offline(broker_id, case.case_id, {
        "amount": 45990, "method": "bank_transfer", "reference": "BT-1", "received_on": "2026-11-01"})
    printed = run(moto_server, "2026-11-02T07:00:00Z")  # 08:00 in Berlin: time travel runs the digest too
    assert f"broker {broker_id}: morning digest sent" in printed

    to_team = [m for m in json.loads(watched.as_json(""))["messages"] if m["to"] == "ops@demo.test, cfo@demo.test"]
    assert [m["subject"] for m in to_team] == [
        "Ihre Inkasso-Übersicht für 2. November 2026", "Bezahlt: Rechnung D-1 (Customer D-1)",
        "Große Zahlung: 459,90 € für Rechnung D-1 (Customer D-1)"]
    assert [m["case_id"] for m in to_team[1:]] == [case.case_id] * 2  # the notices name their case
    assert "459,90\xa0€: Customer D-1, Rechnung D-1" in to_team[0]["text"]
    assert "Ihre Inkasso-Übersicht" in watched.page()

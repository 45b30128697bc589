"""`portal sweep --at ...` against a running moto server (as the demo runs it), and the outbox page."""
from __future__ import annotations

import argparse
import io
import os
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.services import brokers
from portal import infra, outbox, sweep
from portal.local_aws import MotoServer, clients, point_boto3_at

TABLE, SECRET = "portal-sweep-cases", "portal-sweep/link-keys"


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
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
        point_boto3_at(endpoint)
        os.environ.update({"TABLE_NAME": TABLE, "LINK_KEYS_SECRET_ID": SECRET, "SITE_URL": "http://site.test",
                           "AUTH_CACHE_SECONDS": "0"})
        bootstrap.reset()
        yield endpoint
    finally:
        reset()
        server.stop()
        os.environ.clear()
        os.environ.update(saved)
        bootstrap.reset()


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


def test_portal_sweep_refuses_real_aws():
    assert sweep.command(args("2026-11-19T10:00:00Z"), None) == 1


def test_the_outbox_shows_every_message_with_its_pay_link(moto_server):
    open_cases()
    run(moto_server, "2026-11-19T14:00:00Z")
    run(moto_server, "2026-11-23T16:00:00Z")  # +3 for both: email and SMS
    page = outbox.outbox_page(moto_server)
    data = outbox.fetch(moto_server)
    mails, texts = outbox.emails(data), outbox.texts(data)
    assert len(mails) == 4 and len(texts) == 2
    assert "Outbox: 4 emails, 2 SMS" in page
    assert "Rechnung D-1 war am 31. Oktober 2026 fällig" in page  # decoded; German for the Berlin customer
    for mail in mails:
        assert len(mail.pay_links) == 1 and mail.pay_links[0].startswith("http://127.0.0.1:8080/pay#")  # no demo.json
        assert mail.pay_links[0] in page  # a plain, clickable link under each message
        claims = bootstrap.pay_links().read(mail.pay_links[0].split("#", 1)[1])
        assert claims.ref  # which reminder carried it
    assert all(t.pay_links for t in texts)
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page and "<script" not in page


def test_an_empty_outbox_says_how_to_fill_it():
    page = outbox.render({})
    assert "Nothing sent yet" in page and "portal sweep --at" in page


def test_the_outbox_escapes_what_it_shows():
    raw = ("From: a@x.test\nTo: <b@x.test>\nSubject: <script>alert(1)</script>\nMIME-Version: 1.0\n"
           "Content-Type: text/plain\n\nhi <b> http://site.test/pay#tok.en\n")
    page = outbox.render({"ses": {"RawMessage": [{"id": "m1", "raw_data": raw}]}, "sns": {"SMS": [
        {"message_id": "s1", "phone_number": "+1", "message": "<img src=x> http://site.test/pay#abc"}]}})
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "<img src=x>" not in page
    assert 'href="http://site.test/pay#abc"' in page and 'href="http://site.test/pay#tok.en"' in page

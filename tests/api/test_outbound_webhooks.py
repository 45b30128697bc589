"""Webhooks to the broker's own systems, through the API on moto, delivered to a real local HTTP server."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import boto3
import pytest

from chalicelib import bootstrap
from chalicelib.adapters.webhook_http import WebhookSender
from chalicelib.domain.webhook_security import SIGNATURE_HEADER, verify_signature
from tests.api.conftest import open_case
from tests.api.webhook_kit import bodies, pump, queued, register, types_of, work
from tests.conftest import get, post


def patch(client, path, key, body):
    return client.http.request("PATCH", path, headers={"Authorization": f"Bearer {key}",
                                                       "Content-Type": "application/json"},
                               body=json.dumps(body).encode())


def delete(client, path, key):
    return client.http.request("DELETE", path, headers={"Authorization": f"Bearer {key}"}, body=b"")


def assert_documented(event_type, body):
    from jsonschema import Draft202012Validator

    from chalicelib.openapi import openapi_document

    document = openapi_document()
    schema = document["webhooks"][event_type]["post"]["requestBody"]["content"]["application/json"]["schema"]
    errors = list(Draft202012Validator({**schema, "components": document["components"]}).iter_errors(body))
    assert not errors, errors[0].message


def deliveries(client, key, endpoint_id):
    answer = get(client, f"/admin/webhooks/{endpoint_id}/deliveries", key)
    assert answer.status_code == 200, answer.json_body
    return answer.json_body["items"]


# --- managing endpoints ---------------------------------------------------------------------------------

def test_an_endpoint_is_registered_listed_changed_and_deleted_and_its_secret_is_shown_once(
        client, broker, webhook_env):
    _, key = broker
    created = post(client, "/admin/webhooks", key, {"url": "https://hooks.acme.test/portal",
                                                     "event_types": ["case.opened", "payment.received"]})
    assert created.status_code == 201, created.json_body
    endpoint = created.json_body
    assert endpoint["secret"].startswith("whsec_") and len(endpoint["secret"]) > 40
    assert endpoint["enabled"] is True
    wid = endpoint["endpoint_id"]
    assert created.headers["Location"] == f"/admin/webhooks/{wid}"

    shown = get(client, f"/admin/webhooks/{wid}", key).json_body
    assert "secret" not in shown and shown["url"] == "https://hooks.acme.test/portal"
    assert [e["endpoint_id"] for e in get(client, "/admin/webhooks", key).json_body["items"]] == [wid]
    assert "secret" not in json.dumps(get(client, "/admin/webhooks", key).json_body)

    changed = patch(client, f"/admin/webhooks/{wid}", key, {"enabled": False, "event_types": ["dispute.opened"]})
    assert changed.status_code == 200
    assert changed.json_body["enabled"] is False and changed.json_body["event_types"] == ["dispute.opened"]
    assert get(client, f"/admin/webhooks/{wid}", key).json_body["enabled"] is False

    assert delete(client, f"/admin/webhooks/{wid}", key).status_code == 200
    assert get(client, f"/admin/webhooks/{wid}", key).status_code == 404
    assert delete(client, f"/admin/webhooks/{wid}", key).status_code == 404
    assert get(client, "/admin/webhooks", key).json_body["items"] == []


def test_another_brokers_endpoint_is_not_found(client, broker, other_broker, webhook_env):
    _, key = broker
    _, other_key = other_broker
    wid = post(client, "/admin/webhooks", key, {"url": "https://hooks.acme.test/x",
                                                 "event_types": ["case.opened"]}).json_body["endpoint_id"]
    for answer in (get(client, f"/admin/webhooks/{wid}", other_key),
                   get(client, f"/admin/webhooks/{wid}/deliveries", other_key),
                   patch(client, f"/admin/webhooks/{wid}", other_key, {"enabled": False}),
                   delete(client, f"/admin/webhooks/{wid}", other_key),
                   post(client, f"/admin/webhooks/{wid}/test", other_key, {})):
        assert answer.status_code == 404, answer.json_body
    assert get(client, "/admin/webhooks", other_key).json_body["items"] == []
    assert get(client, f"/admin/webhooks/{wid}", key).json_body["enabled"] is True


@pytest.mark.parametrize(("body", "field"), [
    ({"event_types": ["case.opened"]}, "url"),
    ({"url": "https://hooks.acme.test/x"}, "event_types"),
    ({"url": "https://hooks.acme.test/x", "event_types": []}, "event_types"),
    ({"url": "https://hooks.acme.test/x", "event_types": ["case.deleted"]}, "event_types[0]"),
    ({"url": "https://hooks.acme.test/x", "event_types": ["case.opened"], "enabled": "yes"}, "enabled"),
    ({"url": "ftp://hooks.acme.test/x", "event_types": ["case.opened"]}, "url"),
    ({"url": "http://hooks.acme.test/x", "event_types": ["case.opened"]}, "url"),
    ({"url": "https://10.1.2.3/x", "event_types": ["case.opened"]}, "url"),
    ({"url": "https://169.254.169.254/latest/meta-data", "event_types": ["case.opened"]}, "url"),
    ({"url": "https://[::ffff:192.168.0.1]/x", "event_types": ["case.opened"]}, "url"),
    ({"url": "https://user:pw@hooks.acme.test/x", "event_types": ["case.opened"]}, "url"),
    ({"url": "https://hooks.acme.test:99999/x", "event_types": ["case.opened"]}, "url"),
])
def test_a_bad_endpoint_is_a_400_naming_the_field_and_nothing_is_stored(client, broker, webhook_env, body, field):
    _, key = broker
    answer = post(client, "/admin/webhooks", key, body)
    assert answer.status_code == 400, answer.json_body
    assert answer.json_body["error"]["field"] == field
    assert get(client, "/admin/webhooks", key).json_body["items"] == []
    assert boto3.client("secretsmanager").list_secrets()["SecretList"] == [
        s for s in boto3.client("secretsmanager").list_secrets()["SecretList"] if "webhooks" not in s["Name"]]


def test_loopback_is_refused_unless_the_demo_setting_is_on(client, broker, webhook_env, monkeypatch):
    _, key = broker
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "")
    bootstrap.reset()
    for url in ("http://127.0.0.1:9/x", "https://127.0.0.1/x", "https://[::1]/x"):
        answer = post(client, "/admin/webhooks", key, {"url": url, "event_types": ["case.opened"]})
        assert answer.status_code == 400 and answer.json_body["error"]["field"] == "url", url


# --- delivering -------------------------------------------------------------------------------------------

def test_every_change_reaches_the_endpoint_signed_with_its_secret(client, broker, receiver, webhook_env):
    _, key = broker
    endpoint = register(client, key, receiver, ["case.opened", "payment.received"])
    case = open_case(client, key)
    paid = post(client, f"/admin/cases/{case['case_id']}/payments", key, {
        "amount": 1000, "method": "bank_transfer", "reference": "TX-1", "received_on": "2026-11-02"})
    assert paid.status_code == 201, paid.json_body
    post(client, f"/admin/cases/{case['case_id']}/notes", key, {"kind": "note", "text": "not sent anywhere"})
    pump(webhook_env)

    received = receiver.inbox.received
    assert sorted(r.type for r in received) == ["case.opened", "payment.received"]
    assert all(r.verified and r.answered == 200 for r in received)
    received = sorted(received, key=lambda r: r.type)
    opened = json.loads(received[0].body)
    assert opened["data"]["case_id"] == case["case_id"] and opened["data"]["invoice_number"] == "INV-1001"
    assert opened["data"]["event"]["kind"] == "case_opened" and opened["broker_id"] == broker[0]
    payment = json.loads(received[1].body)
    assert payment["data"]["event"]["data"]["amount"] == 1000 and payment["data"]["balance"]["currency"] == "EUR"
    assert received[0].event_id == opened["id"]  # the header repeats the body's id
    for r in received:  # each body is what /openapi.json's `webhooks` section documents for its type
        assert_documented(r.type, json.loads(r.body))
    log = deliveries(client, key, endpoint["endpoint_id"])
    assert [(d["type"], d["status"], d["attempts"], d["last_response_code"]) for d in log] == [
        ("payment.received", "delivered", 1, 200), ("case.opened", "delivered", 1, 200)]


def test_the_signature_is_stripes_scheme_and_a_changed_body_or_old_timestamp_fails(
        client, broker, receiver, webhook_env):
    _, key = broker
    endpoint = register(client, key, receiver, ["case.opened"])
    seen: list[tuple[bytes, str]] = []

    class Recording(WebhookSender):
        def post(self, url, body, headers):
            seen.append((body, headers[SIGNATURE_HEADER]))
            return super().post(url, body, headers)

    worker = bootstrap.webhook_worker()
    worker._sender = Recording(allow_loopback=True)  # the real sender, watched on its way out
    open_case(client, key)
    pump(webhook_env)
    [(body, header)] = seen
    t = int(header.split(",")[0].removeprefix("t="))
    assert verify_signature(endpoint["secret"], header, body, t)
    assert verify_signature(endpoint["secret"], header, body, t + 300)
    assert not verify_signature(endpoint["secret"], header, body, t + 301)  # the documented 5 minutes
    assert not verify_signature(endpoint["secret"], header, body.replace(b"INV-1001", b"INV-1002"), t)
    assert not verify_signature("whsec_other", header, body, t)


def test_an_endpoint_that_fails_then_recovers_receives_every_event_once_after_deduplication(
        client, broker, receiver, webhook_env):
    _, key = broker
    endpoint = register(client, key, receiver, ["case.opened", "payment.received", "promise.made"])
    receiver.inbox.fail_next = 4
    cases = [open_case(client, key, invoice__number=f"INV-{n}") for n in range(3)]
    post(client, f"/admin/cases/{cases[0]['case_id']}/payments", key, {
        "amount": 500, "method": "cash", "reference": "R1", "received_on": "2026-11-02"})
    pump(webhook_env)

    answered = [r.answered for r in receiver.inbox.received]
    assert answered.count(503) == 4 and answered[-1] == 200
    got = bodies(receiver.inbox)
    assert sorted(types_of(receiver.inbox)) == ["case.opened"] * 3 + ["payment.received"]
    assert all(len(b) == 1 for b in got.values())  # a retry is the same event, byte for byte
    opened = {json.loads(next(iter(b)))["data"]["case_id"] for b in got.values()}
    assert opened == {c["case_id"] for c in cases}
    log = deliveries(client, key, endpoint["endpoint_id"])
    assert {d["status"] for d in log} == {"delivered"}
    assert sum(d["attempts"] for d in log) == 4 + 4
    retried = [d for d in log if d["attempts"] > 1]
    assert retried and all(d["last_response_code"] == 200 for d in retried)


def test_a_test_event_reaches_the_endpoint_signed(client, broker, receiver, webhook_env):
    _, key = broker
    endpoint = register(client, key, receiver, ["dispute.opened"])
    answer = post(client, f"/admin/webhooks/{endpoint['endpoint_id']}/test", key, {})
    assert answer.status_code == 202
    pump(webhook_env)
    [got] = receiver.inbox.received
    assert got.type == "webhook.test" and got.verified and got.event_id == answer.json_body["event_id"]
    assert_documented("webhook.test", json.loads(got.body))
    assert deliveries(client, key, endpoint["endpoint_id"])[0]["status"] == "delivered"


def test_a_broker_event_is_emitted_once_however_often_its_work_retries(client, broker, receiver, webhook_env):
    _, key = broker
    register(client, key, receiver, ["import.finished"])
    service = bootstrap.webhooks_service()
    done = {"import_id": "imp_1", "status": "finished", "rows_total": 3, "rows_done": 3, "created": 3, "updated": 0,
            "skipped": 0, "failed": 0}
    first = service.emit_broker_event(broker[0], "import.finished", done, "imp_1")
    again = service.emit_broker_event(broker[0], "import.finished", done, "imp_1")
    pump(webhook_env)
    assert first == again
    [got] = receiver.inbox.received
    assert got.type == "import.finished" and json.loads(got.body)["data"]["created"] == 3
    assert_documented("import.finished", json.loads(got.body))


def test_only_subscribed_and_enabled_endpoints_receive_an_event(client, broker, receiver, webhook_env):
    _, key = broker
    register(client, key, receiver, ["payment.received"], path="/payments-only")
    off = register(client, key, receiver, ["case.opened"], path="/off")
    patch(client, f"/admin/webhooks/{off['endpoint_id']}", key, {"enabled": False})
    open_case(client, key)
    pump(webhook_env)
    assert receiver.inbox.received == []
    assert deliveries(client, key, off["endpoint_id"]) == []


def test_a_redirect_is_not_followed(client, broker, receiver, webhook_env):
    """The endpoint answers 302 to the cloud's metadata address: an attempt that failed, nothing fetched."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from portal.servers import BackgroundServer

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(302)
            self.send_header("Location", receiver.url + "/after-redirect")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = BackgroundServer(ThreadingHTTPServer(("127.0.0.1", 0), Redirect), "redirect")
    server.start()
    try:
        _, key = broker
        created = post(client, "/admin/webhooks", key, {"url": f"http://127.0.0.1:{server.port}/x",
                                                         "event_types": ["case.opened"]}).json_body
        open_case(client, key)
        bootstrap.webhook_relay().run()
        [message] = queued(webhook_env)
        bootstrap.webhook_worker().handle(json.loads(message["Body"]))
    finally:
        server.stop()
    assert receiver.inbox.received == []  # the redirect's target never heard of it
    [log] = deliveries(client, key, created["endpoint_id"])
    assert log["status"] == "pending" and log["last_response_code"] == 302 and log["next_attempt_at"]


def test_a_host_name_that_resolves_to_a_private_address_is_never_connected_to(
        client, broker, receiver, webhook_env):
    _, key = broker
    created = post(client, "/admin/webhooks", key, {"url": "https://hooks.acme.test/x",
                                                     "event_types": ["case.opened"]}).json_body
    connects: list[str] = []
    worker = bootstrap.webhook_worker()
    # DNS is the outside world here: it answers one public and one private address (a rebinding trick).
    worker._sender = WebhookSender(resolver=lambda host, port: connects.append(host) or ["93.184.216.34",
                                                                                       "10.0.0.7"])
    open_case(client, key)
    pump(webhook_env)
    [log] = deliveries(client, key, created["endpoint_id"])
    assert connects and set(connects) == {"hooks.acme.test"}  # resolved at every attempt, never connected
    assert log["last_response_code"] is None and "10.0.0.7" in log["last_error"]


def test_the_delivery_log_pages_newest_first(client, broker, receiver, webhook_env):
    _, key = broker
    endpoint = register(client, key, receiver, ["case.opened"])
    for n in range(3):
        open_case(client, key, invoice__number=f"INV-P{n}")
    pump(webhook_env)
    first = get(client, f"/admin/webhooks/{endpoint['endpoint_id']}/deliveries?limit=2", key).json_body
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = get(client, f"/admin/webhooks/{endpoint['endpoint_id']}/deliveries?limit=2&cursor={first['next_cursor']}",
               key).json_body
    assert len(rest["items"]) == 1
    created = [d["created"] for d in first["items"] + rest["items"]]
    assert created == sorted(created, reverse=True)
    bad = get(client, f"/admin/webhooks/{endpoint['endpoint_id']}/deliveries?cursor=Zm9v", key)
    assert bad.status_code == 400 and bad.json_body["error"]["field"] == "cursor"


# --- retries for 3 days, then the endpoint is disabled ------------------------------------------------------

def let_sqs_delays_pass(clock) -> list[int]:
    """Every delayed message becomes visible, and the clock moves on by its delay: the delays (seconds)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].queues["collections-webhooks"]
    now_ms = time.time() * 1000
    delays = [round((m.delayed_until - now_ms) / 1000) for m in queue._messages if m.delayed]
    for m in queue._messages:
        m.delayed_until = 0
    if delays:
        clock.advance(seconds=max(delays))
    return delays


def test_a_failing_endpoint_is_retried_with_backoff_for_3_days_then_disabled_with_a_notice(
        client, broker, receiver, webhook_env, clock, monkeypatch):
    from tests.integration.reminder_stack import sent_emails

    monkeypatch.setenv("WEBHOOK_RETRY_SCALE", "1")
    bootstrap.reset()
    _, key = broker
    endpoint = register(client, key, receiver, ["case.opened"])
    receiver.inbox.fail_next = 10**6
    open_case(client, key)
    started = clock.now
    pump(webhook_env)
    attempts_at = [clock.now]
    sqs_delays: list[int] = []
    for _ in range(1000):
        delays = let_sqs_delays_pass(clock)
        if not delays:
            break
        sqs_delays += delays
        work(webhook_env)
        [log] = deliveries(client, key, endpoint["endpoint_id"])
        if log["attempts"] > len(attempts_at):
            attempts_at.append(clock.now)
    [log] = deliveries(client, key, endpoint["endpoint_id"])
    assert log["status"] == "failed" and log["next_attempt_at"] is None and log["last_response_code"] == 503
    assert log["attempts"] == len(attempts_at) == len(receiver.inbox.received)
    assert 15 <= log["attempts"] <= 30
    assert timedelta(days=2, hours=12) <= attempts_at[-1] - started <= timedelta(days=3)
    assert max(sqs_delays) <= 900 and len(sqs_delays) > 2 * log["attempts"]  # long waits are chained
    gaps = [(b - a).total_seconds() for a, b in zip(attempts_at, attempts_at[1:], strict=False)]
    for n, gap in enumerate(gaps, start=1):
        ceiling = min(30 * 2 ** (n - 1), 6 * 3600)
        assert ceiling / 2 - 1 <= gap <= ceiling + 1, (n, gap)  # doubling, capped at 6 h, jittered
    assert len({round(g / min(30 * 2 ** n, 21600), 2) for n, g in enumerate(gaps)}) > 3  # jitter varies

    shown = get(client, f"/admin/webhooks/{endpoint['endpoint_id']}", key).json_body
    assert shown["enabled"] is False and "3 days" in shown["disabled_reason"]
    notices = [m for m in sent_emails() if "disabled" in m.subject]
    assert [(m.to, m.subject) for m in notices] == [("ar@acme.test",
                                                     f"Webhook endpoint {endpoint['endpoint_id']} disabled")]
    assert endpoint["endpoint_id"] in notices[0].text

    open_case(client, key, invoice__number="INV-AFTER")  # disabled: not sent
    pump(webhook_env)
    assert len(deliveries(client, key, endpoint["endpoint_id"])) == 1
    again = patch(client, f"/admin/webhooks/{endpoint['endpoint_id']}", key, {"enabled": True})
    assert again.json_body["enabled"] is True and again.json_body["disabled_reason"] is None


def test_the_delivery_lambda_names_only_the_message_that_failed(client, broker, receiver, webhook_env):
    """Through the Lambda handler: a message that cannot be handled is left for SQS alone; the rest go out."""
    from app import app

    _, key = broker
    register(client, key, receiver, ["case.opened"])
    open_case(client, key)
    bootstrap.webhook_relay().run()
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=webhook_env, MessageBody="not json")
    page = sqs.receive_message(QueueUrl=webhook_env, MaxNumberOfMessages=10)["Messages"]
    records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs"} for m in page]
    answer = app.handler_map["webhook_delivery"]({"Records": records}, None)
    [bad] = [m["MessageId"] for m in page if m["Body"] == "not json"]
    assert answer == {"batchItemFailures": [{"itemIdentifier": bad}]}
    assert [r.type for r in receiver.inbox.received] == ["case.opened"]


def test_the_delivery_log_is_kept_30_days_by_the_tables_ttl(client, broker, receiver, webhook_env):
    from chalicelib.adapters import keys
    from chalicelib.domain.cases import parse_iso
    from portal import infra

    _, key = broker
    endpoint = register(client, key, receiver, ["case.opened"])
    open_case(client, key)
    pump(webhook_env)
    [log] = deliveries(client, key, endpoint["endpoint_id"])
    item = boto3.client("dynamodb").get_item(TableName=bootstrap.settings().table_name, Key={
        "PK": {"S": keys.deliveries_pk(broker[0], endpoint["endpoint_id"])},
        "SK": {"S": keys.delivery_sk(log["created"], log["event_id"])}})["Item"]
    ttl = infra.table_definition()["TimeToLiveSpecification"]["AttributeName"]
    assert int(item[ttl]["N"]) == int((parse_iso(log["created"]) + timedelta(days=30)).timestamp())

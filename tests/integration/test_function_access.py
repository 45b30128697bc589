"""Every function of the packaged template runs its handlers on moto with ONLY the environment it is packaged
with, and every AWS call it makes is one its own role allows, on that resource.

The functions are read from the template `chalice package` makes (infra/ merged in): a function added
later is run too, by the kind of its trigger (the API, a schedule, an SQS queue, an S3 bucket, an SNS
topic), or the test says it has no way to run it yet. The world the handlers meet (cases, a plan, a due
reminder, an import file, mail that bounces) is made through the functions themselves; what the operator
does (creating the broker, filling the secrets) and the Stripe stand-in's address (STRIPE_API_BASE: where
"Stripe" is, not a setting of ours) are the only additions.
"""
from __future__ import annotations

import importlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
import stripe
from chalice.test import Client
from moto import mock_aws

from chalicelib import bootstrap
from chalicelib.adapters.secrets import initial_secret
from chalicelib.domain.policy import DEFAULT_POLICY
from portal import infra, packaging
from portal.moto_atomic import make_dynamodb_atomic
from portal.payments_local import stripe_secret_value
from portal.staff_users import DEMO_PASSWORD, seed_user
from tests.integration import function_access as fa
from tests.integration.reminder_stack import MovableClock, sent_emails, sent_sms

WEBHOOK_SECRET = "whsec_function_access"
OWNER_EMAIL = "olga@acme.test"
IMPORT_CSV = (b"customer_name,customer_email,invoice_number,amount,currency,issued_on,due_on\n"
              b"Harbour Freight Ltd,accounts@harbour.example,IMP-1,1250.00,EUR,2026-09-01,2026-10-01\n"
              b"Quay Logistics,ap@quay.example,IMP-2,300.00,EUR,2026-09-15,2026-10-15\n"
              b"No Address,not-an-email,IMP-3,10.00,EUR,2026-09-15,2026-10-15\n")  # a failed row, recorded
SITE_ORIGIN = "https://pay.test"
START = datetime(2026, 11, 5, 9, 0, tzinfo=timezone.utc)      # the invoices are overdue
LATER = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)      # a reminder and a plan's second installment due
# What the Lambda runtime itself puts in every function's environment.
RUNTIME = {"AWS_REGION": fa.REGION, "AWS_DEFAULT_REGION": fa.REGION, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}
# What Lambda, not the code, uses a function's role for: its logs, its traces, and reading its SQS trigger.
PLATFORM = {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}
SQS_TRIGGER = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
# Needed, but only after what this run does not wait for. The reminder worker dead-letters a reminder after
# five refused sends (tests/integration/test_reminders.py) and queues a throttled one again
# (tests/integration/test_sending_limits.py); the import worker queues the next chunk of a file over 500 rows
# (tests/integration/test_import_infra.py); the webhook delivery function emails the broker when an endpoint
# has failed for 3 days (tests/api/test_outbound_webhooks.py); the API links a pack the worker has built
# (tests/api/test_evidence_pack.py). A resource is a template resource (with a key under its ARN) or an ARN.
SENDER_IDENTITY = f"arn:aws:ses:{fa.REGION}:{fa.ACCOUNT}:identity/{DEFAULT_POLICY.sender.from_email.split('@', 1)[1]}"
NOT_EXERCISED = {"ReminderWorker": {("sqs:SendMessage", "ReminderDeadLetters"), ("REMINDER_DLQ_URL", ""),
                                   ("sqs:SendMessage", "ReminderQueue"), ("REMINDER_QUEUE_URL", "")},
                 "ImportWorker": {("sqs:SendMessage", "ImportQueue"), ("IMPORT_QUEUE_URL", "")},
                 "APIHandler": {("s3:GetObject", "EvidenceBucket/packs/p.zip")},
                 # Read where the import service is built (the case store it builds needs it), used only
                 # by the worker, which creates the cases.
                 "ImportUploaded": {("ANCHOR_BUCKET", "")},
                 "WebhookDelivery": {("ses:SendEmail", SENDER_IDENTITY), ("ses:GetSendQuota", "*"),
                                     ("SES_CONFIGURATION_SET", "")}}


@dataclass
class Run:
    """What one function did: the calls it made, its failures, its log records."""
    name: str
    environment: dict[str, str]
    calls: fa.Calls = field(default_factory=fa.Calls)
    failures: list[str] = field(default_factory=list)
    records: list[logging.LogRecord] = field(default_factory=list)
    presigned: list[dict[str, Any]] = field(default_factory=list)  # S3 checks these against the function's role
    answers: list[str] = field(default_factory=list)  # what it answered (HTTP bodies, handler results)


class Records(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.INFO)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


@dataclass
class World:
    template: dict[str, Any]
    resolve: fa.Resolver
    clock: MovableClock
    standin: Any
    runs: dict[str, Run] = field(default_factory=dict)
    broker_key: str = ""
    cases: dict[str, str] = field(default_factory=dict)

    def functions(self, kind: str) -> list[str]:
        return [name for name in functions_of(self.template) if trigger(self.template, name) == kind]

    def environment(self, name: str) -> dict[str, str]:
        variables = self.template["Resources"][name]["Properties"].get("Environment", {}).get("Variables", {})
        return {k: str(v) for k, v in self.resolve(variables).items()}

    @contextmanager
    def as_function(self, name: str) -> Iterator[Run]:
        """Run as Lambda runs `name`: its environment only, fresh adapters, its calls and logs recorded."""
        run = self.runs.setdefault(name, Run(name, self.environment(name)))
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update({**RUNTIME, **run.environment, "AWS_LAMBDA_FUNCTION_NAME": name,
                           "STRIPE_API_BASE": self.standin.url})
        boto3.setup_default_session(region_name=fa.REGION)
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("provide-client-params", run.calls.record)
        bootstrap.reset()
        root = logging.getLogger()
        handler, level = Records(run.records), root.level
        root.addHandler(handler)
        root.setLevel(logging.INFO)  # what ApplicationLogLevel INFO sets
        try:
            yield run
        finally:
            root.removeHandler(handler)
            root.setLevel(level)
            os.environ.clear()
            os.environ.update(saved)
            boto3.setup_default_session(region_name=fa.REGION)
            bootstrap.reset()


def trigger(template: dict[str, Any], name: str) -> str:
    function = template["Resources"][name]
    if function["Properties"]["Handler"] == "app.app":
        return "api"
    kinds = {event["Type"] for event in function["Properties"].get("Events", {}).values()}
    if subscribed_topics(template, name):
        kinds.add("SNS")
    return "/".join(sorted(kinds)) or "none"


def subscribed_topics(template: dict[str, Any], name: str) -> list[Any]:
    """The topics that invoke the function: its SNS events, and subscriptions declared beside it."""
    topics = [e["Properties"]["Topic"] for e in template["Resources"][name]["Properties"].get("Events", {}).values()
              if e["Type"] == "SNS"]
    return topics + [r["Properties"]["TopicArn"] for r in template["Resources"].values()
                     if r["Type"] == "AWS::SNS::Subscription" and r["Properties"].get("Protocol") == "lambda"
                     and r["Properties"].get("Endpoint") == {"Fn::GetAtt": [name, "Arn"]}]


# --- the scenarios, one per kind of trigger ------------------------------------------------------------------

def api_scenario(world: World, name: str) -> None:
    """The broker and the customer through every kind of route: cases, notes, links, policy, pause, payment,
    a plan, a dispute with evidence, webhooks, an import, notification preferences, and closing a case
    (a partner, an escalation with its pack, the partner's outcome, a write-off, an evidence pack)."""
    from app import app

    with world.as_function(name) as run, Client(app) as client:
        def call(method: str, path: str, body: Any = None, token: str | None = None) -> Any:
            headers = {"Authorization": f"Bearer {token or world.broker_key}", "Content-Type": "application/json"}
            answer = client.http.request(method, path, headers=headers,
                                         body=b"" if body is None else json.dumps(body).encode())
            run.answers.append(answer.body.decode() if isinstance(answer.body, bytes) else str(answer.body))
            if answer.status_code >= 400:
                run.failures.append(f"{method} {path} -> {answer.status_code} {answer.body[:300]!r}")
            return answer.json_body if answer.body else None

        def case(number: str) -> tuple[str, str]:
            created = call("POST", "/admin/cases", {
                "customer": {"name": "Jane Customer", "email": f"{number.lower()}@example.test",
                             "phone": "+14155550100", "locale": "en", "timezone": "Europe/Berlin"},
                "invoice": {"number": number, "amount": 125000, "currency": "EUR", "issued_on": "2026-10-01",
                            "due_on": "2026-10-31"}})
            return created["case_id"], created["pay_url"].split("#", 1)[1]

        policy = call("GET", "/admin/policy")
        call("PUT", "/admin/policy", policy["policy"])
        # An endpoint the relay fans the run's events out to (a host that does not resolve: each delivery is
        # tried once, then queued to try again); a second one is removed with its secret.
        types = ["case.opened", "payment.received", "reminder.sent"]
        endpoint = call("POST", "/admin/webhooks", {"url": "https://hooks.acme.test/portal", "event_types": types})
        call("POST", f"/admin/webhooks/{endpoint['endpoint_id']}/test", {})
        removed = call("POST", "/admin/webhooks", {"url": "https://old.acme.test/portal", "event_types": types})
        call("DELETE", f"/admin/webhooks/{removed['endpoint_id']}")
        call("PUT", "/admin/notifications", {"digest": {"enabled": True},
                                             "notices": {"payment": {"delivery": "digest"}}})
        reminded, _ = case("INV-1")
        paid, paid_token = case("INV-2")
        planned, plan_token = case("INV-3")
        disputed, dispute_token = case("INV-4")
        world.cases.update(reminded=reminded, planned=planned)
        call("GET", "/admin/cases")
        call("GET", f"/admin/cases/{reminded}")
        call("GET", f"/admin/cases/{reminded}/verify")
        call("POST", f"/admin/cases/{reminded}/notes", {"kind": "call", "text": "Promised to look into it"})
        paid_token = call("POST", f"/admin/cases/{paid}/links", {})["pay_url"].split("#", 1)[1]
        call("POST", f"/admin/cases/{reminded}/pause", {"reason": "on holiday"})
        call("POST", f"/admin/cases/{reminded}/resume", {})
        call("POST", f"/admin/cases/{reminded}/payments", {"amount": 1000, "method": "bank_transfer",
                                                           "reference": "BANK-1", "received_on": "2026-11-04"})

        # Paid in full through Checkout; Stripe's signed events reach the webhook.
        call("GET", "/customer/case", token=paid_token)
        session = call("POST", "/customer/checkout", {}, token=paid_token)["checkout_url"].rsplit("/", 1)[1]
        world.standin.complete_session(session)
        # A plan: the first installment through Checkout saves the card for the later ones.
        offer = call("GET", "/customer/case", token=plan_token)["plan_offers"][1]
        session = call("POST", "/customer/plan", {"offer_id": offer["offer_id"]}, token=plan_token)
        world.standin.complete_session(session["checkout_url"].rsplit("/", 1)[1])
        for event in world.standin.events:
            payload = json.dumps(event)
            answer = client.http.post("/webhooks/stripe", body=payload, headers={
                "Content-Type": "application/json",
                "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)})
            if answer.status_code != 200:
                run.failures.append(f"webhook {event['type']} -> {answer.status_code}")

        # A dispute with evidence: the browser uploads with the function's presigned POST.
        dispute = call("POST", "/customer/dispute", {"reason": "quality", "message": "It arrived broken"},
                       token=dispute_token)["dispute_id"]
        slot = call("POST", "/customer/dispute/attachments", {"dispute_id": dispute, "content_type": "image/png",
                                                              "filename": "photo.png", "size": 4},
                    token=dispute_token)
        run.presigned.append({"Bucket": fa.host_of(slot["url"]).split(".s3.", 1)[0], "Key": slot["fields"]["key"]})
        run.calls.paused = True
        uploaded = requests.post(slot["url"], data=slot["fields"], files={"file": ("photo.png", b"\x89PNG")},
                                 timeout=10)
        run.calls.paused = False
        assert uploaded.status_code in (200, 201, 204), uploaded.text
        call("GET", f"/admin/cases/{disputed}")
        # The pack is queued for the evidence pack worker (the SQS scenario builds it); the status says so.
        call("GET", call("GET", f"/admin/cases/{disputed}/evidence-pack")["status_url"])

        # An import: the broker's browser uploads the file with the function's presigned POST.
        started = call("POST", "/admin/imports", {"filename": "invoices.csv"})
        upload = started["upload"]
        run.presigned.append({"Bucket": fa.host_of(upload["url"]).split(".s3.", 1)[0],
                              "Key": upload["fields"]["key"]})
        run.calls.paused = True
        sent = requests.post(upload["url"], data=upload["fields"], files={"file": ("invoices.csv", IMPORT_CSV)},
                             timeout=10)
        run.calls.paused = False
        assert sent.status_code in (200, 201, 204), sent.text
        call("GET", f"/admin/imports/{started['import_id']}")

        # Closing a case: a collection agency gets it with its evidence pack, reports a part collected and
        # returns it; the broker writes off what is left.
        closed, _ = case("INV-5")
        partner = call("POST", "/admin/partners", {"kind": "collection_agency", "name": "Debt Co",
                                                   "email": "cases@debtco.test", "fee_bp": 1500})
        call("POST", f"/admin/cases/{closed}/escalate", {"partner_id": partner["partner_id"]})
        call("POST", f"/admin/cases/{closed}/escalation/outcome", {
            "collected_amount": 50000, "collected_on": "2026-11-05", "closed": True, "returned_to_broker": True})
        call("POST", f"/admin/cases/{closed}/write-off", {"reason": "settled for less"})
        call("GET", f"/admin/webhooks/{endpoint['endpoint_id']}/deliveries")
        # The console's read models: search, today, the next reminder, previews, versions, settings.
        call("GET", "/admin/cases?sort=balance&q=example")
        call("GET", "/admin/today")
        call("GET", f"/admin/cases/{planned}/next-reminder")
        call("POST", "/admin/policy/preview", {"invoice": {"amount": 5000, "currency": "EUR",
                                                           "due_date": "2026-11-30", "timezone": "Europe/Berlin"}})
        call("GET", "/admin/policy/versions")
        call("PUT", "/admin/settings", {"name": "Acme", "email": "ar@acme.test", "reply_to": "help@acme.test"})
        call("GET", "/admin/settings")

        # Staff: the owner signs in to the console, invites a member, changes their role, resets their
        # authenticator and removes them, names a new API key and revokes it, refreshes the session, turns
        # their own authenticator off and signs out.
        session = call("POST", "/console/session", {"email": OWNER_EMAIL, "password": DEMO_PASSWORD})["tokens"]
        call("GET", "/admin/me", token=session["id_token"])
        member = call("POST", "/admin/users", {"email": "vic@acme.test", "name": "Vic", "role": "viewer"},
                      token=session["id_token"])
        call("GET", "/admin/users", token=session["id_token"])
        call("PATCH", f"/admin/users/{member['id']}", {"role": "collector"}, token=session["id_token"])
        call("DELETE", f"/admin/users/{member['id']}/mfa", token=session["id_token"])
        call("DELETE", f"/admin/users/{member['id']}", token=session["id_token"])
        made = call("POST", "/admin/api-keys", {"name": "ERP sync"}, token=session["id_token"])
        call("GET", "/admin/api-keys", token=session["id_token"])
        call("DELETE", f"/admin/api-keys/{made['key_id']}", token=session["id_token"])
        call("POST", "/console/session/refresh", {"refresh_token": session["refresh_token"]})
        call("DELETE", "/console/mfa", token=session["access_token"])
        call("DELETE", "/console/session", token=session["access_token"])


def handler_of(function: dict[str, Any]) -> Callable[..., Any]:
    """What Lambda calls: the function's Handler, `module.attribute`."""
    module, attribute = function["Properties"]["Handler"].rsplit(".", 1)
    return getattr(importlib.import_module(module), attribute)  # type: ignore[no-any-return]


def schedule_scenario(world: World, name: str) -> None:
    world.clock.now = LATER
    handler = handler_of(world.template["Resources"][name])
    with world.as_function(name) as run:
        try:
            handler({"version": "0", "id": "e1", "detail-type": "Scheduled Event", "source": "aws.events",
                     "account": fa.ACCOUNT,
                     "time": LATER.isoformat(), "region": fa.REGION, "resources": [], "detail": {}}, None)
        except Exception as exc:  # noqa: BLE001 - what Lambda would report as the invocation's error
            run.failures.append(f"{type(exc).__name__}: {exc}")


def sqs_scenario(world: World, name: str) -> None:
    """What the SQS trigger does: receive batches, invoke the handler, delete what it did not name failed."""
    function = world.template["Resources"][name]["Properties"]
    handler = handler_of(world.template["Resources"][name])
    [source] = [e for e in function["Events"].values() if e["Type"] == "SQS"]
    arn = world.resolve(source["Properties"]["Queue"])
    urls = [p.ref for p in world.resolve.resources.values() if p.attributes.get("Arn") == arn]
    if not urls:
        world.runs.setdefault(name, Run(name, world.environment(name))).failures.append(
            f"its SQS trigger reads {arn}, which is no queue of this stack")
        return
    [url] = urls
    reports = "ReportBatchItemFailures" in source["Properties"].get("FunctionResponseTypes", [])
    sqs = boto3.client("sqs", region_name=fa.REGION)
    for _ in range(10):
        page = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=source["Properties"].get("BatchSize", 10),
                                   WaitTimeSeconds=0)
        if not page.get("Messages"):
            return
        records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                    "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs"} for m in page["Messages"]]
        with world.as_function(name) as run:
            try:
                answer = handler({"Records": records}, None)
                run.answers.append(json.dumps(answer))
                # Without ReportBatchItemFailures, Lambda deletes the whole batch when the handler returns.
                failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]} if reports else set()
            except Exception as exc:  # noqa: BLE001 - Lambda would retry the whole batch
                run.failures.append(f"{type(exc).__name__}: {exc}")
                return
        run.failures += [f"message {m} failed" for m in failed]
        for r in records:
            if r["messageId"] not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=r["receiptHandle"])


def s3_scenario(world: World, name: str) -> None:
    """What S3's event notification does: each object created in the bucket under the event's filter (the
    API scenario uploaded them) reaches the handler as S3 sends it, key URL-encoded."""
    from portal.import_trigger import s3_event

    function = world.template["Resources"][name]["Properties"]
    handler = handler_of(world.template["Resources"][name])
    s3 = boto3.client("s3", region_name=fa.REGION)
    for source in (e["Properties"] for e in function["Events"].values() if e["Type"] == "S3"):
        bucket = world.resolve(source["Bucket"])
        rules = {r["Name"]: r["Value"] for r in source.get("Filter", {}).get("S3Key", {}).get("Rules", [])}
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=rules.get("prefix", "")).get("Contents", [])
        for obj in (o for o in listed if o["Key"].endswith(rules.get("suffix", ""))):
            with world.as_function(name) as run:
                try:
                    handler(s3_event(bucket, obj["Key"], obj["Size"], obj["ETag"], fa.REGION), None)
                except Exception as exc:  # noqa: BLE001 - what Lambda would report as the invocation's error
                    run.failures.append(f"{type(exc).__name__}: {exc}")


def sns_scenario(world: World, name: str) -> None:
    """What SES and SNS do: the functions' mail sent with a configuration set whose events go to a topic the
    function is subscribed to bounces, and SNS hands SES's record to the function."""
    topics = {world.resolve(t) for t in subscribed_topics(world.template, name)}
    sets = {world.resolve(d["Properties"]["ConfigurationSetName"])
            for d in world.template["Resources"].values()
            if d["Type"] == "AWS::SES::ConfigurationSetEventDestination"
            and world.resolve(d["Properties"]["EventDestination"].get("SnsDestination", {}).get("TopicARN")) in topics
            and "bounce" in d["Properties"]["EventDestination"]["MatchingEventTypes"]}
    mails = [p for run in list(world.runs.values()) for _, _, op, p in run.calls.made
             if op == "SendEmail" and p.get("ConfigurationSetName") in sets]
    run = world.runs.setdefault(name, Run(name, world.environment(name)))
    if not mails:
        run.failures.append(f"nothing published to {sorted(topics)}: no mail went out with {sorted(sets)}")
        return
    handler = handler_of(world.template["Resources"][name])
    with world.as_function(name) as run:
        try:
            handler(sns_delivery(sorted(topics)[0], ses_bounce(mails[0])), None)
        except Exception as exc:  # noqa: BLE001 - what Lambda would report as the invocation's error
            run.failures.append(f"{type(exc).__name__}: {exc}")


def ses_bounce(sent: dict[str, Any]) -> dict[str, Any]:
    """SES's Bounce record for a message sent with these SendEmail parameters (the `mail` object repeats the
    message's tags; https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html)."""
    to = sent["Destination"]["ToAddresses"]
    [message_id, *_] = [m.message_id for m in reversed(sent_emails()) if m.to == ", ".join(to)]
    tags = {t["Name"]: [t["Value"]] for t in sent.get("EmailTags", [])}
    now = LATER.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {"eventType": "Bounce",
            "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "timestamp": now,
                       "bouncedRecipients": [{"emailAddress": a, "action": "failed", "status": "5.1.1",
                                              "diagnosticCode": "smtp; 550 5.1.1 user unknown"} for a in to],
                       "feedbackId": "0100015-bounce-fa", "reportingMTA": "dsn; mta.example.test"},
            "mail": {"timestamp": now, "source": sent["FromEmailAddress"], "sendingAccountId": fa.ACCOUNT,
                     "messageId": message_id, "destination": to, "headersTruncated": False,
                     "tags": {**tags, "ses:configuration-set": [sent["ConfigurationSetName"]]}}}


def sns_delivery(topic: str, record: dict[str, Any]) -> dict[str, Any]:
    """What SNS hands a subscribed Lambda function."""
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": f"{topic}:fa",
                         "Sns": {"Type": "Notification", "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                                 "TopicArn": topic, "Subject": None, "Message": json.dumps(record),
                                 "Timestamp": LATER.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "SignatureVersion": "1",
                                 "Signature": "EXAMPLE", "SigningCertUrl": "EXAMPLE", "UnsubscribeUrl": "EXAMPLE",
                                 "MessageAttributes": {}}}]}


# In this order: the API uploads the import file S3 announces; the sweep and the relay queue what the SQS
# functions then handle; SES's bounce is for mail those sent.
SCENARIOS: dict[str, Callable[[World, str], None]] = {
    "api": api_scenario, "S3": s3_scenario, "Schedule": schedule_scenario, "SQS": sqs_scenario,
    "SNS": sns_scenario}


# --- the world -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def template(packaged_template: Path) -> dict[str, Any]:
    return dict(json.loads(packaged_template.read_text()))


@pytest.fixture(scope="module")
def world(template: dict[str, Any]) -> Iterator[World]:
    from portal.stripe_standin import DEFAULT_API_KEY, StripeStandIn

    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("AWS_"):
                mp.delenv(key)
        mp.setenv("AWS_DEFAULT_REGION", fa.REGION)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        make_dynamodb_atomic()
        clock = MovableClock(START)
        mp.setattr(bootstrap, "utc_now", clock)
        with mock_aws(), StripeStandIn(webhook_secret=WEBHOOK_SECRET) as standin:
            boto3.setup_default_session(region_name=fa.REGION)
            resources = {}
            for name, resource in template["Resources"].items():
                made = fa.make_resource(name, resource, "fa")
                if made is not None:
                    resources[name] = made
            defaults = {k: str(p["Default"]) for k, p in template["Parameters"].items() if "Default" in p}
            resolve = fa.Resolver({**defaults, "SiteOrigin": SITE_ORIGIN}, resources)
            operator_fills_secrets(template, resolve, DEFAULT_API_KEY)
            world = World(template, resolve, clock, standin)
            infra.verify_sender(boto3.client("sesv2"), DEFAULT_POLICY.sender.from_email.split("@", 1)[1])
            with world.as_function(world.functions("api")[0]):  # the operator's `portal broker create`
                from chalicelib.services import brokers

                broker, world.broker_key = brokers.create_broker(bootstrap.store(), clock, "Acme", "ar@acme.test")
                # ... and `portal user invite` of the broker's first owner, who has set a password.
                seed_user(boto3.client("cognito-idp"), bootstrap.settings().require("user_pool_id"),
                          broker.broker_id, OWNER_EMAIL, "Olga Owner", "owner")
            world.runs.clear()
            unknown = {trigger(template, n) for n in functions_of(template)} - set(SCENARIOS)
            assert not unknown, f"no scenario runs a function triggered by {unknown}: add one to SCENARIOS"
            for kind in SCENARIOS:
                for name in world.functions(kind):
                    SCENARIOS[kind](world, name)
            yield world
    boto3.DEFAULT_SESSION = None  # the next tests build their own, from their own environment
    bootstrap.reset()


def operator_fills_secrets(template: dict[str, Any], resolve: fa.Resolver, stripe_key: str) -> None:
    """`portal keys init` and the Stripe keys the operator stores after the first deploy."""
    secrets = boto3.client("secretsmanager")
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::SecretsManager::Secret":
            continue
        value = initial_secret() if "link" in name.lower() else stripe_secret_value(stripe_key, WEBHOOK_SECRET)
        secrets.put_secret_value(SecretId=resolve.ref(name), SecretString=value)


def functions_of(template: dict[str, Any]) -> list[str]:
    return [n for n, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"]


def secret_names(world: World) -> dict[str, str]:
    arns = [p.ref for p in world.resolve.resources.values() if p.ref.startswith("arn:aws:secretsmanager:")]
    return {arn.rsplit(":", 1)[1].rsplit("-", 1)[0]: arn for arn in arns}


def role_of(world: World, name: str) -> dict[str, Any]:
    role = world.template["Resources"][name]["Properties"]["Role"]
    assert set(role) == {"Fn::GetAtt"}, f"{name} must have a role of its own in infra/resources.json"
    return dict(world.template["Resources"][role["Fn::GetAtt"][0]])


def needs_of(world: World, run: Run) -> list[fa.Need]:
    wanted = list(fa.needs(run.calls, secret_names(world)))
    wanted += [fa.Need("s3:PutObject", f"arn:aws:s3:::{p['Bucket']}/{p['Key']}", (), "presigned POST")
               for p in run.presigned]
    return wanted


# --- what the runs show --------------------------------------------------------------------------------------

def test_every_function_of_the_template_ran(world):
    assert set(world.runs) == set(functions_of(world.template))
    assert all(run.calls.made for run in world.runs.values())


def test_each_function_does_its_work_with_only_its_packaged_environment(world):
    failures = {name: run.failures for name, run in world.runs.items() if run.failures}
    assert not failures
    # What users notice: the reminder went out, the plan's second installment was charged.
    reminded = [m for m in sent_emails() if m.to == "inv-1@example.test"]
    assert reminded and sent_sms()
    charged = [pi for pi in world.standin.objects("payment_intent") if pi["metadata"].get("installment") == "2"]
    assert [pi["status"] for pi in charged] == ["succeeded"]


def test_every_aws_call_is_allowed_by_the_functions_own_role(world):
    refused = {}
    for name, run in world.runs.items():
        allowed = fa.statements(role_of(world, name), world.resolve)
        missing = fa.denied(needs_of(world, run), allowed)
        if missing:
            refused[name] = [f"{n.call} needs {n.action} on {n.resource}" for n in missing]
    assert not refused


def test_no_role_grants_what_its_function_never_does(world):
    extra = {}
    for name, run in world.runs.items():
        function = world.template["Resources"][name]["Properties"]
        platform = PLATFORM | (SQS_TRIGGER if any(e["Type"] == "SQS" for e in function.get("Events", {}).values())
                               else set())
        wanted = needs_of(world, run) + [
            fa.Need(action, resource if resource.startswith("arn:") or resource == "*"
                    else "/".join([world.resolve.get_att(resource.split("/", 1)[0], "Arn"), *resource.split("/")[1:]]),
                    (), "not exercised here")
            for action, resource in NOT_EXERCISED.get(name, set()) if resource]
        unused = fa.unused(wanted, fa.statements(role_of(world, name), world.resolve), platform)
        if unused:
            extra[name] = unused
    assert not extra


def test_every_resource_in_a_functions_environment_is_one_it_uses(world):
    unused = {}
    for name, run in world.runs.items():
        variables = world.template["Resources"][name]["Properties"].get("Environment", {}).get("Variables", {})
        touched = " ".join(n.resource for n in needs_of(world, run))
        for variable, value in variables.items():
            if not (isinstance(value, dict) and "Ref" in value and value["Ref"] in world.resolve.resources):
                continue
            if (variable, "") in NOT_EXERCISED.get(name, set()):
                continue
            physical = world.resolve.resources[value["Ref"]]
            names = {physical.ref, physical.attributes.get("Arn", ""), physical.attributes.get("QueueName", "")}
            # A resource IAM does not name (an app client) is used when a call names it (ClientId).
            used = touched if "Arn" in physical.attributes else touched + " " + " ".join(
                json.dumps(p, default=str) for *_, p in run.calls.made)
            if not any(n and n in used for n in names):
                unused.setdefault(name, []).append(variable)
    assert not unused


def test_every_other_setting_in_a_functions_environment_shows_in_what_it_does(world):
    unused = {}
    for name, run in world.runs.items():
        variables = world.template["Resources"][name]["Properties"].get("Environment", {}).get("Variables", {})
        made = " ".join([*run.answers, *(json.dumps(p, default=str) for *_, p in run.calls.made)])
        for variable, value in variables.items():
            if isinstance(value, dict) and "Ref" in value and value["Ref"] in world.resolve.resources:
                continue  # a resource: the test above
            if world.resolve(value) not in made:
                unused.setdefault(name, []).append(variable)
    assert not unused


def test_every_mail_of_every_function_goes_out_with_the_stacks_configuration_set(world):
    """So a bounce or complaint of any mail (a notice to a broker, a receipt, a reminder) reaches SES's event
    topic and suppresses the address; and each function's mail is paced by the account's send rate."""
    [configuration_set] = [world.resolve.ref(name) for name, r in world.template["Resources"].items()
                           if r["Type"] == "AWS::SES::ConfigurationSet"]
    sent = {name: [p.get("ConfigurationSetName") for _, _, op, p in run.calls.made if op == "SendEmail"]
            for name, run in world.runs.items()}
    assert {name for name, sets in sent.items() if sets} >= {"APIHandler", "ReminderWorker", "BrokerDigest",
                                                              "SesEvents", "EvidencePackWorker"}
    assert {name: sets for name, sets in sent.items() if set(sets) - {configuration_set}} == {}
    asked = {name for name, run in world.runs.items() for _, _, op, _ in run.calls.made if op == "GetSendQuota"}
    assert asked == {name for name, sets in sent.items() if sets}


def test_every_log_line_keeps_its_fields_in_lambdas_json_format(world):
    from app import app

    assert app.log.propagate and not app.log.handlers  # Chalice's own text handler would bypass Lambda's JSON
    records = [r for run in world.runs.values() for r in run.records]
    ours = [r for r in records if r.name.startswith("chalicelib")]
    assert any(r.levelno == logging.INFO for r in ours)  # INFO lines reach the log (ApplicationLogLevel INFO)
    for record in ours:
        line = json.loads(fa.lambda_json_line(record))  # fails on a field JSON cannot hold
        extra = {k for k in record.__dict__ if k not in fa.LAMBDA_RESERVED and k not in logging.LogRecord(
            "x", logging.INFO, "", 0, "", (), None).__dict__}
        assert extra <= set(line), (record.getMessage(), extra)
    assert any(len(json.loads(fa.lambda_json_line(r))) > 3 for r in ours)  # the extra= fields are there


def test_every_service_a_function_calls_is_kept_in_the_slimmed_package(world):
    called = set().union(*(run.calls.services() for run in world.runs.values()))
    assert called <= packaging.BOTOCORE_SERVICES, called - packaging.BOTOCORE_SERVICES

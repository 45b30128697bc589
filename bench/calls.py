"""AWS calls per operation, counted with botocore's event hooks against moto (in-process).

Steady state, as a warm Lambda sees it: the broker key and the link keys are already cached.
Targets: GET /customer/case = 1 DynamoDB call; GET /admin/cases/{id} = 1; POST /admin/cases <= 2.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from typing import Any

os.environ.update({
    "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    "TABLE_NAME": "bench-cases", "SITE_URL": "http://site.bench", "LINK_KEYS_SECRET_ID": "bench-link-keys",
    "ANCHOR_BUCKET": "bench-anchors",
})
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402
from chalice.test import Client  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib import bootstrap  # noqa: E402
from chalicelib.services import brokers  # noqa: E402
from portal import infra  # noqa: E402

SERVICES = ("dynamodb", "secretsmanager", "sqs", "ses", "sesv2", "sns", "s3")


class CallCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        for service in SERVICES:
            bootstrap.aws(service).meta.events.register("before-call.*.*", self._count)

    def _count(self, event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        self.calls[f"{service}.{operation}"] += 1

    def measure(self, action: Callable[[], Any]) -> Counter[str]:
        self.calls.clear()
        action()
        return Counter(self.calls)


def body(number: str) -> str:
    return json.dumps({
        "customer": {"name": "Bench Customer", "email": "bench@example.test"},
        "invoice": {"number": number, "amount": 10000, "currency": "EUR", "issued_on": "2026-10-01",
                    "due_on": "2026-10-31"},
    })


def report(name: str, calls: Counter[str], target: str) -> None:
    dynamo = sum(n for op, n in calls.items() if op.startswith("dynamodb."))
    detail = ", ".join(f"{op} x{n}" for op, n in sorted(calls.items())) or "none"
    print(f"{name:34s} DynamoDB calls: {dynamo}   all AWS calls: {sum(calls.values())}   ({detail})   target: {target}")



# --- payments: Stripe calls are counted at the stand-in, from what it received ----------------

def start_stripe() -> Any:
    """The Stripe stand-in (no webhook endpoint: events are delivered by hand) and its keys in moto."""
    from chalicelib.domain.policy import DEFAULT_POLICY
    from portal.payments_local import put_stripe_secret
    from portal.stripe_standin import StripeStandIn

    standin = StripeStandIn(webhook_secret="whsec_bench").start()
    put_stripe_secret(boto3.client("secretsmanager"), "bench-stripe", standin.api_key, "whsec_bench")
    infra.verify_sender(boto3.client("sesv2"), DEFAULT_POLICY.sender.from_email.split("@", 1)[1])
    os.environ.update({"STRIPE_SECRET_ID": "bench-stripe", "STRIPE_API_BASE": standin.url})
    return standin


def emails_sent() -> int:
    """Emails SES (moto) accepted: the receipt and the broker's notice go through their own SES client."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return len(ses_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]].sent_messages)


def report_stripe(name: str, calls: Counter[str], stripe_calls: int, target: str, emails: int = 0) -> None:
    reads = sum(n for op, n in calls.items() if op in ("dynamodb.Query", "dynamodb.GetItem"))
    writes = sum(n for op, n in calls.items() if op in ("dynamodb.TransactWriteItems", "dynamodb.PutItem"))
    detail = ", ".join(f"{op} x{n}" for op, n in sorted(calls.items())) or "none"
    print(f"{name:34s} DynamoDB reads: {reads}  writes: {writes}   Stripe calls: {stripe_calls}   "
          f"SES emails: {emails}   other AWS calls: {sum(calls.values()) - reads - writes}   ({detail})   "
          f"target: {target}")


def bench_payments(client: Client, counter: CallCounter, headers: dict[str, str], standin: Any) -> None:
    import stripe

    def open_case(number: str) -> dict[str, str]:
        created = client.http.post("/admin/cases", headers=headers, body=body(number)).json_body
        return {"Authorization": f"Bearer {created['pay_url'].split('#', 1)[1]}", "Content-Type": "application/json"}

    def checkout(customer: dict[str, str]) -> str:
        answer = client.http.post("/customer/checkout", headers=customer, body="{}")
        assert answer.status_code == 200, answer.json_body
        return str(answer.json_body["checkout_url"].rsplit("/", 1)[1])

    def deliver(event: dict[str, Any]) -> str:
        payload = json.dumps(event)
        signature = stripe.WebhookSignature.generate_signature_header(payload, "whsec_bench")
        answer = client.http.post("/webhooks/stripe", body=payload, headers={
            "Stripe-Signature": signature, "Content-Type": "application/json"})
        assert answer.status_code == 200, answer.json_body
        return str(answer.json_body["outcome"])

    def paid_events(customer: dict[str, str]) -> list[dict[str, Any]]:
        seen = len(standin.events)
        standin.complete_session(checkout(customer))
        return standin.events[seen:]

    warm = open_case("PAY-WARM")  # the first checkout and webhook load stripe, the keys and the policy
    for event in paid_events(warm):
        deliver(event)

    customer = open_case("PAY-1")
    before = len(standin.requests)
    calls = counter.measure(lambda: checkout(customer))
    report_stripe("POST /customer/checkout", calls, len(standin.requests) - before,
                  "1 read, 1 Stripe call, <= 1 write")
    before = len(standin.requests)
    calls = counter.measure(lambda: checkout(customer))
    report_stripe("  the same again (double click)", calls, len(standin.requests) - before,
                  "same session (Stripe idempotency)")

    succeeded, completed = paid_events(open_case("PAY-2"))
    before, mails = len(standin.requests), emails_sent()
    calls = counter.measure(lambda: deliver(succeeded))
    report_stripe("POST /webhooks/stripe (paid)", calls, len(standin.requests) - before,
                  "1 read + 1 transaction (+ receipt and broker notice)", emails_sent() - mails)
    before = len(standin.requests)
    calls = counter.measure(lambda: deliver(completed))
    report_stripe("  same payment, other event", calls, len(standin.requests) - before, "1 read, no write")
    before = len(standin.requests)
    calls = counter.measure(lambda: deliver(succeeded))
    report_stripe("  redelivered event", calls, len(standin.requests) - before, "1 read, no write")
    intent = standin.objects("payment_intent")[-1]
    seen = len(standin.events)
    standin.dispute(intent["latest_charge"])
    [dispute] = standin.events[seen:]
    before, mails = len(standin.requests), emails_sent()
    calls = counter.measure(lambda: deliver(dispute))
    report_stripe("POST /webhooks/stripe (chargeback)", calls, len(standin.requests) - before,
                  "1 read + 1 transaction (+1 Stripe: the dispute's PaymentIntent)", emails_sent() - mails)


def main() -> None:
    with mock_aws():
        infra.create_table(boto3.client("dynamodb"), os.environ["TABLE_NAME"])
        infra.create_link_keys_secret(boto3.client("secretsmanager"), os.environ["LINK_KEYS_SECRET_ID"])
        infra.create_anchor_bucket(boto3.client("s3"), os.environ["ANCHOR_BUCKET"], os.environ["AWS_DEFAULT_REGION"])
        standin = start_stripe()
        bootstrap.reset()
        _, key = brokers.create_broker(bootstrap.store(), bootstrap.utc_now, "Bench Brokers")
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        from app import app

        counter = CallCounter()
        with Client(app) as client:
            first = client.http.post("/admin/cases", headers=headers, body=body("WARM-1")).json_body
            token = first["pay_url"].split("#", 1)[1]
            customer = {"Authorization": f"Bearer {token}"}
            client.http.get("/customer/case", headers=customer)  # records link_opened once this hour

            report("POST /admin/cases", counter.measure(
                lambda: client.http.post("/admin/cases", headers=headers, body=body("BENCH-2"))), "<= 2 DynamoDB")
            report("GET /admin/cases/{id}", counter.measure(
                lambda: client.http.get(f"/admin/cases/{first['case_id']}", headers=headers)), "1 DynamoDB")
            report("GET /customer/case", counter.measure(
                lambda: client.http.get("/customer/case", headers=customer)), "1 DynamoDB")
            report("GET /admin/cases (list)", counter.measure(
                lambda: client.http.get("/admin/cases?limit=25", headers=headers)), "1 DynamoDB")
            note = json.dumps({"kind": "call", "text": "promised to pay"})
            report("POST /admin/cases/{id}/notes", counter.measure(lambda: client.http.post(
                f"/admin/cases/{first['case_id']}/notes", headers=headers, body=note)),
                "1 read + 1 transaction + 1 S3 anchor")
            report("GET /admin/cases/{id}/verify", counter.measure(
                lambda: client.http.get(f"/admin/cases/{first['case_id']}/verify", headers=headers)),
                "1 DynamoDB + 1 S3 listing")
            bench_payments(client, counter, headers, standin)
        standin.stop()


if __name__ == "__main__":
    main()

"""Outbound webhooks on moto (in-process) to a real local receiver: AWS calls per delivered event for the
relay and the delivery worker, and events per second through both (our code plus moto; the wall clock
is dominated by moto and the local HTTP round trip). N cases are opened, each one `case.opened` event.
"""
from __future__ import annotations

import os
import time
from collections import Counter
from typing import Any

os.environ.update({
    "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    "TABLE_NAME": "bench-cases", "SITE_URL": "http://site.bench", "LINK_KEYS_SECRET_ID": "bench-link-keys",
    "ANCHOR_BUCKET": "bench-anchors", "WEBHOOK_ALLOW_LOOPBACK": "1", "AUTH_CACHE_SECONDS": "60",
})
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib import bootstrap  # noqa: E402
from chalicelib.domain.cases import iso  # noqa: E402
from chalicelib.services import brokers  # noqa: E402
from portal import infra  # noqa: E402
from portal.webhook_receiver import Inbox, WebhookReceiver  # noqa: E402

SERVICES = ("dynamodb", "secretsmanager", "sqs", "s3")


def count_calls() -> Counter[str]:
    calls: Counter[str] = Counter()

    def hook(event_name: str, **_: Any) -> None:
        calls[event_name.split(".", 1)[1]] += 1
    for service in SERVICES:
        bootstrap.aws(service).meta.events.register("before-call.*.*", hook)
    return calls


def run(n: int) -> None:
    with mock_aws():
        infra.create_table(boto3.client("dynamodb"), "bench-cases")
        infra.create_link_keys_secret(boto3.client("secretsmanager"), "bench-link-keys")
        infra.create_anchor_bucket(boto3.client("s3"), "bench-anchors", "eu-west-1")
        url, _ = infra.create_webhook_queues(boto3.client("sqs"))
        os.environ["WEBHOOK_QUEUE_URL"] = url
        bootstrap.reset()
        secrets: list[str] = []
        with WebhookReceiver("127.0.0.1", 0, Inbox(lambda: secrets)) as receiver:
            broker, _ = brokers.create_broker(bootstrap.store(), bootstrap.utc_now, "Bench", "b@bench.test")
            _, secret = bootstrap.webhooks_service().create(broker.broker_id, {
                "url": receiver.url + "/hooks", "event_types": ["case.opened"]})
            secrets.append(secret)
            for i in range(n):
                bootstrap.case_service().create(broker.broker_id, {
                    "customer": {"name": "Bench", "email": "bench@example.test"},
                    "invoice": {"number": f"B-{i}", "amount": 10000, "currency": "EUR", "issued_on": "2026-10-01",
                                "due_on": iso(bootstrap.utc_now())[:10]}}, None)
            calls = count_calls()
            sqs = boto3.client("sqs")  # the delivery Lambda's event source, counted too
            sqs.meta.events.register("before-call.*.*", lambda event_name, **_: calls.update(
                [event_name.split(".", 1)[1]]))
            started = time.perf_counter()
            bootstrap.webhook_relay().run()
            relay = sum(calls.values())
            while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                bootstrap.webhook_worker().handle_batch([m["Body"] for m in messages])
                sqs.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
            elapsed = time.perf_counter() - started
            delivered = len(set(receiver.inbox.accepted_ids()))
            assert delivered == n, (delivered, n)
            total = sum(calls.values())
            print(f"N={n:5d}: AWS calls per event: relay {relay / n:.2f}, delivery {(total - relay) / n:.2f} "
                  f"(incl. receive/delete); {n / elapsed:.0f} events/s relayed and delivered; "
                  f"{', '.join(f'{k} {v / n:.2f}' for k, v in sorted(calls.items()))}")


if __name__ == "__main__":
    run(100)

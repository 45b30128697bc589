"""The morning digest's cost: AWS calls and items read per broker, counted with botocore's event hooks on moto.

B brokers whose morning it is, each with C open cases (due dates spread over a month, three paid). The
reads of a broker's own data should not grow with C (the digest reads the broker's notice log, never
their cases); the run's shared part, the next-action index for the next 50 hours, reads the cases with
a next action in that window (of every broker), once per run.
"""
from __future__ import annotations

import os
from collections import Counter
from datetime import datetime, timezone
from typing import Any

os.environ.update({
    "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    "TABLE_NAME": "bench-cases", "SITE_URL": "http://site.bench", "LINK_KEYS_SECRET_ID": "bench-link-keys",
    "ANCHOR_BUCKET": "bench-anchors",
})
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib import bootstrap  # noqa: E402
from chalicelib.domain.policy import DEFAULT_POLICY  # noqa: E402
from chalicelib.services import brokers  # noqa: E402
from portal import infra  # noqa: E402

OPENED = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
MORNING = datetime(2026, 11, 2, 7, 0, tzinfo=timezone.utc)  # 08:00 in Berlin


class Meter:
    def __init__(self, clients: list[Any]) -> None:
        self.calls: Counter[str] = Counter()
        self.items = 0
        self.index_items = 0
        self._index: str | None = None
        for client in clients:
            client.meta.events.register("before-call.*.*", self._call)
            client.meta.events.register("before-parameter-build.dynamodb.Query", self._note_index)
            client.meta.events.register("after-call.dynamodb.Query", self._read)
            client.meta.events.register("after-call.dynamodb.GetItem", self._read)

    def _call(self, event_name: str, **_: Any) -> None:
        self.calls[event_name.split(".", 2)[2]] += 1

    def _note_index(self, params: dict[str, Any], **_: Any) -> None:
        self._index = params.get("IndexName")  # one call at a time: the next after-call is this one's

    def _read(self, parsed: dict[str, Any], event_name: str, **_: Any) -> None:
        count = parsed.get("Count", 1 if parsed.get("Item") else 0)
        if event_name.endswith("Query") and self._index:
            self.index_items += count
        else:
            self.items += count

    def clear(self) -> None:
        self.calls.clear()
        self.items = self.index_items = 0


def setup(n_brokers: int, n_cases: int) -> None:
    now = [OPENED]
    bootstrap.utc_now = lambda: now[0]  # type: ignore[assignment]
    infra.create_table(boto3.client("dynamodb"), "bench-cases")
    infra.create_link_keys_secret(boto3.client("secretsmanager"), "bench-link-keys")
    infra.create_anchor_bucket(boto3.client("s3"), "bench-anchors", "eu-west-1")
    infra.verify_sender(boto3.client("sesv2"), DEFAULT_POLICY.sender.from_email.split("@", 1)[1])
    bootstrap.reset()
    for b in range(n_brokers):
        broker, _ = brokers.create_broker(bootstrap.store(), bootstrap.utc_now, f"Broker {b}", f"ar{b}@bench.test")
        bootstrap.broker_notices().put(broker.broker_id, {"timezone": "Europe/Berlin", "digest": {"enabled": True}})
        for c in range(n_cases):
            case, _ = bootstrap.case_service().create(broker.broker_id, {
                "customer": {"name": f"Customer {c}", "email": f"c{c}@example.test", "timezone": "Europe/Berlin"},
                "invoice": {"number": f"INV-{c}", "amount": 10000, "currency": "EUR", "issued_on": "2026-10-01",
                            "due_on": f"2026-11-{1 + c % 30:02d}"}}, None)
            if c < 3:
                bootstrap.payment_service().record_offline(broker.broker_id, case.case_id, {
                    "amount": 2000, "method": "bank_transfer", "reference": f"BT-{c}", "received_on": "2026-11-01"})
    now[0] = MORNING
    bootstrap.reset()


def measure(n_brokers: int, n_cases: int) -> None:
    with mock_aws():
        setup(n_brokers, n_cases)
        meter = Meter([bootstrap.aws("dynamodb"), bootstrap.sending_client("sesv2")])
        meter.clear()
        sent = bootstrap.broker_digest().run()
        assert len(sent) == n_brokers, sent
        calls = sum(meter.calls.values())
        detail = ", ".join(f"{op} x{n}" for op, n in sorted(meter.calls.items()))
        print(f"brokers={n_brokers:3d} cases each={n_cases:3d}: AWS calls per broker {calls / n_brokers:5.2f}, "
              f"items read of the broker's own data {meter.items / n_brokers:4.1f}, "
              f"next-action index items (shared) {meter.index_items}   ({detail})")


if __name__ == "__main__":
    for brokers_due, cases in ((1, 10), (1, 100), (10, 10)):
        measure(brokers_due, cases)

"""Bulk import of N rows (default 10,000) on moto (in-process), through the import functions as AWS
triggers them (the S3 event, then one SQS message per chunk, delivered by portal/import_trigger.py).

Prints rows per second (wall clock, moto included, and of our own code alone: the time outside moto's
request handling) and AWS calls per row, by operation. Usage: bench/imports.py [ROWS]
"""
from __future__ import annotations

import os
import sys
import time
from collections import Counter
from typing import Any

os.environ.update({
    "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    "TABLE_NAME": "bench-cases", "SITE_URL": "http://site.bench", "LINK_KEYS_SECRET_ID": "bench-link-keys",
    "ANCHOR_BUCKET": "bench-anchors", "IMPORT_BUCKET": "bench-imports",
})
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.core.botocore_stubber import BotocoreStubber  # noqa: E402

from chalicelib import bootstrap  # noqa: E402
from chalicelib.services import brokers  # noqa: E402
from portal import infra  # noqa: E402
from portal.import_trigger import ImportTrigger  # noqa: E402
from portal.moto_atomic import make_dynamodb_atomic  # noqa: E402

HEADER = "customer_name,customer_email,invoice_number,amount,currency,issued_on,due_on,description\n"


class Meter:
    """AWS calls by operation, and the time moto spends answering them."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.in_moto = 0.0
        original = BotocoreStubber.__call__
        meter = self

        def timed(stubber: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(stubber, event_name, request, **kwargs)
            finally:
                meter.in_moto += time.perf_counter() - started

        BotocoreStubber.__call__ = timed  # type: ignore[method-assign]

    def __call__(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}.{model.name}"] += 1


def csv_file(rows: int) -> bytes:
    return (HEADER + "".join(f"Customer {i},c{i}@example.test,B-{i:06d},{i % 5000 + 1}.{i % 100:02d},EUR,"
                             f"2026-10-01,2026-10-31,Bench row {i}\n" for i in range(rows))).encode()


def main(rows: int) -> None:
    import requests

    make_dynamodb_atomic()
    with mock_aws():
        s3, sqs = boto3.client("s3"), boto3.client("sqs")
        infra.create_table(boto3.client("dynamodb"), "bench-cases")
        infra.create_link_keys_secret(boto3.client("secretsmanager"), "bench-link-keys")
        infra.create_anchor_bucket(s3, "bench-anchors", "eu-west-1")
        infra.create_import_bucket(s3, "bench-imports", "eu-west-1")
        os.environ["IMPORT_QUEUE_URL"] = infra.create_function_queue(sqs, "ImportQueue", "bench-imports")
        bootstrap.reset()
        trigger = ImportTrigger(s3, sqs, "bench-imports", os.environ["IMPORT_QUEUE_URL"])
        broker, _ = brokers.create_broker(bootstrap.store(), bootstrap.utc_now, "Bench Ltd", "ar@bench.test")
        job, slot = bootstrap.import_service().start(broker.broker_id, None, None, False, "bench.csv")
        data = csv_file(rows)
        requests.post(slot["url"], data=slot["fields"], files={"file": ("bench.csv", data)}, timeout=300)

        meter = Meter()
        boto3._get_default_session().events.register("before-call.*.*", meter)
        bootstrap.reset()  # the functions' clients, built from here on, report their calls
        trigger_calls = Counter[str]()
        started = time.perf_counter()
        rounds = 0
        while trigger.deliver():
            rounds += 1
        elapsed = time.perf_counter() - started
        status = bootstrap.import_service().get(broker.broker_id, job.import_id)
        # The trigger's own listing, receiving and deleting stand in for AWS's event delivery: not the app's.
        for op in ("s3.ListObjectsV2", "sqs.ReceiveMessage", "sqs.DeleteMessage", "sqs.GetQueueAttributes"):
            trigger_calls[op] = meter.calls.pop(op, 0)
    assert status["status"] == "finished" and status["created"] == rows, status
    calls = sum(meter.calls.values())
    ours = elapsed - meter.in_moto
    print(f"bench/imports.py  {rows:,} rows ({len(data) / 1e6:.1f} MB), {rounds} function calls "
          f"(1 S3 event + {rounds - 1} SQS chunks of up to {bootstrap.settings().import_chunk_rows} rows)")
    print(f"  rows per second: {rows / elapsed:,.0f} wall clock on moto; {rows / ours:,.0f} of our own code "
          f"({ours:.1f} s of {elapsed:.1f} s outside moto)")
    print(f"  AWS calls per row: {calls / rows:.2f}  ("
          + ", ".join(f"{op} {n / rows:.3f}" for op, n in sorted(meter.calls.items(), key=lambda x: -x[1])) + ")")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)

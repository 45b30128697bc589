"""The reminder sweep's cost follows the due work, not the open book: one sweep and one worker pass over
N open cases (N = 1,000 and 10,000) of which about 1% are due, on moto in this process.

Prints, per N:
  * DynamoDB items read per due case (target <= 1.1): every item any Query/GetItem returned, counted
    from the responses with botocore's event hooks, divided by the cases the sweep found due;
  * AWS calls per reminder sent (target <= 4): every call our code makes (sweep + worker), divided by the
    messages SES and SNS accepted. The SQS receive/delete that Lambda's poller makes for the worker are
    not our calls; they are shown separately;
  * reminders per second (wall clock, moto in-process: an indication, not a production figure).
Two passes per N: a cold container (the broker's policy and the link-signing key are read once), and a
warm one the next day (both cached, as in a Lambda that ran recently).
"""
from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as `python bench/sweep.py`

os.environ.update({
    "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    "TABLE_NAME": "bench-sweep", "SITE_URL": "http://site.bench", "LINK_KEYS_SECRET_ID": "bench-link-keys",
    "ANCHOR_BUCKET": "bench-anchors",
    "POLICY_CACHE_SECONDS": "600", "KEYS_CACHE_SECONDS": "600",
})
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from bench.seeding import seed_cases  # noqa: E402
from chalicelib import bootstrap  # noqa: E402
from chalicelib.domain.policy import DEFAULT_POLICY  # noqa: E402
from chalicelib.services import brokers  # noqa: E402
from portal import infra  # noqa: E402

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)  # Tuesday, 11:00 in Berlin
OPENED = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
OURS = ("dynamodb", "sesv2", "sns", "secrets-manager", "s3")  # s3: the head-hash anchor of each change


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Meter:
    """Counts calls (service.operation), DynamoDB items read, and the time spent inside AWS calls."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.items_read = 0
        self.in_calls = 0.0
        self._started: list[float] = []
        self.on = False

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.*.*", self._before)
        client.meta.events.register("after-call.*.*", self._after)

    def _before(self, event_name: str, **_: Any) -> None:
        if self.on:
            _, service, operation = event_name.split(".", 2)
            self.calls[f"{service}.{operation}"] += 1
            self._started.append(time.perf_counter())

    def _after(self, event_name: str, parsed: dict[str, Any], **_: Any) -> None:
        if not self.on:
            return
        if self._started:
            self.in_calls += time.perf_counter() - self._started.pop()
        if not event_name.startswith("after-call.dynamodb."):
            return
        operation = event_name.rsplit(".", 1)[1]
        if operation in ("Query", "Scan"):
            self.items_read += int(parsed.get("Count", 0))
        elif operation == "GetItem":
            self.items_read += 1 if parsed.get("Item") else 0
        elif operation == "BatchGetItem":
            self.items_read += sum(len(v) for v in parsed.get("Responses", {}).values())

    def reset(self) -> None:
        self.calls.clear()
        self.items_read = 0
        self.in_calls = 0.0


def seed(n: int, broker_id: str) -> int:
    """N open cases: 1% due today, 1% due tomorrow (the warm pass), the rest weeks away. Returns due today."""
    cohort = max(1, n // 100)

    def due_on(i: int) -> date:
        if i < cohort:
            return date(2026, 11, 27)  # -3 step: today 08:00 Berlin
        if i < 2 * cohort:
            return date(2026, 11, 28)  # -3 step: tomorrow
        return date(2027, 1, 10) + timedelta(days=i % 60)

    seed_cases(boto3.client("dynamodb"), os.environ["TABLE_NAME"], broker_id, n, due_on, OPENED)
    return cohort


def one_pass(meter: Meter, clock: Clock, at: datetime) -> dict[str, Any]:
    clock.now = at
    sqs = bootstrap.aws("sqs")
    url = bootstrap.settings().require("reminder_queue_url")
    meter.reset()
    meter.on = True
    started = time.perf_counter()
    report = bootstrap.reminder_sweep().run(at)
    sweep_calls = sum(meter.calls.values())
    sweep_items = meter.items_read
    lambda_calls = 0
    sent = 0
    while True:
        page = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)  # Lambda's poller
        lambda_calls += 1
        messages = page.get("Messages", [])
        if not messages:
            break
        outcomes = bootstrap.reminder_worker().handle_batch([m["Body"] for m in messages])
        sent += sum(len(o.sent) for o in outcomes)
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
        lambda_calls += 1
    elapsed = time.perf_counter() - started
    meter.on = False
    ours = sum(n for op, n in meter.calls.items()
               if op.split(".")[0] in OURS or op in ("sqs.SendMessageBatch", "sqs.SendMessage"))
    return {"due": report.due, "sent": sent, "items": meter.items_read, "sweep_items": sweep_items,
            "calls": ours, "sweep_calls": sweep_calls, "lambda_sqs": lambda_calls,
            "detail": dict(sorted(meter.calls.items())), "seconds": elapsed, "own": elapsed - meter.in_calls}


def run(n: int) -> list[tuple[str, dict[str, Any]]]:
    with mock_aws():
        infra.create_table(boto3.client("dynamodb"), os.environ["TABLE_NAME"])
        infra.create_link_keys_secret(boto3.client("secretsmanager"), os.environ["LINK_KEYS_SECRET_ID"])
        infra.create_anchor_bucket(boto3.client("s3"), os.environ["ANCHOR_BUCKET"], os.environ["AWS_DEFAULT_REGION"])
        queue_url, dlq_url = infra.create_reminder_queues(boto3.client("sqs"))
        infra.verify_sender(boto3.client("sesv2"), DEFAULT_POLICY.sender.from_email.split("@", 1)[1])
        os.environ.update({"REMINDER_QUEUE_URL": queue_url, "REMINDER_DLQ_URL": dlq_url})
        clock = Clock(OPENED)
        bootstrap.utc_now = clock  # type: ignore[assignment]
        bootstrap.reset()
        broker, _ = brokers.create_broker(bootstrap.store(), lambda: OPENED, "Bench Brokers", "ar@bench.test")
        # A broker who has stored their own policy (one more item for a cold container to read).
        bootstrap.policy_service().put(broker.broker_id, DEFAULT_POLICY.as_dict(), by="bench")
        seeded = time.perf_counter()
        seed(n, broker.broker_id)
        seeded = time.perf_counter() - seeded
        bootstrap.reset()  # a cold container: nothing cached
        meter = Meter()
        for service in ("dynamodb", "sqs", "secretsmanager", "s3"):
            meter.attach(bootstrap.aws(service))
        for service in ("sesv2", "sns"):
            meter.attach(bootstrap.sending_client(service))
        cold = one_pass(meter, clock, NOW)
        warm = one_pass(meter, clock, NOW + timedelta(days=1))  # the same container the next day: caches warm
    print(f"  (seeded {n:,} cases in {seeded:.1f}s)", file=sys.stderr)
    return [("cold", cold), ("warm", warm)]


def main() -> None:
    print(__doc__.split("\n\n", 1)[0].replace("\n", " "))
    print()
    header = (f"{'N':>7} {'pass':5} {'due':>4} {'sent':>4} {'items read':>10} {'per due case':>12} "
              f"{'AWS calls':>9} {'per reminder':>12} {'reminders/s':>11} {'(own code)':>10}   sweep calls   "
              f"Lambda SQS calls")
    print(header)
    results = {}
    sizes = [int(arg) for arg in sys.argv[1:]] or [1_000, 10_000]  # e.g. `bench/sweep.py 1000` for a quick look
    for n in sizes:
        for name, r in run(n):
            results[(n, name)] = r
            per_case = r["items"] / r["due"] if r["due"] else float("nan")
            per_reminder = r["calls"] / r["sent"] if r["sent"] else float("nan")
            rate = r["sent"] / r["seconds"] if r["seconds"] else float("nan")
            own = r["sent"] / r["own"] if r["own"] else float("nan")
            print(f"{n:>7,} {name:5} {r['due']:>4} {r['sent']:>4} {r['items']:>10} {per_case:>12.2f} "
                  f"{r['calls']:>9} {per_reminder:>12.2f} {rate:>11.1f} {own:>10.0f}   {r['sweep_calls']:>11}   "
                  f"{r['lambda_sqs']:>16}")
    print()
    print("targets: items read per due case <= 1.1; AWS calls per reminder <= 4")
    print("reminders/s is wall clock on moto, whose TransactWriteItems deep-copies the whole table (so it")
    print("slows down with N); '(own code)' leaves out the time inside AWS calls: our code's own throughput.")
    for (n, name), r in results.items():
        print(f"  N={n:,} {name}: {json.dumps(r['detail'])}")


if __name__ == "__main__":
    main()

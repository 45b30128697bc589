"""A morning burst of N due reminders (10,000 by default) against SES as a new account: 14 sends a second,
then throttled (portal/moto_ses_rate.py), on moto in this process.

Prints: whether every reminder went out exactly once with none failed or lost, how long the burst took
against the ideal N/14 seconds, how many sends SES throttled, and how many due cases one sweep hands
out within its Lambda timeout.

How time is counted. Sending 10,000 at 14 a second takes 12 minutes, so the burst runs on one simulated
clock instead of waiting: the worker's pacing sleeps move it on at once, SES's rate window, SQS's delays
and visibility (moto's SQS clock is pointed at it) and the portal's own clock (contact window, retry
times) all read it. Two worker containers run, as the event source's MaximumConcurrency allows: each
takes its next SQS batch when its own simulated time is the earliest. Time our code and moto spend
computing is not counted (moto's is no guide to AWS's); the burst's time is that of its last send, so
the ratio to the ideal measures the pacing alone. The sweep's figure is real time on moto.
"""
from __future__ import annotations

import os
import resource
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from email.utils import parseaddr
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as `python bench/burst.py`

os.environ.update({
    "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    "TABLE_NAME": "bench-burst", "SITE_URL": "http://site.bench", "LINK_KEYS_SECRET_ID": "bench-link-keys",
    "ANCHOR_BUCKET": "bench-anchors", "POLICY_CACHE_SECONDS": "3600", "KEYS_CACHE_SECONDS": "3600",
    "WORKER_CONCURRENCY": "2",
})
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("EMAIL_SEND_RATE", None)  # the pacers read the rate from GetSendQuota, as in production

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.core import DEFAULT_ACCOUNT_ID  # noqa: E402

from bench.seeding import seed_cases  # noqa: E402
from chalicelib import bootstrap  # noqa: E402
from chalicelib.domain.cases import iso  # noqa: E402
from chalicelib.domain.policy import DEFAULT_POLICY  # noqa: E402
from chalicelib.services import brokers  # noqa: E402
from chalicelib.services.reminders import SWEEP_MARGIN_MS  # noqa: E402
from portal import infra  # noqa: E402
from portal.moto_atomic import make_dynamodb_atomic  # noqa: E402
from portal.moto_ses_rate import NEW_ACCOUNT_RATE, SimulatedTime, limit_ses_send_rate, throttled_sends  # noqa: E402

BURST = datetime(2026, 11, 24, 7, 0, tzinfo=timezone.utc)  # Tuesday 08:00 in Berlin: the -3 step of 27 Nov
DUE_ON = date(2026, 11, 27)
OPENED = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
REGION = "eu-west-1"
CONTAINERS = 2
SWEEP_EVERY = 900.0  # the schedule: a sweep every 15 minutes, also during the burst
IDLE_POLL = 0.2  # simulated seconds a container waits when the queue shows nothing visible
SWEEP_TIMEOUT_S = 60  # the sweep function's Lambda timeout (Chalice's default; infra/ sets no other)


def peak_mb() -> float:
    """This process's peak resident memory (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sqs_on(sim: SimulatedTime) -> None:
    """moto's SQS keeps delays and visibility on the simulated clock."""
    from moto.sqs import models

    base = BURST.timestamp()
    models.unix_time = lambda *_: base + sim.now  # type: ignore[attr-defined]
    models.unix_time_millis = lambda *_: (base + sim.now) * 1000  # type: ignore[attr-defined]


def containers() -> list[Any]:
    """Worker containers, each with its own pacer (its share of the rate) and everything else shared."""
    built = []
    for _ in range(CONTAINERS):
        for builder in (bootstrap.email_pacer, bootstrap.sms_pacer, bootstrap.mailer, bootstrap.reminder_worker):
            builder.cache_clear()
        built.append(bootstrap.reminder_worker())
    return built


def burst(n: int) -> dict[str, Any]:
    sim = SimulatedTime()
    bootstrap.utc_now = lambda: BURST + timedelta(seconds=sim.now)  # type: ignore[assignment]
    bootstrap.monotonic, bootstrap.sleep = sim.monotonic, sim.sleep  # type: ignore[assignment]
    limit_ses_send_rate(NEW_ACCOUNT_RATE, sim.monotonic)
    sqs_on(sim)
    infra.create_table(boto3.client("dynamodb"), os.environ["TABLE_NAME"])
    infra.create_link_keys_secret(boto3.client("secretsmanager"), os.environ["LINK_KEYS_SECRET_ID"])
    infra.create_anchor_bucket(boto3.client("s3"), os.environ["ANCHOR_BUCKET"], REGION)
    queue_url, dlq_url = infra.create_reminder_queues(boto3.client("sqs"))
    infra.verify_sender(boto3.client("sesv2"), DEFAULT_POLICY.sender.from_email.split("@", 1)[1])
    os.environ.update({"REMINDER_QUEUE_URL": queue_url, "REMINDER_DLQ_URL": dlq_url})
    bootstrap.reset()
    broker, _ = brokers.create_broker(bootstrap.store(), lambda: OPENED, "Bench Brokers", "ar@bench.test")
    started = time.perf_counter()
    seed_cases(boto3.client("dynamodb"), os.environ["TABLE_NAME"], broker.broker_id, n, lambda _: DUE_ON, OPENED)
    print(f"  (seeded {n:,} cases in {time.perf_counter() - started:.0f}s)", file=sys.stderr)

    sweep = bootstrap.reminder_sweep()
    started = time.perf_counter()
    first = sweep.run()
    sweep_seconds = time.perf_counter() - started
    sweeps, next_sweep, queued = 1, SWEEP_EVERY, first.queued

    workers = containers()
    local = [0.0] * CONTAINERS
    sqs = bootstrap.aws("sqs")
    events: Counter[str] = Counter()
    sent_per_case: Counter[str] = Counter()
    last_send = 0.0
    batches = 0
    started = time.perf_counter()
    while True:
        i = min(range(CONTAINERS), key=local.__getitem__)
        sim.now = local[i]
        if sim.now >= next_sweep:  # the schedule fires during the burst: due cases are handed out again
            queued += sweep.run().queued
            sweeps, next_sweep = sweeps + 1, next_sweep + SWEEP_EVERY
        page = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                   VisibilityTimeout=180).get("Messages", [])
        if not page:
            left = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
            if not any(int(left[k]) for k in ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed",
                                                "ApproximateNumberOfMessagesNotVisible")):
                break
            local[i] = sim.now + IDLE_POLL
            continue
        outcomes = workers[i].handle_batch([m["Body"] for m in page])
        batches += 1
        if batches % 100 == 0:
            print(f"  ({len(sent_per_case):,} sent by {sim.now:.0f} simulated s, "
                  f"{time.perf_counter() - started:.0f} s real, {peak_mb():,.0f} MB)", file=sys.stderr, flush=True)
        failed = set()
        for message, outcome in zip(page, outcomes, strict=True):
            events.update(kind for kind, _ in outcome.events)
            sent_per_case.update(outcome.case_id for _ in outcome.sent)
            if outcome.failed:
                failed.add(message["MessageId"])
            if outcome.sent:
                last_send = max(last_send, sim.now)
        done = [{"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]} for k, m in enumerate(page)
                if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(QueueUrl=queue_url, Entries=done)
        local[i] = sim.now
    run_seconds = time.perf_counter() - started

    ses = __import__("moto.ses.models", fromlist=["ses_backends"]).ses_backends[DEFAULT_ACCOUNT_ID][REGION]
    recipients = Counter(a for m in ses.sent_messages for a in {parseaddr(d)[1] for d in m.destinations})
    dead = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])
    still_due = sum(1 for shard in range(sweep._index.shards) for _ in sweep._index.due(shard, iso(BURST + timedelta(
        seconds=sim.now))))
    return {"n": n, "seconds": last_send, "throttled": throttled_sends(), "events": events,
            "sent_cases": len(sent_per_case), "sent_twice": sum(1 for v in sent_per_case.values() if v > 1),
            "ses_messages": len(ses.sent_messages), "ses_recipients": len(recipients),
            "ses_twice": sum(1 for v in recipients.values() if v > 1),
            "dead_letters": int(dead["Attributes"]["ApproximateNumberOfMessages"]), "still_due": still_due,
            "sweeps": sweeps, "queued": queued, "batches": batches, "run_seconds": run_seconds,
            "sweep_seconds": sweep_seconds, "sweep_queued": first.queued}


def main() -> None:
    """`bench/burst.py [N] [--believed-rate R]`: R paces the workers as if the account allowed R a second
    (EMAIL_SEND_RATE), to show what SES's throttles then do: every one deferred and sent later, none failed."""
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 10_000
    if "--believed-rate" in sys.argv:
        os.environ["EMAIL_SEND_RATE"] = sys.argv[sys.argv.index("--believed-rate") + 1]
        args = [a for a in args if a != os.environ["EMAIL_SEND_RATE"]]
        n = int(args[0]) if args else 10_000
    make_dynamodb_atomic()  # serialised, and a transaction keeps only the items it names for rollback
    with mock_aws():
        r = burst(n)
    ideal = n / NEW_ACCOUNT_RATE
    failed = r["events"]["reminder_failed"] + r["events"]["reminder_attempt_failed"]
    lost = n - r["sent_cases"]
    print(__doc__.split("\n\n", 1)[0].replace("\n", " "))
    print()
    print(f"reminders due {n:,}: sent {r['sent_cases']:,} (SES accepted {r['ses_messages']:,} messages to "
          f"{r['ses_recipients']:,} addresses), failed {failed}, lost {lost}, sent twice {r['sent_twice']} "
          f"(SES: {r['ses_twice']}), dead letters {r['dead_letters']}, still due {r['still_due']}")
    believed = float(os.environ.get("EMAIL_SEND_RATE") or NEW_ACCOUNT_RATE)
    print(f"burst {r['seconds']:.0f} simulated s against the ideal {n:,}/14 = {ideal:.0f} s: ratio "
          f"{r['seconds'] / ideal:.2f} ({CONTAINERS} containers, each paced at {believed:g} x 0.9 / {CONTAINERS} "
          f"a second)")
    print(f"SES throttled {r['throttled']} sends; deferred {r['events']['reminder_deferred']}, retried "
          f"{r['events']['reminder_retry']}; {r['sweeps']} sweeps handed out {r['queued']:,} messages "
          f"({r['batches']:,} worker batches); real time on moto {r['run_seconds']:.0f} s, "
          f"peak memory {peak_mb():,.0f} MB")
    rate = r["sweep_queued"] / r["sweep_seconds"] if r["sweep_seconds"] else float("nan")
    budget = SWEEP_TIMEOUT_S - SWEEP_MARGIN_MS / 1000
    print(f"sweep: handed out {r['sweep_queued']:,} due cases in {r['sweep_seconds']:.1f} s on moto "
          f"({rate:,.0f}/s): within its {SWEEP_TIMEOUT_S} s timeout (stopping {SWEEP_MARGIN_MS // 1000} s "
          f"short) one sweep hands out about {rate * budget:,.0f}")


if __name__ == "__main__":
    main()

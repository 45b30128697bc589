"""`portal sweep --at 2026-12-01T10:00:00Z`: run the reminder sweep and its worker against the running
demo as of that moment (time travel), and print what they did.

It does in this process what the two Lambdas do in AWS: the sweep queries the demo's table and fills
the reminder queue on the demo's moto; the worker takes the messages off the queue and runs each step
(SES and SNS on moto, so the messages appear in the demo's outbox). Only the clock is moved: against a
running demo, `--at` moves the demo clock (portal/clock.py), which the API goes on reading too.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import ClientError

from chalicelib import bootstrap
from chalicelib.domain.cases import iso
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.services.reminders import Outcome, SweepReport
from portal import infra
from portal.clock import DemoClock, drive_app
from portal.terminal import output, safe

DESCRIBE = {
    "reminder_started": lambda d: f"step {d['step']} ({d['stage']}) started"
    + (f", skipped {', '.join(d['skipped'])}" if d.get("skipped") else "")
    + (f", not sent on {', '.join(d['not_sent_on'])}" if d.get("not_sent_on") else ""),
    "reminder_sent": lambda d: f"sent {d['channel']} '{d['template']}' "
    f"(message {d['message_id']}, link {d['link_id']})",
    "reminder_unconfirmed": lambda d: f"{d['channel']} unconfirmed (a worker died while sending)",
    "reminder_attempt_failed": lambda d: f"{d['channel']} refused ({d['error']}), retry at {d['retry_at']}",
    "reminder_failed": lambda d: f"{d['channel']} FAILED after {d['attempt']} attempts ({d['error']}): dead-lettered",
    "reminder_skipped": lambda d: f"{d['channel']} skipped ({d['reason']})",
    "sms_opted_out": lambda d: "the customer has opted out of SMS: recorded, no SMS from now on",
    "fee_applied": lambda d: f"{d['kind'].replace('_', ' ')} {d['amount']} {d['currency']} added",
    "interest_applied": lambda d: f"interest +{d['amount']} {d['currency']} (total {d['total']}"
    + (", provisional rate)" if d.get("provisional") else ")"),
    "link_issued": lambda d: f"new pay link {d['link_id']} (v{d['link_version']})",
    "status_changed": lambda d: f"status {d.get('from')} -> {d['status']}",
    "reminder_rescheduled": lambda d: f"next: step {d['step']} at {d['at']} ({d['reason']})",
    "reminders_paused": lambda d: f"reminders paused ({d.get('reason')})",
    "reminders_resumed": lambda d: f"reminders resumed after {d['paused_days']} days",
}


@dataclass
class SweepRun:
    at: str
    report: SweepReport
    outcomes: list[Outcome] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)  # brokers whose morning digest went out


def moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError("use an ISO time with a zone, e.g. 2026-12-01T10:00:00Z") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("add a time zone, e.g. 2026-12-01T10:00:00Z") from None
    return value.astimezone(timezone.utc)


def register(subparsers: Any, parents: Sequence[argparse.ArgumentParser] = ()) -> argparse.ArgumentParser:
    command = subparsers.add_parser(
        "sweep", parents=list(parents), help="run the reminder sweep and worker as of a moment (time travel)",
        description="Run the reminder sweep and its worker against the running demo as of --at (time travel), "
                    "and print what they did. Messages appear in the demo's outbox.")
    command.add_argument("--at", type=moment, default=None, help="the moment, e.g. 2026-12-01T10:00:00Z (default: now)")
    command.add_argument("--json", action="store_true", help="print what happened as JSON")
    return command


def prepare(endpoint: str, demo: dict[str, Any], clock: Callable[[], datetime], table: str | None = None,
            secret_id: str | None = None) -> None:
    """Point the app's adapters at the demo's moto, reading `clock`."""
    from portal.local_aws import LocalResources, clients, point_boto3_at

    point_boto3_at(endpoint, demo.get("region", "eu-west-1"))
    client = clients(endpoint, demo.get("region", "eu-west-1"))
    queue_url, dlq_url = infra.create_reminder_queues(client("sqs"))  # same name and attributes: no-op
    resources = demo.get("resources", {})
    names = LocalResources.from_dict(resources)
    os.environ.update({
        "ANCHOR_BUCKET": names.anchors,  # the worker's changes are anchored as the API's are
        "TABLE_NAME": table or resources.get("table", "portal-local-cases"),
        "LINK_KEYS_SECRET_ID": secret_id or resources.get("link_keys_secret", "portal-local/link-keys"),
        "SITE_URL": demo.get("site_url", "http://127.0.0.1:8080"), "REMINDER_QUEUE_URL": queue_url,
        "REMINDER_DLQ_URL": dlq_url, "AUTH_CACHE_SECONDS": "0", "KEYS_CACHE_SECONDS": "0",
        "POLICY_CACHE_SECONDS": "0",
        **demo.get("stripe", {}),  # installment plans: later installments are charged on Stripe
    })
    drive_app(clock)  # the one thing that changes: the time
    verify_senders(client("sesv2"), [DEFAULT_POLICY.sender.from_email])


def verify_senders(ses: Any, addresses: list[str]) -> None:
    for address in addresses:
        try:
            infra.verify_sender(ses, address.rsplit("@", 1)[-1])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "AlreadyExistsException":
                raise


def run(at: datetime) -> SweepRun:
    """One sweep as of `at`, then the worker over everything it queued (the adapters must be prepared)."""
    report = bootstrap.reminder_sweep().run(at)
    brokers = report.brokers
    verify_senders(bootstrap.aws("sesv2"), [bootstrap.policy_service().policy_for(b).sender.from_email
                                            for b in brokers])
    outcome = SweepRun(iso(at), report)
    sqs = bootstrap.aws("sqs")
    url = bootstrap.settings().require("reminder_queue_url")
    while True:
        page = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=120)
        messages = page.get("Messages", [])
        if not messages:
            break
        results = bootstrap.reminder_worker().handle_batch([m["Body"] for m in messages])
        outcome.outcomes += results
        for m, result in zip(messages, results, strict=True):
            if not result.failed:  # as Lambda's partial batch response: a failed message comes back later
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    outcome.digests = bootstrap.broker_digest().run()  # the hourly schedule: mornings reached by now
    return outcome


def print_run(result: SweepRun, out: TextIO, site_url: str | None) -> None:
    def p(line: str) -> None:
        print(safe(line), file=out)

    p(f"sweep as of {result.at}: {result.report.due} case(s) due")
    for outcome in result.outcomes:
        if outcome.failed:
            p(f"  {outcome.case_id}: FAILED ({outcome.error}); the message stays on the queue for the next sweep")
            continue
        if not outcome.events:
            p(f"  {outcome.case_id}: nothing to do (already handled)")
            continue
        p(f"  {outcome.case_id}:")
        for type_, data in outcome.events:
            p(f"    - {DESCRIBE.get(type_, lambda d, t=type_: t)(data)}")
    for broker_id in result.digests:
        p(f"  broker {broker_id}: morning digest sent")
    sent = sum(len(o.sent) for o in result.outcomes) + len(result.digests)
    p(f"{sent} message(s) sent" + (f"; see them at {site_url}/outbox" if site_url and sent else ""))


def command(args: argparse.Namespace, endpoint: str | None, out: TextIO | None = None, table: str | None = None,
            secret_id: str | None = None, clock: DemoClock | None = None) -> int:
    """`portal sweep`: only against a local moto (time travel must never send real messages).

    With a running demo's `clock`, `--at` moves it there (default: the demo's now) and the worker reads
    it; against another endpoint the time simply stands at `--at` for this run.
    """
    out = output(out)
    if endpoint is None or endpoint == "AWS":
        print("portal sweep: time travel runs against the local demo only (not real AWS)", file=sys.stderr)
        return 1
    data_dir: Path = getattr(args, "data_dir", None) or Path(".portal")
    demo_file = data_dir / "demo.json"
    demo = json.loads(demo_file.read_text()) if demo_file.exists() else {}
    if clock is not None:
        if args.at:
            clock.set(args.at)
        at, now = args.at or clock.now(), clock.now
    else:
        at = args.at or datetime.now(timezone.utc)
        now = lambda: at  # noqa: E731
    prepare(endpoint, demo, now, table, secret_id)
    result = run(at)
    if args.json:
        print(json.dumps({"at": result.at, "due": result.report.due, "cases": [
            {"case_id": o.case_id, "events": [{"type": t, "data": d} for t, d in o.events], "sent": o.sent}
            for o in result.outcomes], "digests": result.digests}, indent=2), file=out)
    else:
        print_run(result, out, demo.get("site_url"))
    return 0

"""Operator commands for a deployed stage (and, for the dead-letter queue, the demo too):

- `portal dlq redrive`: move the reminder dead-letter queue's messages back to the reminder queue;
- `portal stripe-keys --stage S`: put the Stripe secret key and webhook signing secret (read from stdin,
  never the command line) into the stage's Stripe secret;
- `portal sweep --stage S`: run the reminder sweep now, with the deployed sweep function's own environment
  (read from Lambda); the deployed worker sends what it queues. No time travel against a real stage.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from portal.target import Target
from portal.terminal import output, safe

SQS_BATCH = 10  # the most SQS receives, sends or deletes in one call
SWEEP_FUNCTION = "ReminderSweep"  # Chalice's logical id for app.py's `reminder_sweep`
SECRET_KEY_PREFIXES = ("sk_", "rk_")
WEBHOOK_SECRET_PREFIX = "whsec_"


def register(subparsers: Any, parents: Sequence[argparse.ArgumentParser]) -> None:
    dlq = subparsers.add_parser("dlq", help="the reminder dead-letter queue").add_subparsers(dest="action",
                                                                                          required=True)
    dlq.add_parser("redrive", parents=list(parents), help="move its messages back to the reminder queue")
    subparsers.add_parser(
        "stripe-keys", parents=list(parents), help="fill the stage's Stripe secret from stdin",
        description="Reads two lines from stdin: the Stripe secret key (sk_... or a restricted rk_...) and "
                    "the webhook endpoint's signing secret (whsec_...), and stores them in the Stripe secret.")


def run(args: argparse.Namespace, target: Target, out: TextIO | None = None) -> int:
    out = output(out)
    if args.command == "dlq":
        return redrive(target, out)
    if args.command == "stripe-keys":
        return stripe_keys(target, sys.stdin.readline().strip(), sys.stdin.readline().strip(), out)
    return sweep(args, target, out)


def queues(target: Target) -> tuple[str, str]:
    """(reminder queue, dead-letter queue) URLs: the stack's, or the demo's (made from infra/ like the demo's)."""
    if target.environment:
        return target.environment["REMINDER_QUEUE_URL"], target.environment["REMINDER_DLQ_URL"]
    from portal import infra

    return infra.create_reminder_queues(target.client("sqs"))  # same name and attributes: finds them


def redrive(target: Target, out: TextIO) -> int:
    """Receive, send back, then delete, ten at a time: a crash between the send and the delete leaves a
    message in both queues, which the worker's claim on the case makes harmless (a step is never sent twice).
    moto has no StartMessageMoveTask, so this is what the tests can run."""
    sqs = target.client("sqs")
    queue_url, dlq_url = queues(target)
    moved = 0
    while True:
        messages = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=SQS_BATCH, WaitTimeSeconds=0,
                                       VisibilityTimeout=60, MessageAttributeNames=["All"]).get("Messages", [])
        if not messages:
            break
        entries = [{"Id": str(i), "MessageBody": m["Body"],
                    **({"MessageAttributes": m["MessageAttributes"]} if m.get("MessageAttributes") else {})}
                   for i, m in enumerate(messages)]
        sent = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        done = {entry["Id"] for entry in sent.get("Successful", [])}
        sqs.delete_message_batch(QueueUrl=dlq_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages) if str(i) in done])
        moved += len(done)
        if sent.get("Failed"):
            failed = sent["Failed"][0]
            print(safe(f"portal dlq redrive: moved {moved}; SQS refused a message ({failed.get('Code')}: "
                       f"{failed.get('Message', '')}); it stays in the dead-letter queue"), file=sys.stderr)
            return 1
    print(f"moved {moved} message(s) from the dead-letter queue back to the reminder queue", file=out)
    return 0


def stripe_keys(target: Target, secret_key: str, webhook_secret: str, out: TextIO) -> int:
    secret_id = target.environment.get("STRIPE_SECRET_ID")
    if not secret_id:
        print("portal stripe-keys: needs --stage (the demo fills its own Stripe secret)", file=sys.stderr)
        return 1
    if not secret_key.startswith(SECRET_KEY_PREFIXES):
        print("portal stripe-keys: secret_key: the first line must be a Stripe secret key (sk_... or rk_...)",
              file=sys.stderr)
        return 1
    if not webhook_secret.startswith(WEBHOOK_SECRET_PREFIX):
        print("portal stripe-keys: webhook_secret: the second line must be the endpoint's signing secret "
              "(whsec_...)", file=sys.stderr)
        return 1
    from portal.payments_local import stripe_secret_value

    target.client("secretsmanager").put_secret_value(SecretId=secret_id,
                                                     SecretString=stripe_secret_value(secret_key, webhook_secret))
    mode = "live" if secret_key.startswith(("sk_live_", "rk_live_")) else "test"
    print(f"Stripe keys stored ({mode} mode); the API reads them within its cache time", file=out)
    return 0


def sweep(args: argparse.Namespace, target: Target, out: TextIO) -> int:
    if args.at is not None:
        print("portal sweep: --at (time travel) runs against the local demo only, never a deployed stage",
              file=sys.stderr)
        return 1
    from chalicelib import bootstrap
    from chalicelib.settings import SettingsError
    from portal import stack

    deployed = stack.describe(target.client("cloudformation"), target.stack, "")
    function = deployed.resources.get(SWEEP_FUNCTION) if deployed else None
    if not function:
        print(f"portal sweep: {target.where} has no {SWEEP_FUNCTION} function", file=sys.stderr)
        return 1
    env = target.client("lambda").get_function_configuration(FunctionName=function)["Environment"]["Variables"]
    os.environ.update(env)
    bootstrap.reset()
    try:
        report = bootstrap.reminder_sweep().run()
    except SettingsError as exc:  # the deployed function would fail the same way every 15 minutes
        print(f"portal sweep: the deployed {SWEEP_FUNCTION} function cannot run: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"at": report.at, "due": report.due, "queued": report.queued}), file=out)
    else:
        print(f"sweep as of {report.at}: {report.due} case(s) due, {report.queued} handed to the reminder queue; "
              "the deployed worker sends them", file=out)
    return 0


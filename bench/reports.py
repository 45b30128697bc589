"""What the reports cost for a broker with 100,000 cases, and what keeping them current adds to each case change.

The book is built through the same code the API runs, without 100,000 API calls: each case is opened and
worked (paid, partly paid, written off, reminded) by the domain's own commands, and the report counters
those changes move (`report_figures.merged`, the function `report_updates` turns into the transaction's
UpdateItem actions) are summed in memory and written once per counter item to DynamoDB on in-process moto.
ADD is additive, so the counters are the same as if every change had been stored on its own.

Capacity is computed from the items themselves by DynamoDB's published rules (moto does not meter): an
eventually consistent Query costs 0.5 RCU per 4 KB it reads; a write in a transaction costs 2 WCU per KB of
the larger of the item before and after. Each report is then read through the API on the same table (moto's
wall time says nothing about DynamoDB's, so none is printed).

    python bench/reports.py [--cases 100000]
"""
from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as `python bench/reports.py`

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
from chalicelib.adapters import keys  # noqa: E402
from chalicelib.adapters.dynamo import case_item, event_item  # noqa: E402
from chalicelib.adapters.report_counters import report_updates  # noqa: E402
from chalicelib.adapters.webhook_store import outbox_puts  # noqa: E402
from chalicelib.domain import cases as domain  # noqa: E402
from chalicelib.domain import closing, payments, report_figures  # noqa: E402
from chalicelib.domain.policy import DEFAULT_POLICY  # noqa: E402
from chalicelib.services import brokers  # noqa: E402
from portal import infra  # noqa: E402

TODAY = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
CURRENCIES = ("EUR",) * 7 + ("USD",) * 2 + ("GBP",)


# --- DynamoDB's size and capacity rules ---------------------------------------------------------------------

def value_size(value: dict[str, Any]) -> int:
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = len(inner.lstrip("-").replace(".", "").strip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "BOOL":
        return 1
    raise ValueError(kind)


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def transact_wcu(size: int) -> int:
    return 2 * math.ceil(max(size, 1) / 1024)


def query_rcu(sizes: list[int]) -> float:
    """Eventually consistent: 0.5 RCU per 4 KB read, per 1 MB page."""
    total, pages, page = 0.0, [], 0
    for size in sizes:
        if page + size > 1024 * 1024:
            pages.append(page)
            page = 0
        page += size
    pages.append(page)
    for read in pages:
        total += 0.5 * math.ceil(max(read, 1) / 4096)
    return total


# --- a book of cases, worked by the domain's own commands -----------------------------------------------

def opened(broker_id: str, n: int, rng: random.Random) -> domain.Change:
    due = (TODAY - timedelta(days=rng.randint(-60, 700))).date()
    at = datetime.combine(due - timedelta(days=30), datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=9)
    currency = rng.choice(CURRENCIES)
    return domain.open_case(
        broker_id=broker_id, case_id=f"c{n:016d}", broker=domain.BrokerContact("Acme Brokers", "ar@acme.test"),
        customer=domain.Customer(f"Customer {n}", f"customer{n}@example.test", timezone="Europe/Berlin"),
        invoice=domain.Invoice(f"INV-{n:07d}", due - timedelta(days=30), due, rng.randint(5_000, 500_000), currency),
        link=domain.Link(f"l{n:016d}", 1, domain.iso(at + timedelta(days=90))), at=at)


def worked(change: domain.Change, rng: random.Random) -> list[domain.Change]:
    """What happened to the case after it opened: reminders, payments, a write-off (half the book is paid)."""
    out = [change]
    case = change.case
    due_at = datetime.combine(case.invoice.due_on, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=10)
    steps = [s for s in DEFAULT_POLICY.ladder if due_at + timedelta(days=s.offset_days) < TODAY]
    for step in steps[:rng.randint(0, len(steps))]:
        at = due_at + timedelta(days=step.offset_days)
        out.append(reminded(case, step.step_id, step.stage, at))
        case = out[-1].case
    roll, at = rng.random(), max(parse(case.updated_at), due_at) + timedelta(days=rng.randint(0, 40))
    if at >= TODAY:
        return out
    if roll < 0.5:
        out.append(paid(case, case.balance.due, at, via=out[-1] if len(out) > 1 else None))
    elif roll < 0.6:
        out.append(paid(case, case.balance.due // 2, at))
    elif roll < 0.65:
        change = closing.write_off(case, DEFAULT_POLICY, at, amount=None, reason="insolvent")
        out.append(change)
    return out


def parse(text: str) -> datetime:
    return domain.parse_iso(text)


def reminded(case: domain.Case, step: str, stage: str, at: datetime) -> domain.Change:
    """The events and state a finished ladder step leaves (the sweep's own path needs a queue and SES)."""
    return domain.record(case, at, "system", [
        ("reminder_started", {"step": step, "stage": stage}),
        ("reminder_sent", {"channel": "email", "step": step, "stage": stage, "claim": f"c{case.version + 1}:email:1",
                           "link_id": case.link.link_id, "message_id": "m"})],
        ladder=replace(case.ladder, stage=stage, done_offset=int(step)))


def paid(case: domain.Case, amount: int, at: datetime, via: domain.Change | None = None) -> domain.Change:
    fact = payments.succeeded(f"pi_{case.case_id}_{case.version}", amount, currency=case.balance.currency,
                              method="card", received_on=at.date().isoformat())
    if via is not None:
        sent = via.events[-1]
        ref = report_figures.reminder_ref(sent.data["claim"], sent.data["step"], date.fromisoformat(sent.at[:10]))
        fact = replace(fact, detail={"via_reminder": ref})
    change = payments.apply(case, [fact], at=at)
    assert change is not None
    return change


# --- the bench ----------------------------------------------------------------------------------------------

def build(db: Any, table: str, broker_id: str, count: int) -> tuple[int, list[int], float]:
    """Every change's counter deltas (report_figures.merged, as report_updates uses them), summed and put
    as items: on an empty table the same values ADD would leave, in 25-item batches instead of one call each.
    Returns the number of changes and the size of each case item as it ends up."""
    rng = random.Random(7)
    total: dict[tuple[str, int, str], dict[str, int]] = {}
    changes, case_sizes = 0, []
    started = time.perf_counter()
    for n in range(count):
        worked_case = worked(opened(broker_id, n, rng), rng)
        changes += len(worked_case)
        case_sizes.append(item_size(case_item(worked_case[-1].case)))
        for where, names in report_figures.merged(worked_case).items():
            row = total.setdefault(where, {})
            for name, value in names.items():
                row[name] = row.get(name, 0) + value
    items = [{"PK": {"S": keys.report_pk(b, shard)}, "SK": {"S": row},
              **{name: {"N": str(value)} for name, value in names.items()}}
             for (b, shard, row), names in total.items()]
    for start in range(0, len(items), 25):
        db.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": i}} for i in items[start:start + 25]]})
    return changes, case_sizes, time.perf_counter() - started


def counter_items(db: Any, table: str, broker_id: str, first: str, last: str) -> list[int]:
    """Sizes of the counter items a report's Queries read."""
    sizes = []
    for shard in range(report_figures.SHARDS):
        kwargs: dict[str, Any] = {"TableName": table, "KeyConditionExpression": "PK = :pk AND SK BETWEEN :a AND :b",
                                  "ExpressionAttributeValues": {":pk": {"S": keys.report_pk(broker_id, shard)},
                                                                ":a": {"S": first}, ":b": {"S": last}}}
        while True:
            page = db.query(**kwargs)
            sizes += [item_size(i) for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sizes


def change_cost(db: Any, table: str, change: domain.Change) -> tuple[int, int, int]:
    """(WCU of the case's transaction without the counters, WCU the counters add, counter items touched)."""
    case = change.case
    base = [case_item(case)] + [event_item(case.broker_id, case.case_id, e) for e in change.events]
    base += [a["Put"]["Item"] for a in outbox_puts(table, [change])]
    extra, touched = 0, 0
    for action in report_updates(table, [change]):
        update = action["Update"]
        stored = db.get_item(TableName=table, Key=update["Key"]).get("Item") or dict(update["Key"])
        after = dict(stored)
        for placeholder, name in update["ExpressionAttributeNames"].items():
            after[name] = update["ExpressionAttributeValues"][":v" + placeholder[2:]]  # size of a like number
        extra += transact_wcu(max(item_size(stored), item_size(after)))
        touched += 1
    return sum(transact_wcu(item_size(i)) for i in base), extra, touched


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    with mock_aws():
        db = boto3.client("dynamodb")
        table = os.environ["TABLE_NAME"]
        infra.create_table(db, table)
        infra.create_link_keys_secret(boto3.client("secretsmanager"), os.environ["LINK_KEYS_SECRET_ID"])
        infra.create_anchor_bucket(boto3.client("s3"), os.environ["ANCHOR_BUCKET"], "eu-west-1")
        bootstrap.reset()
        broker, key = brokers.create_broker(bootstrap.store(), lambda: TODAY, "Acme Brokers", "ar@acme.test")
        changes, scan, seconds = build(db, table, broker.broker_id, args.cases)
        print(f"book: {args.cases:,} cases, {changes:,} changes, counters built in {seconds:.0f} s")

        state = counter_items(db, table, broker.broker_id, report_figures.STATE_FIRST, report_figures.STATE_LAST)
        days = counter_items(db, table, broker.broker_id, report_figures.day_row((TODAY - timedelta(days=394)).date()
                                                                                 .isoformat()),
                             report_figures.DAYS_LAST)
        print(f"receivables: {report_figures.SHARDS} Queries, {len(state):,} items, {sum(state) / 1024:.0f} KB, "
              f"{query_rcu(state):.1f} RCU  (reading every case item instead: {query_rcu(scan):,.0f} RCU)")
        perf = state + days
        print(f"performance (30 days, a year of countback): {2 * report_figures.SHARDS} Queries, {len(perf):,} items, "
              f"{sum(perf) / 1024:.0f} KB, {query_rcu(state) + query_rcu(days):.1f} RCU")
        with Client(__import__("app").app) as client:  # the routes answer from these counters
            for path in ("/admin/reports/receivables", "/admin/reports/performance"):
                answer = client.http.get(path, headers={"Authorization": f"Bearer {key}"})
                assert answer.status_code == 200, answer.body
        print(f"  open now: {[(c['currency'], c['open_at_end']) for c in answer.json_body['currencies']]}")

        rng = random.Random(11)
        sample = worked(opened(broker.broker_id, args.cases + 1, rng), rng)
        kinds = {"case opened": sample[0]}
        kinds["note added"] = domain.add_note(sample[0].case, kind="call", text="Spoke to the customer", at=TODAY)
        first = sample[0].case
        kinds["reminder sent"] = reminded(first, "+3", "reminder", TODAY)
        kinds["part payment"] = paid(first, first.balance.due // 2, TODAY)
        kinds["paid in full"] = paid(first, first.balance.due, TODAY)
        kinds["written off"] = closing.write_off(first, DEFAULT_POLICY, TODAY, amount=None, reason="insolvent")
        print("per case change (transactional writes, 2 WCU per KB):")
        for name, change in kinds.items():
            base, extra, touched = change_cost(db, table, change)
            print(f"  {name:<14} case transaction {base:>3} WCU; counters +{extra} WCU ({touched} items)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

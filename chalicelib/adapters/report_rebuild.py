"""Rebuild a broker's report counters from its cases: for a table that held cases before the counters existed
(`portal reindex`). Each case counts as if it had been created as it is now, with its whole history in one
change: what a case is (open balances, statuses, stages, disputes) and what its events did (reminders, payments
through a reminder's link, missed promises, partner recoveries) come out exactly as the changes added them;
the day-dated money lines (billed, collected, open, written off) and a paid case's day fall on the day of its
last change, since the case's state after each earlier change is not stored.

The counters are written absolutely (the broker's old counter items deleted, the new ones put), so running it
twice gives the same figures; a case changed while it runs may be counted as it was before that change.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from chalicelib.adapters import keys
from chalicelib.adapters.dynamo import DynamoStore, case_from_state
from chalicelib.domain import report_figures
from chalicelib.domain.cases import Case, Change

BATCH = 25  # BatchWriteItem's limit


def _cases(client: Any, table: str, broker_id: str | None) -> Iterator[Case]:
    prefix = keys.case_pk_prefix(broker_id)
    pages = client.get_paginator("scan").paginate(
        TableName=table, FilterExpression="SK = :case AND begins_with(PK, :prefix)",
        ExpressionAttributeValues={":case": {"S": keys.CASE_SK}, ":prefix": {"S": prefix}})
    for page in pages:
        for item in page["Items"]:
            yield case_from_state(json.loads(item["state"]["S"]))


def _write(client: Any, table: str, requests: list[dict[str, Any]]) -> None:
    for start in range(0, len(requests), BATCH):
        pending = {table: requests[start:start + BATCH]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def rebuild_report_counters(client: Any, table: str, broker_id: str | None = None) -> dict[str, int]:
    """Rebuild the counters of `broker_id` (or of every broker with cases); cases counted, by broker."""
    store = DynamoStore(client, table)
    counted: dict[str, int] = defaultdict(int)
    figures: dict[tuple[str, int, str], dict[str, int]] = {}
    for case in _cases(client, table, broker_id):
        _, events = store.load(case.broker_id, case.case_id)
        for where, names in report_figures.merged([Change(case, tuple(events), 0, None)]).items():
            row = figures.setdefault(where, {})
            for name, value in names.items():
                row[name] = row.get(name, 0) + value
        counted[case.broker_id] += 1
    for broker in counted if broker_id is None else [broker_id]:
        old = [{"DeleteRequest": {"Key": {"PK": item["PK"], "SK": item["SK"]}}}
               for shard in range(report_figures.SHARDS)
               for page in client.get_paginator("query").paginate(
                   TableName=table, KeyConditionExpression="PK = :pk", ProjectionExpression="PK, SK",
                   ExpressionAttributeValues={":pk": {"S": keys.report_pk(broker, shard)}})
               for item in page["Items"]]
        _write(client, table, old)
    _write(client, table, [{"PutRequest": {"Item": {
        "PK": {"S": keys.report_pk(broker, shard)}, "SK": {"S": row},
        **{name: {"N": str(value)} for name, value in names.items()}}}}
        for (broker, shard, row), names in sorted(figures.items()) if any(names.values())])
    return dict(counted)

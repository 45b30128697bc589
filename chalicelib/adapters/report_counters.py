"""The report counters on the single table, added to in each case change's own transaction.

Each broker has `report_figures.SHARDS` partitions of counters; a case always adds to the same one, so a
report reads a few small partitions whatever the number of cases, and two changes of different cases rarely
touch the same item (DynamoDB cancels a transaction that writes an item another one is writing).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.adapters import keys
from chalicelib.domain import report_figures
from chalicelib.domain.cases import Change


def report_updates(table: str, changes: Iterable[Change]) -> list[dict[str, Any]]:
    """The counters the changes move, as TransactWriteItems actions (one per item; none when nothing moves)."""
    actions = []
    for (broker_id, shard, row), names in sorted(report_figures.merged(changes).items()):
        ordered = sorted(names.items())
        actions.append({"Update": {
            "TableName": table,
            "Key": {"PK": {"S": keys.report_pk(broker_id, shard)}, "SK": {"S": row}},
            "UpdateExpression": "ADD " + ", ".join(f"#n{i} :v{i}" for i in range(len(ordered))),
            "ExpressionAttributeNames": {f"#n{i}": name for i, (name, _) in enumerate(ordered)},
            "ExpressionAttributeValues": {f":v{i}": {"N": str(value)} for i, (_, value) in enumerate(ordered)},
        }})
    return actions

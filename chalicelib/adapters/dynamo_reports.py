"""What the reports read: the broker's counters (written by report_counters.py), and its cases due soon."""
from __future__ import annotations

from typing import Any

from chalicelib.adapters import keys
from chalicelib.adapters.dynamo_sweep import DynamoSweepIndex
from chalicelib.domain import report_figures
from chalicelib.domain.cases import Case

Rows = dict[str, dict[str, int]]


class DynamoReports:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name
        self._sweep = DynamoSweepIndex(client, table_name)

    def rows(self, broker_id: str, first: str, last: str) -> Rows:
        """Every counter row of the broker whose name is between `first` and `last`, summed over the shards."""
        total: Rows = {}
        for shard in range(report_figures.SHARDS):
            kwargs: dict[str, Any] = {
                "TableName": self._table,
                "KeyConditionExpression": "PK = :pk AND SK BETWEEN :first AND :last",
                "ExpressionAttributeValues": {":pk": {"S": keys.report_pk(broker_id, shard)},
                                              ":first": {"S": first}, ":last": {"S": last}},
            }
            while True:
                page = self._db.query(**kwargs)
                for item in page["Items"]:
                    row = total.setdefault(item["SK"]["S"], {})
                    for name, value in item.items():
                        if name not in ("PK", "SK"):
                            row[name] = row.get(name, 0) + int(value["N"])
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return total

    def upcoming(self, broker_id: str, until: str) -> list[Case]:
        """The broker's cases whose next action is before `until` (ISO UTC), from the sweep's own index."""
        found = []
        for shard in range(self._sweep.shards):
            for due in self._sweep.due(shard, until, broker_id):
                if due.broker_id == broker_id:  # the filter matched the key's broker part; make sure
                    found.append(self._sweep.parse(due.state) if due.state
                                 else self._sweep.get_case(due.broker_id, due.case_id))
        return found

"""The sweep's side of the table: due cases from the sparse `by_next_action` index, and one case item by key.

The index projects the case state, so the sweep reads exactly one item per due case and hands the
state to the worker in the queue message; the worker only reads the case again (GetItem, strongly
consistent) when its conditional write shows the snapshot was stale.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import keys
from chalicelib.adapters.anchors import S3Anchors, anchor_changes
from chalicelib.adapters.dynamo import INDEX_BY_NEXT_ACTION, case_from_state, case_item, event_item
from chalicelib.adapters.report_counters import report_updates
from chalicelib.adapters.webhook_store import outbox_puts
from chalicelib.domain.cases import Case, Change
from chalicelib.domain.errors import NotFound, VersionConflict

MAX_TRANSACTION_ITEMS = 100


@dataclass(frozen=True)
class DueCase:
    broker_id: str
    case_id: str
    next_action_at: str
    version: int
    state: str | None  # the case as stored (JSON), when the index projects it


class DynamoSweepIndex:
    def __init__(self, client: Any, table_name: str, anchors: S3Anchors | None = None) -> None:
        self._db = client
        self._table = table_name
        self._anchors = anchors

    @property
    def shards(self) -> int:
        return keys.SWEEP_SHARDS

    def due(self, shard: int, now: str, broker_id: str | None = None) -> Iterator[DueCase]:
        """Cases of one shard whose next action is at or before `now` (ISO UTC), oldest first; only one
        broker's when `broker_id` is given (filtered by DynamoDB: read, but never returned)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table, "IndexName": INDEX_BY_NEXT_ACTION,
            "KeyConditionExpression": "SweepPK = :pk AND SweepSK < :bound",
            "ExpressionAttributeValues": {":pk": {"S": keys.sweep_pk(shard)},
                                          ":bound": {"S": keys.sweep_bound(now)}},
        }
        if broker_id is not None:  # the sort key is <time>#<broker>#<case>, and ids hold no '#'
            kwargs["FilterExpression"] = "contains(SweepSK, :broker)"
            kwargs["ExpressionAttributeValues"][":broker"] = {"S": f"#{broker_id}#"}
        while True:
            page = self._db.query(**kwargs)
            for item in page["Items"]:
                at, broker_id, case_id = item["SweepSK"]["S"].split("#", 2)
                yield DueCase(broker_id=broker_id, case_id=case_id, next_action_at=at,
                              version=int(item["version"]["N"]) if "version" in item else 0,
                              state=item["state"]["S"] if "state" in item else None)
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def parse(self, state: str) -> Case:
        return case_from_state(json.loads(state))

    def get_case(self, broker_id: str, case_id: str) -> Case:
        """The case item alone (not its events), read strongly consistent."""
        item = self._db.get_item(TableName=self._table, ConsistentRead=True, ProjectionExpression="#s",
                                 ExpressionAttributeNames={"#s": "state"},
                                 Key={"PK": {"S": keys.case_pk(broker_id, case_id)}, "SK": {"S": keys.CASE_SK}},
                                 ).get("Item")
        if not item:
            raise NotFound("no such case", "case_id")
        return case_from_state(json.loads(item["state"]["S"]))

    def save_all(self, changes: list[Change]) -> None:
        """Changes of several existing cases in one TransactWriteItems: all stored, or none.

        The same conditions as DynamoStore.save (each case on its expected version, events never
        overwritten); any failed condition cancels the whole transaction and is reported as a
        VersionConflict, so the caller stores each change on its own instead.
        """
        actions: list[dict[str, Any]] = []
        for change in changes:
            case = change.case
            actions.append({"Put": {
                "TableName": self._table, "Item": case_item(case), "ConditionExpression": "version = :expected",
                "ExpressionAttributeValues": {":expected": {"N": str(change.expected_version)}}}})
            actions += [{"Put": {"TableName": self._table, "Item": event_item(case.broker_id, case.case_id, event),
                                 "ConditionExpression": "attribute_not_exists(PK)"}} for event in change.events]
        actions += outbox_puts(self._table, changes)  # their webhook events, stored with them
        actions += report_updates(self._table, changes)
        if len(actions) > MAX_TRANSACTION_ITEMS:
            raise VersionConflict("too many changes for one transaction")
        try:
            self._db.transact_write_items(TransactItems=actions)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                raise VersionConflict("a case in the batch changed; store them one by one") from exc
            raise
        anchor_changes(self._anchors, changes)

"""The status of each evidence pack build on the single table: one item per case, head version and locale,
in a partition of the case's own packs (never the case's partition, whose Query reads the timeline)."""
from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import keys
from chalicelib.domain.errors import NotFound


def _key(broker_id: str, case_id: str, pack_id: str) -> dict[str, Any]:
    return {name: {"S": value} for name, value in keys.pack_job_key(broker_id, case_id, pack_id).items()}


class DynamoPackJobs:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def get(self, broker_id: str, case_id: str, pack_id: str) -> dict[str, Any] | None:
        item = self._db.get_item(TableName=self._table, Key=_key(broker_id, case_id, pack_id),
                                 ConsistentRead=True).get("Item")
        return None if item is None else dict(json.loads(item["job"]["S"]))

    def require(self, broker_id: str, case_id: str, pack_id: str) -> dict[str, Any]:
        job = self.get(broker_id, case_id, pack_id)
        if job is None:
            raise NotFound("no such evidence pack", "pack_id")
        return job

    def start(self, broker_id: str, case_id: str, pack_id: str, job: dict[str, Any], stale_before: str) -> bool:
        """Record a build as started unless one is already under way (or done); False when it is."""
        try:
            self._db.put_item(
                TableName=self._table, Item={**_key(broker_id, case_id, pack_id), **self._fields(job)},
                # a failed build, or one whose worker vanished past the function's timeout, may start again
                ConditionExpression="attribute_not_exists(PK) OR #s = :failed OR (#s = :building AND #t < :stale)",
                ExpressionAttributeNames={"#s": "status", "#t": "started_at"},
                ExpressionAttributeValues={":failed": {"S": "failed"}, ":building": {"S": "building"},
                                           ":stale": {"S": stale_before}})
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def record(self, broker_id: str, case_id: str, pack_id: str, job: dict[str, Any]) -> None:
        self._db.put_item(TableName=self._table, Item={**_key(broker_id, case_id, pack_id), **self._fields(job)})

    def claim(self, broker_id: str, case_id: str, pack_id: str, flag: str) -> bool:
        """Set `flag` on the build unless it is set: True for the one caller that set it."""
        try:
            self._db.update_item(TableName=self._table, Key=_key(broker_id, case_id, pack_id),
                                 UpdateExpression="SET #f = :t", ConditionExpression="attribute_not_exists(#f)",
                                 ExpressionAttributeNames={"#f": flag},
                                 ExpressionAttributeValues={":t": {"BOOL": True}})
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release(self, broker_id: str, case_id: str, pack_id: str, flag: str) -> None:
        self._db.update_item(TableName=self._table, Key=_key(broker_id, case_id, pack_id),
                             UpdateExpression="REMOVE #f", ExpressionAttributeNames={"#f": flag})

    @staticmethod
    def _fields(job: dict[str, Any]) -> dict[str, Any]:
        return {"status": {"S": job["status"]}, "started_at": {"S": job["started_at"]},
                "job": {"S": json.dumps(job, separators=(",", ":"), sort_keys=True)}}

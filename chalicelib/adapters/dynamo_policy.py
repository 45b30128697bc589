"""Broker reminder policies on the single table: every version is its own item, never overwritten."""
from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import keys
from chalicelib.domain.errors import Conflict
from chalicelib.domain.policy import PolicyRecord, stored_by


def _record(broker_id: str, item: dict[str, Any]) -> PolicyRecord:
    return PolicyRecord(broker_id=broker_id, version=int(item["version"]["N"]),
                        policy=json.loads(item["policy"]["S"]), updated_at=item["updated_at"]["S"],
                        updated_by=stored_by(item["updated_by"]["S"]))


class DynamoPolicyStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def current(self, broker_id: str) -> PolicyRecord | None:
        """The newest version: one Query that reads one item."""
        page = self._db.query(
            TableName=self._table, KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues={":pk": {"S": keys.broker_pk(broker_id)}, ":prefix": {"S": keys.POLICY_PREFIX}},
            ScanIndexForward=False, Limit=1, ConsistentRead=True,
        )
        return _record(broker_id, page["Items"][0]) if page["Items"] else None

    def version(self, broker_id: str, version: int) -> PolicyRecord | None:
        item = self._db.get_item(TableName=self._table, Key={
            "PK": {"S": keys.broker_pk(broker_id)}, "SK": {"S": keys.policy_sk(version)}}).get("Item")
        return _record(broker_id, item) if item else None

    def add(self, record: PolicyRecord) -> None:
        """Store a new version; two writers racing for the same number: the second gets a Conflict."""
        try:
            self._db.put_item(TableName=self._table, ConditionExpression="attribute_not_exists(PK)", Item={
                "PK": {"S": keys.broker_pk(record.broker_id)}, "SK": {"S": keys.policy_sk(record.version)},
                "version": {"N": str(record.version)},
                "policy": {"S": json.dumps(record.policy, separators=(",", ":"), sort_keys=True)},
                "updated_at": {"S": record.updated_at},
                "updated_by": {"S": json.dumps(record.updated_by, sort_keys=True)},
            })
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict(f"policy version {record.version} was stored by someone else; read it and try again",
                               "version", code="version_conflict") from exc
            raise

    def history(self, broker_id: str) -> list[PolicyRecord]:
        """Every stored version, oldest first (a policy changes a few times a year: one Query reads them)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table, "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": keys.broker_pk(broker_id)},
                                          ":prefix": {"S": keys.POLICY_PREFIX}}}
        return [_record(broker_id, item)
                for page in self._db.get_paginator("query").paginate(**kwargs) for item in page["Items"]]

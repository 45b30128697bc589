"""A broker's collections partners on the single table: one item each, in the broker's partition."""
from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import keys
from chalicelib.domain.errors import NotFound
from chalicelib.domain.partners import Partner


def _partner(item: dict[str, Any]) -> Partner:
    return Partner(**json.loads(item["partner"]["S"]))


class DynamoPartnerStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def _key(self, broker_id: str, partner_id: str) -> dict[str, Any]:
        return {"PK": {"S": keys.broker_pk(broker_id)}, "SK": {"S": keys.partner_sk(partner_id)}}

    def put(self, broker_id: str, partner: Partner) -> None:
        self._db.put_item(TableName=self._table, Item={
            **self._key(broker_id, partner.partner_id),
            "partner": {"S": json.dumps(partner.as_dict(), separators=(",", ":"), sort_keys=True)}})

    def get(self, broker_id: str, partner_id: str) -> Partner:
        item = self._db.get_item(TableName=self._table, Key=self._key(broker_id, partner_id),
                                 ConsistentRead=True).get("Item")
        if item is None:
            raise NotFound("no such partner", "partner_id")
        return _partner(item)

    def list(self, broker_id: str) -> list[Partner]:
        found: list[Partner] = []
        paginator = self._db.get_paginator("query")
        for page in paginator.paginate(
                TableName=self._table, KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
                ExpressionAttributeValues={":pk": {"S": keys.broker_pk(broker_id)},
                                           ":prefix": {"S": keys.PARTNER_PREFIX}}):
            found += [_partner(item) for item in page["Items"]]
        return found

    def delete(self, broker_id: str, partner_id: str) -> None:
        try:
            self._db.delete_item(TableName=self._table, Key=self._key(broker_id, partner_id),
                                 ConditionExpression="attribute_exists(PK)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NotFound("no such partner", "partner_id") from exc
            raise

"""Outbound webhooks on the single table: endpoints, the outbox the relay drains, and the delivery log.

Outbox items for a case's events are written by the case's own TransactWriteItems (`outbox_puts`), so an
event exists exactly when the change it describes was stored.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import keys
from chalicelib.domain.cases import Change, parse_iso
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.webhooks import Delivery, Endpoint, body_of, case_event

DELIVERY_LOG_KEPT = timedelta(days=30)


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def outbox_item(event: dict[str, Any], only_endpoint: str | None = None) -> dict[str, Any]:
    item = {"PK": _s(keys.outbox_pk(event["id"])),
            "SK": _s(keys.outbox_sk(event["created"], event["broker_id"], event["id"])),
            "event": _s(body_of(event).decode())}
    if only_endpoint:
        item["endpoint_id"] = _s(only_endpoint)
    return item


def outbox_puts(table: str, changes: list[Change]) -> list[dict[str, Any]]:
    """The outbox items of the events brokers hear about, as TransactWriteItems actions."""
    actions = []
    for change in changes:
        for event in change.events:
            payload = case_event(change.case.broker_id, change.case, event)
            if payload is not None:
                actions.append({"Put": {"TableName": table, "Item": outbox_item(payload),
                                        "ConditionExpression": "attribute_not_exists(PK)"}})
    return actions


def _endpoint_item(e: Endpoint) -> dict[str, Any]:
    return {"PK": _s(keys.broker_pk(e.broker_id)), "SK": _s(keys.webhook_sk(e.endpoint_id)),
            "endpoint": _s(json.dumps(asdict(e), separators=(",", ":"))), "enabled": {"BOOL": e.enabled}}


def _endpoint(item: dict[str, Any]) -> Endpoint:
    data = json.loads(item["endpoint"]["S"])
    return Endpoint(**{**data, "event_types": tuple(data["event_types"])})


def _delivery_key(broker_id: str, endpoint_id: str, created: str, event_id: str) -> dict[str, Any]:
    return {"PK": _s(keys.deliveries_pk(broker_id, endpoint_id)), "SK": _s(keys.delivery_sk(created, event_id))}


def _delivery_item(delivery: Delivery) -> dict[str, Any]:
    """The log line, kept 30 days after its event (the table's TTL removes it then)."""
    expires = parse_iso(delivery.created) + DELIVERY_LOG_KEPT
    return {**_delivery_key(delivery.broker_id, delivery.endpoint_id, delivery.created, delivery.event_id),
            "delivery": _s(json.dumps(asdict(delivery), separators=(",", ":"))),
            "attempts": {"N": str(delivery.attempts)}, "expires_at": {"N": str(int(expires.timestamp()))}}


def _delivery(item: dict[str, Any]) -> Delivery:
    return Delivery(**json.loads(item["delivery"]["S"]))


class DynamoWebhookStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    # --- endpoints -----------------------------------------------------------------------------

    def add_endpoint(self, endpoint: Endpoint) -> None:
        self._db.put_item(TableName=self._table, Item=_endpoint_item(endpoint),
                          ConditionExpression="attribute_not_exists(PK)")

    def replace_endpoint(self, endpoint: Endpoint, *, only_if_enabled: bool = False) -> bool:
        """Store the endpoint's new settings; False when it is gone (or, asked, already disabled)."""
        condition = "attribute_exists(PK)"
        values: dict[str, Any] = {}
        if only_if_enabled:
            condition += " AND enabled = :enabled"
            values[":enabled"] = {"BOOL": True}
        try:
            self._db.put_item(TableName=self._table, Item=_endpoint_item(endpoint), ConditionExpression=condition,
                              **({"ExpressionAttributeValues": values} if values else {}))
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get_endpoint(self, broker_id: str, endpoint_id: str) -> Endpoint:
        item = self._db.get_item(TableName=self._table, ConsistentRead=True, Key={
            "PK": _s(keys.broker_pk(broker_id)), "SK": _s(keys.webhook_sk(endpoint_id))}).get("Item")
        if item is None:
            raise NotFound("no such webhook endpoint", "endpoint_id")
        return _endpoint(item)

    def list_endpoints(self, broker_id: str) -> list[Endpoint]:
        kwargs: dict[str, Any] = {
            "TableName": self._table, "ConsistentRead": True,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {":pk": _s(keys.broker_pk(broker_id)), ":prefix": _s(keys.WEBHOOK_PREFIX)}}
        found: list[Endpoint] = []
        while True:
            page = self._db.query(**kwargs)
            found += [_endpoint(i) for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return sorted(found, key=lambda e: (e.created_at, e.endpoint_id))
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def delete_endpoint(self, broker_id: str, endpoint_id: str) -> None:
        try:
            self._db.delete_item(TableName=self._table, ConditionExpression="attribute_exists(PK)", Key={
                "PK": _s(keys.broker_pk(broker_id)), "SK": _s(keys.webhook_sk(endpoint_id))})
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NotFound("no such webhook endpoint", "endpoint_id") from exc
            raise

    # --- outbox ----------------------------------------------------------------------------------

    def add_to_outbox(self, event: dict[str, Any], only_endpoint: str | None = None,
                      expires_epoch: int | None = None) -> bool:
        """A broker-level event (or a test event): its own transaction, with a marker of its id, so the same
        event emitted again (a retried import) is not sent twice. False: it was emitted before."""
        marker: dict[str, Any] = {**{k: _s(v) for k, v in keys.emitted_key(event["broker_id"], event["id"]).items()}}
        if expires_epoch is not None:
            marker["expires_at"] = {"N": str(expires_epoch)}
        try:
            self._db.transact_write_items(TransactItems=[
                {"Put": {"TableName": self._table, "Item": marker, "ConditionExpression": "attribute_not_exists(PK)"}},
                {"Put": {"TableName": self._table, "Item": outbox_item(event, only_endpoint)}}])
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                return False
            raise
        return True

    def outbox(self, shard: str, limit: int = 100) -> list[tuple[dict[str, Any], str | None, dict[str, Any]]]:
        """Waiting events of one shard, oldest first: (event, endpoint it is only for, key to remove it)."""
        items = self._db.query(TableName=self._table, ConsistentRead=True, Limit=limit,
                               KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": _s(shard)},
                               )["Items"]
        return [(json.loads(i["event"]["S"]), i.get("endpoint_id", {}).get("S"), {"PK": i["PK"], "SK": i["SK"]})
                for i in items]

    def remove_from_outbox(self, key: dict[str, Any]) -> None:
        self._db.delete_item(TableName=self._table, Key=key)

    # --- deliveries -----------------------------------------------------------------------------

    def start_delivery(self, delivery: Delivery) -> Delivery:
        """Record a delivery unless it exists (the relay ran again): the stored one either way."""
        try:
            self._db.put_item(TableName=self._table, ConditionExpression="attribute_not_exists(PK)",
                              Item=_delivery_item(delivery))
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            stored = self.get_delivery(delivery.broker_id, delivery.endpoint_id, delivery.created, delivery.event_id)
            return stored or delivery
        return delivery

    def get_delivery(self, broker_id: str, endpoint_id: str, created: str, event_id: str) -> Delivery | None:
        item = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                 Key=_delivery_key(broker_id, endpoint_id, created, event_id)).get("Item")
        return _delivery(item) if item else None

    def record_attempt(self, delivery: Delivery, seen_attempts: int) -> bool:
        """Store an attempt's outcome, unless another worker recorded one since `seen_attempts`."""
        try:
            self._db.put_item(TableName=self._table, Item=_delivery_item(delivery),
                              ConditionExpression="attempts = :seen",
                              ExpressionAttributeValues={":seen": {"N": str(seen_attempts)}})
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def deliveries(self, broker_id: str, endpoint_id: str, limit: int,
                   cursor: str | None) -> tuple[list[Delivery], str | None]:
        """The delivery log, newest first."""
        pk = keys.deliveries_pk(broker_id, endpoint_id)
        kwargs: dict[str, Any] = {"TableName": self._table, "ScanIndexForward": False, "Limit": limit,
                                  "KeyConditionExpression": "PK = :pk",
                                  "ExpressionAttributeValues": {":pk": _s(pk)}}
        if cursor:
            kwargs["ExclusiveStartKey"] = {"PK": _s(pk), "SK": _s(_decode(cursor))}
        page = self._db.query(**kwargs)
        last = page.get("LastEvaluatedKey")
        return [_delivery(i) for i in page["Items"]], _encode(last["SK"]["S"]) if last else None


def _encode(sk: str) -> str:
    return base64.urlsafe_b64encode(sk.encode()).decode()


def _decode(cursor: str) -> str:
    try:
        sk = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, binascii.Error) as exc:
        raise InvalidInput("cursor is not valid for this listing", "cursor") from exc
    if not sk.startswith(keys.DELIVERY_PREFIX):
        raise InvalidInput("cursor is not valid for this listing", "cursor")
    return sk


"""The case store on one DynamoDB table. Only this module maps items to and from domain objects."""
from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
from dataclasses import fields, is_dataclass
from datetime import date
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from botocore.exceptions import ClientError

from chalicelib.adapters import keys
from chalicelib.adapters.anchors import S3Anchors, anchor_changes
from chalicelib.adapters.case_index import index_attributes
from chalicelib.adapters.report_counters import report_updates
from chalicelib.adapters.webhook_store import outbox_puts
from chalicelib.domain.cases import Case, Change
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound, VersionConflict
from chalicelib.domain.history import Event
from chalicelib.ports import ApiKey, Broker

log = logging.getLogger(__name__)

INDEX_BY_BROKER = "by_broker"
INDEX_BY_STATUS = "by_status"
INDEX_BY_NEXT_ACTION = "by_next_action"
SETTINGS = ("phone", "reply_to", "sender_name")  # the broker's optional contact details, in Broker's order


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _plain(value: Any) -> Any:
    """Domain values -> JSON-able: dataclasses to dicts, dates to ISO text, tuples to lists."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _build(hint: Any, value: Any) -> Any:
    """JSON-able -> domain values, guided by the dataclass type hints (nested, optional, tuples)."""
    if value is None:
        return None
    origin = get_origin(hint)
    if origin in (Union, UnionType):
        options = [h for h in get_args(hint) if h is not type(None)]
        return _build(options[0], value) if len(options) == 1 else value
    if origin is tuple:
        item_hint = get_args(hint)[0]
        return tuple(_build(item_hint, v) for v in value)
    if origin is dict:
        _, value_hint = get_args(hint)
        return {k: _build(value_hint, v) for k, v in value.items()}
    if hint is date:
        return date.fromisoformat(value)
    if isinstance(hint, type) and is_dataclass(hint):
        hints = _field_hints(hint)
        return hint(**{k: _build(hints[k], v) for k, v in value.items() if k in hints})
    return value


@functools.cache
def _field_hints(cls: type) -> dict[str, Any]:
    """A dataclass's fields and their resolved hints: resolving evaluates the annotations' text, which cost
    a case read more than the rest of building the case."""
    hints = get_type_hints(cls)
    return {f.name: hints[f.name] for f in fields(cls)}


def case_state(case: Case) -> dict[str, Any]:
    return _plain(case)


def case_from_state(state: dict[str, Any]) -> Case:
    return _build(Case, state)


def case_item(case: Case) -> dict[str, Any]:
    item: dict[str, Any] = {
        "PK": _s(keys.case_pk(case.broker_id, case.case_id)),
        "SK": _s(keys.CASE_SK),
        "version": _n(case.version),
        "status": _s(case.status),
        "state": _s(json.dumps(case_state(case), separators=(",", ":"))),
        "ListPK": _s(keys.cases_by_broker(case.broker_id)),
        "ListSK": _s(keys.listing_sk(case.created_at, case.case_id)),
        "StatusPK": _s(keys.cases_by_broker(case.broker_id, case.status)),
        "StatusSK": _s(keys.listing_sk(case.created_at, case.case_id)),
    }
    if case.next_action_at:  # sparse: only cases with work ahead are in the sweep index
        item["SweepPK"] = _s(keys.sweep_pk(keys.sweep_shard(case.case_id)))
        item["SweepSK"] = _s(keys.sweep_sk(case.next_action_at, case.broker_id, case.case_id))
    item.update(index_attributes(case))  # the console's listing orders and its attention list
    return item


def event_item(broker_id: str, case_id: str, event: Event) -> dict[str, Any]:
    return {
        "PK": _s(keys.case_pk(broker_id, case_id)),
        "SK": _s(keys.event_sk(event.seq)),
        "seq": _n(event.seq),
        "type": _s(event.type),
        "at": _s(event.at),
        "actor": _s(event.actor),
        # JSON text, not a DynamoDB map: the hash is over exact values, and maps would turn ints into Decimals.
        "data": _s(json.dumps(event.data, separators=(",", ":"), ensure_ascii=False)),
        "prev_hash": _s(event.prev_hash),
        "hash": _s(event.hash),
        **({"by": _s(json.dumps(event.by, separators=(",", ":"), ensure_ascii=False))} if event.by else {}),
    }


def _api_key_item(broker_id: str, key_hash: str, created_at: str, name: str | None,
                  hint: str | None) -> dict[str, Any]:
    item = {"PK": _s(keys.broker_pk(broker_id)), "SK": _s(keys.api_key_sk(key_hash)), "created_at": _s(created_at)}
    item.update({k: _s(v) for k, v in (("name", name), ("hint", hint)) if v})
    return item


def _api_key(item: dict[str, Any]) -> ApiKey:
    return ApiKey(item["SK"]["S"].removeprefix(keys.api_key_sk("")), item["created_at"]["S"],
                  *(item.get(k, {}).get("S") for k in ("name", "hint", "last_used_at")))


def event_from_item(item: dict[str, Any]) -> Event:
    return Event(
        seq=int(item["seq"]["N"]), type=item["type"]["S"], at=item["at"]["S"], actor=item["actor"]["S"],
        data=json.loads(item["data"]["S"]), prev_hash=item["prev_hash"]["S"], hash=item["hash"]["S"],
        by=json.loads(item["by"]["S"]) if "by" in item else None,
    )


def _encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def _decode_cursor(cursor: str, partition: str, pk_name: str) -> dict[str, Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        # Exactly the key attributes an index page ends on (table key + index key), all non-empty strings:
        # anything else would reach DynamoDB as a ValidationException, a 500 instead of a 400.
        sk_name = pk_name.removesuffix("PK") + "SK"
        ok = (isinstance(key, dict) and key.get(pk_name) == {"S": partition}
              and set(key) == {"PK", "SK", pk_name, sk_name}
              and all(isinstance(v, dict) and list(v) == ["S"] and isinstance(v["S"], str) and v["S"]
                      for v in key.values()))
    except (ValueError, binascii.Error, RecursionError):  # RecursionError: a cursor of nested brackets
        ok = False
    if not ok:  # a cursor only ever continues the same broker's listing
        raise InvalidInput("cursor is not valid for this listing", "cursor")
    return key


class DynamoStore:
    """CaseStore and BrokerStore on one table. Every change is one TransactWriteItems."""

    def __init__(self, client: Any, table_name: str, anchors: S3Anchors | None = None) -> None:
        self._db = client
        self._table = table_name
        self._anchors = anchors

    # --- cases ---------------------------------------------------------------------------------

    def load(self, broker_id: str, case_id: str) -> tuple[Case, list[Event]]:
        """The case and its whole timeline: one Query on the shared partition."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": _s(keys.case_pk(broker_id, case_id))},
        }
        while True:
            page = self._db.query(**kwargs)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        case_items = [i for i in items if i["SK"]["S"] == keys.CASE_SK]
        if not case_items:
            raise NotFound("no such case", "case_id")
        case = case_from_state(json.loads(case_items[0]["state"]["S"]))
        events = [event_from_item(i) for i in items if i["SK"]["S"].startswith(keys.EVENT_PREFIX)]
        return case, events

    def load_page(self, broker_id: str, case_id: str, *, before: int | None,
                  limit: int) -> tuple[Case, list[Event], int | None]:
        """The case and one page of its timeline, newest first from the end of the partition: one Query
        when the whole history fits in the page (the case item sorts before every event), else a Query
        and a GetItem, however long the history."""
        pk = _s(keys.case_pk(broker_id, case_id))
        kwargs: dict[str, Any] = {"TableName": self._table, "KeyConditionExpression": "PK = :pk",
                                  "ExpressionAttributeValues": {":pk": pk}, "ScanIndexForward": False,
                                  "Limit": limit + 1, "ConsistentRead": True}
        if before is not None:
            kwargs["KeyConditionExpression"] = "PK = :pk AND SK BETWEEN :first AND :last"
            kwargs["ExpressionAttributeValues"].update({":first": _s(keys.event_sk(0)),
                                                        ":last": _s(keys.event_sk(max(before - 1, 0)))})
        items = self._db.query(**kwargs)["Items"]
        case_item = next((i for i in items if i["SK"]["S"] == keys.CASE_SK), None)
        if case_item is None:
            case_item = self._db.get_item(TableName=self._table, Key={"PK": pk, "SK": _s(keys.CASE_SK)},
                                          ConsistentRead=True).get("Item")
        if case_item is None:
            raise NotFound("no such case", "case_id")
        events = sorted((event_from_item(i) for i in items if i["SK"]["S"].startswith(keys.EVENT_PREFIX)),
                        key=lambda e: e.seq)[-limit:]
        older = events[0].seq if events and events[0].seq > 1 else None
        return case_from_state(json.loads(case_item["state"]["S"])), events, older

    def save(self, change: Change, *, unique: dict[str, dict[str, Any]] | None = None) -> None:
        """Store the new case state and its events atomically.

        `unique` maps a name to an extra item that must not exist yet (invoice number, idempotency
        key): the whole change fails with a Conflict naming it if any does.
        """
        unique = unique or {}
        case = change.case
        if change.is_new:
            case_put = {"Put": {"TableName": self._table, "Item": case_item(case),
                                "ConditionExpression": "attribute_not_exists(PK)"}}
        else:
            case_put = {"Put": {
                "TableName": self._table, "Item": case_item(case),
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeValues": {":expected": _n(change.expected_version)},
            }}
        actions: list[dict[str, Any]] = [case_put]
        for event in change.events:
            actions.append({"Put": {"TableName": self._table,
                                    "Item": event_item(case.broker_id, case.case_id, event),
                                    "ConditionExpression": "attribute_not_exists(PK)"}})
        # The webhook events of this change, in its transaction: stored with it, or not at all. Before the
        # unique items, whose cancellation reasons _translate reads from the end.
        actions += outbox_puts(self._table, [change])
        actions += report_updates(self._table, [change])  # the broker's report counters move with the case
        for item in unique.values():
            actions.append({"Put": {"TableName": self._table, "Item": item,
                                    "ConditionExpression": "attribute_not_exists(PK)"}})
        try:
            self._db.transact_write_items(TransactItems=actions)
        except ClientError as exc:
            raise self._translate(exc, list(unique)) from exc
        anchor_changes(self._anchors, [change])

    @staticmethod
    def _translate(exc: ClientError, unique_names: list[str]) -> Exception:
        """The one place where DynamoDB's cancellation reasons become the project's errors."""
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            return exc
        reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
        unique_reasons = reasons[len(reasons) - len(unique_names):] if unique_names else []
        for name, reason in zip(unique_names, unique_reasons, strict=False):
            if reason == "ConditionalCheckFailed":
                return Conflict(f"{name} already exists", name, code="duplicate")
        if "ConditionalCheckFailed" in reasons:  # the case version, or an event seq someone else took
            return VersionConflict("the case was changed by someone else; try again")
        if any(r == "TransactionConflict" for r in reasons) or not reasons:
            return VersionConflict("the case is being changed by someone else; try again")
        return exc

    def list_cases(self, broker_id: str, *, status: str | None, limit: int,
                   cursor: str | None) -> tuple[list[Case], str | None]:
        index, pk_name = (INDEX_BY_BROKER, "ListPK") if status is None else (INDEX_BY_STATUS, "StatusPK")
        partition = keys.cases_by_broker(broker_id, status)
        kwargs: dict[str, Any] = {
            "TableName": self._table, "IndexName": index, "Limit": limit, "ScanIndexForward": False,
            "KeyConditionExpression": f"{pk_name} = :pk", "ExpressionAttributeValues": {":pk": _s(partition)},
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = _decode_cursor(cursor, partition, pk_name)
        page = self._db.query(**kwargs)
        cases = [case_from_state(json.loads(i["state"]["S"])) for i in page["Items"]]
        last = page.get("LastEvaluatedKey")
        return cases, _encode_cursor(last) if last else None

    # --- uniqueness helpers --------------------------------------------------------------------

    def invoice_item(self, broker_id: str, number: str, case_id: str) -> dict[str, Any]:
        key = keys.invoice_key(broker_id, number)
        return {"PK": _s(key["PK"]), "SK": _s(key["SK"]), "case_id": _s(case_id)}

    def idempotency_item(self, broker_id: str, key: str, request_hash: str, case_id: str,
                         expires_epoch: int) -> dict[str, Any]:
        k = keys.idempotency_key(broker_id, key)
        return {"PK": _s(k["PK"]), "SK": _s(k["SK"]), "request_hash": _s(request_hash),
                "case_id": _s(case_id), "expires_at": _n(expires_epoch)}

    def stripe_event_item(self, broker_id: str, event_id: str, event_type: str, case_id: str,
                          expires_epoch: int) -> dict[str, Any]:
        k = keys.stripe_event_key(broker_id, event_id)
        return {"PK": _s(k["PK"]), "SK": _s(k["SK"]), "type": _s(event_type), "case_id": _s(case_id),
                "expires_at": _n(expires_epoch)}

    def get_idempotency(self, broker_id: str, key: str) -> tuple[str, str] | None:
        k = keys.idempotency_key(broker_id, key)
        item = self._db.get_item(TableName=self._table, Key={"PK": _s(k["PK"]), "SK": _s(k["SK"])},
                                 ConsistentRead=True).get("Item")
        return (item["request_hash"]["S"], item["case_id"]["S"]) if item else None

    # --- brokers -------------------------------------------------------------------------------

    def put_broker(self, broker: Broker, key_hash: str, created_at: str, key_name: str | None = None,
                   key_hint: str | None = None) -> None:
        pk = _s(keys.broker_pk(broker.broker_id))
        profile = {"PK": pk, "SK": _s(keys.PROFILE_SK), "name": _s(broker.name), "created_at": _s(created_at)}
        if broker.email:
            profile["email"] = _s(broker.email)
        if broker.locale != "en":
            profile["locale"] = _s(broker.locale)
        self._db.transact_write_items(TransactItems=[
            {"Put": {"TableName": self._table, "Item": profile, "ConditionExpression": "attribute_not_exists(PK)"}},
            {"Put": {"TableName": self._table,
                     "Item": _api_key_item(broker.broker_id, key_hash, created_at, key_name, key_hint)}},
        ])

    def get_broker(self, broker_id: str) -> Broker:
        item = self._db.get_item(TableName=self._table,
                                 Key={"PK": _s(keys.broker_pk(broker_id)), "SK": _s(keys.PROFILE_SK)}).get("Item")
        if not item:
            raise NotFound("no such broker", "broker_id")
        return Broker(broker_id, item["name"]["S"], item.get("email", {}).get("S"),
                      item.get("locale", {}).get("S", "en"), *(item.get(k, {}).get("S") for k in SETTINGS))

    def add_api_key(self, broker_id: str, key_hash: str, created_at: str, name: str | None = None,
                    hint: str | None = None) -> None:
        self._db.put_item(TableName=self._table, Item=_api_key_item(broker_id, key_hash, created_at, name, hint))

    def api_key(self, broker_id: str, key_hash: str) -> ApiKey | None:
        item = self._db.get_item(
            TableName=self._table,
            Key={"PK": _s(keys.broker_pk(broker_id)), "SK": _s(keys.api_key_sk(key_hash))},
        ).get("Item")
        return _api_key(item) if item else None

    def api_keys(self, broker_id: str) -> list[ApiKey]:
        pages = self._db.get_paginator("query").paginate(
            TableName=self._table, KeyConditionExpression="PK = :pk AND begins_with(SK, :sk)",
            ExpressionAttributeValues={":pk": _s(keys.broker_pk(broker_id)), ":sk": _s(keys.api_key_sk(""))})
        return [_api_key(item) for page in pages for item in page.get("Items", [])]

    def note_api_key_use(self, broker_id: str, key_hash: str, at: str, unless_since: str) -> None:
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"PK": _s(keys.broker_pk(broker_id)), "SK": _s(keys.api_key_sk(key_hash))},
                UpdateExpression="SET last_used_at = :at",
                # Never brings a revoked key's item back, and many Lambdas starting at once write it once.
                ConditionExpression="attribute_exists(PK) AND (attribute_not_exists(last_used_at) "
                                    "OR last_used_at < :since)",
                ExpressionAttributeValues={":at": _s(at), ":since": _s(unless_since)})
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def delete_api_key(self, broker_id: str, key_hash: str) -> bool:
        try:
            self._db.delete_item(
                TableName=self._table,
                Key={"PK": _s(keys.broker_pk(broker_id)), "SK": _s(keys.api_key_sk(key_hash))},
                ConditionExpression="attribute_exists(PK)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

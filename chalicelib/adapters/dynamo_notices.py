"""Broker notifications on the single table.

    BROKER#<b>            NOTIFICATIONS            the preferences (JSON) and the digest's schedule key
    BROKER#<b>#NOTICES    LOG#<at>#<case>#<seq>    every notice (sent, held for the digest, off, failed) and
                                                   every payment received, with the provider's message id
                          PROMISE#<pay_by>#<case>  a promise to pay, found by its date
                          DIGEST#<due at>          one digest: claimed, then its message id
    DIGEST_DUE            <next at>#<b>            when each broker's digest is next due (the hourly run
                                                   reads only the items due; never a Scan)

So a broker's digest is three Queries on its own log partition, whatever the number of cases.
"""
from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import keys
from chalicelib.adapters.dynamo import INDEX_BY_NEXT_ACTION, case_from_state
from chalicelib.domain.cases import Case
from chalicelib.domain.errors import Conflict
from chalicelib.domain.notifications import LogEntry


def _s(value: str) -> dict[str, str]:
    return {"S": value}


class DynamoNoticeStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    # --- preferences --------------------------------------------------------------------------------

    def preferences(self, broker_id: str) -> tuple[dict[str, Any], str] | None:
        """(body, updated_at) as last stored, or None when the broker never set any."""
        item = self._db.get_item(TableName=self._table, ConsistentRead=True, Key=self._prefs_key(broker_id)).get("Item")
        return (json.loads(item["prefs"]["S"]), item["updated_at"]["S"]) if item else None

    def save_preferences(self, broker_id: str, body: dict[str, Any], updated_at: str, digest_at: str | None,
                         previous: str | None) -> None:
        """Store the preferences and move the digest's schedule with them, in one transaction.

        `previous` is the updated_at the caller read (None: none stored); a writer in between is a Conflict."""
        old = self._db.get_item(TableName=self._table, ConsistentRead=True, Key=self._prefs_key(broker_id)).get("Item")
        old_due = old.get("due_sk", {}).get("S") if old else None
        due = keys.digest_due_sk(digest_at, broker_id) if digest_at else None
        item = {**self._prefs_key(broker_id), "prefs": _s(json.dumps(body, separators=(",", ":"), sort_keys=True)),
                "updated_at": _s(updated_at)}
        if due:
            item["due_sk"] = _s(due)
        put: dict[str, Any] = {"TableName": self._table, "Item": item}
        if previous is None:
            put["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            put.update(ConditionExpression="updated_at = :previous",
                       ExpressionAttributeValues={":previous": _s(previous)})
        actions: list[dict[str, Any]] = [{"Put": put}]
        if old_due and old_due != due:
            actions.append({"Delete": {"TableName": self._table, "Key": self._due_key(old_due)}})
        if due and due != old_due:
            actions.append({"Put": {"TableName": self._table,
                                    "Item": {**self._due_key(due), "broker_id": _s(broker_id)}}})
        try:
            self._db.transact_write_items(TransactItems=actions)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                raise Conflict("the preferences changed meanwhile; read them and try again", "body",
                               code="version_conflict") from exc
            raise

    # --- the log --------------------------------------------------------------------------------------

    def log(self, broker_id: str, entry: LogEntry) -> None:
        item: dict[str, Any] = {"PK": _s(keys.notice_log_pk(broker_id)),
                                "SK": _s(keys.notice_log_sk(entry.at, entry.ref)), "kind": _s(entry.kind),
                                "delivery": _s(entry.delivery), "at": _s(entry.at)}
        if entry.case_id:
            item["case_id"] = _s(entry.case_id)
        if entry.message_id:
            item["message_id"] = _s(entry.message_id)
        if entry.data:
            item["data"] = _s(json.dumps(entry.data, separators=(",", ":"), sort_keys=True))
        self._db.put_item(TableName=self._table, Item=item)

    def entries(self, broker_id: str, since: str, until: str) -> list[LogEntry]:
        """Log entries with since <= at < until, oldest first."""
        items = self._query(keys.notice_log_pk(broker_id), f"LOG#{since}", f"LOG#{until}")
        return [self._entry(i) for i in items]

    @staticmethod
    def _entry(item: dict[str, Any]) -> LogEntry:
        return LogEntry(at=item["at"]["S"], ref=item["SK"]["S"].split("#", 2)[2], kind=item["kind"]["S"],
                        delivery=item["delivery"]["S"], case_id=item.get("case_id", {}).get("S"),
                        message_id=item.get("message_id", {}).get("S"),
                        data=json.loads(item["data"]["S"]) if "data" in item else None)

    def recent(self, broker_id: str, limit: int, after: str | None) -> tuple[list[LogEntry], str | None]:
        """The newest `limit` log entries, older than the entry keyed `after`; and the key to go on from."""
        kwargs: dict[str, Any] = {
            "TableName": self._table, "KeyConditionExpression": "PK = :pk AND begins_with(SK, :log)",
            "ExpressionAttributeValues": {":pk": _s(keys.notice_log_pk(broker_id)), ":log": _s("LOG#")},
            "ScanIndexForward": False, "Limit": limit}
        if after:
            kwargs["ExclusiveStartKey"] = {"PK": _s(keys.notice_log_pk(broker_id)), "SK": _s(after)}
        page = self._db.query(**kwargs)
        last = page.get("LastEvaluatedKey")
        return [self._entry(i) for i in page["Items"]], last["SK"]["S"] if last else None

    def add_promise(self, broker_id: str, pay_by: str, case_id: str, data: dict[str, Any]) -> None:
        self._db.put_item(TableName=self._table, Item={
            "PK": _s(keys.notice_log_pk(broker_id)), "SK": _s(keys.promise_sk(pay_by, case_id)),
            "data": _s(json.dumps({**data, "case_id": case_id, "pay_by": pay_by}, separators=(",", ":")))})

    def promises(self, broker_id: str, first: str, last: str) -> list[dict[str, Any]]:
        """Promises to pay due on the days first..last (YYYY-MM-DD, both included)."""
        items = self._query(keys.notice_log_pk(broker_id), f"PROMISE#{first}", f"PROMISE#{last}$")
        return [json.loads(i["data"]["S"]) for i in items]

    # --- the digest ------------------------------------------------------------------------------------

    def due_digests(self, now: str) -> list[tuple[str, str]]:
        """(broker id, schedule key) of every digest due at `now`: one Query of the due items only."""
        items = self._query(keys.DIGEST_DUE_PK, "", keys.sweep_bound(now))
        return [(i["broker_id"]["S"], i["SK"]["S"]) for i in items]

    def claim_digest(self, broker_id: str, due_sk: str, next_at: str) -> str | None:
        """Take the digest due at `due_sk` and schedule the next one: its due time, or None when another
        run took it (or the preferences moved it meanwhile)."""
        due_at = due_sk.split("#", 1)[0]
        nxt = keys.digest_due_sk(next_at, broker_id)
        try:
            self._db.transact_write_items(TransactItems=[
                {"Delete": {"TableName": self._table, "Key": self._due_key(due_sk),
                            "ConditionExpression": "attribute_exists(PK)"}},
                {"Put": {"TableName": self._table, "Item": {**self._due_key(nxt), "broker_id": _s(broker_id)}}},
                {"Update": {"TableName": self._table, "Key": self._prefs_key(broker_id),
                            "UpdateExpression": "SET due_sk = :next", "ConditionExpression": "due_sk = :due",
                            "ExpressionAttributeValues": {":next": _s(nxt), ":due": _s(due_sk)}}},
                {"Put": {"TableName": self._table, "ConditionExpression": "attribute_not_exists(PK)", "Item": {
                    "PK": _s(keys.notice_log_pk(broker_id)), "SK": _s(keys.digest_sent_sk(due_at)),
                    "status": _s("claimed")}}},
            ])
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                return None
            raise
        return due_at

    def digest_sent(self, broker_id: str, due_at: str, message_id: str | None) -> None:
        self._db.update_item(
            TableName=self._table, UpdateExpression="SET #s = :s, message_id = :m",
            Key={"PK": _s(keys.notice_log_pk(broker_id)), "SK": _s(keys.digest_sent_sk(due_at))},
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": _s("sent" if message_id else "failed"), ":m": _s(message_id or "")})

    def upcoming(self, start: str, end: str) -> dict[str, list[Case]]:
        """Cases whose next action falls in [start, end), by broker: a range of the sweep's own index."""
        found: dict[str, list[Case]] = {}
        for shard in range(keys.SWEEP_SHARDS):
            kwargs: dict[str, Any] = {
                "TableName": self._table, "IndexName": INDEX_BY_NEXT_ACTION,
                "KeyConditionExpression": "SweepPK = :pk AND SweepSK BETWEEN :start AND :end",
                "ExpressionAttributeValues": {":pk": _s(keys.sweep_pk(shard)), ":start": _s(start),
                                              ":end": _s(keys.sweep_bound(end))}}
            while True:
                page = self._db.query(**kwargs)
                for item in page["Items"]:
                    if "state" in item:
                        case = case_from_state(json.loads(item["state"]["S"]))
                        found.setdefault(case.broker_id, []).append(case)
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found

    # --- helpers -----------------------------------------------------------------------------------------

    def _query(self, pk: str, low: str, high: str) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self._table, "KeyConditionExpression": "PK = :pk AND SK BETWEEN :low AND :high",
            "ExpressionAttributeValues": {":pk": _s(pk), ":low": _s(low or " "), ":high": _s(high)}}
        items: list[dict[str, Any]] = []
        while True:
            page = self._db.query(**kwargs)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    @staticmethod
    def _prefs_key(broker_id: str) -> dict[str, Any]:
        return {"PK": _s(keys.broker_pk(broker_id)), "SK": _s(keys.NOTIFICATIONS_SK)}

    @staticmethod
    def _due_key(sk: str) -> dict[str, Any]:
        return {"PK": _s(keys.DIGEST_DUE_PK), "SK": _s(sk)}

"""Small behavioural fakes of our ports. tests/integration/test_dynamo_store.py runs the same contract
against each fake and its real adapter, so a fake cannot quietly drift from what production does."""
from __future__ import annotations

import base64
import binascii
import copy
import json
import threading
from typing import Any

from chalicelib.adapters import keys
from chalicelib.domain.cases import Case, Change
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound, VersionConflict
from chalicelib.domain.history import Event


class InMemoryCaseStore:
    """CaseStore in dictionaries, with DynamoStore's semantics: a change is all-or-nothing, the case
    is conditioned on its version, events are append-only, `unique` items must not exist yet, and a
    listing is newest first with an opaque cursor that only continues the same broker's listing."""

    def __init__(self) -> None:
        self._cases: dict[tuple[str, str], Case] = {}
        self._events: dict[tuple[str, str], dict[int, Event]] = {}
        self._items: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def load(self, broker_id: str, case_id: str) -> tuple[Case, list[Event]]:
        with self._lock:
            case = self._cases.get((broker_id, case_id))
            if case is None:
                raise NotFound("no such case", "case_id")
            events = self._events.get((broker_id, case_id), {})
            return case, [events[seq] for seq in sorted(events)]

    def load_page(self, broker_id: str, case_id: str, *, before: int | None,
                  limit: int) -> tuple[Case, list[Event], int | None]:
        case, events = self.load(broker_id, case_id)
        events = [e for e in events if before is None or e.seq < before][-limit:]
        return case, events, events[0].seq if events and events[0].seq > 1 else None

    def save(self, change: Change, *, unique: dict[str, dict[str, Any]] | None = None) -> None:
        unique = unique or {}
        case = change.case
        key = (case.broker_id, case.case_id)
        with self._lock:
            for name, item in unique.items():
                if (item["PK"], item["SK"]) in self._items:
                    raise Conflict(f"{name} already exists", name, code="duplicate")
            current = self._cases.get(key)
            stored_version = 0 if current is None else current.version
            if (current is not None and change.is_new) or stored_version != change.expected_version:
                raise VersionConflict("the case was changed by someone else; try again")
            events = self._events.setdefault(key, {})
            if any(event.seq in events for event in change.events):
                raise Conflict("an event with this sequence is already stored", "seq")
            self._cases[key] = case
            for event in change.events:
                events[event.seq] = copy.deepcopy(event)
            for item in unique.values():
                self._items[(item["PK"], item["SK"])] = dict(item)

    def list_cases(self, broker_id: str, *, status: str | None, limit: int,
                   cursor: str | None) -> tuple[list[Case], str | None]:
        partition = keys.cases_by_broker(broker_id, status)
        with self._lock:
            rows = sorted(
                ((keys.listing_sk(c.created_at, c.case_id), c) for (b, _), c in self._cases.items()
                 if b == broker_id and (status is None or c.status == status)),
                key=lambda row: row[0], reverse=True,
            )
        if cursor:
            after = _decode_cursor(cursor, partition)
            rows = [row for row in rows if row[0] < after]
        page = rows[:limit]
        more = len(rows) > limit
        return [c for _, c in page], _encode_cursor(partition, page[-1][0]) if more else None

    def invoice_item(self, broker_id: str, number: str, case_id: str) -> dict[str, Any]:
        return {**keys.invoice_key(broker_id, number), "case_id": case_id}

    def idempotency_item(self, broker_id: str, key: str, request_hash: str, case_id: str,
                         expires_epoch: int) -> dict[str, Any]:
        return {**keys.idempotency_key(broker_id, key), "request_hash": request_hash, "case_id": case_id,
                "expires_at": expires_epoch}

    def get_idempotency(self, broker_id: str, key: str) -> tuple[str, str] | None:
        k = keys.idempotency_key(broker_id, key)
        with self._lock:
            item = self._items.get((k["PK"], k["SK"]))
        return (item["request_hash"], item["case_id"]) if item else None


def _encode_cursor(partition: str, last_sort_key: str) -> str:
    raw = json.dumps({"p": partition, "k": last_sort_key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_cursor(cursor: str, partition: str) -> str:
    try:
        body = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        ok = isinstance(body, dict) and body.get("p") == partition and isinstance(body.get("k"), str)
    except (ValueError, binascii.Error):
        ok = False
    if not ok:
        raise InvalidInput("cursor is not valid for this listing", "cursor")
    return str(body["k"])

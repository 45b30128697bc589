"""Outbound webhooks: which history events brokers hear about, the payload and the retry schedule.
Pure: no clock reads, no I/O. Signatures and the addresses a delivery may reach: webhook_security.py.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.webhook_types import BROKER_EVENT_TYPES as BROKER_EVENT_TYPES
from chalicelib.domain.webhook_types import CASE_EVENT_TYPES as CASE_EVENT_TYPES
from chalicelib.domain.webhook_types import EVENT_TYPES as EVENT_TYPES
from chalicelib.domain.webhook_types import TEST_TYPE as TEST_TYPE

# Retries: exponential from 30 s, doubling up to 6 h between attempts, each with jitter, for 3 days.
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=6)
RETRY_WINDOW = timedelta(days=3)
SQS_MAX_DELAY_SECONDS = 900  # a longer wait is chained: the message comes back early and waits again


def event_id(broker_id: str, source: str, number: int | str) -> str:
    """The same id whenever the same change is relayed again: receivers deduplicate on it."""
    digest = hashlib.sha256(f"{broker_id}\x00{source}\x00{number}".encode()).hexdigest()
    return f"evt_{digest[:32]}"


def case_event(broker_id: str, case: Any, event: Any) -> dict[str, Any] | None:
    """The webhook event for one history event of a case, or None when brokers do not hear about its kind."""
    type_ = CASE_EVENT_TYPES.get(event.type)
    if type_ is None:
        return None
    return {
        "id": event_id(broker_id, case.case_id, event.seq), "type": type_, "created": event.at,
        "broker_id": broker_id,
        "data": {
            "case_id": case.case_id, "invoice_number": case.invoice.number, "status": case.status,
            "balance": {"due": case.balance.due, "paid": case.balance.paid, "currency": case.balance.currency},
            "event": {"seq": event.seq, "kind": event.type, "actor": event.actor, "data": event.data},
        },
    }


def broker_event(broker_id: str, type_: str, data: dict[str, Any], at: str, key: str) -> dict[str, Any]:
    """A broker-level event (an import finished); `key` names the thing it is about, once per type."""
    return {"id": event_id(broker_id, type_, key), "type": type_, "created": at, "broker_id": broker_id,
            "data": data}


def body_of(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()


# --- retries ----------------------------------------------------------------------------------------

def retry_delay(attempts: int, jitter: float, scale: float = 1.0) -> timedelta:
    """Wait after the `attempts`-th failure: doubling from 30 s, capped at 6 h, then between half of it and
    all of it (`jitter` in [0, 1)), so endpoints coming back are not hit by every retry at once."""
    ceiling = min(FIRST_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)
    return ceiling * (0.5 + jitter / 2) * scale


def next_attempt(first_attempt_at: datetime, now: datetime, attempts: int, jitter: float,
                 scale: float = 1.0) -> datetime | None:
    """When to try again after a failure, or None: the retry window (3 days, scaled) has run out."""
    at = now + retry_delay(attempts, jitter, scale)
    return at if at <= first_attempt_at + RETRY_WINDOW * scale else None


# --- what is stored ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Endpoint:
    broker_id: str
    endpoint_id: str
    url: str
    event_types: tuple[str, ...]
    enabled: bool
    created_at: str
    updated_at: str
    description: str = ""
    disabled_reason: str | None = None

    def wants(self, event: dict[str, Any], only_endpoint: str | None) -> bool:
        if only_endpoint is not None:  # a test event: to the endpoint that asked, enabled or not
            return only_endpoint == self.endpoint_id
        return self.enabled and event["type"] in self.event_types


@dataclass(frozen=True)
class Delivery:
    """One event to one endpoint: its log line and its retry state."""

    broker_id: str
    endpoint_id: str
    event_id: str
    type: str
    created: str
    body: str
    status: str = "pending"  # pending | delivered | failed (retries ran out) | cancelled (endpoint gone)
    attempts: int = 0
    first_attempt_at: str | None = None
    last_attempt_at: str | None = None
    last_response_code: int | None = None
    last_error: str | None = None
    next_attempt_at: str | None = None
    delivered_at: str | None = None

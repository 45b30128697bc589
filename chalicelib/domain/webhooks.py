"""Outbound webhooks: which history events brokers hear about, the payload, the signature, the retry
schedule and which addresses a delivery may reach. Pure: no clock reads, no I/O.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

# The one table from a case history's event kind to the webhook type brokers subscribe to.
CASE_EVENT_TYPES: dict[str, str] = {
    "case_opened": "case.opened",
    "reminder_sent": "reminder.sent",
    "payment_received": "payment.received",
    "installment_paid": "payment.received",  # a plan's installment is money received too
    "payment_refunded": "payment.refunded",
    "chargeback_opened": "chargeback.opened",
    "chargeback_closed": "chargeback.closed",
    "plan_started": "plan.started",
    "plan_defaulted": "plan.defaulted",
    "plan_completed": "plan.completed",
    "promise_made": "promise.made",
    "promise_missed": "promise.missed",
    "dispute_opened": "dispute.opened",
    "dispute_resolved": "dispute.resolved",
    "escalated": "case.escalated",
    "written_off": "case.written_off",
}
BROKER_EVENT_TYPES = ("import.finished",)
TEST_TYPE = "webhook.test"  # only ever sent to the one endpoint that asked for it
EVENT_TYPES = tuple(sorted({*CASE_EVENT_TYPES.values(), *BROKER_EVENT_TYPES}))

SIGNATURE_HEADER = "Portal-Signature"
EVENT_ID_HEADER = "Portal-Event-Id"
TOLERANCE_SECONDS = 300  # receivers refuse a signature whose timestamp is further than this from their clock

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


# --- signatures: Stripe's scheme, t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body"> -------------------

def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(secret: str, header: str | None, body: bytes, now: int,
                     tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does: any v1 matches (compared in constant time) and the timestamp is fresh."""
    if not header:
        return False
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit() or abs(now - int(stamps[0])) > tolerance:
        return False
    expected = signature(secret, int(stamps[0]), body).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")


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


# --- where a delivery may go ------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str


def parse_url(url: str, *, allow_loopback: bool) -> Target:
    """The endpoint's URL as a delivery reaches it; ValueError naming what is wrong.

    HTTPS only, except plain HTTP to a loopback host when the demo's loopback setting is on."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("must be an https:// URL with a host")
    if parts.username or parts.password:
        raise ValueError("must not carry a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise ValueError("has a port that is not a number from 1 to 65535") from exc
    if parts.scheme == "http" and not (allow_loopback and loopback_name(parts.hostname)):
        raise ValueError("must use https://")
    address = literal_address(parts.hostname)
    if address is not None:
        check_address(address, allow_loopback=allow_loopback)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path)


def loopback_name(host: str) -> bool:
    address = literal_address(host)
    return host == "localhost" or (address is not None and address.is_loopback)


def literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_loopback: bool) -> None:
    """Refuse anything but a public unicast address (private, loopback, link-local, multicast, reserved,
    shared, documentation ranges, IPv4 mapped into IPv6...); the demo may reach loopback."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if allow_loopback and address.is_loopback:
        return
    if not address.is_global or address.is_multicast:
        raise ValueError(f"resolves to {address}, which is not a public address")


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

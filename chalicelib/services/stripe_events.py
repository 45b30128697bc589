"""Stripe's events, read into payment facts the domain understands. Pure: no calls, no clock.

Which case an event is about comes from the metadata we put on every Checkout Session and its
PaymentIntent (Stripe copies a PaymentIntent's metadata onto its charges). Disputes carry no metadata
of ours: the service looks up their PaymentIntent's.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from chalicelib.domain import payments
from chalicelib.domain.payments import PaymentFact

PORTAL = "collections-portal"  # metadata["portal"]: this deployment made the session
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # ids that may go into a key

HANDLED = frozenset({
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.closed",
})
NEEDS_INTENT_METADATA = frozenset({"charge.dispute.created", "charge.dispute.closed"})


def case_of(metadata: Any) -> tuple[str, str] | None:
    """(broker id, case id) when the metadata is ours and well formed, else None."""
    if not isinstance(metadata, dict) or metadata.get("portal") != PORTAL:
        return None
    broker_id, case_id = metadata.get("broker_id"), metadata.get("case_id")
    if not (isinstance(broker_id, str) and isinstance(case_id, str) and _ID.match(broker_id) and _ID.match(case_id)):
        return None
    return broker_id, case_id


def session_metadata(*, broker_id: str, case_id: str, link_id: str, link_version: int, case_version: int,
                     discount: int, full: bool, reminder: str | None = None) -> dict[str, str]:
    """What every session and PaymentIntent carries (Stripe metadata values are strings).

    `reminder` is the claim of the reminder whose link the customer followed, so the broker can see
    which steps of the ladder bring payments in.
    """
    metadata = {"portal": PORTAL, "broker_id": broker_id, "case_id": case_id, "link_id": link_id,
                "link_version": str(link_version), "case_version": str(case_version), "discount": str(discount),
                "kind": "full" if full else "partial"}
    if reminder:
        metadata["reminder"] = reminder
    return metadata


def _discount(metadata: dict[str, Any]) -> int:
    text = str(metadata.get("discount", "0"))
    return int(text) if metadata.get("kind") == "full" and text.isdigit() else 0


def _method(obj: dict[str, Any]) -> str | None:
    types = obj.get("payment_method_types") or []
    return types[0] if len(types) == 1 else None


def facts_from_event(event: dict[str, Any], metadata: dict[str, Any]) -> list[PaymentFact]:
    """The payment facts in one event; [] when it says nothing about money on the case.

    Money that arrives through a reminder's link names that reminder in its timeline event.
    """
    facts = _facts(event, metadata)
    reminder = metadata.get("reminder")
    if not reminder:
        return facts
    return [replace(f, detail={**(f.detail or {}), "via_reminder": str(reminder)})
            if f.payment.state in (payments.SUCCEEDED, payments.PENDING) else f for f in facts]


def _facts(event: dict[str, Any], metadata: dict[str, Any]) -> list[PaymentFact]:
    kind = event["type"]
    obj = event["data"]["object"]
    currency = str(obj.get("currency") or "")
    if kind.startswith("checkout.session."):
        if obj.get("mode") != "payment":
            return []
        ref = obj.get("payment_intent") or obj["id"]
        amount, method, discount = int(obj.get("amount_total") or 0), _method(obj), _discount(metadata)
        if kind == "checkout.session.async_payment_failed":
            return [payments.failed(ref, amount, currency=currency)]
        if kind == "checkout.session.async_payment_succeeded" or obj.get("payment_status") == "paid":
            return [payments.succeeded(ref, amount, currency=currency, method=method, discount=discount)]
        if obj.get("payment_status") == "unpaid":  # a delayed method (bank debit): settles days later
            return [payments.pending(ref, amount, currency=currency, method=method, discount=discount)]
        return []
    if kind == "payment_intent.succeeded":
        amount = int(obj.get("amount_received") or obj.get("amount") or 0)
        return [payments.succeeded(obj["id"], amount, currency=currency, method=_method(obj),
                                   discount=_discount(metadata))]
    if kind == "payment_intent.payment_failed":
        error = obj.get("last_payment_error") or {}
        code = error.get("decline_code") or error.get("code")
        return [payments.failed(obj["id"], int(obj.get("amount") or 0), currency=currency,
                                code=str(code) if code else None)]
    if kind == "charge.refunded":
        charged = int(obj.get("amount_captured") or obj.get("amount") or 0)
        return [payments.refunded(obj.get("payment_intent") or obj["id"], charged=charged,
                                  refunded_total=int(obj.get("amount_refunded") or 0), currency=currency)]
    if kind in NEEDS_INTENT_METADATA:
        ref = obj.get("payment_intent") or obj.get("charge")
        if not ref:
            return []
        return [payments.chargeback(ref, obj["id"], int(obj.get("amount") or 0), str(obj.get("status") or ""),
                                    currency=currency, reason=obj.get("reason"))]
    return []

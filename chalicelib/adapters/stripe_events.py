"""Stripe's formats, in and out: the metadata we put on what we ask Stripe for, and Stripe's events read back
into our words (payment facts, plan payments). Pure: no calls, no clock.

Which case an event is about comes from the metadata we put on every Checkout Session and its
PaymentIntent (Stripe copies a PaymentIntent's metadata onto its charges). Disputes carry no metadata
of ours: the gateway looks up their PaymentIntent's.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from chalicelib.domain import payments, plans
from chalicelib.domain.payments import PaymentFact
from chalicelib.domain.plans import PlanPayment
from chalicelib.ports import PaymentEvent, PaymentTag

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


def metadata(tag: PaymentTag) -> dict[str, str]:
    """What a session, PaymentIntent or Customer carries (Stripe metadata values are strings)."""
    data = {"portal": PORTAL, "broker_id": tag.broker_id, "case_id": tag.case_id}
    if tag.kind in ("full", "partial"):
        data.update(link_id=str(tag.link_id), link_version=str(tag.link_version),
                    case_version=str(tag.case_version), discount=str(tag.discount or 0), kind=tag.kind)
        if tag.reminder:
            data["reminder"] = tag.reminder
        return data
    data["kind"] = tag.kind
    if tag.plan_id is not None:
        data["plan_id"] = tag.plan_id
    if tag.offer is not None:
        data.update(offer_id=tag.offer.offer_id, plan_interval=tag.offer.interval,
                    plan_schedule=plans.encode_schedule(tag.offer), plan_custom="1" if tag.offer.custom else "0")
    optional = {"installment": tag.installment, "attempt": tag.attempt,
                "attempt_on": tag.attempt_on.isoformat() if tag.attempt_on else None,
                "link_id": tag.link_id, "link_version": tag.link_version}
    data.update({k: str(v) for k, v in optional.items() if v is not None})
    return data


def read(event: dict[str, Any], metadata: dict[str, Any]) -> PaymentEvent:
    """A verified event in our words; `metadata` is ours from the event's object (or its PaymentIntent's)."""
    target = case_of(metadata) if event["type"] in HANDLED else None
    if target is None:
        return PaymentEvent(event["id"], event["type"], None)
    return PaymentEvent(event["id"], event["type"], target, tuple(facts_from_event(event, metadata)),
                        plan_payment(event))


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


PAID_EVENTS = frozenset({"checkout.session.completed", "checkout.session.async_payment_succeeded",
                         "payment_intent.succeeded"})


def plan_payment(event: dict[str, Any]) -> PlanPayment | None:
    """The plan payment an event reports as succeeded, from the metadata we gave it; None otherwise."""
    if event.get("type") not in PAID_EVENTS:
        return None
    obj = event["data"]["object"]
    data = obj.get("metadata") or {}
    kind, plan_id = data.get("kind"), data.get("plan_id")
    if kind not in ("plan", "installment") or not isinstance(plan_id, str) or not plan_id:
        return None
    if event["type"] == "payment_intent.succeeded":
        reference, amount = obj.get("id"), obj.get("amount_received") or obj.get("amount")
        method = obj.get("payment_method")
        method = method.get("id") if isinstance(method, dict) else method
    else:
        if obj.get("mode") != "payment" or (event["type"] == "checkout.session.completed"
                                            and obj.get("payment_status") != "paid"):
            return None
        reference, amount, method = obj.get("payment_intent"), obj.get("amount_total"), None
    customer = obj.get("customer")
    number = str(data.get("installment", "1"))
    if not isinstance(reference, str) or not number.isdigit():
        return None
    return PlanPayment(
        kind=kind, plan_id=plan_id, reference=reference, amount=int(amount or 0), installment=int(number),
        offer_id=data.get("offer_id"), interval=data.get("plan_interval"),
        schedule=plans.decode_schedule(str(data.get("plan_schedule", ""))) if kind == "plan" else None,
        custom=data.get("plan_custom") == "1", stripe_customer=customer if isinstance(customer, str) else None,
        payment_method=method if isinstance(method, str) else None)

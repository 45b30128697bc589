"""JSON shapes of a case for brokers and for customers."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.domain.cases import Case
    from chalicelib.domain.history import Event


def _customer(case: Case) -> dict[str, Any]:
    c = case.customer
    return {"name": c.name, "email": c.email, "phone": c.phone, "locale": c.locale, "timezone": c.timezone,
            "tier": c.tier}


def _invoice(case: Case) -> dict[str, Any]:
    i = case.invoice
    return {"number": i.number, "amount": i.amount, "currency": i.currency, "issued_on": i.issued_on.isoformat(),
            "due_on": i.due_on.isoformat(), "description": i.description}


def case_summary(case: Case) -> dict[str, Any]:
    return {
        "case_id": case.case_id, "status": case.status, "customer": _customer(case), "invoice": _invoice(case),
        "balance": case.balance.as_dict(), "next_action_at": case.next_action_at,
        "created_at": case.created_at, "updated_at": case.updated_at, "version": case.version,
    }


def admin_case(case: Case, events: list[Event], pay_url: str | None = None) -> dict[str, Any]:
    view = case_summary(case)
    view["link"] = {"link_id": case.link.link_id, "version": case.link.version,
                    "expires_at": case.link.expires_at, "opened_at": case.link.opened_at}
    view["events"] = [e.as_dict() for e in events]
    view["payments"] = payments_view(case)
    if pay_url:
        view["pay_url"] = pay_url
    return view


def payments_view(case: Case) -> dict[str, Any]:
    """The case's payments by reference (Stripe PaymentIntent or offline:<reference>), and its flags."""
    ledger = case.payments
    items = [{"reference": ref, "source": p.source, "state": p.state, "amount": p.amount, "refunded": p.refunded,
              "discount": p.discount, "counted": p.net, "method": p.method, "received_on": p.received_on,
              "chargebacks": [{"dispute_id": d, "amount": c.amount, "status": c.status, "reason": c.reason}
                              for d, c in p.chargebacks.items()]}
             for ref, p in ledger.payments.items()]
    return {"items": items, "pending": ledger.pending, "flags": ["chargeback"] if ledger.open_chargebacks else []}


def customer_case(case: Case, events: list[Event]) -> dict[str, Any]:
    """What the pay page shows: never internal notes, never another case."""
    from chalicelib.domain.cases import customer_timeline

    return {
        "case_id": case.case_id,
        "status": case.status,
        "broker": {"name": case.broker.name, "email": case.broker.email, "phone": case.broker.phone},
        "customer": {"name": case.customer.name, "locale": case.customer.locale},
        "invoice": _invoice(case),
        "balance": case.balance.as_dict(),
        "link_expires_at": case.link.expires_at,
        "timeline": customer_timeline(events),
    }

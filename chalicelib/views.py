"""JSON shapes of a case for brokers and for customers."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.domain.history import TIMELINE_PAGE

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
    from chalicelib.domain.money import currency_view

    return {
        "case_id": case.case_id, "status": case.status, "customer": _customer(case), "invoice": _invoice(case),
        "balance": case.balance.as_dict(), "currency": currency_view(case.balance.currency),
        "next_action_at": case.next_action_at,
        "created_at": case.created_at, "updated_at": case.updated_at, "version": case.version,
    }


def timeline_page(events: list[Event], older: int | None = None) -> tuple[list[Event], int | None]:
    """At most a page of the newest events, and the `?before=` that reads the ones under them (None: no more)."""
    shown = events[-TIMELINE_PAGE:]
    return shown, shown[0].seq if len(shown) < len(events) else older


def admin_case(case: Case, events: list[Event], pay_url: str | None = None, older: int | None = None) -> dict[str, Any]:
    view = case_summary(case)
    view["link"] = {"link_id": case.link.link_id, "version": case.link.version,
                    "expires_at": case.link.expires_at, "opened_at": case.link.opened_at}
    shown, view["events_before"] = timeline_page(events, older)
    view["events"] = [e.as_dict() for e in shown]
    view["payments"] = payments_view(case)
    view.update(self_service_view(case))
    view.update(plan_views(case, admin=True))
    view["closing"] = closing_view(case)
    if pay_url:
        view["pay_url"] = pay_url
    return view


def payments_view(case: Case) -> dict[str, Any]:
    """The case's payments by reference (Stripe PaymentIntent or offline:<reference>), and its flags."""
    from chalicelib.domain.payments import SMALL_REMAINDER, unpayable_remainder

    ledger = case.payments
    items = [{"reference": ref, "source": p.source, "state": p.state, "amount": p.amount, "refunded": p.refunded,
              "discount": p.discount, "counted": p.net, "method": p.method, "received_on": p.received_on,
              "chargebacks": [{"dispute_id": d, "amount": c.amount, "status": c.status, "reason": c.reason}
                              for d, c in p.chargebacks.items()]}
             for ref, p in ledger.payments.items()]
    flags = ["chargeback"] if ledger.open_chargebacks else []
    if unpayable_remainder(case):
        flags.append(SMALL_REMAINDER)  # the broker writes it off or collects it another way
    return {"items": items, "pending": ledger.pending, "flags": flags}


def customer_case(case: Case, events: list[Event], older: int | None = None) -> dict[str, Any]:
    """What the pay page shows: never internal notes, never another case."""
    from chalicelib.domain.cases import customer_timeline
    from chalicelib.domain.money import currency_view

    shown, before = timeline_page(events, older)
    return {
        "case_id": case.case_id,
        "status": case.status,
        "broker": {"name": case.broker.name, "email": case.broker.email, "phone": case.broker.phone},
        "customer": {"name": case.customer.name, "locale": case.customer.locale},
        "invoice": _invoice(case),
        "balance": case.balance.as_dict(),
        "currency": currency_view(case.balance.currency),  # the page formats and reads amounts with its exponent
        "link_expires_at": case.link.expires_at,
        "timeline": customer_timeline(shown),
        "timeline_before": before,
        **customer_self_service_view(case),
        **plan_views(case),
    }


# --- self-service -----------------------------------------------------------------------------

def self_service_view(case: Case, download_urls: dict[str, str] | None = None,
                      view_urls: dict[str, str] | None = None) -> dict[str, Any]:
    """The broker's view of disputes (with their evidence files), the promise and reported payments."""
    from dataclasses import asdict

    state = case.self_service
    disputes = []
    for dispute in state.disputes:
        shown = asdict(dispute)
        shown.pop("prior_status")
        shown.pop("raised_at")
        shown.pop("uploads")  # slots not (yet) used: nothing the broker could open
        for attachment in shown["attachments"]:
            if download_urls and attachment["key"] in download_urls:
                attachment["download_url"] = download_urls[attachment["key"]]
            if view_urls and attachment["key"] in view_urls:
                attachment["view_url"] = view_urls[attachment["key"]]
        disputes.append(shown)
    promise = state.promise
    return {"disputes": disputes,
            "promise": None if promise is None else {"pay_by": promise.pay_by, "status": promise.status},
            "payment_reports": [asdict(r) for r in state.reports]}


def customer_self_service_view(case: Case) -> dict[str, Any]:
    """What the pay page may show: the dispute in progress (never its evidence keys) and the promise."""
    state = case.self_service
    dispute, promise = state.current_dispute, state.promise
    return {
        "dispute": None if dispute is None else {"dispute_id": dispute.dispute_id, "reason": dispute.reason,
                                                 "amount": dispute.amount, "status": dispute.status,
                                                 "files": len(dispute.attachments)},
        "promise": {"pay_by": promise.pay_by, "status": promise.status}
        if promise is not None and case.status == "promised" else None,
    }


# --- installment plans ------------------------------------------------------------------------

def plan_views(case: Case, admin: bool = False) -> dict[str, Any]:
    """`plan`: the case's plan (the current one, or the last that ended) with its schedule and what may be
    paid by hand now; None without one. The broker also sees the offers made for this case alone."""
    from chalicelib.domain.payments import payable
    from chalicelib.domain.plans import charged_amount, pay_now

    plan = case.plans.current
    shown: dict[str, Any] | None = None
    if plan is not None:
        failed = pay_now(case)
        rows = []
        for i in plan.installments:
            row = {"number": i.number, "due_on": i.due_on.isoformat(), "amount": charged_amount(case, i),
                   "scheduled": i.amount, "status": i.status, "attempts": i.attempts,
                   "retry_on": i.retry_on.isoformat() if i.retry_on else None}
            if admin:
                row.update(reference=i.reference, error=i.error)
            rows.append(row)
        shown = {"plan_id": plan.plan_id, "state": plan.state, "interval": plan.interval, "currency": plan.currency,
                 "custom": plan.custom, "started_at": plan.started_at, "ended_at": plan.ended_at,
                 "next_charge_at": plan.next_charge_at, "installments": len(plan.installments),
                 "paid": sum(1 for i in plan.installments if i.status == "paid"), "schedule": rows,
                 "pay_now": None if failed is None else {"installment": failed.number,
                                                         "amount": min(failed.amount, payable(case))}}
    view: dict[str, Any] = {"plan": shown}
    if admin:
        view["custom_plan_offers"] = [{"installments": o.installments, "interval": o.interval,
                                       "first_amount": o.first_amount, "created_at": o.created_at}
                                      for o in case.plans.custom_offers]
    return view


def closing_view(case: Case) -> dict[str, Any]:
    """The case's partner, mediation and write-off (domain/closing_state.py) as the broker sees them."""
    from dataclasses import asdict

    c = case.closing
    return {"ready_for_collections": c.ready_for_collections, "escalations": c.escalations,
            "escalation": asdict(c.escalation) if c.escalation else None,
            "mediation": asdict(c.mediation) if c.mediation else None,
            "written_off": c.written_off, "recovered": c.recovered}

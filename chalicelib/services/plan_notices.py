"""After an installment charge is stored: the customer's email about a failed installment (with a link to
pay it by hand, or to confirm it when the bank asks), the broker's note about a plan that defaulted, and the
usual receipt and broker notice when a charge pays the case in full (payment_notices.py sends those).

The change records what is owed to whom (`installment_failed`, `broker_notified`) in the same transaction
as the charge's outcome; sending happens once it is stored, so at most once per outcome. A refused or
unrenderable message is logged and does not undo the outcome.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.cases import Case
from chalicelib.domain.history import Event
from chalicelib.domain.policy import Policy
from chalicelib.ports import Clock, Mailer, Renderer
from chalicelib.services.links import PayLinks
from chalicelib.services.notices import BROKER_LOCALE, send_notice

if TYPE_CHECKING:
    from chalicelib.services.broker_notices import BrokerNotices

log = logging.getLogger(__name__)

PLAN_DEFAULTED = "plan_defaulted"


class Policies(Protocol):
    def policy_for(self, broker_id: str) -> Policy: ...


class Notices(Protocol):
    def after(self, case: Case, events: tuple[Event, ...]) -> None: ...


class PlanNotices:
    def __init__(self, renderer: Renderer, mailer: Mailer, policies: Policies, links: PayLinks, clock: Clock,
                 money: Callable[[int, str, str], str], long_date: Callable[[date, str], str],
                 payments: Notices | None = None, broker: BrokerNotices | None = None) -> None:
        self._broker = broker
        self._renderer = renderer
        self._mailer = mailer
        self._policies = policies
        self._links = links
        self._clock = clock
        self._money = money
        self._long_date = long_date
        self._payments = payments

    def after(self, case: Case, events: tuple[Event, ...]) -> None:
        passed = []
        if self._broker is not None:  # installments paid: for the digest and the large-payment notice
            self._broker.observe(case, tuple(e for e in events if e.type == "installment_paid"),
                                 self._policies.policy_for(case.broker_id).sender)
        for event in events:
            if event.type == "installment_failed":
                self._send(case, event, to_broker=False)
            elif event.type == "broker_notified" and event.data.get("reason") == PLAN_DEFAULTED:
                if self._broker is not None or case.broker.email:
                    # Which installment defaulted is in the plan_defaulted event beside it.
                    defaulted = next((e.data for e in events if e.type == PLAN_DEFAULTED), {})
                    self._send(case, replace(event, data={**defaulted, **event.data}), to_broker=True)
            elif event.type in ("receipt_due", "broker_notified"):
                passed.append(event)
        if passed and self._payments is not None:
            self._payments.after(case, tuple(passed))

    def model(self, case: Case, event: Event, locale: str) -> dict[str, Any]:
        data = event.data
        plan = case.plans.current
        currency = case.balance.currency
        retry_on = data.get("retry_on")
        return {
            "case_id": case.case_id, "customer_name": case.customer.name, "broker_name": case.broker.name,
            "invoice_number": case.invoice.number, "due_on": case.invoice.due_on, "currency": currency,
            "balance": case.balance.as_dict(), "discount": None,
            "installment": data.get("installment", 0), "installments": len(plan.installments) if plan else 0,
            "installment_amount": self._money(int(data.get("amount", 0)), currency, locale),
            "retry_date": self._long_date(date.fromisoformat(retry_on), locale) if retry_on else "",
            "action_required": bool(data.get("action_required")), "final": bool(data.get("final")),
            "left": self._money(case.balance.due, currency, locale),
            "pay_url": self._links.url(case, ref=f"plan:{data.get('installment', 0)}")
            if event.type == "installment_failed" else "",
        }

    def _send(self, case: Case, event: Event, *, to_broker: bool) -> None:
        locale = (self._broker.locale(case.broker_id) if self._broker is not None else BROKER_LOCALE) \
            if to_broker else case.customer.locale
        template = "broker_plan_defaulted" if to_broker else "installment_failed"
        send_notice(renderer=self._renderer, mailer=self._mailer, clock=self._clock, case=case, event=event,
                    sender=self._policies.policy_for(case.broker_id).sender, to_broker=to_broker,
                    template=template, model=self.model(case, event, locale), broker=self._broker)

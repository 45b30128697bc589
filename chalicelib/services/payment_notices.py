"""After a payment change is stored: the customer's receipt and the broker's notices, by email.

The change itself records `receipt_due` and `broker_notified` in the case's history (in the same
transaction as the money), so what was owed to whom is never lost. Sending happens once the change is
stored, at most once per Stripe event (a redelivered event is a duplicate and changes nothing, so it
sends nothing). A refused or unrenderable message is logged and does not undo the payment.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.cases import Case
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.history import Event
from chalicelib.domain.policy import Policy
from chalicelib.ports import Clock, Mailer, Renderer
from chalicelib.services.notices import BROKER_LOCALE, send_notice

if TYPE_CHECKING:
    from chalicelib.services.broker_notices import BrokerNotices

log = logging.getLogger(__name__)


class Policies(Protocol):
    def policy_for(self, broker_id: str) -> Policy: ...


class PaymentNotices:
    def __init__(self, renderer: Renderer, mailer: Mailer, policies: Policies, clock: Clock,
                 money: Callable[[int, str, str], str], broker: BrokerNotices | None = None) -> None:
        self._broker = broker
        self._renderer = renderer
        self._mailer = mailer
        self._policies = policies
        self._clock = clock
        self._money = money

    def after(self, case: Case, events: tuple[Event, ...]) -> None:
        if self._broker is not None:
            self._broker.observe(case, events, self._policies.policy_for(case.broker_id).sender)
        for event in events:
            if event.type == "receipt_due":
                self._send(case, event, to_broker=False)
            elif event.type == "broker_notified" and self._reaches_broker(case):
                self._send(case, event, to_broker=True)
            elif event.type == "payment_currency_mismatch" and self._reaches_broker(case):
                self._send(case, event, to_broker=True, template="broker_currency_mismatch")

    def _reaches_broker(self, case: Case) -> bool:
        return self._broker is not None or bool(case.broker.email)

    def model(self, case: Case, event: Event, locale: str, chargeback: dict[str, Any] | None) -> dict[str, Any]:
        balance = case.balance
        return {
            "case_id": case.case_id, "customer_name": case.customer.name, "broker_name": case.broker.name,
            "invoice_number": case.invoice.number, "due_on": case.invoice.due_on, "currency": balance.currency,
            "balance": balance.as_dict(), "discount": None,
            "credit_amount": self._money(balance.credit, balance.currency, locale) if balance.credit else "",
            "reason": event.data.get("reason", "paid"),
            "chargeback_amount": self._money(chargeback["amount"], balance.currency, locale) if chargeback else "",
            "chargeback_reason": (chargeback or {}).get("reason") or "",
        }

    def _send(self, case: Case, event: Event, *, to_broker: bool, template: str | None = None) -> None:
        locale = self._locale(case) if to_broker else case.customer.locale
        template = template or ("broker_payment" if to_broker else "receipt")
        chargeback = None
        if to_broker and event.data.get("reason") == "chargeback":  # what the open chargebacks hold back
            opened = [c for p in case.payments.payments.values() for c in p.chargebacks.values() if c.status == "open"]
            chargeback = {"amount": sum(c.amount for c in opened),
                          "reason": ", ".join(sorted({c.reason for c in opened if c.reason}))}
        model = self.model(case, event, locale, chargeback)
        if event.type == "payment_currency_mismatch":
            model.update(reference=event.data["reference"], currency_reported=event.data["currency"],
                         foreign_amount=self._foreign(event.data["amount"], event.data["currency"], locale))
        send_notice(renderer=self._renderer, mailer=self._mailer, clock=self._clock, case=case, event=event,
                    sender=self._policies.policy_for(case.broker_id).sender, to_broker=to_broker,
                    template=template, model=model, broker=self._broker)

    def _locale(self, case: Case) -> str:
        return self._broker.locale(case.broker_id) if self._broker is not None else BROKER_LOCALE

    def _foreign(self, amount: int, currency: str, locale: str) -> str:
        """The amount as the provider reported it; in minor units when we do not know the currency."""
        try:
            return self._money(amount, currency, locale)
        except InvalidInput:
            return f"{amount} {currency} (minor units)"

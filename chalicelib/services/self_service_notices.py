"""The emails of self-service, sent once the change that calls for them is stored.

    event                                    to        template
    dispute_opened, dispute_raised_again,    broker    broker_dispute
    mediation_ended
    already_paid_reported                    broker    broker_already_paid
    dispute_resolved                         customer  dispute_outcome
    promise_missed                           customer  promise_missed
    link_issued (an expired link refreshed)  customer  fresh_link

The event itself is the record that the message was owed; as with the payment notices, a refused or
unrenderable message is logged (never with an address) and does not undo the change. An unanswered
dispute is raised again every few days, so a lost broker email is never the end of it.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.cases import Case
from chalicelib.domain.history import Event
from chalicelib.domain.policy import Policy
from chalicelib.domain.self_service import REFRESHED
from chalicelib.ports import Clock, Mailer, Renderer
from chalicelib.services.notices import BROKER_LOCALE, send_notice

if TYPE_CHECKING:
    from chalicelib.services.broker_notices import BrokerNotices

log = logging.getLogger(__name__)

TO_BROKER = {"dispute_opened": "broker_dispute", "dispute_raised_again": "broker_dispute",
             "mediation_ended": "broker_dispute", "already_paid_reported": "broker_already_paid"}
TO_CUSTOMER = {"dispute_resolved": "dispute_outcome", "promise_missed": "promise_missed"}


class Policies(Protocol):
    def policy_for(self, broker_id: str) -> Policy: ...


class Links(Protocol):
    def url(self, case: Case, ref: str | None = None) -> str: ...


def notices_for(event: Event) -> tuple[bool, str] | None:
    """(to the broker?, template) for an event that calls for an email, else None."""
    if event.type in TO_BROKER:
        return True, TO_BROKER[event.type]
    if event.type in TO_CUSTOMER:
        return False, TO_CUSTOMER[event.type]
    if event.type == "link_issued" and event.data.get("reason") == REFRESHED:
        return False, "fresh_link"
    return None


class SelfServiceNotices:
    def __init__(self, renderer: Renderer, mailer: Mailer, policies: Policies, links: Links, clock: Clock,
                 money: Callable[[int, str, str], str], long_date: Callable[[date, str], str],
                 broker: BrokerNotices | None = None) -> None:
        self._broker = broker
        self._renderer = renderer
        self._mailer = mailer
        self._policies = policies
        self._links = links
        self._clock = clock
        self._money = money
        self._date = long_date

    def after(self, case: Case, events: tuple[Event, ...]) -> list[str]:
        """Send what the stored events call for; the provider message ids of what went out."""
        sent = []
        if self._broker is not None:  # promises to pay: for the digest
            self._broker.observe(case, events, self._policies.policy_for(case.broker_id).sender)
        for event in events:
            notice = notices_for(event)
            if notice is None:
                continue
            to_broker, template = notice
            if to_broker and self._broker is None and not case.broker.email:
                log.warning("self-service notice not sent: the broker has no email",
                            extra={"case_id": case.case_id, "broker_id": case.broker_id, "notice": template})
                continue
            message_id = self._send(case, event, to_broker, template)
            if message_id:
                sent.append(message_id)
        return sent

    def model(self, case: Case, event: Event, locale: str) -> dict[str, Any]:
        balance, data = case.balance, event.data

        def money(amount: int) -> str:
            return self._money(amount, balance.currency, locale) if amount else ""

        def day(text: str) -> str:
            return self._date(date.fromisoformat(text[:10]), locale) if text else ""

        dispute = case.self_service.dispute(data.get("dispute_id", "")) if "dispute_id" in data else None
        return {
            "case_id": case.case_id, "customer_name": case.customer.name, "broker_name": case.broker.name,
            "invoice_number": case.invoice.number, "due_on": case.invoice.due_on, "currency": balance.currency,
            "balance": balance.as_dict(), "discount": None, "interest_provisional": False,
            "pay_url": self._links.url(case), "dispute_id": data.get("dispute_id", ""),
            "link_expires": day(case.link.expires_at), "notice": event.type, "status": case.status,
            "reason": (dispute.reason if dispute else "").replace("_", " "),
            "dispute_message": dispute.message if dispute else "",
            "disputed": money(dispute.disputed) if dispute else "",
            "whole": dispute is not None and dispute.amount is None,
            "files": len(dispute.attachments) if dispute else 0,
            "opened_on": day(dispute.opened_at) if dispute else "",
            "days_open": data.get("days_open", 0), "times": data.get("times", 0),
            "outcome": data.get("outcome", ""), "outcome_message": data.get("message", ""),
            "credit_amount": money(data.get("credit_amount", 0)),
            "mediator": (dispute.mediator if dispute else None) or "", "until": day(data.get("until") or ""),
            "pay_by": day(data.get("pay_by", "")), "paid_on": day(data.get("paid_on", "")),
            "method": str(data.get("method", "")).replace("_", " "), "reference": data.get("reference", ""),
            "pause_until": day(data.get("pause_until", "")),
        }

    def _send(self, case: Case, event: Event, to_broker: bool, template: str) -> str | None:
        locale = (self._broker.locale(case.broker_id) if self._broker is not None else BROKER_LOCALE) \
            if to_broker else case.customer.locale
        return send_notice(renderer=self._renderer, mailer=self._mailer, clock=self._clock, case=case,
                           event=event, sender=self._policies.policy_for(case.broker_id).sender,
                           to_broker=to_broker, template=template, model=self.model(case, event, locale),
                           broker=self._broker)

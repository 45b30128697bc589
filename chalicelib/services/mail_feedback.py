"""SES bounces and complaints: suppress the address for the broker, stop email on the case (the ladder
goes on by SMS where there is a phone), and tell the broker once.

SNS may deliver a record twice: the suppression is an idempotent write and the case change happens
only once (mail_feedback.stop_email), and the broker's notice follows only the stored change.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.cases import Case, iso
from chalicelib.domain.errors import NotFound
from chalicelib.domain.history import Event
from chalicelib.domain.mail_feedback import EVENTS, MailFeedback, stop_email
from chalicelib.domain.policy import Policy
from chalicelib.ports import CaseReader, CaseStore, Clock, Mailer, Renderer
from chalicelib.services.notices import send_notice
from chalicelib.services.unit_of_work import change_case

if TYPE_CHECKING:
    from chalicelib.services.broker_notices import BrokerNotices

log = logging.getLogger(__name__)

NOTICE = "broker_email_bounced"


class Suppressions(Protocol):
    def suppress(self, broker_id: str, address: str, reason: str, at: str) -> None: ...

    def suppressed(self, broker_id: str, address: str) -> bool: ...


class Policies(Protocol):
    def policy_for(self, broker_id: str) -> Policy: ...


class MailFeedbackService:
    def __init__(self, *, store: CaseStore, reader: CaseReader, suppressions: Suppressions, policies: Policies,
                 renderer: Renderer, mailer: Mailer, clock: Clock,
                 parse: Callable[[str], MailFeedback | None], broker: BrokerNotices | None = None) -> None:
        self._broker = broker  # the broker's preferences, language and notice log
        self._parse = parse  # the provider's record in our words (adapters/ses_events.py read)
        self._store = store
        self._reader = reader
        self._suppressions = suppressions
        self._policies = policies
        self._renderer = renderer
        self._mailer = mailer
        self._clock = clock

    def receive(self, message: str) -> str:
        """One SES event record as SNS delivered it; deliveries and transient bounces need nothing."""
        feedback = self._parse(message)
        return "ignored" if feedback is None else self.handle(feedback)

    def handle(self, feedback: MailFeedback) -> str:
        """What was done: "recorded", "suppressed" (no case to record it on) or "ignored" (not our mail)."""
        extra = {"kind": feedback.kind, "broker_id": feedback.broker_id, "case_id": feedback.case_id,
                 "feedback_id": feedback.feedback_id}
        if feedback.broker_id is None:
            log.warning("mail feedback without our tags", extra=extra)
            return "ignored"
        reason = EVENTS[feedback.kind][1]
        for address in feedback.recipients:
            self._suppressions.suppress(feedback.broker_id, address, reason, iso(self._clock()))
        if feedback.case_id is None:
            log.info("address suppressed", extra=extra)
            return "suppressed"
        try:
            case = self._reader.get_case(feedback.broker_id, feedback.case_id)
        except NotFound:  # tags that name no case of this broker: the suppression above is all we can do
            log.warning("mail feedback names no case", extra=extra)
            return "suppressed"
        done = change_case(self._store, feedback.broker_id, feedback.case_id,
                           lambda case: stop_email(case, feedback, self._clock()), case=case, reader=self._reader)
        if done.change is None:
            log.info("mail feedback already recorded or not about the customer", extra=extra)
            return "suppressed"
        log.info("email stopped on case", extra=extra)
        self._tell_broker(done.case, done.events[0])
        return "recorded"

    def _tell_broker(self, case: Case, event: Event) -> None:
        if not case.broker.email and self._broker is None:
            return
        send_notice(renderer=self._renderer, mailer=self._mailer, clock=self._clock, case=case, event=event,
                    broker=self._broker, sender=self._policies.policy_for(case.broker_id).sender, to_broker=True,
                    template=NOTICE, model=self.model(case, event))

    @staticmethod
    def model(case: Case, event: Event) -> dict[str, Any]:
        return {"case_id": case.case_id, "customer_name": case.customer.name, "broker_name": case.broker.name,
                "invoice_number": case.invoice.number, "due_on": case.invoice.due_on,
                "currency": case.balance.currency, "balance": case.balance.as_dict(), "discount": None,
                "complained": event.type == EVENTS["complaint"][0], "sms_follows": bool(event.data.get("sms_follows"))}

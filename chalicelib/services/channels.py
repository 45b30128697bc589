"""Reminder channels: each is one object that knows whether it can reach a customer, how to compose a
message for a claimed delivery, whether the recipient opted out, and how to send what it composed.

Adding a channel means a class here, its entry in `registry`, its templates, and its name in
domain/channels.py (what the ladder needs to know: can it reach this customer). The worker never asks
which channel it holds.

Composing is kept apart from sending on purpose: anything that goes wrong while composing (a template,
a value that cannot be encoded) means nothing reached the provider, so the worker may record a definite
failure; once `send` is called, a failure other than DeliveryRefused may have sent the message.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain import channels as reach
from chalicelib.domain import ladder
from chalicelib.domain.cases import Case
from chalicelib.domain.policy import Policy
from chalicelib.ports import Clock, Email, Mailer, Renderer, Texter
from chalicelib.services.notices import BROKER_LOCALE, email_tags

if TYPE_CHECKING:
    from chalicelib.services.broker_notices import BrokerNotices

Send = Callable[[], str]  # makes the composed delivery; returns the provider's message id


@dataclass(frozen=True)
class Delivery:
    """What a channel needs to compose one claimed delivery."""

    case: Case
    claim: ladder.Claim
    policy: Policy
    model: dict[str, Any]  # the raw values the message shows (ReminderWorker.model)


class Suppressions(Protocol):
    def suppressed(self, broker_id: str, address: str) -> bool: ...


class Channel(Protocol):
    name: str

    def reaches(self, case: Case) -> bool: ...

    def opted_out(self, case: Case) -> bool: ...

    def compose(self, delivery: Delivery) -> Send: ...


class EmailChannel:
    """Email to the customer, in their language; `to_broker` makes it the broker's escalation notice, routed
    by the broker's preferences when `broker` is given (their addresses and language, or the digest)."""

    def __init__(self, renderer: Renderer, mailer: Mailer, clock: Clock, *, to_broker: bool = False,
                 suppressions: Suppressions | None = None, broker: BrokerNotices | None = None) -> None:
        self.name = ladder.BROKER if to_broker else "email"
        self._broker = broker
        self._renderer = renderer
        self._mailer = mailer
        self._clock = clock
        self._to_broker = to_broker
        self._suppressions = suppressions

    def reaches(self, case: Case) -> bool:
        if self._to_broker and self._broker is not None:
            return self._broker.route(case, "escalation").delivery != "off"
        return bool(case.broker.email) if self._to_broker else reach.reaches("email", case)

    def opted_out(self, case: Case) -> bool:
        """On the broker's suppression list (SES bounced or a complaint came, maybe on another case).
        Reminders about a debt are transactional: no unsubscribe list applies beyond that."""
        if self._to_broker or self._suppressions is None:
            return False
        return self._suppressions.suppressed(case.broker_id, case.customer.email)

    def email(self, delivery: Delivery) -> Email:
        case, claim = delivery.case, delivery.claim
        to: tuple[str, ...] = (case.customer.email,)
        locale = case.customer.locale
        if self._to_broker:
            locale, to = BROKER_LOCALE, (case.broker.email or "",)
            if self._broker is not None:
                locale, to = self._broker.locale(case.broker_id), self._broker.route(case, "escalation").recipients
        template = "broker_escalation" if self._to_broker else claim.template
        rendered = self._renderer.email(locale, template, delivery.model)
        sender = delivery.policy.sender
        return Email(
            to=to[0], also_to=to[1:],
            subject=rendered.subject, text=rendered.text, html=rendered.html, from_email=sender.from_email,
            from_name=sender.from_name or case.broker.sender_name or case.broker.name,
            reply_to=sender.reply_to or case.broker.reply_to or case.broker.email,
            tags=(("claim", claim.claim.replace(":", "_")), ("stage", claim.stage),
                  *email_tags(case.broker_id, case.case_id)),
            date=format_datetime(self._clock()),
        )

    def compose(self, delivery: Delivery) -> Send:
        broker, case, ref = self._broker, delivery.case, delivery.claim.claim
        if not self._to_broker or broker is None:
            return self._mailer.compose(self.email(delivery))
        if broker.route(case, "escalation").delivery == "digest":
            return lambda: broker.record(case, "escalation", ref, "digest")
        send = self._mailer.compose(self.email(delivery))
        return lambda: broker.record(case, "escalation", ref, "sent", send())


class SmsChannel:
    name = "sms"

    def __init__(self, renderer: Renderer, texter: Texter) -> None:
        self._renderer = renderer
        self._texter = texter

    def reaches(self, case: Case) -> bool:
        return reach.reaches(self.name, case)

    def opted_out(self, case: Case) -> bool:
        return self._texter.opted_out(case.customer.phone or "")

    def compose(self, delivery: Delivery) -> Send:
        text = self._renderer.sms(delivery.case.customer.locale, delivery.model)
        return self._texter.compose(delivery.case.customer.phone or "", text)


def registry(renderer: Renderer, mailer: Mailer, texter: Texter, clock: Clock,
             suppressions: Suppressions | None = None, broker: BrokerNotices | None = None) -> Mapping[str, Channel]:
    """Every channel by the name a policy step and a claim use."""
    found: list[Channel] = [EmailChannel(renderer, mailer, clock, suppressions=suppressions),
                            SmsChannel(renderer, texter),
                            EmailChannel(renderer, mailer, clock, to_broker=True, broker=broker)]
    return {c.name: c for c in found}

"""Sending one notice email (receipt, plan, self-service) to a case's customer or its broker.

A notice follows a change that is already stored: a refused or unrenderable message is logged (never
with an address or a token) and does not undo the change.
"""
from __future__ import annotations

import logging
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain.cases import Case
from chalicelib.domain.history import Event
from chalicelib.ports import Clock, DeliveryRefused, Email, Mailer, Renderer, RenderError

if TYPE_CHECKING:
    from chalicelib.services.broker_notices import BrokerNotices

log = logging.getLogger(__name__)
BROKER_LOCALE = "en"  # without a BrokerNotices (tests of one service alone): English to the broker's email


def email_tags(broker_id: str, case_id: str) -> tuple[tuple[str, str], ...]:
    """SES tags on every email about a case: a bounce or complaint comes back with them and finds the case
    (adapters/ses_events.py reads them; SES allows [A-Za-z0-9_-] in values, which our ids keep to)."""
    return (("broker", broker_id), ("case", case_id))


def send_notice(*, renderer: Renderer, mailer: Mailer, sender: Any, clock: Clock, case: Case, event: Event,
                to_broker: bool, template: str, model: dict[str, Any], to: str | None = None,
                broker: BrokerNotices | None = None) -> str | None:
    """Render `template` with `model` and send it; the provider's message id, or None if it was not sent.

    `sender` is the broker policy's sender block (from_email, from_name, reply_to). A notice to the broker
    goes through `broker` (their preferences, language and notice log) when given; `to` sends a broker's
    notice to someone working for the broker instead (a collections partner).
    """
    if to_broker and broker is not None and to is None:
        return broker.send(case=case, event=event, template=template, model=model, sender=sender)
    locale = BROKER_LOCALE if to_broker else case.customer.locale
    extra = {"case_id": case.case_id, "broker_id": case.broker_id, "notice": template, "seq": event.seq}
    try:
        rendered = renderer.email(locale, template, model)
        message_id = mailer.send(Email(
            to=to or ((case.broker.email or "") if to_broker else case.customer.email),
            subject=rendered.subject, text=rendered.text, html=rendered.html, from_email=sender.from_email,
            from_name=sender.from_name or case.broker.name, reply_to=sender.reply_to or case.broker.email,
            tags=(("notice", template), *email_tags(case.broker_id, case.case_id)), date=format_datetime(clock())))
    except (DeliveryRefused, RenderError) as exc:
        log.error("notice not sent", extra={**extra, "error": type(exc).__name__, "code": str(exc)[:80]})
        return None
    log.info("notice sent", extra={**extra, "message_id": message_id})
    return message_id

"""What SES tells us after a message left: a permanent bounce or a complaint about a customer's address.

Either one stops email to that address for good (SES pauses accounts whose bounce or complaint rates
climb); the ladder carries on by SMS where the customer has a phone.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from chalicelib.domain.cases import Case, Change, record

BOUNCE = "bounce"
COMPLAINT = "complaint"
EVENTS = {BOUNCE: ("email_bounced", "bounced"), COMPLAINT: ("email_complained", "complained")}


@dataclass(frozen=True)
class MailFeedback:
    """One SES bounce or complaint, in our words (adapters/ses_events.py reads it)."""

    kind: str  # BOUNCE (permanent only) or COMPLAINT
    recipients: tuple[str, ...]
    broker_id: str | None  # from the tags our emails carry; None for mail we did not tag
    case_id: str | None
    feedback_id: str
    message_id: str
    detail: tuple[tuple[str, str], ...] = ()  # bounce type and subtype, or the complaint's feedback type


def same_address(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def stop_email(case: Case, feedback: MailFeedback, now: datetime) -> Change | None:
    """Record the bounce or complaint and stop email to the customer; None when it is not about the
    customer's address (a broker notice) or email has already stopped (SNS delivered it again)."""
    if case.ladder.email_suppressed or not any(same_address(r, case.customer.email) for r in feedback.recipients):
        return None
    event, reason = EVENTS[feedback.kind]
    data: dict[str, Any] = {"feedback_id": feedback.feedback_id, "message_id": feedback.message_id,
                            **dict(feedback.detail), "sms_follows": bool(case.customer.phone)
                            and not case.ladder.sms_opted_out}
    return record(case, now, "system", [(event, data)], ladder=replace(case.ladder, email_suppressed=reason))

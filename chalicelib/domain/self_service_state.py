"""What a customer asked for on their own: disputes, a promise to pay, payments they reported, fresh links.

A value kept on the Case (`case.self_service`), apart from the rules (self_service.py, disputes.py) so
cases.py and ladder.py can hold and read it without importing them. Times are UTC ISO strings with Z,
dates ISO dates, money int minor units of the case's currency.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

# Statuses whose timers live here: the ladder is paused by them (ladder.RUNNING excludes both) and
# `wake_at` says when this module next has something to do (raise a dispute again, end a mediation,
# find a promise missed). ladder.next_action folds `wake_at` into next_action_at, so the sweep finds it.
OWNED_STATUSES = frozenset({"disputed", "promised"})


@dataclass(frozen=True)
class Attachment:
    """An evidence file: its object key is fixed when the upload slot is given (`Dispute.uploads`); it is
    one of the dispute's `attachments` only once the object is in S3."""

    attachment_id: str
    key: str
    filename: str
    content_type: str
    size: int
    added_at: str


@dataclass(frozen=True)
class Dispute:
    dispute_id: str
    reason: str
    message: str
    amount: int | None  # None: the whole balance
    disputed: int  # what was disputed, in minor units, when it was opened
    opened_at: str
    prior_status: str  # the case's status before (restored when the dispute ends, promised -> open)
    status: str = "open"  # open | mediation | mediation_ended | upheld | partially_upheld | rejected
    raised_at: str | None = None  # when it was last raised to the broker again
    raised: int = 0
    attachments: tuple[Attachment, ...] = ()  # files in S3
    uploads: tuple[Attachment, ...] = ()  # slots given, not yet seen in S3 (added_at: when asked for)
    slots: int = 0  # upload slots ever given: numbers each file, so a lapsed slot's key is never reused
    outcome_message: str | None = None
    credit: int = 0
    mediator: str | None = None
    until: str | None = None
    resolved_at: str | None = None

    @property
    def unresolved(self) -> bool:
        return self.status in ("open", "mediation", "mediation_ended")


@dataclass(frozen=True)
class Promise:
    pay_by: str  # the customer's own date
    made_at: str
    prior_status: str = "open"  # open or escalated: where a missed promise returns the case
    status: str = "open"  # open | missed | superseded (a dispute replaced it)


@dataclass(frozen=True)
class PaymentReport:
    paid_on: str
    method: str
    reference: str
    reported_at: str
    pause_until: str


@dataclass(frozen=True)
class SelfService:
    disputes: tuple[Dispute, ...] = ()
    promise: Promise | None = None
    promises_missed: int = 0
    reports: tuple[PaymentReport, ...] = ()
    wake_at: str | None = None
    refresh_day: str | None = None  # the UTC date the refresh counter counts
    refreshes: int = 0

    def dispute(self, dispute_id: str) -> Dispute | None:
        return next((d for d in self.disputes if d.dispute_id == dispute_id), None)

    @property
    def current_dispute(self) -> Dispute | None:
        return next((d for d in reversed(self.disputes) if d.unresolved), None)


def wake_time(status: str, state: SelfService) -> datetime | None:
    """When this module's next timer is due, while the case is in a status it owns."""
    if status not in OWNED_STATUSES or state.wake_at is None:
        return None
    return datetime.fromisoformat(state.wake_at.replace("Z", "+00:00")).astimezone(timezone.utc)

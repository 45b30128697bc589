"""A statement of account, read from a case's history: what the evidence pack's PDF shows.

Pure: the events in, rows out (money in minor units, times as stored); the PDF adapter formats them
in the broker's language. The balance over time is the history's own arithmetic: each event that
moves money changes what is due by its amount, in order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.cases import Case
from chalicelib.domain.history import Event

# Event type -> sign of its effect on what is due (its `amount`).
DUE_EFFECT = {"case_opened": 1, "fee_applied": 1, "interest_applied": 1, "credit_applied": -1,
              "payment_received": -1, "payment_refunded": 1, "written_off": -1}
REMINDERS = ("reminder_sent", "reminder_unconfirmed")
FEES = ("fee_applied", "interest_applied", "interest_not_applied")
PAYMENTS = ("payment_received", "payment_pending", "payment_failed", "payment_refunded", "chargeback_opened",
            "chargeback_closed", "credit_kept", "recovery_received", "installment_paid", "installment_failed")
PROMISES = ("promise_made", "promise_missed", "plan_started", "plan_completed", "plan_defaulted",
            "already_paid_reported")
DISPUTES = ("dispute_opened", "dispute_resolved", "credit_applied", "dispute_attachment_added",
            "dispute_raised_again", "mediation_started", "mediation_ended")
CLOSING = ("ready_for_collections", "escalated", "escalation_outcome", "written_off")


@dataclass(frozen=True)
class Parts:
    """What is due, by part, as of one event: the values a reminder's template shows."""

    principal: int = 0
    fees: int = 0
    interest: int = 0
    discount: int = 0
    paid: int = 0

    @property
    def due(self) -> int:
        return max(0, self.principal + self.fees + self.interest - self.discount - self.paid)

    def as_dict(self, currency: str) -> dict[str, Any]:
        return {"currency": currency, "principal": self.principal, "fees": self.fees, "interest": self.interest,
                "discount": self.discount, "paid": self.paid, "due": self.due, "credit": 0}

    def after(self, event: Event) -> Parts:
        amount = event.data.get("amount") or 0
        if not isinstance(amount, int) or event.type not in DUE_EFFECT:
            return self
        if event.type == "case_opened":
            return Parts(amount, self.fees, self.interest, self.discount, self.paid)
        if event.type == "fee_applied":
            return Parts(self.principal, self.fees + amount, self.interest, self.discount, self.paid)
        if event.type == "interest_applied":
            return Parts(self.principal, self.fees, self.interest + amount, self.discount, self.paid)
        if event.type in ("credit_applied", "written_off"):
            return Parts(self.principal, self.fees, self.interest, self.discount + amount, self.paid)
        if event.type == "payment_received":
            discount = event.data.get("discount") or 0
            return Parts(self.principal, self.fees, self.interest, self.discount + discount, self.paid + amount)
        return Parts(self.principal, self.fees, self.interest, self.discount, self.paid - amount)  # refunded


@dataclass(frozen=True)
class Line:
    event: Event
    due: int  # what was due after this event
    parts: Parts


@dataclass
class Statement:
    case: Case
    balance: list[Line] = field(default_factory=list)
    reminders: list[Line] = field(default_factory=list)
    fees: list[Event] = field(default_factory=list)
    payments: list[Event] = field(default_factory=list)
    promises: list[Event] = field(default_factory=list)
    disputes: list[Event] = field(default_factory=list)
    notes: list[Event] = field(default_factory=list)
    closing: list[Event] = field(default_factory=list)


def statement(case: Case, events: list[Event]) -> Statement:
    found = Statement(case)
    parts = Parts()
    sections = ((FEES, found.fees), (PAYMENTS, found.payments), (PROMISES, found.promises),
                (DISPUTES, found.disputes), (CLOSING, found.closing), (("note_added",), found.notes))
    for event in events:
        parts = parts.after(event)
        if event.type in DUE_EFFECT:
            found.balance.append(Line(event, parts.due, parts))
        if event.type in REMINDERS:
            found.reminders.append(Line(event, parts.due, parts))
        for types, rows in sections:
            if event.type in types:
                rows.append(event)
    return found

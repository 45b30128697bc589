"""What about a case needs a person now (the console's Today list), kept on the case by every change.

`flags` is recomputed in `cases.record`, so the case item carries it and the store can index the cases that
need attention (a sparse index) instead of scanning. A flag keeps the time it was first raised; kinds whose
cause leaves no trace in the state (a failed send, a bounce) are raised and cleared by the change's events.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.domain.cases import Case
    from chalicelib.domain.history import Event

KINDS = ("dispute", "already_paid", "email_bounced", "send_failed", "plan_defaulted", "promise_due",
         "ready_for_collections")
CLOSED = ("paid", "written_off")
AWAITING_DECISION = ("open", "mediation_ended")

# Event-driven kinds: raised by these events, cleared by those.
RAISED_BY = {"already_paid_reported": "already_paid", "reminder_failed": "send_failed",
             "reminders_halted": "send_failed"}
CLEARED_BY = {"payment_received": ("already_paid",), "reminders_resumed": ("send_failed",)}


@dataclass(frozen=True)
class Flag:
    kind: str
    since: str  # UTC ISO time the flag was raised
    detail: str | None = None


def _state_flags(case: Case) -> dict[str, tuple[str | None, str | None]]:
    """Kinds that follow from the state alone: kind -> (its own since if the state holds one, detail)."""
    found: dict[str, tuple[str | None, str | None]] = {}
    dispute = case.self_service.current_dispute
    if dispute is not None and dispute.status in AWAITING_DECISION:
        found["dispute"] = (dispute.raised_at or dispute.opened_at, dispute.reason)
    if case.ladder.email_suppressed in ("bounced", "complained"):
        found["email_bounced"] = (None, case.ladder.email_suppressed)
    plan = case.plans.current
    if plan is not None and plan.state == "defaulted" and case.status != "on_plan":
        found["plan_defaulted"] = (plan.ended_at, None)
    promise = case.self_service.promise
    if promise is not None and promise.status == "open" and case.status == "promised":
        found["promise_due"] = (promise.made_at, promise.pay_by)
    closing = case.closing
    if closing.ready_for_collections and closing.escalation is None and case.status == "open":
        found["ready_for_collections"] = (None, None)
    return found


def flags(before: Case, after: Case, events: tuple[Event, ...], stamp: str) -> tuple[Flag, ...]:
    """The case's flags after a change: state kinds as the state says, event kinds as the events say."""
    if after.status in CLOSED:
        return ()
    previous = {f.kind: f for f in before.attention}
    event_kinds = {f.kind: f for f in before.attention if f.kind in RAISED_BY.values()}
    for event in events:
        for kind in CLEARED_BY.get(event.type, ()):
            event_kinds.pop(kind, None)
        if event.type == "reminder_sent" and event.data.get("channel") != "broker":
            event_kinds.pop("send_failed", None)
        raised = RAISED_BY.get(event.type)
        if raised is not None:
            kind = raised
            detail = event.data.get("error") or event.data.get("reason") or event.data.get("method")
            event_kinds[kind] = Flag(kind, previous[kind].since if kind in previous else event.at,
                                     str(detail) if detail is not None else None)
    result = dict(event_kinds)
    for kind, (since, detail) in _state_flags(after).items():
        result[kind] = Flag(kind, since or (previous[kind].since if kind in previous else stamp), detail)
    return tuple(result[k] for k in KINDS if k in result)

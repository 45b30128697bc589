"""A customer's own moves besides paying and disputing: a promise to pay, "I already paid", a fresh link;
and the timers of promises and disputes, run from the reminder sweep.

Promise to pay
    `pay_by` is a date on the customer's calendar, from today up to the policy's `promise_max_days`
    ahead. The case becomes `promised`, which pauses the ladder. Paid in full by then: the case is paid
    and nothing more happens. Still owing on the day after `pay_by` (at the first moment the contact
    rules allow): `promise_missed` (an event and an email to the customer), the case is open again and
    the ladder continues where it stood. A case whose promise was missed gets no second one online.

"I already paid"
    The customer's date, method and reference: the broker is asked to reconcile (email + event) and the
    ladder pauses for the policy's `already_paid_pause_days` (the ladder's own timed pause, so it resumes
    by itself; a longer pause the broker set is left alone). Recording the payment closes the case;
    otherwise the broker may resume at once or let the pause run out.

Fresh links
    A pay link that expired (its signature is good, and it is still the case's current link) may be
    swapped for a new link version, which revokes every earlier one, emailed to the address on file.
    At most REFRESHES_PER_DAY per case per UTC day; the caller answers the same whatever happens here.

Timers
    While a promise or dispute owns the case (self_service_state.OWNED_STATUSES) the reminder worker
    calls `due` instead of ladder.advance (services/reminders.py's hook); ladder.next_action folds
    `wake_at` into next_action_at so the sweep comes back at the right time.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from chalicelib.domain import disputes, ladder
from chalicelib.domain.cases import Case, Change, iso, parse_iso, record, transition
from chalicelib.domain.customer_rules import (
    MAX_REPORTS,
    PAID_METHODS,
    REFRESHES_PER_DAY,
    chain,
    check,
    customer_today,
    fresh_link,
    pause_by_status,
    restored_status,
    resume_after,
)
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.policy import Policy
from chalicelib.domain.self_service_state import OWNED_STATUSES, PaymentReport, Promise, wake_time

ALREADY_PAID_REASON = "the customer reported a payment; the broker is checking it"
REFRESHED = "expired link refreshed"  # the link_issued reason that calls for the fresh-link email


# --- promise to pay ----------------------------------------------------------------------------------

def promise_deadline(case: Case, policy: Policy, pay_by: date) -> datetime:
    """When a promise counts as missed: the day after `pay_by`, as soon as the customer may be contacted."""
    tz = ladder.zone(case)
    start = datetime.combine(pay_by + timedelta(days=1), time(0), tzinfo=tz)
    contacts = tuple(parse_iso(c) for c in case.ladder.contacts)
    return ladder.allowed(start, tz, policy.contact, contacts)


def make_promise(case: Case, policy: Policy, now: datetime, *, pay_by: date) -> Change | None:
    state = case.self_service
    if case.status == "promised" and state.promise is not None and state.promise.pay_by == pay_by.isoformat():
        return None  # the same promise again
    check("promise", case, pay_by=state.promise.pay_by if state.promise else "")
    if case.balance.due == 0:
        raise Conflict("nothing is due on this case", "status", code="nothing_due")
    if state.promises_missed:
        raise Conflict(f"a promise to pay on this case was missed: please pay now or contact {case.broker.name}",
                       "status", code="promise_missed")
    today = customer_today(case, now)
    latest = today + timedelta(days=policy.self_service.promise_max_days)
    if pay_by < today:
        raise InvalidInput("must be today or later", "pay_by")
    if pay_by > latest:
        raise InvalidInput(f"must be at most {policy.self_service.promise_max_days} days ahead "
                           f"({latest.isoformat()})", "pay_by")
    promise = Promise(pay_by=pay_by.isoformat(), made_at=iso(now), prior_status=case.status)
    status = transition(case, "promised")
    changes: dict[str, Any] = {
        "status": status, "ladder": pause_by_status(case, now),
        "self_service": replace(state, promise=promise, wake_at=iso(promise_deadline(case, policy, pay_by)))}
    return record(case, now, "customer", [
        ("promise_made", {"pay_by": promise.pay_by, "missed_at": changes["self_service"].wake_at}),
        ("status_changed", {"status": status, "from": case.status, "reason": "promise to pay"}),
    ], **changes, next_action_at=ladder.next_action(replace(case, **changes), policy, now))


def promise_missed(case: Case, policy: Policy, now: datetime, *, new_link_id: str, link_ttl: timedelta) -> Change:
    """Still owing the day after the promised date: back to the ladder, with a message saying so."""
    state = case.self_service
    assert state.promise is not None
    target = restored_status(state.promise.prior_status)
    link, link_events = fresh_link(case, now, new_link_id, link_ttl)
    contacts = (*case.ladder.contacts, iso(now))  # the message counts against the contact cap
    changes: dict[str, Any] = {
        "status": transition(case, target), "link": link, "ladder": replace(case.ladder, contacts=contacts),
        "self_service": replace(state, promise=replace(state.promise, status="missed"),
                                promises_missed=state.promises_missed + 1, wake_at=None)}
    change = record(case, now, "system", [
        ("promise_missed", {"pay_by": state.promise.pay_by, "due": case.balance.due,
                            "currency": case.balance.currency}),
        ("status_changed", {"status": target, "from": case.status, "reason": "promise missed"}),
        *link_events,
    ], **changes, next_action_at=ladder.next_action(replace(case, **changes), policy, now))
    return resume_after(change, policy, now, actor="system", reason="promise missed")


# --- "I already paid" --------------------------------------------------------------------------------

def report_payment(case: Case, policy: Policy, now: datetime, *, paid_on: date, method: str,
                   reference: str) -> Change | None:
    state = case.self_service
    details = (paid_on.isoformat(), method, reference)
    if any((r.paid_on, r.method, r.reference) == details for r in state.reports):
        return None  # the same report again
    check("already_paid", case)
    if state.reports and now < parse_iso(state.reports[-1].pause_until):
        raise Conflict(f"the payment you reported on {state.reports[-1].reported_at[:10]} is still being "
                       "checked", "status", code="report_pending")
    if len(state.reports) >= MAX_REPORTS:
        raise Conflict(f"payments on this case were reported {MAX_REPORTS} times: please contact "
                       f"{case.broker.name}", "status", code="too_many_reports")
    if method not in PAID_METHODS:
        raise InvalidInput(f"must be one of {', '.join(PAID_METHODS)}", "method")
    if paid_on > customer_today(case, now):
        raise InvalidInput("cannot be in the future", "paid_on")
    until = now + timedelta(days=policy.self_service.already_paid_pause_days)
    report = PaymentReport(paid_on=details[0], method=method, reference=reference, reported_at=iso(now),
                           pause_until=iso(until))
    reported = record(case, now, "customer", [("already_paid_reported", {
        "paid_on": report.paid_on, "method": method, "reference": reference, "pause_until": report.pause_until})],
        self_service=replace(state, reports=(*state.reports, report)))
    current = case.ladder
    if current.paused and (current.paused_until is None or parse_iso(current.paused_until) >= until):
        return reported  # the broker's own, longer pause stays
    return chain(reported, ladder.pause(reported.case, policy, now, until=until, reason=ALREADY_PAID_REASON,
                                        actor="customer"))


# --- fresh links ---------------------------------------------------------------------------------------

def refresh_link(case: Case, now: datetime, *, link_id: str, link_version: int, expires_at: datetime,
                 new_link_id: str, link_ttl: timedelta) -> Change | None:
    """A new link version for an expired, current link; None (nothing to send) in every other case."""
    if (case.link.link_id, case.link.version) != (link_id, link_version):
        return None  # revoked: a newer link exists
    if now < expires_at or case.status == "written_off":
        return None
    state = case.self_service
    today = now.date().isoformat()
    used = state.refreshes if state.refresh_day == today else 0
    if used >= REFRESHES_PER_DAY:
        return None
    link, events = fresh_link(case, now, new_link_id, link_ttl, force=True, reason=REFRESHED)
    return record(case, now, "customer", events, link=link,
                  self_service=replace(state, refresh_day=today, refreshes=used + 1))


# --- timers --------------------------------------------------------------------------------------------

def owns(case: Case) -> bool:
    """Whether the worker should run `due` rather than ladder.advance: a promise or dispute pauses the
    case, and no reminder delivery is in flight (a claimed one is the ladder's to finish)."""
    pending = case.ladder.pending
    return case.status in OWNED_STATUSES and not (pending is not None and pending.lease_until)


def due(case: Case, policy: Policy, now: datetime, *, new_link_id: str, link_ttl: timedelta) -> Change | None:
    """What a promise or dispute needs done now, or the sweep time put right; None when nothing."""
    wake = wake_time(case.status, case.self_service)
    if wake is not None and wake <= now:
        if case.status == "promised" and case.self_service.promise is not None:
            return promise_missed(case, policy, now, new_link_id=new_link_id, link_ttl=link_ttl)
        dispute = case.self_service.current_dispute
        if case.status == "disputed" and dispute is not None and dispute.status == "open":
            return disputes.raise_again(case, policy, now, dispute)
        if case.status == "disputed" and dispute is not None and dispute.status == "mediation":
            return disputes.end_mediation(case, policy, now, dispute)
        case = replace(case, self_service=replace(case.self_service, wake_at=None))  # nothing left to wake for
    wanted = ladder.next_action(case, policy, now)
    if wanted == case.next_action_at:
        return None
    return record(case, now, "system", [("reminder_rescheduled", {
        "step": None, "at": wanted, "reason": f"case is {case.status}", "policy_version": policy.version})],
        self_service=case.self_service, next_action_at=wanted)

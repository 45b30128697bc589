"""The reminder ladder: given a case, its broker's policy and "now", what happens next, and when.

Pure: every function takes `now`; the customer's IANA time zone (zoneinfo data) only decides when it
is polite to make contact. Times go in and out as UTC.

When a step runs
    A step's date is `due_on + offset_days + shift_days` (shift_days: days spent paused, so resuming
    continues where the ladder stood instead of firing every step that fell due meanwhile), at the start
    of the contact window in the customer's zone, and never on the same local day as the step before.
    Outside the window, on a day without contact, or with `max_contacts` contacts already in the last
    `per_days` days, the step is deferred to the next allowed moment, never dropped. A case opened late
    starts at the newest step already due on the day it was opened (older ones are listed as skipped in
    `reminder_started`, and their fee and interest actions are carried into it), but never past a final
    notice that has not gone out: escalation only ever follows a final notice that did, and then only
    after the ladder's full gap between the two. Steps delayed by deferrals or outages are never skipped.

How a step runs, exactly once (the service drives this; see services/reminders.py)
    1. `advance` starts the step: `reminder_started`, fees, interest, a fresh link if the current one
       is about to expire, and a *claim* on the first delivery with a lease, all in one change (one
       transaction, conditioned on the case version). Only the worker whose change was stored may send.
    2. The worker sends that delivery, then `confirm` stores `reminder_sent` with the provider's message
       id and, in the same change, claims the next delivery (or finishes the step and plans the next).
    3. A definite send failure (`fail`) releases the claim with a retry time (backoff); the last failure
       records `reminder_failed` and moves on. A claim whose lease ran out unconfirmed (the worker died
       between its claim and its confirmation) is recorded as `reminder_unconfirmed` and never sent
       again: the provider cannot tell us whether it went out, and sending twice is the worse mistake.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.domain import channels
from chalicelib.domain.cases import Case, Change, Link, iso, parse_iso, record
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.fees import RateUnavailableError, late_fee, statutory_interest
from chalicelib.domain.ladder_state import LadderState, PendingStep
from chalicelib.domain.payments import unpayable_remainder
from chalicelib.domain.policy import ContactRules, Policy, Step
from chalicelib.domain.self_service_state import wake_time

LEASE = timedelta(minutes=5)  # longer than the worker's Lambda timeout, so a live worker never loses it
MAX_ATTEMPTS = 5
BACKOFF = (timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2))
LINK_REFRESH = timedelta(days=14)  # a reminder never carries a link that expires sooner than this
CONTACT_MEMORY = timedelta(days=31)  # the longest `per_days` a policy may set
RUNNING = frozenset({"open", "escalated"})  # statuses in which the ladder runs; all others pause it
HELD_BY_PARTNER = "with a collections partner who contacts the customer"
BROKER = "broker"  # the delivery that notifies the broker (escalation), not a customer contact
ACTOR = "system"


@dataclass(frozen=True)
class Plan:
    """What the ladder will do next: `step` at `at` (UTC), or nothing, with the reason."""

    step: Step | None
    at: datetime | None
    reason: str
    skipped: tuple[Step, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        step = None if self.step is None else {**self.step.as_dict(), "step": self.step.step_id}
        return {"step": step, "at": iso(self.at) if self.at else None, "reason": self.reason,
                "skipped": [s.step_id for s in self.skipped]}


@dataclass(frozen=True)
class Claim:
    """A worker's right to make one delivery, as stored in the case (`pending.claim`)."""

    claim: str
    channel: str
    offset_days: int
    stage: str
    template: str
    policy_version: int
    attempt: int
    link_id: str

    @property
    def step_id(self) -> str:
        return f"{self.offset_days:+d}"


# --- time ------------------------------------------------------------------------------------------

def zone(case: Case) -> ZoneInfo:
    try:
        return ZoneInfo(case.customer.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """`clock` on `day` in `tz`, as UTC (a time skipped by a DST change lands just after the change)."""
    return datetime.combine(day, clock, tzinfo=tz).astimezone(timezone.utc)


def in_window(moment: datetime, tz: ZoneInfo, rules: ContactRules) -> datetime:
    """The first moment at or after `moment` inside the contact window on an allowed weekday."""
    local = moment.astimezone(tz)
    day = local.date()
    for _ in range(8):
        if day.weekday() in rules.days:
            start, end = _at(day, rules.window_start, tz), _at(day, rules.window_end, tz)
            if moment < start:
                return start
            if moment < end:
                return moment.astimezone(timezone.utc)
        day += timedelta(days=1)
        moment = _at(day, time(0), tz)
    raise ValueError("the contact rules allow no day at all")  # policy_from_dict refuses such rules


def under_cap(moment: datetime, contacts: tuple[datetime, ...], rules: ContactRules) -> datetime:
    """The first moment at or after `moment` with fewer than `max_contacts` in the trailing window."""
    span = timedelta(days=rules.per_days)
    while True:
        recent = sorted(c for c in contacts if moment - span < c <= moment)
        if len(recent) < rules.max_contacts:
            return moment
        moment = recent[len(recent) - rules.max_contacts] + span


def allowed(moment: datetime, tz: ZoneInfo, rules: ContactRules, contacts: tuple[datetime, ...] = ()) -> datetime:
    """The next moment the customer may be contacted: inside the window and under the cap."""
    for _ in range(100):
        candidate = under_cap(in_window(moment, tz, rules), contacts, rules)
        if candidate == moment:
            return candidate
        moment = candidate
    raise ValueError("no allowed moment found")  # unreachable with validated rules


def running(case: Case) -> bool:
    """The ladder runs: a running status, and no partner holding the case who asked it to stop."""
    return case.status in RUNNING and not case.closing.held_by_partner


def _stopped_reason(case: Case) -> str:
    return HELD_BY_PARTNER if case.status in RUNNING else f"case is {case.status}"


# --- planning --------------------------------------------------------------------------------------

def steps_of(case: Case, policy: Policy) -> tuple[Step, ...]:
    return policy.ladder_for(case.customer.tier)


def nominal_date(case: Case, step: Step) -> date:
    return case.invoice.due_on + timedelta(days=step.offset_days + case.ladder.shift_days)


def _next_step(case: Case, policy: Policy, now: datetime) -> tuple[Step | None, tuple[Step, ...]]:
    st = case.ladder
    steps = steps_of(case, policy)
    remaining = [s for s in steps if st.done_offset is None or s.offset_days > st.done_offset]
    if not remaining:
        return None, ()
    step: Step = remaining[0]
    skipped: tuple[Step, ...] = ()
    if st.done_offset is None:  # first step: begin at the newest one already due when the case was opened
        opened_on = local_date(parse_iso(case.created_at), zone(case))
        passed = [s for s in remaining if nominal_date(case, s) <= opened_on]
        if passed:
            step, skipped = passed[-1], tuple(passed[:-1])
    if step.stage == "escalation" and not st.final_sent:
        finals = [s for s in steps if s.stage == "final"]
        if not finals:
            return None, ()
        step = finals[-1]
        skipped = tuple(s for s in skipped if s.offset_days < step.offset_days)
    return step, skipped


def _customer_channels(case: Case, step: Step) -> bool:
    return any(_deliverable(case, c) for c in step.channels)


def _deliverable(case: Case, channel: str) -> bool:
    return channels.reaches(channel, case)


def _contacts(case: Case) -> tuple[datetime, ...]:
    return tuple(parse_iso(c) for c in case.ladder.contacts)


def step_time(case: Case, policy: Policy, step: Step, now: datetime) -> datetime:
    """When `step` may run: its date at the start of the window, deferred as the contact rules demand."""
    tz = zone(case)
    earliest = nominal_date(case, step)
    if case.ladder.done_on:
        earliest = max(earliest, date.fromisoformat(case.ladder.done_on) + timedelta(days=1))
    final = next((s for s in steps_of(case, policy) if s.stage == "final"), None)
    if step.stage == "escalation" and final is not None and case.ladder.final_on:
        # However late the final notice went out, the customer keeps the ladder's full time to answer it.
        gap = timedelta(days=step.offset_days - final.offset_days)
        earliest = max(earliest, date.fromisoformat(case.ladder.final_on) + gap)
    moment = max(_at(earliest, time(0), tz), now)
    contacts = _contacts(case) if _customer_channels(case, step) else ()
    return allowed(moment, tz, policy.contact, contacts)


def plan(case: Case, policy: Policy, now: datetime) -> Plan:
    st = case.ladder
    if st.pending is not None:
        p = st.pending
        step = next((s for s in steps_of(case, policy) if s.offset_days == p.offset_days),
                    Step(p.offset_days, p.template, p.stage, ()))
        if p.lease_until:
            return Plan(step, parse_iso(p.lease_until), "sending")
        if case.status in RUNNING and not st.paused:
            return Plan(step, parse_iso(p.retry_at) if p.retry_at else now, "retrying")
    if not running(case):
        return Plan(None, None, _stopped_reason(case))
    if st.paused:
        return Plan(None, parse_iso(st.paused_until) if st.paused_until else None, "paused")
    if st.halted:
        return Plan(None, None, st.halted)
    if unpayable_remainder(case):  # never ask for an amount no card payment can be
        return Plan(None, None, "the rest is below the smallest card payment: the broker writes it off or "
                                "collects it another way")
    upcoming, skipped = _next_step(case, policy, now)
    if upcoming is None:
        reason = "waiting for a final notice" if st.done_offset is not None and any(
            s.offset_days > st.done_offset for s in steps_of(case, policy)) else "ladder finished"
        return Plan(None, None, reason)
    return Plan(upcoming, step_time(case, policy, upcoming, now), "scheduled", skipped)


def next_action(case: Case, policy: Policy, now: datetime) -> str | None:
    """The value `case.next_action_at` should hold (drives the sweep index)."""
    at = plan(case, policy, now).at
    # While a promise or dispute pauses the ladder, its own timer (promise missed,
    # dispute unanswered, mediation over) shares the sweep index; self_service.due acts on it.
    wake = wake_time(case.status, case.self_service)
    if wake is not None and (at is None or wake < at):
        at = wake
    # An active installment plan's next charge shares the sweep index too; the
    # reminder worker's `installments` hook (services/plans.py) charges it.
    charge = case.plans.next_charge_at if case.status == "on_plan" else None
    if charge is not None and (at is None or parse_iso(charge) < at):
        at = parse_iso(charge)
    return iso(at) if at else None


def describe(case: Case, policy: Policy, now: datetime) -> dict[str, Any]:
    """The broker's view of the ladder on GET /admin/cases/{case_id}."""
    st = case.ladder
    upcoming = plan(case, policy, now)
    shown = upcoming.as_dict()
    if upcoming.at is not None and upcoming.at <= now:
        # Due already: it runs when the sweep next picks the case up, not "now" (which moves as you look).
        shown["at"] = case.next_action_at
    return {
        "next_action_at": case.next_action_at,
        "next_step": shown,
        "policy_version": policy.version,
        "last_step": None if st.done_offset is None else f"{st.done_offset:+d}",
        "final_sent": st.final_sent,
        "paused": {"since": st.paused_since, "until": st.paused_until, "reason": st.pause_reason}
        if st.paused else None,
        "halted": st.halted,
        "sms_opted_out": st.sms_opted_out,
        "email_suppressed": st.email_suppressed,
    }


# --- commands: each returns the Change to store, or None when nothing needs doing --------------------

def advance(case: Case, policy: Policy, now: datetime, *, new_link_id: str, link_ttl: timedelta) -> Change | None:
    """Whatever is due now: recover a lapsed claim, retry, note a pause or its end, or start a step."""
    st = case.ladder
    p = st.pending
    if p is not None and p.lease_until:
        if now < parse_iso(p.lease_until):
            return None  # another worker holds the delivery
        return _recover(case, p, policy, now)
    if not running(case):
        if case.next_action_at is not None:  # still in the sweep index: take it out, remember since when
            ladder = replace(st, paused_since=st.paused_since or iso(now))
            reason = case.status if case.status not in RUNNING else HELD_BY_PARTNER
            return record(case, now, ACTOR, [("reminders_paused", {"reason": reason})],
                          ladder=ladder, next_action_at=None)
        return None
    if st.paused:
        if st.paused_until and now >= parse_iso(st.paused_until):
            return resume(case, policy, now, actor=ACTOR, reason="pause ended")
        return _reschedule(case, policy, now)
    if st.paused_since is not None:  # a pause by status (promise, plan, dispute) has ended
        return resume(case, policy, now, actor=ACTOR, reason="case is open again")
    if p is not None:
        if p.retry_at and now < parse_iso(p.retry_at):
            return _reschedule(case, policy, now)
        attempt = p.attempt if p.deferred else p.attempt + 1  # a throttle used no attempt
        return _claim(case, replace(p, attempt=attempt), [("reminder_retry", {
            "step": f"{p.offset_days:+d}", "channel": p.channels[0], "attempt": attempt,
            **({"after": "throttled"} if p.deferred else {})})], policy, now)
    next_plan = plan(case, policy, now)
    if next_plan.step is None or next_plan.at is None or next_plan.at > now:
        return _reschedule(case, policy, now)
    return _start(case, policy, next_plan.step, next_plan.skipped, now, new_link_id, link_ttl)


def claim_of(change: Change) -> Claim | None:
    """The delivery a stored change entitles its worker to make, if it made a new claim."""
    p = change.case.ladder.pending
    if p is None or not p.lease_until or p.claim.split(":")[0] != f"c{change.expected_version + 1}":
        return None
    return Claim(claim=p.claim, channel=p.channels[0], offset_days=p.offset_days, stage=p.stage,
                 template=p.template, policy_version=p.policy_version, attempt=p.attempt,
                 link_id=change.case.link.link_id)


def confirm(case: Case, claim: Claim, message_id: str, policy: Policy, now: datetime) -> Change:
    """The provider accepted the delivery: record it, then claim the next one or finish the step."""
    data = _delivery(claim) | {"message_id": message_id}
    p = case.ladder.pending
    if p is None or p.claim != claim.claim:
        # Our lease ran out and another worker recorded the delivery as unconfirmed: it did go out.
        return record(case, now, ACTOR, [("reminder_sent", data | {"late": True})])
    p = replace(p, channels=p.channels[1:], went_out=True,
                customer_contact=p.customer_contact or claim.channel != BROKER)
    return _after_delivery(case, p, [("reminder_sent", data)], policy, now)


def skip(case: Case, claim: Claim, reason: str, policy: Policy, now: datetime) -> Change | None:
    """The delivery cannot be made (the customer opted out of SMS): record why and move on."""
    p = case.ladder.pending
    if p is None or p.claim != claim.claim:
        return None
    events: list[tuple[str, dict[str, Any]]] = [("reminder_skipped", _delivery(claim) | {"reason": reason})]
    ladder = case.ladder
    if reason == "sms_opted_out":
        events.insert(0, ("sms_opted_out", {"step": claim.step_id}))
        ladder = replace(ladder, sms_opted_out=True)
    if reason == "email_opted_out":  # the address is on the broker's suppression list (a bounce elsewhere)
        events.insert(0, ("email_suppressed", {"step": claim.step_id}))
        ladder = replace(ladder, email_suppressed="suppressed")
    return _after_delivery(replace(case, ladder=ladder), replace(p, channels=p.channels[1:]), events, policy, now)


def defer(case: Case, claim: Claim, error: str, retry: datetime, policy: Policy, now: datetime) -> Change | None:
    """The provider throttled the delivery (nothing was sent): release the claim until `retry` (kept inside
    the contact window) without using an attempt, so a burst spreads out instead of failing."""
    p = case.ladder.pending
    if p is None or p.claim != claim.claim:
        return None
    if claim.channel != BROKER:
        retry = allowed(retry, zone(case), policy.contact)
    p = replace(p, lease_until=None, retry_at=iso(retry), deferred=True, deferrals=p.deferrals + 1)
    return record(case, now, ACTOR, [("reminder_deferred", _delivery(claim) | {
        "attempt": p.attempt, "error": error, "retry_at": iso(retry)})],
        ladder=replace(case.ladder, pending=p), next_action_at=iso(retry))


def fail(case: Case, claim: Claim, error: str, policy: Policy, now: datetime) -> Change | None:
    """The provider refused the delivery: retry later with backoff, or give up after the last attempt."""
    p = case.ladder.pending
    if p is None or p.claim != claim.claim:
        return None
    data = _delivery(claim) | {"attempt": p.attempt, "error": error}
    if p.attempt < MAX_ATTEMPTS:
        retry = now + BACKOFF[min(p.attempt, len(BACKOFF)) - 1]
        if claim.channel != BROKER:
            retry = allowed(retry, zone(case), policy.contact)
        p = replace(p, lease_until=None, retry_at=iso(retry))
        return record(case, now, ACTOR, [("reminder_attempt_failed", data | {"retry_at": iso(retry)})],
                      ladder=replace(case.ladder, pending=p), next_action_at=iso(retry))
    return _after_delivery(case, replace(p, channels=p.channels[1:]), [("reminder_failed", data)], policy, now)


def pause(case: Case, policy: Policy, now: datetime, *, until: datetime | None, reason: str | None,
          actor: str = "broker") -> Change:
    if case.is_closed:
        raise Conflict(f"a {case.status} case has no reminders to pause", "status")
    if until is not None and until <= now:
        raise InvalidInput("must be in the future", "until")
    st = case.ladder
    ladder = replace(st, paused=True, paused_until=iso(until) if until else None, pause_reason=reason,
                     paused_since=st.paused_since or iso(now))
    paused = replace(case, ladder=ladder)
    return record(case, now, actor, [("reminders_paused", {"until": ladder.paused_until, "reason": reason})],
                  ladder=ladder, next_action_at=next_action(paused, policy, now))


def resume(case: Case, policy: Policy, now: datetime, *, actor: str = "broker",
           reason: str | None = None) -> Change | None:
    """Continue where the ladder stood: the remaining steps move by the days spent paused.

    Resuming a ladder that is not paused (or halted) changes nothing, so a retried request is harmless.
    """
    st = case.ladder
    if not st.paused and st.halted is None and st.paused_since is None:
        return None
    days = 0
    if st.paused_since:
        tz = zone(case)
        days = max(0, (local_date(now, tz) - local_date(parse_iso(st.paused_since), tz)).days)
    ladder = replace(st, paused=False, paused_until=None, pause_reason=None, paused_since=None,
                     shift_days=st.shift_days + days, halted=None)
    events: list[tuple[str, dict[str, Any]]] = [("reminders_resumed", {"paused_days": days, "reason": reason})]
    closing = case.closing
    if closing.mediation is not None:  # a mediation holds the ladder with a pause: it ends with it
        events.insert(0, ("mediation_ended", {"mediator_id": closing.mediation.mediator_id,
                                              "mediator": closing.mediation.mediator_name,
                                              "until": closing.mediation.until}))
        closing = replace(closing, mediation=None)
    resumed = replace(case, ladder=ladder, closing=closing)
    return record(case, now, actor, events, ladder=ladder, closing=closing,
                  next_action_at=next_action(resumed, policy, now))


# --- the steps of a step ---------------------------------------------------------------------------

def _delivery(claim: Claim) -> dict[str, Any]:
    return {"channel": claim.channel, "step": claim.step_id, "stage": claim.stage, "template": claim.template,
            "policy_version": claim.policy_version, "claim": claim.claim, "link_id": claim.link_id}


def _reschedule(case: Case, policy: Policy, now: datetime) -> Change | None:
    target = plan(case, policy, now)
    at = iso(target.at) if target.at else None
    if at == case.next_action_at:
        return None
    return record(case, now, ACTOR, [("reminder_rescheduled", {
        "step": target.step.step_id if target.step else None, "at": at, "reason": target.reason,
        "policy_version": policy.version})], next_action_at=at)


def _start(case: Case, policy: Policy, step: Step, skipped: tuple[Step, ...], now: datetime,
           new_link_id: str, link_ttl: timedelta) -> Change:
    st = case.ladder
    tz = zone(case)
    today = local_date(now, tz)
    actions = tuple(dict.fromkeys(step.actions + tuple(a for s in skipped for a in s.actions
                                                        if a in ("apply_late_fee", "start_interest"))))
    deliveries = tuple(c for c in step.channels if _deliverable(case, c))
    deliveries += _instead_of_email(case, deliveries)
    dropped = [c for c in step.channels if c not in deliveries]
    if "notify_broker" in actions:
        if case.broker.email:
            deliveries += (BROKER,)
        else:
            dropped.append(BROKER)
    events: list[tuple[str, dict[str, Any]]] = [("reminder_started", {
        "step": step.step_id, "stage": step.stage, "template": step.template, "channels": list(deliveries),
        "not_sent_on": dropped, "actions": list(actions), "skipped": [s.step_id for s in skipped],
        "policy_version": policy.version, "local_date": today.isoformat(),
    })]
    changes: dict[str, Any] = {}
    balance = case.balance
    link = case.link
    if any(d != BROKER for d in deliveries) and parse_iso(link.expires_at) - now < LINK_REFRESH:
        link = Link(new_link_id, link.version + 1, iso(now + link_ttl))
        events.append(("link_issued", {"link_id": link.link_id, "link_version": link.version,
                                       "expires_at": link.expires_at, "revoked_version": case.link.version}))
        changes["link"] = link
    if "apply_late_fee" in actions and policy.late_fee is not None:
        fee = late_fee(policy.late_fee, case.invoice.amount, case.invoice.due_on, today)
        if fee:
            balance = replace(balance, fees=balance.fees + fee)
            events.append(("fee_applied", {"amount": fee, "currency": balance.currency, "kind": "late_fee",
                                           "step": step.step_id}))
    ladder = replace(st, stage=step.stage)
    if "start_interest" in actions and policy.interest.regime != "none":
        ladder = replace(ladder, interest_started=True)
    if ladder.interest_started:
        balance, ladder = _interest(case, policy, balance, ladder, today, step, events)
    if "mark_ready_for_collections" in actions and case.status == "open":
        # Marked only: the broker confirms by escalating to a partner (closing.escalate).
        changes["closing"] = replace(case.closing, ready_for_collections=True)
        events.append(("ready_for_collections", {"step": step.step_id, "due": balance.due,
                                                 "currency": balance.currency}))
    changes["balance"] = balance
    pending = PendingStep(offset_days=step.offset_days, stage=step.stage, template=step.template,
                          started_seq=case.version + 1, started_at=iso(now), policy_version=policy.version,
                          channels=deliveries)
    started = replace(case, ladder=ladder, **changes)
    if not deliveries:
        return _finish(case, started, pending, events, policy, now, changes)
    return _claim(started, pending, events, policy, now, base=case, changes=changes)


def _instead_of_email(case: Case, channels: tuple[str, ...]) -> tuple[str, ...]:
    """SMS where email can no longer reach the customer (bounced, complained), if the step had no SMS."""
    if case.ladder.email_suppressed and "sms" not in channels and _deliverable(case, "sms"):
        return ("sms",)
    return ()


def _interest(case: Case, policy: Policy, balance: Any, ladder: LadderState, today: date, step: Step,
              events: list[tuple[str, dict[str, Any]]]) -> tuple[Any, LadderState]:
    """Interest owed as of `today` replaces what was charged before: re-running a step cannot add twice."""
    terms = policy.interest
    principal = max(0, case.invoice.amount - balance.paid)
    try:
        quote = statutory_interest(terms.regime, terms.country, principal, balance.currency, case.invoice.due_on,
                                   today, contractual_rate_bp=terms.rate_bp if terms.regime == "contractual" else None,
                                   carry_forward=terms.carry_forward_rates)
    except RateUnavailableError as exc:
        events.append(("interest_not_applied", {"reason": str(exc), "step": step.step_id}))
        return balance, ladder
    if quote.amount > ladder.interest_charged:
        delta = quote.amount - ladder.interest_charged
        balance = replace(balance, interest=balance.interest + delta)
        events.append(("interest_applied", {
            "amount": delta, "currency": balance.currency, "total": quote.amount, "as_of": today.isoformat(),
            "regime": terms.regime, "provisional": quote.provisional, "step": step.step_id,
            "periods": [{"start": p.start.isoformat(), "end": p.end.isoformat(), "rate_bp": p.rate_bp,
                         "provisional": p.provisional} for p in quote.periods]}))
        ladder = replace(ladder, interest_charged=quote.amount, interest_provisional=quote.provisional)
    if quote.fixed_compensation and not ladder.compensation_charged:
        balance = replace(balance, fees=balance.fees + quote.fixed_compensation)
        events.append(("fee_applied", {"amount": quote.fixed_compensation, "currency": balance.currency,
                                       "kind": "fixed_compensation", "step": step.step_id}))
        ladder = replace(ladder, compensation_charged=True)
    return balance, ladder


def _claim(case: Case, pending: PendingStep, events: list[tuple[str, dict[str, Any]]], policy: Policy,
           now: datetime, *, base: Case | None = None, changes: dict[str, Any] | None = None) -> Change:
    """Store `events` and, with them, a claim on the first remaining delivery (named by the first event's seq)."""
    base = base or case
    claim = f"c{base.version + 1}:{pending.channels[0]}:{pending.attempt}"
    lease = iso(now + LEASE)
    pending = replace(pending, claim=claim, lease_until=lease, retry_at=None, deferred=False)
    return record(base, now, ACTOR, events, **(changes or {}),
                  ladder=replace(case.ladder, pending=pending), next_action_at=lease)


def _after_delivery(case: Case, pending: PendingStep, events: list[tuple[str, dict[str, Any]]], policy: Policy,
                    now: datetime) -> Change:
    if pending.channels and (not running(case) or case.ladder.paused):
        # Paid, paused or disputed while the step was going out: its remaining deliveries are not made.
        events = [*events, *[("reminder_skipped", {
            "channel": channel, "step": f"{pending.offset_days:+d}", "stage": pending.stage,
            "template": pending.template, "reason": "paused" if case.ladder.paused else _stopped_reason(case)})
            for channel in pending.channels]]
        pending = replace(pending, channels=())
    if pending.channels:
        return _claim(case, replace(pending, attempt=1, deferrals=0), events, policy, now)
    return _finish(case, case, pending, events, policy, now, {})


def _recover(case: Case, p: PendingStep, policy: Policy, now: datetime) -> Change:
    channel = p.channels[0]
    data = {"channel": channel, "step": f"{p.offset_days:+d}", "stage": p.stage, "template": p.template,
            "policy_version": p.policy_version, "claim": p.claim, "link_id": case.link.link_id}
    p = replace(p, channels=p.channels[1:], went_out=True,
                customer_contact=p.customer_contact or channel != BROKER, lease_until=None)
    return _after_delivery(case, p, [("reminder_unconfirmed", data)], policy, now)


def _finish(base: Case, case: Case, p: PendingStep, events: list[tuple[str, dict[str, Any]]], policy: Policy,
            now: datetime, changes: dict[str, Any]) -> Change:
    """The step is over: move the ladder on, remember the contact, plan the next step."""
    st = case.ladder
    started = parse_iso(p.started_at)
    contacts = tuple(c for c in st.contacts if parse_iso(c) > now - CONTACT_MEMORY)
    if p.customer_contact:
        contacts += (p.started_at,)
    ladder = replace(st, pending=None, policy_version=p.policy_version, contacts=contacts,
                     done_on=local_date(started, zone(case)).isoformat())
    if p.stage == "final" and not p.went_out:
        ladder = replace(ladder, halted="the final notice could not be sent; resume to try it again")
        events = [*events, ("reminders_halted", {"step": f"{p.offset_days:+d}", "reason": ladder.halted})]
    else:
        done = p.offset_days if st.done_offset is None else max(st.done_offset, p.offset_days)
        ladder = replace(ladder, done_offset=done, stage=p.stage if done == p.offset_days else st.stage)
        if p.stage == "final" and p.went_out:
            ladder = replace(ladder, final_sent=True, final_on=ladder.done_on)
    finished = replace(case, ladder=ladder)
    return record(base, now, ACTOR, events, **changes, ladder=ladder,
                  next_action_at=next_action(finished, policy, now))

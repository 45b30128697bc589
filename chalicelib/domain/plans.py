"""Installment plans: the offers a case gets, and what each payment or failed charge does to its plan.

Pure: every function takes `now`/`today`; Stripe's objects are read into the small facts below by
services/plans.py. The plan itself is a value on the case (plan_state.py).

Offers
    What can still be paid (`payments.payable`) split into 2..max_installments integer installments:
    equal shares, the remainder in the first; a first payment below the policy's minimum percent is
    raised to it and the rest share what is left (their remainder again in the first). So installments
    always sum to the amount, and the first is never smaller than any other. The first is paid today (at
    checkout, in the customer's time zone); the others follow weekly, every two weeks, or monthly on the
    same day of the month (the 31st falls on the last day of shorter months, counted from the first date,
    so a plan never drifts). An offer needs every installment at least the policy's minimum (and Stripe's
    smallest charge) and its last date within `max_days` of the first. The broker's custom offers for a
    case come first and ignore the policy's limits, not Stripe's.

A plan
    Starts when its first installment is paid (Stripe's event, any order): the case goes on_plan, the
    ladder pauses (it resumes where it stood if the plan defaults), and the schedule is in the timeline.
    Each later installment is charged off-session at 10:00 on its date, customer's time; a failure is
    tried again `retry_days` after the due date (+1, +3, +7 by default) and the customer is emailed a link
    to pay it by hand (or, when the bank wants them to confirm it, to complete it); after the last failed
    retry the plan defaults: the case is open on the ladder with what is left and the broker is told.
    Money paid another way (the page, offline) is counted like any payment: each later charge is capped at
    what is still due, so extra payments shorten a plan from its end, and a case paid in full ends it.
"""
from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from chalicelib.domain import ladder, payments
from chalicelib.domain.cases import Case, Change, Link, iso, parse_iso, record, transition
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.money import Money
from chalicelib.domain.plan_state import (
    ACTION_REQUIRED,
    ACTIVE,
    CANCELLED,
    COMPLETED,
    DEFAULTED,
    FAILING,
    MISSED,
    OPEN_INSTALLMENT,
    PAID,
    RETRYING,
    CustomOffer,
    Installment,
    InstallmentPlan,
)
from chalicelib.domain.policy import INTERVALS, PlanTerms, Policy

CHARGE_TIME = time(10, 0)  # later installments are charged at 10:00 on their date, in the customer's zone
STARTABLE = frozenset({"open", "promised", "escalated"})  # statuses a plan may start from
MAX_CUSTOM_OFFERS = 5
MAX_CUSTOM_INSTALLMENTS = 24
AUTHENTICATION_REQUIRED = "authentication_required"


# --- the arithmetic ------------------------------------------------------------------------------------

def add_months(day: date, months: int) -> date:
    """The same day `months` later; the last day of the month when that month is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_dates(start: date, count: int, interval: str) -> tuple[date, ...]:
    """`count` dates from `start`, each counted from `start` itself (never from the previous, so the 31st
    comes back after February's 28th)."""
    if interval == "monthly":
        return tuple(add_months(start, k) for k in range(count))
    days = {"weekly": 7, "biweekly": 14}[interval]
    return tuple(start + timedelta(days=days * k) for k in range(count))


def split(total: int, count: int, first_at_least: int = 0) -> tuple[int, ...]:
    """`total` in `count` positive integer parts: equal shares with the remainder in the first, the first
    raised to `first_at_least` if it is smaller (the others share the rest, their remainder in the first)."""
    if count < 1 or total < count:
        raise ValueError("cannot split into parts of at least 1")
    share, rest = divmod(total, count)
    if share + rest >= first_at_least or count == 1:
        return (share + rest,) + (share,) * (count - 1)
    first = min(first_at_least, total - (count - 1))
    share, rest = divmod(total - first, count - 1)
    return (first + rest,) + (share,) * (count - 1)


@dataclass(frozen=True)
class Offer:
    offer_id: str
    interval: str
    schedule: tuple[tuple[date, int], ...]
    custom: bool = False

    @property
    def installments(self) -> int:
        return len(self.schedule)

    @property
    def first_amount(self) -> int:
        return self.schedule[0][1]

    def as_dict(self, currency: str) -> dict[str, Any]:
        return {"offer_id": self.offer_id, "installments": self.installments, "interval": self.interval,
                "first_amount": self.first_amount, "currency": currency, "custom": self.custom,
                "total": sum(a for _, a in self.schedule),
                "schedule": [{"due_on": d.isoformat(), "amount": a} for d, a in self.schedule]}


def make_offer(case: Case, total: int, count: int, interval: str, first_at_least: int, today: date, *,
               custom: bool, smallest: int) -> Offer | None:
    """The offer of `count` installments of `total`, or None when an installment would be below `smallest`."""
    if count < 2 or total < count * max(smallest, 1):
        return None
    amounts = split(total, count, first_at_least)
    if min(amounts) < smallest:
        return None
    schedule = tuple(zip(due_dates(today, count, interval), amounts, strict=True))
    return Offer(_offer_id(case, interval, schedule, custom), interval, schedule, custom)


def _offer_id(case: Case, interval: str, schedule: tuple[tuple[date, int], ...], custom: bool) -> str:
    text = f"{case.case_id}|{interval}|{custom}|" + ";".join(f"{d.isoformat()}:{a}" for d, a in schedule)
    return ("b" if custom else "o") + hashlib.sha256(text.encode()).hexdigest()[:15]


# --- which offers a case gets ---------------------------------------------------------------------------

def refusal(case: Case) -> Conflict | None:
    """Why a plan cannot start (or be offered) on this case now, or None."""
    if case.status == "on_plan":
        return Conflict("this case is already on a payment plan", "status", code="plan_active")
    if case.status == "disputed":
        return Conflict("a dispute is open on this case: a plan can be chosen once it is resolved", "status",
                        code="disputed")
    if case.status == "written_off":
        return Conflict("this case is closed", "status", code="closed")
    if case.status == "paid" or case.balance.due == 0:
        return Conflict("nothing is due on this case", "status", code="nothing_due")
    if case.status not in STARTABLE:
        return Conflict(f"a case that is {case.status} cannot start a plan", "status", code="not_eligible")
    if payments.payable(case) == 0:
        return Conflict("a payment for the whole amount is already on its way", "status", code="payment_pending")
    return None


def offers(case: Case, terms: PlanTerms, today: date) -> list[Offer]:
    """The broker's offers for this case, then the policy's; [] when no plan may start."""
    if refusal(case) is not None:
        return []
    total = payments.payable(case)
    smallest = payments.provider_minimum(case.balance.currency)
    found: list[Offer] = []
    for custom in case.plans.custom_offers:
        offer = make_offer(case, total, custom.installments, custom.interval, custom.first_amount or 0, today,
                           custom=True, smallest=smallest)
        if offer is not None:
            found.append(offer)
    if terms.enabled and terms.min_due <= total and (terms.max_due is None or total <= terms.max_due):
        first_at_least = -(-total * terms.min_first_percent // 100)
        for count in range(2, terms.max_installments + 1):
            offer = make_offer(case, total, count, terms.interval, first_at_least, today, custom=False,
                               smallest=max(smallest, terms.min_installment_amount))
            if offer is not None and (offer.schedule[-1][0] - offer.schedule[0][0]).days <= terms.max_days:
                found.append(offer)
    return found


def find_offer(case: Case, terms: PlanTerms, today: date, offer_id: str) -> Offer:
    refused = refusal(case)
    if refused is not None:
        raise refused
    available = offers(case, terms, today)
    if not available:
        raise Conflict("no payment plan is available for this case; please contact "
                       f"{case.broker.name}", "offer_id", code="plans_unavailable")
    for offer in available:
        if offer.offer_id == offer_id:
            return offer
    raise InvalidInput("no such offer for this case (offers change with the balance and the date: reload them)",
                       "offer_id")


def plan_id_for(case: Case, offer: Offer) -> str:
    """Stable while the customer hesitates (a double click pays one session); new once a plan has ended."""
    return f"{offer.offer_id}-{len(case.plans.past) + 1}"


def choose(case: Case, offer: Offer, at: datetime) -> Change | None:
    """The customer went to pay the first installment of `offer`: on the record once, as the customer."""
    if case.plans.chosen == offer.offer_id:
        return None
    return record(case, at, "customer", [("plan_chosen", {
        "offer_id": offer.offer_id, "installments": offer.installments, "interval": offer.interval,
        "first_amount": offer.first_amount, "currency": case.balance.currency, "custom": offer.custom})],
        plans=replace(case.plans, chosen=offer.offer_id))


def add_custom_offer(case: Case, *, installments: int, interval: str, first_amount: int | None, at: datetime,
                     today: date) -> tuple[Change | None, Offer]:
    """The broker offers this case a plan of its own; the same offer twice is recorded once."""
    refused = refusal(case)
    if refused is not None:
        raise refused
    if interval not in INTERVALS:
        raise InvalidInput(f"must be one of {', '.join(INTERVALS)}", "interval")
    if not 2 <= installments <= MAX_CUSTOM_INSTALLMENTS:
        raise InvalidInput(f"must be between 2 and {MAX_CUSTOM_INSTALLMENTS}", "installments")
    total = payments.payable(case)
    if first_amount is not None and first_amount >= total:
        raise InvalidInput(f"must be less than {total} (what is due, in minor units)", "first_amount")
    smallest = payments.provider_minimum(case.balance.currency)
    offer = make_offer(case, total, installments, interval, first_amount or 0, today, custom=True, smallest=smallest)
    if offer is None:
        raise InvalidInput(f"{installments} installments of {Money(total, case.balance.currency).format()} would "
                           "each be below the smallest card payment", "installments")
    key = f"{installments}:{interval}:{first_amount or 0}"
    if any(o.key == key for o in case.plans.custom_offers):
        return None, offer
    if len(case.plans.custom_offers) >= MAX_CUSTOM_OFFERS:
        raise Conflict(f"a case has at most {MAX_CUSTOM_OFFERS} custom plan offers", "installments",
                       code="too_many_offers")
    custom = CustomOffer(key, installments, interval, first_amount, iso(at))
    change = record(case, at, "broker", [("plan_offer_added", {
        "installments": installments, "interval": interval, "first_amount": first_amount,
        "currency": case.balance.currency})],
        plans=replace(case.plans, custom_offers=(*case.plans.custom_offers, custom)))
    return change, offer


# --- metadata: what the first installment's checkout carries to the webhook ---------------------------

def encode_schedule(offer: Offer) -> str:
    return ";".join(f"{d.isoformat()}:{a}" for d, a in offer.schedule)


def decode_schedule(text: str) -> tuple[tuple[date, int], ...] | None:
    try:
        parts = [item.split(":") for item in text.split(";")]
        schedule = tuple((date.fromisoformat(d), int(a)) for d, a in parts)
    except ValueError:
        return None
    return schedule if len(schedule) >= 2 and all(a > 0 for _, a in schedule) else None


# --- what a payment does to a plan -----------------------------------------------------------------------

@dataclass(frozen=True)
class PlanPayment:
    """A succeeded payment that belongs to a plan: its first installment (`kind` "plan") or a later one."""

    kind: str  # "plan" | "installment"
    plan_id: str
    reference: str  # the PaymentIntent
    amount: int
    installment: int = 1
    offer_id: str | None = None
    interval: str | None = None
    schedule: tuple[tuple[date, int], ...] | None = None
    custom: bool = False
    stripe_customer: str | None = None
    payment_method: str | None = None


def chain(first: Change | None, second: Change | None) -> Change | None:
    """Two changes, the second decided on the first's case, stored as one."""
    if first is None:
        return second
    if second is None:
        return first
    return Change(second.case, first.events + second.events, first.expected_version, first.before)


def after_payment(case: Case, fact: PlanPayment, policy: Policy, at: datetime, actor: str = "stripe") -> Change | None:
    if fact.kind == "plan":
        return start(case, fact, policy, at)
    return installment_paid(case, fact, policy, at, actor)


def start(case: Case, fact: PlanPayment, policy: Policy, at: datetime) -> Change | None:
    """The first installment is paid: the plan starts (once, whichever of Stripe's events comes first)."""
    plans = case.plans
    current = plans.current
    if current is not None and current.plan_id == fact.plan_id:
        return _learn(case, current, fact, at)
    if fact.plan_id in plans.past or fact.schedule is None or fact.interval not in INTERVALS:
        return None
    reason = None
    if current is not None and current.is_active:
        reason = "another plan is active"
    elif case.balance.due == 0:
        reason = "nothing is due any more"
    elif case.status not in STARTABLE:
        reason = f"the case is {case.status}"
    if reason is not None:  # the money is counted all the same (the ledger has it)
        return record(case, at, "stripe", [("plan_not_started", {"plan_id": fact.plan_id, "reason": reason})],
                      plans=replace(plans, past=(*plans.past, fact.plan_id)))
    installments = tuple(Installment(n, d, a) for n, (d, a) in enumerate(fact.schedule, start=1))
    installments = (replace(installments[0], status=PAID, reference=fact.reference), *installments[1:])
    plan = InstallmentPlan(
        plan_id=fact.plan_id, offer_id=fact.offer_id or fact.plan_id, state=ACTIVE, interval=fact.interval or "",
        currency=case.balance.currency, installments=installments, started_at=iso(at),
        retry_days=policy.plans.retry_days, first_payment=fact.reference, payment_method=fact.payment_method,
        custom=fact.custom)
    plan = replace(plan, next_charge_at=_next_charge(case, plan))
    status = transition(case, "on_plan")
    paused = replace(case.ladder, paused_since=case.ladder.paused_since or iso(at))
    new_plans = replace(plans, current=plan, chosen=None, stripe_customer=fact.stripe_customer or plans.stripe_customer)
    currency = case.balance.currency
    events: list[tuple[str, dict[str, Any]]] = [
        ("plan_started", {"plan_id": plan.plan_id, "offer_id": plan.offer_id, "interval": plan.interval,
                          "currency": currency, "custom": plan.custom,
                          "installments": [_row(i) for i in plan.installments]}),
        ("installment_paid", {"plan_id": plan.plan_id, "installment": 1, "amount": fact.amount,
                              "currency": currency, "reference": fact.reference}),
        ("status_changed", {"status": status, "from": case.status, "reason": "plan_started"}),
        ("reminders_paused", {"reason": "on_plan"}),
    ]
    started = replace(case, plans=new_plans, status=status, ladder=paused)
    return record(case, at, "stripe", events, plans=new_plans, status=status, ladder=paused,
                  next_action_at=ladder.next_action(started, policy, at))


def _learn(case: Case, plan: InstallmentPlan, fact: PlanPayment, at: datetime) -> Change | None:
    """The other event of a started plan's first payment: keep the card it saved, if not known yet."""
    changes: dict[str, Any] = {}
    if fact.payment_method and plan.payment_method is None:
        changes["current"] = replace(plan, payment_method=fact.payment_method)
    if fact.stripe_customer and case.plans.stripe_customer is None:
        changes["stripe_customer"] = fact.stripe_customer
    if not changes:
        return None
    return record(case, at, "stripe", [("plan_card_saved", {"plan_id": plan.plan_id})],
                  plans=replace(case.plans, **changes))


def installment_paid(case: Case, fact: PlanPayment, policy: Policy, at: datetime, actor: str) -> Change | None:
    plan = case.plans.current
    if plan is None or plan.plan_id != fact.plan_id or not plan.is_active:
        return None
    inst = plan.installment(fact.installment)
    if inst is None or inst.status not in OPEN_INSTALLMENT:
        return None
    paid = replace(inst, status=PAID, reference=fact.reference, retry_on=None)
    plan = _with(plan, paid)
    if fact.payment_method and fact.payment_method != plan.payment_method:
        plan = replace(plan, payment_method=fact.payment_method)  # a card paid by hand is the one to charge next
    events: list[tuple[str, dict[str, Any]]] = [("installment_paid", {
        "plan_id": plan.plan_id, "installment": inst.number, "amount": fact.amount,
        "currency": case.balance.currency, "reference": fact.reference})]
    return _settle(case, plan, events, policy, at, actor)


def reconcile(case: Case, policy: Policy, at: datetime, actor: str = "stripe") -> Change | None:
    """A case paid in full some other way ends its plan: the installments left are not needed."""
    plan = case.plans.current
    if plan is None or not plan.is_active or case.status != "paid":
        return None
    return _settle(case, plan, [], policy, at, actor)


def _settle(case: Case, plan: InstallmentPlan, events: list[tuple[str, dict[str, Any]]], policy: Policy,
            at: datetime, actor: str) -> Change:
    """Store `plan`; complete it when every installment is paid or the case is paid anyway."""
    done = all(i.status == PAID for i in plan.installments)
    if not done and case.status != "paid":
        plan = replace(plan, next_charge_at=_next_charge(case, plan))
        moved = replace(case, plans=replace(case.plans, current=plan))
        return record(case, at, actor, events, plans=moved.plans, next_action_at=ladder.next_action(moved, policy, at))
    rows = tuple(i if i.status == PAID else replace(i, status=CANCELLED, retry_on=None) for i in plan.installments)
    plan = replace(plan, installments=rows, state=COMPLETED, next_charge_at=None, ended_at=iso(at))
    plans = replace(case.plans, current=plan, past=(*case.plans.past, plan.plan_id))
    events = [*events, ("plan_completed", {"plan_id": plan.plan_id,
                                           "reason": "all installments paid" if done else "paid in full"})]
    if case.status == "on_plan":  # every installment paid, yet money is owed (a refund, say): back on the ladder
        events.append(("status_changed", {"status": "open", "from": "on_plan", "reason": "plan_completed"}))
        return record(case, at, actor, events, plans=plans, status=transition(case, "open"), next_action_at=iso(at))
    return record(case, at, actor, events, plans=plans)


# --- charging later installments off-session ------------------------------------------------------------

@dataclass(frozen=True)
class DueCharge:
    plan_id: str
    installment: int
    attempt: int  # 1: on the due date; 2..: the retries
    attempt_on: date  # the scheduled date of this attempt: part of the idempotency key
    amount: int
    currency: str


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    intent_id: str | None
    code: str | None = None  # the provider's failure code: card_declined, authentication_required, ...
    payment_method: str | None = None


def charge_moment(case: Case, day: date) -> datetime:
    return datetime.combine(day, CHARGE_TIME, tzinfo=ladder.zone(case)).astimezone(timezone.utc)


def _next_charge(case: Case, plan: InstallmentPlan) -> str | None:
    days = [i.attempt_on for i in plan.installments if i.status in OPEN_INSTALLMENT]
    return iso(charge_moment(case, min(days))) if days else None


def due_charge(case: Case, now: datetime) -> DueCharge | None:
    """The installment to charge now (the earliest due), or None."""
    plan = case.plans.current
    if case.status != "on_plan" or plan is None or not plan.is_active:
        return None
    due = [i for i in plan.installments if i.status in OPEN_INSTALLMENT and charge_moment(case, i.attempt_on) <= now]
    if not due:
        return None
    inst = min(due, key=lambda i: (i.attempt_on, i.number))
    amount = min(inst.amount, payments.payable(case))
    return DueCharge(plan.plan_id, inst.number, inst.attempts + 1, inst.attempt_on, amount, case.balance.currency)


def cannot_charge(case: Case, due: DueCharge, policy: Policy, at: datetime) -> Change | None:
    """Nothing chargeable now: a payment on its way (try tomorrow), or a remainder below Stripe's smallest
    charge (the plan ends; the ladder and the page deal with the rest). None when `due` can be charged."""
    plan = case.plans.current
    inst = plan.installment(due.installment) if plan is not None else None
    if plan is None or inst is None:
        return None
    if due.amount == 0 and case.balance.due > 0:
        later = replace(inst, retry_on=due.attempt_on + timedelta(days=1))
        return _settle(case, _with(plan, later), [("installment_postponed", {
            "plan_id": plan.plan_id, "installment": inst.number, "retry_on": later.attempt_on.isoformat(),
            "reason": "payment_pending"})], policy, at, "system")
    if due.amount >= payments.provider_minimum(due.currency):
        return None
    rows = tuple(i if i.status == PAID else replace(i, status=CANCELLED, retry_on=None) for i in plan.installments)
    plan = replace(plan, installments=rows, state=COMPLETED, next_charge_at=None, ended_at=iso(at))
    plans = replace(case.plans, current=plan, past=(*case.plans.past, plan.plan_id))
    events: list[tuple[str, dict[str, Any]]] = [("plan_completed", {
        "plan_id": plan.plan_id, "reason": "the rest is below the smallest card payment", "left": due.amount})]
    events.append(("status_changed", {"status": "open", "from": case.status, "reason": "plan_completed"}))
    return record(case, at, "system", events, plans=plans, status=transition(case, "open"), next_action_at=iso(at))


def charged(case: Case, due: DueCharge, result: ChargeResult, policy: Policy, at: datetime, *,
            new_link_id: str, link_ttl: timedelta) -> Change | None:
    """What an off-session charge's outcome does: the payment in the ledger, then the plan. None when both
    already knew (a webhook came first, or this attempt was recorded by an earlier run)."""
    if result.succeeded:
        assert result.intent_id is not None
        facts = [payments.succeeded(result.intent_id, due.amount, currency=due.currency, method="card")]
        first = payments.apply(case, facts, at=at, actor="system")
        after = first.case if first else case
        paid = PlanPayment("installment", due.plan_id, result.intent_id, due.amount, installment=due.installment,
                           payment_method=result.payment_method)
        second = installment_paid(after, paid, policy, at, "system")
        if second is None and first is not None:
            second = reconcile(after, policy, at, "system")
        return chain(first, second)
    plan = case.plans.current
    inst = plan.installment(due.installment) if plan is not None and plan.plan_id == due.plan_id else None
    if plan is None or inst is None or inst.status not in OPEN_INSTALLMENT or inst.last_attempt_on == due.attempt_on:
        return None
    failed_fact = [payments.failed(result.intent_id, due.amount, currency=due.currency, code=result.code)] \
        if result.intent_id else []
    first = payments.apply(case, failed_fact, at=at, actor="system") if failed_fact else None
    return chain(first, _failed(first.case if first else case, plan, inst, due, result, policy, at,
                                new_link_id, link_ttl))


def _failed(case: Case, plan: InstallmentPlan, inst: Installment, due: DueCharge, result: ChargeResult,
            policy: Policy, at: datetime, new_link_id: str, link_ttl: timedelta) -> Change:
    attempts = inst.attempts + 1
    currency = case.balance.currency
    action = result.code == AUTHENTICATION_REQUIRED
    data: dict[str, Any] = {"plan_id": plan.plan_id, "installment": inst.number, "amount": due.amount,
                            "currency": currency, "attempt": attempts, "code": result.code,
                            "reference": result.intent_id, "action_required": action}
    changes: dict[str, Any] = {}
    events: list[tuple[str, dict[str, Any]]] = []
    link = case.link
    if parse_iso(link.expires_at) - at < ladder.LINK_REFRESH:  # the email's link must outlive the retries
        link = Link(new_link_id, link.version + 1, iso(at + link_ttl))
        changes["link"] = link
        events.append(("link_issued", {"link_id": link.link_id, "link_version": link.version,
                                       "expires_at": link.expires_at, "revoked_version": case.link.version}))
    if attempts <= len(plan.retry_days):
        # Never the same day again, even when this attempt ran late (after an outage): one try per day at most.
        tomorrow = ladder.local_date(at, ladder.zone(case)) + timedelta(days=1)
        retry_on = max(inst.due_on + timedelta(days=plan.retry_days[attempts - 1]), tomorrow)
        failed = replace(inst, status=ACTION_REQUIRED if action else RETRYING, attempts=attempts, retry_on=retry_on,
                         last_attempt_on=due.attempt_on, error=result.code)
        plan = _with(plan, failed)
        plan = replace(plan, next_charge_at=_next_charge(case, plan))
        events.insert(0, ("installment_failed", {**data, "retry_on": retry_on.isoformat(), "final": False}))
        moved = replace(case, plans=replace(case.plans, current=plan), **changes)
        return record(case, at, "system", events, plans=moved.plans, **changes,
                      next_action_at=ladder.next_action(moved, policy, at))
    missed = replace(inst, status=MISSED, attempts=attempts, retry_on=None, last_attempt_on=due.attempt_on,
                     error=result.code)
    plan = replace(_with(plan, missed), state=DEFAULTED, next_charge_at=None, ended_at=iso(at))
    plans = replace(case.plans, current=plan, past=(*case.plans.past, plan.plan_id))
    events = [("installment_failed", {**data, "retry_on": None, "final": True}), *events,
              ("plan_defaulted", {"plan_id": plan.plan_id, "installment": inst.number, "left": case.balance.due,
                                  "currency": currency}),
              ("status_changed", {"status": "open", "from": case.status, "reason": "plan_defaulted"}),
              ("broker_notified", {"reason": "plan_defaulted"})]
    # The ladder was paused when the plan started (paused_since): the worker resumes it right away, where it
    # stood, with what is left.
    return record(case, at, "system", events, plans=plans, status=transition(case, "open"), next_action_at=iso(at),
                  **changes)


def _with(plan: InstallmentPlan, inst: Installment) -> InstallmentPlan:
    return replace(plan, installments=tuple(inst if i.number == inst.number else i for i in plan.installments))


def _row(inst: Installment) -> dict[str, Any]:
    return {"number": inst.number, "due_on": inst.due_on.isoformat(), "amount": inst.amount}


def charged_amount(case: Case, inst: Installment) -> int:
    """What a paid installment actually charged, from the ledger (a charge capped at what was still due,
    or a pay-now checkout for less, is smaller than the schedule); the scheduled amount otherwise."""
    payment = case.payments.payments.get(inst.reference or "") if inst.status == PAID else None
    return payment.amount if payment is not None and payment.amount else inst.amount


def pay_now(case: Case) -> Installment | None:
    """The installment a customer pays by hand now: the earliest that failed and waits for a retry."""
    plan = case.plans.current
    if case.status != "on_plan" or plan is None or not plan.is_active:
        return None
    failing = [i for i in plan.installments if i.status in FAILING]
    return min(failing, key=lambda i: i.number) if failing else None


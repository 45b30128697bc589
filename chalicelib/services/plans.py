"""Installment plan use cases: the offers on the page, choosing one, the broker's own offers, what Stripe's
events mean for a plan, and charging later installments off-session from the reminder worker.

Choosing an offer opens Stripe Checkout for the first installment with a Stripe Customer for the case's
customer and `setup_future_usage=off_session`, so the card is saved. The plan starts when Stripe says the
first installment is paid (domain/plans.py). Later installments are charged by the reminder worker's
`installments` hook (run_due), which the sweep reaches because the case's next_action_at holds the next
charge (ladder.next_action folds it in).

Never charged twice: each attempt is a PaymentIntent created with a Stripe idempotency key made of the
plan, the installment and the attempt's scheduled date; the case is read strongly consistent before the
charge, and the outcome is stored on the case version it was decided on (a later run, an SQS redelivery or
the webhook for the same PaymentIntent find it recorded and change nothing). A run that crashes between the
charge and the write repeats the same request on the next sweep and gets Stripe's saved answer back (within
Stripe's 24 hours; the webhook for that PaymentIntent records it too).

"Pay now" on the page during a plan (POST /customer/checkout without an amount) pays the installment that
failed and waits for its retry, when there is one; otherwise it pays everything due, as always.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.domain import ladder, payments, plans
from chalicelib.domain.cases import Case, Change, record
from chalicelib.domain.errors import Conflict, NotFound, UpstreamError
from chalicelib.domain.history import Event
from chalicelib.domain.plans import ChargeResult, DueCharge, Offer, PlanPayment
from chalicelib.domain.policy import Policy
from chalicelib.ports import (
    CaseReader,
    CaseStore,
    CheckoutRequest,
    Clock,
    NewCustomer,
    OffSessionCharge,
    PaymentGateway,
    PaymentTag,
)
from chalicelib.services.cases import CaseService
from chalicelib.services.customer import CustomerService
from chalicelib.services.payments import customer_today
from chalicelib.services.unit_of_work import change_case

log = logging.getLogger(__name__)

MAX_CHARGES = 6  # per worker pass: every installment overdue after an outage, one at a time
class Policies(Protocol):
    def policy_for(self, broker_id: str) -> Policy: ...


class Notices(Protocol):
    def after(self, case: Case, events: tuple[Event, ...]) -> None: ...


def _key(prefix: str, *parts: object) -> str:
    return f"{prefix}-" + hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()[:40]


def tag(case: Case, kind: str, **plan: Any) -> PaymentTag:
    """Ours, like every payment's, without the case version: the plan's own writes must not change what a
    repeated request sends Stripe under the same key."""
    return PaymentTag(case.broker_id, case.case_id, kind, **plan)


def installment_checkout(case: Case, *, number: int, of: int, amount: int, customer: str | None, site_url: str,
                         key: str, payment_tag: PaymentTag) -> CheckoutRequest:
    """Checkout for one installment by card; a Stripe Customer keeps the card for the installments to come."""
    label = f"Invoice {case.invoice.number}: installment {number} of {of}"
    return CheckoutRequest(
        amount=amount, currency=case.balance.currency, label=label, description=label, tag=payment_tag,
        locale=case.customer.locale, methods=("card",), site_url=site_url, idempotency_key=key,
        customer=customer, customer_email=None if customer else case.customer.email, save_card=bool(customer))


class PlanService:
    def __init__(self, *, store: CaseStore, reader: CaseReader, customers: CustomerService, cases: CaseService,
                 gateway: Callable[[], PaymentGateway], policies: Policies, clock: Clock, site_url: str,
                 notices: Notices | None, new_link_id: Callable[[], str], link_ttl: timedelta) -> None:
        self._store = store
        self._reader = reader
        self._customers = customers
        self._cases = cases
        self._gateway = gateway  # built on first use: the page's offers never need Stripe
        self._policies = policies
        self._clock = clock
        self._site_url = site_url
        self._notices = notices
        self._new_link_id = new_link_id
        self._link_ttl = link_ttl

    # --- the page --------------------------------------------------------------------------------------

    def offers(self, case: Case) -> list[dict[str, Any]]:
        """`plan_offers` of GET /customer/case: [] when no plan may start."""
        terms = self._policies.policy_for(case.broker_id).plans
        today = customer_today(case, self._clock())
        return [o.as_dict(case.balance.currency) for o in plans.offers(case, terms, today)]

    def choose(self, token: str | None, offer_id: str) -> str:
        """Checkout for the first installment of `offer_id`; the same choice again gets the same session."""
        case, _ = self._customers.authenticate(token)
        now = self._clock()
        terms = self._policies.policy_for(case.broker_id).plans
        offer = plans.find_offer(case, terms, customer_today(case, now), offer_id)
        plan_id = plans.plan_id_for(case, offer)
        gateway = self._gateway()
        customer = case.plans.stripe_customer or gateway.create_customer(NewCustomer(
            case.customer.email, case.customer.name, case.customer.locale, tag(case, "customer"),
            _key("customer", case.broker_id, case.case_id)))
        session = gateway.create_checkout(installment_checkout(
            case, number=1, of=offer.installments, amount=offer.first_amount, customer=customer,
            site_url=self._site_url,
            key=_key("plan", case.broker_id, case.case_id, plan_id, customer, now.date().isoformat()),
            payment_tag=tag(case, "plan", plan_id=plan_id, offer=offer, installment=1, link_id=case.link.link_id,
                            link_version=case.link.version)))
        if not session.url:
            raise Conflict("this payment is already being processed", "offer_id", code="payment_in_progress")
        self._cases.change(case.broker_id, case.case_id, lambda current: plans.choose(current, offer, self._clock()))
        log.info("plan checkout created", extra={"case_id": case.case_id, "broker_id": case.broker_id,
                                                 "installments": offer.installments})
        return str(session.url)

    def checkout_installment(self, case: Case) -> str | None:
        """PaymentService hook: Checkout for the failed installment a customer pays by hand, or None."""
        inst = plans.pay_now(case)
        plan = case.plans.current
        if inst is None or plan is None:
            return None
        amount = min(inst.amount, payments.payable(case))
        if amount < payments.provider_minimum(case.balance.currency):
            return None
        now = self._clock()
        session = self._gateway().create_checkout(installment_checkout(
            case, number=inst.number, of=len(plan.installments), amount=amount,
            customer=case.plans.stripe_customer, site_url=self._site_url,
            key=_key("installment", case.broker_id, case.case_id, plan.plan_id, inst.number, inst.attempts, amount,
                     now.date().isoformat()),
            payment_tag=tag(case, "installment", plan_id=plan.plan_id, installment=inst.number,
                            link_id=case.link.link_id, link_version=case.link.version)))
        if not session.url:
            raise Conflict("this payment is already being processed", "amount", code="payment_in_progress")
        return str(session.url)

    # --- the broker ---------------------------------------------------------------------------------------

    def add_offer(self, broker_id: str, case_id: str, body: dict[str, Any]) -> tuple[Case, list[Event], Offer, bool]:
        """(case, events, offer as it stands today, created): the same offer again is answered as before."""
        offers: list[Offer] = []

        def command(case: Case) -> Change | None:
            now = self._clock()
            change, offer = plans.add_custom_offer(
                case, installments=body["installments"], interval=body["interval"],
                first_amount=body.get("first_amount"), at=now, today=customer_today(case, now))
            offers[:] = [offer]
            return change

        done = self._cases.change(broker_id, case_id, command)
        return done.case, list(done.history), offers[0], done.created

    # --- Stripe's events (PaymentService hook) -----------------------------------------------------------

    def effects(self, case: Case, change: Change | None, fact: PlanPayment | None,
                at: datetime) -> Change | None:
        policy = self._policies.policy_for(case.broker_id)
        current = change.case if change is not None else case
        combined = plans.chain(change, plans.after_payment(current, fact, policy, at) if fact else None)
        latest = combined.case if combined is not None else case
        return plans.chain(combined, plans.reconcile(latest, policy, at))

    # --- later installments (the reminder worker's hook) -------------------------------------------------

    def run_due(self, case: Case, note: Callable[[Change], None]) -> Case | None:
        """Charge what is due on a case on a plan. None: the plan holds the case (the ladder has nothing to
        do); otherwise the case, for the ladder to go on with (not on a plan, or the plan just ended)."""
        if case.status != "on_plan":
            return case
        try:
            case = self._reader.get_case(case.broker_id, case.case_id)  # never charge on a queued snapshot
        except NotFound:
            return None
        policy = self._policies.policy_for(case.broker_id)
        for _ in range(MAX_CHARGES):
            if case.status != "on_plan":
                return case
            due = plans.due_charge(case, self._clock())
            if due is None:
                break
            charged = self._attempt(case, due, policy, note)
            if charged is None:
                return None  # Stripe could not be reached: the case stays due for the next sweep
            case = charged
        if case.status != "on_plan":
            return case
        pending = case.ladder.pending
        if pending is not None and pending.lease_until:
            return case  # a reminder delivery is in flight: the ladder finishes it (its next time keeps ours)
        wanted = ladder.next_action(case, policy, self._clock())
        if wanted != case.next_action_at:  # the sweep's time must be the plan's next charge, never lost
            self._save(case, lambda c: None if c.next_action_at == wanted else record(
                c, self._clock(), "system", [("plan_rescheduled", {"at": wanted})], next_action_at=wanted), note)
        return None

    def _attempt(self, case: Case, due: DueCharge, policy: Policy, note: Callable[[Change], None]) -> Case | None:
        """Charge `due` and store the outcome; the case after it, or None when Stripe could not be asked."""
        if plans.cannot_charge(case, due, policy, self._clock()) is not None:
            return self._save(case, lambda current: plans.cannot_charge(current, due, policy, self._clock()), note)
        try:
            result = self._charge(case, due)
        except UpstreamError:
            # Nothing is stored: the case stays due and the next sweep asks Stripe again with the same key.
            log.warning("installment charge not made", extra={"case_id": case.case_id, "plan_id": due.plan_id,
                                                              "installment": due.installment})
            return None
        return self._save(case, lambda current: plans.charged(
            current, due, result, policy, self._clock(), new_link_id=self._new_link_id(), link_ttl=self._link_ttl),
            note)

    def _charge(self, case: Case, due: DueCharge) -> ChargeResult:
        plan = case.plans.current
        assert plan is not None
        gateway = self._gateway()
        method = plan.payment_method
        if method is None and plan.first_payment:
            method = gateway.payment_method_of(plan.first_payment)
        customer = case.plans.stripe_customer
        if not customer or not method:
            return ChargeResult(False, None, "no_saved_card")
        result = gateway.charge_off_session(OffSessionCharge(
            amount=due.amount, currency=due.currency, customer=customer, payment_method=method,
            description=f"Invoice {case.invoice.number}: installment {due.installment} of {len(plan.installments)}",
            tag=tag(case, "installment", plan_id=due.plan_id, installment=due.installment, attempt=due.attempt,
                    attempt_on=due.attempt_on),
            idempotency_key=_key("plan-charge", case.broker_id, case.case_id, due.plan_id, due.installment,
                                 due.attempt_on.isoformat())))
        if result.succeeded and result.payment_method is None:
            result = ChargeResult(True, result.intent_id, payment_method=method)
        log.info("installment charged" if result.succeeded else "installment charge failed", extra={
            "case_id": case.case_id, "plan_id": due.plan_id, "installment": due.installment,
            "attempt": due.attempt, "code": result.code})
        return result

    def _save(self, case: Case, decide: Callable[[Case], Change | None], note: Callable[[Change], None]) -> Case:
        """Store what `decide` makes of the case (read again after a concurrent write); the case after it."""
        done = change_case(self._store, case.broker_id, case.case_id, decide, case=case, reader=self._reader)
        if done.change is not None:
            note(done.change)
            if self._notices is not None:
                self._notices.after(done.change.case, done.change.events)
        return done.case

"""Payment use cases: a customer's checkout, Stripe's webhooks, and a broker's offline payments."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from chalicelib.domain import foreign_currency, payments
from chalicelib.domain.cases import Case, Change
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.history import Event
from chalicelib.domain.payments import CheckoutQuote, PaymentTerms
from chalicelib.domain.plans import PlanPayment
from chalicelib.ports import CaseStore, CheckoutRequest, Clock, PaymentEvent, PaymentGateway, PaymentTag
from chalicelib.services.cases import CaseService
from chalicelib.services.customer import CustomerService
from chalicelib.services.unit_of_work import change_case

log = logging.getLogger(__name__)

EVENT_RECORD_TTL = timedelta(days=30)  # Stripe retries an event for up to three days
# The latest date anywhere on earth (UTC+14): a broker west or east of UTC may enter "today".
LATEST_OFFSET = timedelta(hours=14)


class PaymentStore(CaseStore, Protocol):
    def stripe_event_item(self, broker_id: str, event_id: str, event_type: str, case_id: str,
                          expires_epoch: int) -> dict[str, Any]: ...


class Notices(Protocol):
    """Tells people about payments once the change is stored: a receipt, a note to the broker."""

    def after(self, case: Case, events: tuple[Event, ...]) -> None: ...


TermsSource = Callable[[str], PaymentTerms]


class PlanHooks(Protocol):
    """Installment plans (services/plans.py PlanService) read the same payments."""

    def checkout_installment(self, case: Case) -> str | None:
        """A Checkout URL for the plan installment a customer must pay by hand now, or None."""

    def effects(self, case: Case, change: Change | None, payment: PlanPayment | None,
                at: datetime) -> Change | None:
        """`change` (the payment facts, decided on `case`) with what it means for the case's plan."""


def default_terms(broker_id: str) -> PaymentTerms:
    return PaymentTerms()


def customer_today(case: Case, now: datetime) -> date:
    try:
        zone = ZoneInfo(case.customer.timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()


def idempotency_key(case: Case, quote: CheckoutQuote, now: datetime) -> str:
    """One session per case state, amount and day: a double click (or a retry) gets the same session.

    The day keeps a replayed key younger than Stripe's 24-hour key and session lifetimes.
    """
    raw = f"{case.broker_id}:{case.case_id}:{case.version}:{quote.amount}:{now.date().isoformat()}"
    return "checkout-" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def checkout_request(case: Case, quote: CheckoutQuote, site_url: str, key: str,
                     reminder: str | None = None) -> CheckoutRequest:
    tag = PaymentTag(case.broker_id, case.case_id, "full" if quote.full else "partial", link_id=case.link.link_id,
                     link_version=case.link.version, case_version=case.version, discount=quote.discount,
                     reminder=reminder)
    return CheckoutRequest(
        amount=quote.amount, currency=quote.currency, tag=tag, locale=case.customer.locale,
        label=f"Invoice {case.invoice.number}" + ("" if quote.full else " (part payment)"),
        description=f"Invoice {case.invoice.number}", methods=quote.methods, site_url=site_url,
        idempotency_key=key, customer_email=case.customer.email)


class PaymentService:
    def __init__(self, store: PaymentStore, customers: CustomerService, cases: CaseService,
                 gateway: Callable[[], PaymentGateway], clock: Clock, site_url: str,
                 terms: TermsSource = default_terms, notices: Notices | None = None,
                 plans: PlanHooks | None = None) -> None:
        self._store = store
        self._plans = plans
        self._customers = customers
        self._cases = cases
        self._gateway = gateway  # built on first use: offline payments never need Stripe
        self._clock = clock
        self._site_url = site_url
        self._terms = terms
        self._notices = notices

    # --- the customer pays -----------------------------------------------------------------------

    def checkout(self, token: str | None, amount: int | None) -> str:
        """A Stripe Checkout URL for paying `amount` (None: everything due) on the token's case."""
        case, _ = self._customers.authenticate(token)
        if amount is None and self._plans is not None:  # "pay now" pays an installment that failed
            installment_url = self._plans.checkout_installment(case)
            if installment_url is not None:
                return installment_url
        now = self._clock()
        quote = payments.quote_checkout(case, amount, self._terms(case.broker_id), customer_today(case, now))
        session = self._gateway().create_checkout(checkout_request(
            case, quote, self._site_url, idempotency_key(case, quote, now), self._customers.reminder_of(token)))
        if not session.url:
            raise Conflict("this payment is already being processed", "amount", code="payment_in_progress")
        log.info("checkout created", extra={"case_id": case.case_id, "broker_id": case.broker_id,
                                            "amount": quote.amount, "full": quote.full})
        return str(session.url)

    def options(self, case: Case) -> dict[str, Any]:
        """What paying now charges (any discount and its last day) and the part payments allowed."""
        return payments.pay_options(case, self._terms(case.broker_id), customer_today(case, self._clock()))

    # --- Stripe tells us what happened -------------------------------------------------------------

    def webhook(self, payload: bytes, signature: str | None) -> str:
        """Verify, then act once per event: "recorded", "duplicate", "no_change" or "ignored"."""
        if not signature:  # refused before anything is read or built
            raise InvalidInput("missing Stripe signature", "Stripe-Signature")
        event = self._gateway().receive(payload, signature)
        if event.case is None or not event.facts:
            log.info("stripe event ignored", extra={"event_id": event.event_id, "event_type": event.kind})
            return "ignored"
        return self._act(event, event.case)

    def _act(self, event: PaymentEvent, target: tuple[str, str]) -> str:
        broker_id, case_id = target
        facts = list(event.facts)
        extra = {"event_id": event.event_id, "event_type": event.kind, "case_id": case_id, "broker_id": broker_id}

        def decide(case: Case) -> Change | None:
            now = self._clock()
            if foreign_currency.foreign(case, facts):  # never counted; the broker is told
                log.error("stripe event in another currency than its case", extra=extra)
                return foreign_currency.record_mismatch(case, facts, at=now)
            change = payments.apply(case, facts, at=now)
            if self._plans is not None:  # a plan starts, or an installment is paid
                change = self._plans.effects(case, change, event.plan_payment, now)
            return change

        expires = int((self._clock() + EVENT_RECORD_TTL).timestamp())
        record = self._store.stripe_event_item(broker_id, event.event_id, event.kind, case_id, expires)
        try:
            done = change_case(self._store, broker_id, case_id, decide, unique={"stripe_event": record})
        except NotFound:
            log.warning("stripe event for an unknown case", extra=extra)
            return "ignored"
        except Conflict as exc:
            if exc.field == "stripe_event":
                return "duplicate"
            raise
        if done.change is None:
            return "no_change"
        log.info("stripe event recorded", extra=extra)
        self._tell(done.change)
        return "recorded"

    def _tell(self, change: Change) -> None:
        if self._notices is not None:
            self._notices.after(change.case, change.events)

    # --- the broker received money elsewhere ----------------------------------------------------------

    def record_offline(self, broker_id: str, case_id: str, body: dict[str, Any]) -> tuple[Case, list[Event], bool]:
        """(case, events, created): the same reference again is the same payment, answered as before."""
        received_on = date.fromisoformat(body["received_on"])

        def command(case: Case) -> Change | None:
            change = payments.record_offline_payment(
                case, amount=body["amount"], method=body["method"], reference=body["reference"],
                received_on=received_on, today=(self._clock() + LATEST_OFFSET).date(), at=self._clock())
            if change is not None and self._plans is not None:  # paid in full ends a plan
                change = self._plans.effects(case, change, None, self._clock())
            return change

        done = self._cases.change(broker_id, case_id, command)
        if done.change is not None:
            self._tell(done.change)
        return done.case, list(done.history), done.created

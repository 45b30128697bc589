"""Payment use cases: a customer's checkout, Stripe's webhooks, and a broker's offline payments."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from chalicelib.domain import payments
from chalicelib.domain.cases import Case, Change
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound, VersionConflict
from chalicelib.domain.history import Event
from chalicelib.domain.payments import CheckoutQuote, PaymentTerms
from chalicelib.ports import CaseStore, Clock
from chalicelib.services import stripe_events
from chalicelib.services.cases import RETRIES, CaseService
from chalicelib.services.customer import CustomerService

log = logging.getLogger(__name__)

EVENT_RECORD_TTL = timedelta(days=30)  # Stripe retries an event for up to three days
# The latest date anywhere on earth (UTC+14): a broker west or east of UTC may enter "today".
LATEST_OFFSET = timedelta(hours=14)


class PaymentGateway(Protocol):
    def create_checkout_session(self, params: dict[str, Any], idempotency_key: str) -> Any:
        """An object with `session_id` and `url` (None once the session is complete or expired)."""

    def payment_intent_metadata(self, intent_id: str) -> dict[str, str]: ...

    def verify(self, payload: bytes, signature: str | None) -> dict[str, Any]: ...


class PaymentStore(CaseStore, Protocol):
    def stripe_event_item(self, broker_id: str, event_id: str, event_type: str, case_id: str,
                          expires_epoch: int) -> dict[str, Any]: ...


class Notices(Protocol):
    """Tells people about payments once the change is stored: a receipt, a note to the broker."""

    def after(self, case: Case, events: tuple[Event, ...]) -> None: ...


TermsSource = Callable[[str], PaymentTerms]


class PlanHooks(Protocol):
    """Hook (issue 5, services/plans.py PlanService): installment plans read the same payments."""

    def checkout_installment(self, case: Case) -> str | None:
        """A Checkout URL for the plan installment a customer must pay by hand now, or None."""

    def effects(self, case: Case, change: Change | None, event: dict[str, Any] | None,
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


def session_params(case: Case, quote: CheckoutQuote, site_url: str,
                   reminder: str | None = None) -> dict[str, Any]:
    metadata = stripe_events.session_metadata(
        broker_id=case.broker_id, case_id=case.case_id, link_id=case.link.link_id,
        link_version=case.link.version, case_version=case.version, discount=quote.discount, full=quote.full,
        reminder=reminder)
    name = f"Invoice {case.invoice.number}" + ("" if quote.full else " (part payment)")
    return {
        "mode": "payment",
        "line_items": [{"quantity": 1, "price_data": {
            "currency": quote.currency.lower(), "unit_amount": quote.amount, "product_data": {"name": name}}}],
        "client_reference_id": case.case_id,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata, "description": f"Invoice {case.invoice.number}"},
        "customer_email": case.customer.email,
        "locale": case.customer.locale,
        "payment_method_types": list(quote.methods),
        # Back to the pay page; never the pay token in a URL Stripe stores and shows.
        "success_url": f"{site_url}/pay/success",
        "cancel_url": f"{site_url}/pay/cancel",
    }


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
        if amount is None and self._plans is not None:  # hook (issue 5): "pay now" pays a failed installment
            installment_url = self._plans.checkout_installment(case)
            if installment_url is not None:
                return installment_url
        now = self._clock()
        quote = payments.quote_checkout(case, amount, self._terms(case.broker_id), customer_today(case, now))
        params = session_params(case, quote, self._site_url, reminder=self._customers.reminder_of(token))
        session = self._gateway().create_checkout_session(params, idempotency_key(case, quote, now))
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
        event = self._gateway().verify(payload, signature)
        kind = event["type"]
        if kind not in stripe_events.HANDLED:
            return "ignored"
        obj = event["data"]["object"]
        metadata = obj.get("metadata") or {}
        if stripe_events.case_of(metadata) is None and kind in stripe_events.NEEDS_INTENT_METADATA \
                and isinstance(obj.get("payment_intent"), str):
            metadata = self._gateway().payment_intent_metadata(obj["payment_intent"])
        target = stripe_events.case_of(metadata)
        if target is None:
            log.info("stripe event not ours", extra={"event_id": event["id"], "event_type": kind})
            return "ignored"
        facts = stripe_events.facts_from_event(event, metadata)
        return self._act(event, target, facts) if facts else "ignored"

    def _act(self, event: dict[str, Any], target: tuple[str, str], facts: list[payments.PaymentFact]) -> str:
        broker_id, case_id = target
        extra = {"event_id": event["id"], "event_type": event["type"], "case_id": case_id, "broker_id": broker_id}
        for _ in range(RETRIES):
            try:
                case, _ = self._store.load(broker_id, case_id)
            except NotFound:
                log.warning("stripe event for an unknown case", extra=extra)
                return "ignored"
            if any(f.currency and f.currency.upper() != case.balance.currency for f in facts):
                log.error("stripe event in another currency than its case", extra=extra)
                return "ignored"
            now = self._clock()
            change = payments.apply(case, facts, at=now)
            if self._plans is not None:  # hook (issue 5): a plan starts, or an installment is paid
                change = self._plans.effects(case, change, event, now)
            if change is None:
                return "no_change"
            expires = int((now + EVENT_RECORD_TTL).timestamp())
            record = self._store.stripe_event_item(broker_id, event["id"], event["type"], case_id, expires)
            try:
                self._store.save(change, unique={"stripe_event": record})
            except VersionConflict:
                continue
            except Conflict as exc:
                if exc.field == "stripe_event":
                    return "duplicate"
                raise
            log.info("stripe event recorded", extra=extra)
            self._tell(change)
            return "recorded"
        raise Conflict("the case is busy; Stripe will retry", "case_id", code="busy")

    def _tell(self, change: Change) -> None:
        if self._notices is not None:
            self._notices.after(change.case, change.events)

    # --- the broker received money elsewhere ----------------------------------------------------------

    def record_offline(self, broker_id: str, case_id: str, body: dict[str, Any]) -> tuple[Case, list[Event], bool]:
        """(case, events, created): the same reference again is the same payment, answered as before."""
        created: list[Change] = []
        received_on = date.fromisoformat(body["received_on"])

        def command(case: Case) -> Change | None:
            created.clear()
            change = payments.record_offline_payment(
                case, amount=body["amount"], method=body["method"], reference=body["reference"],
                received_on=received_on, today=(self._clock() + LATEST_OFFSET).date(), at=self._clock())
            if change is not None and self._plans is not None:  # hook (issue 5): paid in full ends a plan
                change = self._plans.effects(case, change, None, self._clock())
            if change is not None:
                created.append(change)
            return change

        case, events = self._cases.change(broker_id, case_id, command)
        if created:
            self._tell(created[0])
        return case, events, bool(created)

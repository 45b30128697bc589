"""The small interfaces services depend on; adapters implement them, tests may pass fakes."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from chalicelib.domain.audit import Anchor
from chalicelib.domain.cases import Case, Change
from chalicelib.domain.history import Event
from chalicelib.domain.payments import PaymentFact
from chalicelib.domain.plans import ChargeResult, Offer, PlanPayment

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Broker:
    broker_id: str
    name: str
    email: str | None = None
    locale: str = "en"  # the broker's language: evidence packs (and what else speaks to the broker)
    # Contact and sender details (PUT /admin/settings) that new cases carry to the customer
    phone: str | None = None
    reply_to: str | None = None
    sender_name: str | None = None


@dataclass(frozen=True)
class ApiKey:
    """A stored API key: only its hash, when it was made, its name and its last four characters."""
    key_hash: str
    created_at: str
    name: str | None = None  # None: made before keys had names (services/brokers.py names those "key N")
    hint: str | None = None
    last_used_at: str | None = None  # to the hour: BrokerAuth notes a use at most hourly

    @property
    def key_id(self) -> str:
        """A public id derived from the hash (the hash itself stays private), so older keys have one too."""
        return "k" + self.key_hash[:16]




class CaseStore(Protocol):
    def load(self, broker_id: str, case_id: str) -> tuple[Case, list[Event]]: ...

    def load_page(self, broker_id: str, case_id: str, *, before: int | None,
                  limit: int) -> tuple[Case, list[Event], int | None]:
        """The case and the newest `limit` events with seq < before (all when None), oldest first, and
        the `before` that reads the page under them (None when these reach the first event)."""

    def save(self, change: Change, *, unique: dict[str, dict[str, Any]] | None = None) -> None: ...

    def list_cases(self, broker_id: str, *, status: str | None, limit: int,
                   cursor: str | None) -> tuple[list[Case], str | None]: ...

    def invoice_item(self, broker_id: str, number: str, case_id: str) -> dict[str, Any]: ...

    def idempotency_item(self, broker_id: str, key: str, request_hash: str, case_id: str,
                         expires_epoch: int) -> dict[str, Any]: ...

    def get_idempotency(self, broker_id: str, key: str) -> tuple[str, str] | None: ...


class AnchorLedger(Protocol):
    """Head hashes kept where the application can add but never change or remove them."""

    def record(self, broker_id: str, case_id: str, version: int, head_hash: str) -> None: ...

    def anchors(self, broker_id: str, case_id: str) -> list[Anchor]: ...


class CaseReader(Protocol):
    def get_case(self, broker_id: str, case_id: str) -> Case:
        """The case item alone (no timeline), read strongly consistent."""


class BrokerStore(Protocol):
    def put_broker(self, broker: Broker, key_hash: str, created_at: str, key_name: str | None = None,
                   key_hint: str | None = None) -> None: ...

    def get_broker(self, broker_id: str) -> Broker: ...

    def add_api_key(self, broker_id: str, key_hash: str, created_at: str, name: str | None = None,
                    hint: str | None = None) -> None: ...

    def api_key(self, broker_id: str, key_hash: str) -> ApiKey | None: ...

    def api_keys(self, broker_id: str) -> list[ApiKey]: ...

    def delete_api_key(self, broker_id: str, key_hash: str) -> bool: ...

    def note_api_key_use(self, broker_id: str, key_hash: str, at: str, unless_since: str) -> None:
        """Set the key's last use to `at`, unless it was noted at or after `unless_since` or the key is gone."""
        ...


class KeyRing(Protocol):
    """Pay-link signing keys: one active key signs; active and previous keys verify."""

    def signing_key(self) -> tuple[str, bytes]: ...

    def verification_key(self, key_id: str) -> bytes | None: ...


# --- reminders --------------------------------------------------------------------------------------

class DeliveryRefused(RuntimeError):
    """A provider definitely did not accept a message (it said no, or could not be reached).

    Anything else that goes wrong while sending (a timeout after the request left) is *not* this:
    the message may have gone out, so the worker must not treat it as a failure to retry.
    """

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class DeliveryThrottled(DeliveryRefused):
    """The provider refused for rate (SES's "Maximum sending rate exceeded", SNS's Throttled): nothing
    was sent, and the same message will be taken later. Not a failed attempt: the worker tries again
    after a jittered delay without using one of the delivery's attempts."""


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    from_email: str
    from_name: str | None = None
    reply_to: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    date: str | None = None  # RFC 2822 Date header: when the worker sent it (its clock, so time travel shows)
    also_to: tuple[str, ...] = ()  # more recipients of the same message (a broker's team)


class Mailer(Protocol):
    def send(self, message: Email) -> str: ...

    def compose(self, message: Email) -> Callable[[], str]:
        """Everything up to the provider call (encoding included); calling the result sends it."""


class Texter(Protocol):
    def opted_out(self, phone: str) -> bool: ...

    def send(self, phone: str, text: str) -> str: ...

    def compose(self, phone: str, text: str) -> Callable[[], str]: ...


class Queue(Protocol):
    def send(self, body: str, delay_seconds: int = 0) -> None: ...

    def send_batch(self, bodies: list[str]) -> int: ...


class RenderError(RuntimeError):
    """A message could not be rendered (missing template or value, unknown locale): nothing was sent."""


class Renderer(Protocol):
    def email(self, locale: str, template: str, model: dict[str, Any]) -> Any: ...

    def sms(self, locale: str, model: dict[str, Any]) -> str: ...


# --- payments: what we ask a payment provider and what it tells us, in our own words ----------------
# The provider's request and event formats live only in its adapter (adapters/stripe_gateway.py).

@dataclass(frozen=True)
class PaymentTag:
    """What we attach to every payment we ask for, so the provider's events about it find their case."""

    broker_id: str
    case_id: str
    kind: str  # "full", "partial", "plan" (a plan's first installment), "installment", "customer"
    link_id: str | None = None
    link_version: int | None = None
    case_version: int | None = None  # one-off checkouts only: a plan's own writes must not change its requests
    discount: int | None = None  # the early-payment discount a full payment was quoted with
    reminder: str | None = None  # the claim of the reminder whose link brought the customer
    plan_id: str | None = None
    installment: int | None = None
    offer: Offer | None = None  # "plan": the offer being taken up
    attempt: int | None = None
    attempt_on: date | None = None


@dataclass(frozen=True)
class CheckoutRequest:
    """A hosted payment page for one amount, returning to our pay page."""

    amount: int  # minor units
    currency: str
    label: str  # what the customer sees they pay for
    description: str  # on the payment itself
    tag: PaymentTag
    locale: str
    methods: tuple[str, ...]
    site_url: str
    idempotency_key: str  # the same request again gets the same page
    customer_email: str | None = None
    customer: str | None = None  # the provider's customer (a plan's saved card)
    save_card: bool = False  # keep the card for later installments charged without the customer

    @property
    def success_url(self) -> str:
        return f"{self.site_url}/pay/success"  # never the pay token in a URL the provider stores and shows

    @property
    def cancel_url(self) -> str:
        return f"{self.site_url}/pay/cancel"


@dataclass(frozen=True)
class CheckoutPage:
    session_id: str
    url: str | None  # None once the session is complete (paid, its webhook on the way) or expired


@dataclass(frozen=True)
class NewCustomer:
    email: str
    name: str
    locale: str
    tag: PaymentTag
    idempotency_key: str


@dataclass(frozen=True)
class OffSessionCharge:
    """An installment charged on a saved card without the customer present."""

    amount: int
    currency: str
    customer: str
    payment_method: str
    description: str
    tag: PaymentTag
    idempotency_key: str


@dataclass(frozen=True)
class PaymentEvent:
    """A verified provider event, read into our words."""

    event_id: str
    kind: str  # the provider's event type, kept with the event id that deduplicates it
    case: tuple[str, str] | None  # (broker id, case id) from our tag; None: not ours, or not about money
    facts: tuple[PaymentFact, ...] = ()
    plan_payment: PlanPayment | None = None  # a succeeded payment of a plan's installment


class PaymentGateway(Protocol):
    def create_checkout(self, request: CheckoutRequest) -> CheckoutPage: ...

    def create_customer(self, request: NewCustomer) -> str:
        """The provider's id of a new customer (who a plan's saved card belongs to)."""

    def charge_off_session(self, charge: OffSessionCharge) -> ChargeResult: ...

    def payment_method_of(self, intent_id: str) -> str | None: ...

    def receive(self, payload: bytes, signature: str) -> PaymentEvent:
        """The event if `signature` is the provider's for exactly these bytes (always checked), else InvalidInput."""

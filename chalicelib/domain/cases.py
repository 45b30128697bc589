"""The Case aggregate: state, allowed transitions, and the events every change records."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

from chalicelib.domain.attention import Flag, flags
from chalicelib.domain.closing_state import Closing
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.history import GENESIS, Event
from chalicelib.domain.ladder_state import LadderState
from chalicelib.domain.money import Money
from chalicelib.domain.payment_ledger import Ledger
from chalicelib.domain.plan_state import Plans
from chalicelib.domain.self_service_state import SelfService
from chalicelib.domain.vocabulary import ACTORS, LOCALES, NOTE_KINDS, STATUSES

CLOSED = frozenset({"paid", "written_off"})

# Which status may follow which. Money received after a write-off still closes the case as paid;
# a refund or chargeback re-opens a paid case.
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"promised", "on_plan", "disputed", "escalated", "paid", "written_off"}),
    "promised": frozenset({"open", "on_plan", "disputed", "escalated", "paid", "written_off"}),
    "on_plan": frozenset({"open", "disputed", "paid", "written_off"}),
    "disputed": frozenset({"open", "escalated", "paid", "written_off"}),
    "escalated": frozenset({"open", "promised", "on_plan", "disputed", "paid", "written_off"}),
    "paid": frozenset({"open"}),
    "written_off": frozenset({"paid", "open"}),
}

# What the customer may see of the timeline: event type -> data keys shown. Notes never appear.
CUSTOMER_VISIBLE: dict[str, tuple[str, ...]] = {
    "case_opened": ("invoice_number", "amount", "currency", "due_on"),
    "reminder_sent": ("channel", "stage"),
    "payment_received": ("amount", "currency", "method"),
    "payment_refunded": ("amount", "currency"),
    "fee_applied": ("amount", "currency", "kind"),
    "interest_applied": ("amount", "currency"),
    "status_changed": ("status",),
    "promise_made": ("pay_by",),
    "plan_started": ("installments",),
    "dispute_opened": ("reason",),
    "dispute_resolved": ("outcome",),
    "already_paid_reported": ("paid_on",),
    "payment_pending": ("amount", "currency", "method"),
    "payment_failed": ("amount", "currency"),
    "chargeback_opened": ("amount", "currency"),
    "chargeback_closed": ("outcome",),
    "installment_paid": ("installment", "amount", "currency"),
    "installment_failed": ("installment", "amount", "currency", "retry_on"),
    "plan_completed": ("plan_id",),
    "plan_defaulted": ("installment",),
    "promise_missed": ("pay_by",),
    "credit_applied": ("amount", "currency"),
}


def iso(moment: datetime) -> str:
    """UTC, ISO 8601 with Z: the one way times are stored and sent."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times must be timezone-aware")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


@dataclass(frozen=True)
class Customer:
    name: str
    email: str
    phone: str | None = None
    locale: str = "en"
    timezone: str = "UTC"
    tier: str | None = None

    def __post_init__(self) -> None:
        if self.locale not in LOCALES:
            raise InvalidInput(f"locale must be one of {', '.join(LOCALES)}", "customer.locale")


@dataclass(frozen=True)
class Invoice:
    number: str
    issued_on: date
    due_on: date
    amount: int
    currency: str
    description: str = ""

    def __post_init__(self) -> None:
        if not _is_int(self.amount) or self.amount <= 0:
            raise InvalidInput("amount must be a positive integer in minor units", "invoice.amount")
        try:
            Money(self.amount, self.currency)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, "invoice.currency") from None
        if self.due_on < self.issued_on:
            raise InvalidInput("due_on cannot be before issued_on", "invoice.due_on")


@dataclass(frozen=True)
class Balance:
    currency: str
    principal: int
    fees: int = 0
    interest: int = 0
    discount: int = 0
    paid: int = 0

    @property
    def charges(self) -> int:
        return self.principal + self.fees + self.interest - self.discount

    @property
    def due(self) -> int:
        return max(0, self.charges - self.paid)

    @property
    def credit(self) -> int:
        """Money received beyond what is owed: kept on the case, never lost."""
        return max(0, self.paid - self.charges)

    def as_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency, "principal": self.principal, "fees": self.fees,
            "interest": self.interest, "discount": self.discount, "paid": self.paid,
            "due": self.due, "credit": self.credit,
        }


@dataclass(frozen=True)
class BrokerContact:
    name: str
    email: str | None = None
    phone: str | None = None
    reply_to: str | None = None  # where customers' replies to reminders go (else `email`)
    sender_name: str | None = None  # the From name of reminders (else `name`)


@dataclass(frozen=True)
class Link:
    """The one live pay link of a case. A new version revokes every earlier one."""

    link_id: str
    version: int
    expires_at: str
    opened_at: str | None = None


@dataclass(frozen=True)
class Case:
    broker_id: str
    case_id: str
    broker: BrokerContact
    customer: Customer
    invoice: Invoice
    balance: Balance
    status: str
    link: Link
    created_at: str
    updated_at: str
    version: int = 0
    head_hash: str = GENESIS
    next_action_at: str | None = None  # when the sweep next looks at the case (ladder.py keeps it)
    ladder: LadderState = LadderState()
    payments: Ledger = Ledger()  # payment_ledger.py; payments.py decides what goes in
    plans: Plans = Plans()  # installment plans (plan_state.py); plans.py decides
    self_service: SelfService = SelfService()  # disputes, promise, reports, link refreshes (self_service.py)
    closing: Closing = Closing()  # partner, mediation, write-off (closing.py)
    attention: tuple[Flag, ...] = ()  # what needs a person now (attention.py), recomputed by every change

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED


@dataclass(frozen=True)
class Change:
    """A new case state and the events that explain it, to be stored in one transaction."""

    case: Case
    events: tuple[Event, ...]
    expected_version: int
    before: Case | None = None  # the case as it was decided on (None for a new case): reports add the difference

    @property
    def is_new(self) -> bool:
        return self.expected_version == 0


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def record(case: Case, at: datetime, actor: str, events: list[tuple[str, dict[str, Any]]],
            **changes: Any) -> Change:
    """Apply `changes` and append `events` to the chain, bumping the version once per event.

    Every command in the domain (here and in sibling modules) ends by calling this.
    """
    if actor not in ACTORS:
        raise ValueError(f"unknown actor {actor!r}")
    stamp = iso(at)
    sealed: list[Event] = []
    prev, seq = case.head_hash, case.version
    for type_, data in events:
        seq += 1
        event = Event.seal(prev, seq, type_, stamp, actor, data)
        sealed.append(event)
        prev = event.hash
    new_case = replace(case, **changes, version=seq, head_hash=prev, updated_at=stamp)
    new_case = replace(new_case, attention=flags(case, new_case, tuple(sealed), stamp))
    return Change(new_case, tuple(sealed), case.version, case if case.version else None)


def open_case(*, broker_id: str, case_id: str, broker: BrokerContact, customer: Customer, invoice: Invoice,
              link: Link, at: datetime) -> Change:
    stamp = iso(at)
    draft = Case(
        broker_id=broker_id, case_id=case_id, broker=broker, customer=customer, invoice=invoice,
        balance=Balance(invoice.currency, invoice.amount), status="open", link=link,
        created_at=stamp, updated_at=stamp,
    )
    return record(draft, at, "broker", [
        ("case_opened", {
            "invoice_number": invoice.number, "amount": invoice.amount, "currency": invoice.currency,
            "issued_on": invoice.issued_on.isoformat(), "due_on": invoice.due_on.isoformat(),
        }),
        ("link_issued", {"link_id": link.link_id, "link_version": link.version, "expires_at": link.expires_at}),
    ])


def add_note(case: Case, *, kind: str, text: str, at: datetime, actor: str = "broker") -> Change:
    if kind not in NOTE_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(NOTE_KINDS)}", "kind")
    return record(case, at, actor, [("note_added", {"kind": kind, "text": text})])


def issue_link(case: Case, *, link_id: str, expires_at: datetime, at: datetime, actor: str = "broker") -> Change:
    link = Link(link_id, case.link.version + 1, iso(expires_at))
    return record(case, at, actor, [("link_issued", {
        "link_id": link.link_id, "link_version": link.version, "expires_at": link.expires_at,
        "revoked_version": case.link.version,
    })], link=link)


LINK_OPEN_QUIET = timedelta(hours=1)


def record_link_opened(case: Case, *, at: datetime) -> Change | None:
    """At most one `link_opened` event per link per hour, so reloads do not flood the timeline."""
    if case.link.opened_at and at - parse_iso(case.link.opened_at) < LINK_OPEN_QUIET:
        return None
    link = replace(case.link, opened_at=iso(at))
    return record(case, at, "customer", [("link_opened", {"link_id": link.link_id})], link=link)


def transition(case: Case, status: str) -> str:
    """Guard a status change; returns the new status or raises Conflict naming the rule."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    if status != case.status and status not in TRANSITIONS[case.status]:
        raise Conflict(f"a case that is {case.status} cannot become {status}", "status")
    return status


def customer_timeline(events: list[Event]) -> list[dict[str, Any]]:
    return [
        {"type": e.type, "at": e.at, "data": {k: e.data[k] for k in CUSTOMER_VISIBLE[e.type] if k in e.data}}
        for e in events if e.type in CUSTOMER_VISIBLE
    ]

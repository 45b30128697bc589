"""Money in and out of a case: what a checkout may charge, and what each payment fact does to the balance.

Every payment is kept in the case's ledger under the provider's reference (a Stripe PaymentIntent id,
or `offline:<reference>`), and the balance is derived from the ledger. A fact seen twice, or facts
seen in another order, leave the same ledger (payment_ledger.py), so the same balance and status.

Rules:
- paid in full -> status paid, reminders stop (next_action_at None), a receipt is due to the customer
  and the broker is told; more than due stays on the case as credit;
- a refund or a chargeback makes the amount due again; a paid case re-opens. A chargeback also tells
  the broker, and keeps reminders stopped until it is decided; a won chargeback counts the money again;
- a partial payment through checkout must be at least the policy's minimum: 10% of what is due by
  default, never below the provider's smallest charge; and it must leave at least the smallest charge,
  so what is left can always be paid by card. When no part fits, only the whole amount can be paid;
- a remainder below the smallest charge (after an offline payment or a refund) cannot be paid by card:
  reminders stop and the broker is told, to write it off or collect it another way.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain import recovery
from chalicelib.domain.cases import CLOSED, Case, Change, iso, record, transition
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.fees import EarlyPaymentDiscountPolicy, discount_deadline, early_payment_discount
from chalicelib.domain.money import MAXIMUM_CHARGE, Money, currency_view, minimum_charge
from chalicelib.domain.payment_ledger import FAILED, LOST, OPEN, PENDING, SUCCEEDED, WON, Chargeback, Ledger, Payment

if TYPE_CHECKING:
    from chalicelib.domain.policy import Policy

# Until the broker's policy (domain/policy.py) carries these, every broker gets the defaults.
MIN_PARTIAL_BP = 1000  # 10% of what is due
DEFAULT_METHODS = ("card",)
# Payment method types a policy may offer at checkout; the delayed ones settle days later.
CHECKOUT_METHODS = ("card", "link", "us_bank_account", "sepa_debit", "bacs_debit", "au_becs_debit",
                    "acss_debit", "ideal", "bancontact", "eps", "p24", "klarna")
DELAYED_METHODS = frozenset({"us_bank_account", "sepa_debit", "bacs_debit", "au_becs_debit", "acss_debit"})
OFFLINE_METHODS = ("bank_transfer", "cheque", "cash", "other")
CLOSED_NOT_LOST = frozenset({"won", "warning_closed", "charge_refunded"})
# Why a remainder cannot be paid by card: the ladder stops and the broker is asked to settle it.
SMALL_REMAINDER = "small_remainder"
provider_minimum = minimum_charge  # Stripe's smallest charge: the currency table in money.py


@dataclass(frozen=True)
class PaymentTerms:
    """What a broker's customers may do at checkout."""

    min_partial_bp: int = MIN_PARTIAL_BP
    methods: tuple[str, ...] = DEFAULT_METHODS
    discount: EarlyPaymentDiscountPolicy | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.min_partial_bp <= 10_000:
            raise ValueError("min_partial_bp must be between 0 and 10000")
        unknown = [m for m in self.methods if m not in CHECKOUT_METHODS]
        if not self.methods or unknown:
            raise ValueError(f"payment methods must be some of {', '.join(CHECKOUT_METHODS)}")


def terms_from_policy(policy: Policy) -> PaymentTerms:
    """The payment side of a broker's policy (domain/policy.py): for now its early-payment discount.

    The policy has no minimum-partial or payment-method fields yet; the defaults above apply until it does.
    """
    return PaymentTerms(discount=policy.discount)


@dataclass(frozen=True)
class CheckoutQuote:
    """What one checkout charges, all decided here from the case: nothing the browser sends sets a price."""

    amount: int
    currency: str
    discount: int
    full: bool
    payable: int  # what was still open (due minus payments on their way) when quoted
    methods: tuple[str, ...]


def payable(case: Case) -> int:
    """What the customer can still pay: the amount due less payments already on their way."""
    return max(0, case.balance.due - case.payments.pending)


def unpayable_remainder(case: Case) -> bool:
    """Something is open, but less than one card payment can be: only the broker can settle it."""
    return 0 < payable(case) < minimum_charge(case.balance.currency)


def part_range(case: Case, terms: PaymentTerms) -> tuple[int, int] | None:
    """(smallest, largest) part payment, or None when only the whole amount can be paid.

    The smallest is the policy's share of what is open and at least one card payment; the largest leaves
    at least one card payment behind, so what is left can always be paid."""
    open_amount = payable(case)
    floor = minimum_charge(case.balance.currency)
    share = -(-open_amount * terms.min_partial_bp // 10_000)  # rounded up: never below the share
    least, most = max(share, floor, 1), open_amount - floor
    return (least, most) if least <= most else None


def discount_now(case: Case, terms: PaymentTerms, today: date) -> int:
    """The early-payment discount for paying everything open on `today` (never below one card payment)."""
    if terms.discount is None or case.balance.paid or case.payments.pending:
        return 0
    earned = early_payment_discount(terms.discount, case.invoice.amount, case.invoice.issued_on, today)
    return max(0, min(earned, payable(case) - minimum_charge(case.balance.currency)))


def quote_checkout(case: Case, requested: int | None, terms: PaymentTerms, today: date) -> CheckoutQuote:
    """The amount to charge for paying `requested` (None: everything open), with any early-payment discount.

    `today` is the customer's own date: the discount deadline is a date on their calendar.
    """
    if case.status == "paid" or case.balance.due == 0:
        raise Conflict("nothing is due on this case", "amount", code="nothing_due")
    open_amount = payable(case)
    if open_amount == 0:
        raise Conflict("a payment for the whole amount is already on its way", "amount", code="payment_pending")
    currency = case.balance.currency
    if unpayable_remainder(case):
        raise Conflict(f"{Money(open_amount, currency).format()} is below the smallest card payment; "
                       f"please contact {case.broker.name}", "amount", code="amount_too_small")
    if requested is not None and requested > open_amount:
        raise InvalidInput(f"must be at most {open_amount} (the amount due, in minor units)", "amount")
    full = requested is None or requested == open_amount
    if not full:
        _check_part(case, terms, open_amount, requested)
    discount = discount_now(case, terms, today) if full else 0
    amount = open_amount - discount if full else requested
    assert amount is not None
    if amount > MAXIMUM_CHARGE:
        raise Conflict("the amount is larger than one card payment can be; please contact "
                       f"{case.broker.name}", "amount", code="amount_too_large")
    return CheckoutQuote(amount, currency, discount, full, open_amount, terms.methods)


def _check_part(case: Case, terms: PaymentTerms, open_amount: int, requested: int | None) -> None:
    assert requested is not None
    floor = minimum_charge(case.balance.currency)
    allowed = part_range(case, terms)
    if allowed is None:
        raise InvalidInput(f"must be the whole {open_amount}: any part would leave less than the smallest "
                           f"card payment ({floor}, in minor units)", "amount")
    least, most = allowed
    if requested < least:
        raise InvalidInput(f"must be at least {least} (a part payment is at least "
                           f"{terms.min_partial_bp / 100:g}% of the amount due)", "amount")
    if requested > most:
        raise InvalidInput(f"must be at most {most}, or the whole {open_amount}: what is left must be at least "
                           f"the smallest card payment ({floor}, in minor units)", "amount")


def pay_options(case: Case, terms: PaymentTerms, today: date) -> dict[str, Any]:
    """What the page offers before any click: what paying now charges and why, and the allowed parts."""
    currency = case.balance.currency
    shown: dict[str, Any] = {"currency": currency_view(currency), "payable_now": None, "discount": None,
                             "part": None, "minimum_charge": minimum_charge(currency), "blocked": None}
    open_amount = payable(case)
    if case.status in CLOSED or open_amount == 0:
        return shown
    if unpayable_remainder(case):
        return {**shown, "blocked": SMALL_REMAINDER}
    discount = discount_now(case, terms, today)
    shown["payable_now"] = open_amount - discount
    if discount:
        assert terms.discount is not None
        shown["discount"] = {"amount": discount,
                             "until": discount_deadline(terms.discount, case.invoice.issued_on).isoformat()}
    allowed = part_range(case, terms)
    if allowed is not None:
        shown["part"] = {"min": allowed[0], "max": allowed[1]}
    return shown


# --- facts about payments, from Stripe's events or a broker's entry --------------------------------

@dataclass(frozen=True)
class PaymentFact:
    """One thing learnt about the payment `reference`. `payment` holds only what this fact knows."""

    reference: str
    payment: Payment
    currency: str | None = None  # to refuse money in another currency than the case's
    detail: dict[str, Any] | None = None  # shown in the timeline event (failure code, dispute reason)


def succeeded(reference: str, amount: int, *, currency: str, method: str | None = None, discount: int = 0,
              source: str = "stripe", received_on: str | None = None) -> PaymentFact:
    return PaymentFact(reference, Payment(source, SUCCEEDED, amount, discount=discount, method=method,
                                          received_on=received_on), currency)


def pending(reference: str, amount: int, *, currency: str, method: str | None = None,
            discount: int = 0) -> PaymentFact:
    return PaymentFact(reference, Payment("stripe", PENDING, amount, discount=discount, method=method), currency)


def failed(reference: str, amount: int, *, currency: str, code: str | None = None) -> PaymentFact:
    return PaymentFact(reference, Payment("stripe", FAILED, amount), currency, {"code": code} if code else None)


def refunded(reference: str, *, charged: int, refunded_total: int, currency: str) -> PaymentFact:
    """A charge with `refunded_total` refunded so far. A refunded charge had succeeded, so that is known too."""
    return PaymentFact(reference, Payment("stripe", SUCCEEDED, charged, refunded=refunded_total), currency)


def chargeback(reference: str, dispute_id: str, amount: int, status: str, *, currency: str,
               reason: str | None = None) -> PaymentFact:
    """A dispute in Stripe's `status`: lost holds the money for good; won and the other closed states
    (warning_closed, charge_refunded) hold none; any other status is still open and holds it for now."""
    outcome = LOST if status == LOST else WON if status in CLOSED_NOT_LOST else OPEN
    return PaymentFact(reference, Payment("stripe", chargebacks={dispute_id: Chargeback(amount, outcome, reason)}),
                       currency)


# --- applying facts ------------------------------------------------------------------------------

def apply(case: Case, facts: list[PaymentFact], *, at: datetime, actor: str = "stripe") -> Change | None:
    """The change these facts make to the case, or None when the ledger already knew all of them."""
    ledger = case.payments
    events: list[tuple[str, dict[str, Any]]] = []
    currency = case.balance.currency
    for fact in facts:
        if fact.currency is not None and fact.currency.upper() != currency:
            raise InvalidInput(f"the case is in {currency}, not {fact.currency.upper()}", "currency")
        before = ledger.payments.get(fact.reference)
        ledger = ledger.with_payment(fact.reference, fact.payment)
        events += _what_changed(fact, before, ledger.payments[fact.reference], currency)
    if ledger == case.payments:
        return None
    return _settle(case, ledger, events, at, actor)


def _what_changed(fact: PaymentFact, before: Payment | None, after: Payment,
                  currency: str) -> list[tuple[str, dict[str, Any]]]:
    old = before or Payment(after.source)
    ref = {"reference": fact.reference, "currency": currency}
    events: list[tuple[str, dict[str, Any]]] = []
    if after.state != old.state:
        data = {**ref, "amount": after.amount, "source": after.source}
        if after.method:
            data["method"] = after.method
        if after.received_on:
            data["received_on"] = after.received_on
        if after.discount:
            data["discount"] = after.discount
        kind = {PENDING: "payment_pending", FAILED: "payment_failed", SUCCEEDED: "payment_received"}[after.state]
        events.append((kind, {**data, **(fact.detail or {})}))
    if after.refunded > old.refunded:
        events.append(("payment_refunded", {**ref, "amount": after.refunded - old.refunded,
                                            "refunded_total": after.refunded}))
    for dispute_id, now in after.chargebacks.items():
        was = old.chargebacks.get(dispute_id)
        if was is None or was.status != now.status:
            data = {**ref, "dispute_id": dispute_id, "amount": now.amount}
            if now.status == OPEN:
                events.append(("chargeback_opened", {**data, "reason": now.reason}))
            else:
                events.append(("chargeback_closed", {**data, "outcome": now.status}))
    return events


def _settle(case: Case, ledger: Ledger, events: list[tuple[str, dict[str, Any]]], at: datetime,
            actor: str) -> Change:
    """New balance and status from the new ledger; what the customer and the broker must hear about."""
    balance = replace(case.balance, paid=case.balance.paid - case.payments.paid + ledger.paid,
                      discount=case.balance.discount - case.payments.discount + ledger.discount)
    if case.status == "written_off":  # money after a write-off is a recovery: it reopens nothing
        return recovery.recovery(case, ledger, balance, events, at, actor)
    status, next_action_at = case.status, case.next_action_at
    if balance.credit and balance.credit != case.balance.credit:
        events.append(("credit_kept", {"amount": balance.credit, "currency": balance.currency}))
    if balance.due == 0 and case.status != "paid":
        status = transition(case, "paid")
        next_action_at = None
        events.append(("status_changed", {"status": status, "from": case.status}))
        events.append(("receipt_due", {"amount_paid": balance.paid, "currency": balance.currency}))
        events.append(("broker_notified", {"reason": "paid"}))
    elif balance.due > 0 and case.status == "paid":
        status = transition(case, "open")
        events.append(("status_changed", {"status": status, "from": case.status,
                                          "reason": "chargeback" if ledger.open_chargebacks else "refund"}))
        # Money is owed again: the reminder sweep looks at the case now, unless a chargeback is open
        # (the broker decides what to tell a customer who disputed the charge with their bank).
        next_action_at = None if ledger.open_chargebacks else iso(at)
    elif (status == "open" and balance.due > 0 and next_action_at is None
          and case.payments.open_chargebacks and not ledger.open_chargebacks):
        next_action_at = iso(at)  # the last chargeback is decided and money is still owed: reminders resume
    if ledger.open_chargebacks > case.payments.open_chargebacks:
        events.append(("broker_notified", {"reason": "chargeback"}))
    left = balance.due - ledger.pending
    if 0 < left < minimum_charge(balance.currency) and not unpayable_remainder(case):
        # No card payment can be this small: the ladder stops (ladder.plan) and the broker settles it.
        events.append(("broker_notified", {"reason": SMALL_REMAINDER, "amount": left, "currency": balance.currency}))
    return record(case, at, actor, events, balance=balance, status=status, next_action_at=next_action_at,
                  payments=ledger)


# --- offline payments ------------------------------------------------------------------------------

def offline_reference(reference: str) -> str:
    return f"offline:{reference}"


def record_offline_payment(case: Case, *, amount: int, method: str, reference: str, received_on: date,
                           today: date, at: datetime) -> Change | None:
    """Money the broker received outside Stripe. The same reference twice is the same payment: None."""
    if method not in OFFLINE_METHODS:
        raise InvalidInput(f"method must be one of {', '.join(OFFLINE_METHODS)}", "method")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidInput("amount must be a positive integer in minor units", "amount")
    if received_on > today:
        raise InvalidInput("cannot be in the future", "received_on")
    key = offline_reference(reference)
    known = case.payments.payments.get(key)
    if known is not None:
        if (known.amount, known.method, known.received_on) != (amount, method, received_on.isoformat()):
            raise Conflict(f"reference {reference} is already recorded with other details", "reference",
                           code="duplicate_reference")
        return None
    fact = succeeded(key, amount, currency=case.balance.currency, method=method, source="offline",
                     received_on=received_on.isoformat())
    return apply(case, [fact], at=at, actor="broker")

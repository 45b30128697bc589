"""A case's installment plans: a value kept on the Case (`case.plans`).

Kept apart from plans.py (which decides) so cases.py can hold it without importing the rules, like
ladder_state.py and payment_ledger.py. Dates are the customer's calendar dates; times are UTC ISO strings.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# Plan states.
ACTIVE = "active"
COMPLETED = "completed"
DEFAULTED = "defaulted"

# Installment states. `retrying` and `action_required` are failed attempts with another one scheduled
# (action_required: the bank wants the customer to confirm the payment themselves); `missed` is the last
# attempt failed; `cancelled` was not needed (the balance was paid some other way).
SCHEDULED = "scheduled"
PAID = "paid"
RETRYING = "retrying"
ACTION_REQUIRED = "action_required"
MISSED = "missed"
CANCELLED = "cancelled"
OPEN_INSTALLMENT = frozenset({SCHEDULED, RETRYING, ACTION_REQUIRED})
FAILING = frozenset({RETRYING, ACTION_REQUIRED})


@dataclass(frozen=True)
class Installment:
    number: int  # 1-based; the first is paid at checkout when the plan starts
    due_on: date
    amount: int
    status: str = SCHEDULED
    attempts: int = 0  # off-session charges that failed so far
    retry_on: date | None = None  # the next attempt after a failure
    last_attempt_on: date | None = None  # the scheduled date of the last recorded attempt
    reference: str | None = None  # the payment (PaymentIntent) that paid it
    error: str | None = None  # the provider's code for the last failure

    @property
    def attempt_on(self) -> date:
        """The date the next attempt is scheduled for."""
        return self.retry_on or self.due_on


@dataclass(frozen=True)
class InstallmentPlan:
    plan_id: str
    offer_id: str
    state: str
    interval: str
    currency: str
    installments: tuple[Installment, ...]
    started_at: str
    retry_days: tuple[int, ...] = (1, 3, 7)
    first_payment: str | None = None  # the PaymentIntent of the first installment
    payment_method: str | None = None  # the saved card later installments are charged to
    next_charge_at: str | None = None  # when the sweep next charges an installment (UTC)
    ended_at: str | None = None
    custom: bool = False

    @property
    def is_active(self) -> bool:
        return self.state == ACTIVE

    def installment(self, number: int) -> Installment | None:
        return next((i for i in self.installments if i.number == number), None)


@dataclass(frozen=True)
class CustomOffer:
    """A plan the broker offered this one case, whatever the policy says (POST .../plan-offers)."""

    key: str
    installments: int
    interval: str
    first_amount: int | None
    created_at: str


@dataclass(frozen=True)
class Plans:
    current: InstallmentPlan | None = None
    custom_offers: tuple[CustomOffer, ...] = ()
    chosen: str | None = None  # the offer the customer last went to pay (checkout started)
    stripe_customer: str | None = None  # the Stripe Customer holding the case customer's saved card
    past: tuple[str, ...] = ()  # plan ids that ended (completed or defaulted): never started again

    @property
    def next_charge_at(self) -> str | None:
        """When the sweep must look at the case for an installment; None without an active plan."""
        plan = self.current
        return plan.next_charge_at if plan is not None and plan.is_active else None

"""The payments of a case, keyed by the provider's reference: a value kept on the Case (`case.payments`).

Kept apart from payments.py (which decides) so cases.py can hold it without importing the rules.

Every field only ever grows along a fixed order (a state rank, a maximum, a dispute that closes),
and `merge` takes the larger of each. So merging the same facts in any order, any number of times,
gives the same ledger: the balance derived from it cannot depend on how Stripe delivers its events.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

PENDING = "pending"
FAILED = "failed"
SUCCEEDED = "succeeded"
# A later state wins over an earlier one whatever order the facts arrive in. A PaymentIntent that
# failed (a declined card) may still succeed on the next try, so succeeded outranks failed; a delayed
# payment that failed is final for that payment, so failed outranks pending. "" = only refunds or
# disputes of this payment seen so far.
STATE_RANK = {"": 0, PENDING: 1, FAILED: 2, SUCCEEDED: 3}

OPEN = "open"
WON = "won"
LOST = "lost"
CHARGEBACK_RANK = {OPEN: 0, WON: 1, LOST: 1}


@dataclass(frozen=True)
class Chargeback:
    """A card holder's dispute of a payment. Its money is held back unless the dispute is won."""

    amount: int
    status: str = OPEN
    reason: str | None = None

    @property
    def held(self) -> int:
        return 0 if self.status == WON else self.amount


@dataclass(frozen=True)
class Payment:
    source: str  # "stripe" or "offline"
    state: str = ""
    amount: int = 0
    refunded: int = 0  # the provider's running total, never a sum of deltas
    discount: int = 0  # early-payment discount granted with this payment (paying in full in time)
    method: str | None = None
    received_on: str | None = None
    chargebacks: dict[str, Chargeback] = field(default_factory=dict)

    @property
    def held(self) -> int:
        return sum(c.held for c in self.chargebacks.values())

    @property
    def net(self) -> int:
        """What this payment still counts towards the balance."""
        if self.state != SUCCEEDED:
            return 0
        return max(0, self.amount - self.refunded - self.held)

    @property
    def granted_discount(self) -> int:
        return self.discount if self.net > 0 else 0

    @property
    def pending_amount(self) -> int:
        return self.amount if self.state == PENDING else 0

    def merge(self, other: Payment) -> Payment:
        state = max(self.state, other.state, key=STATE_RANK.__getitem__)
        chargebacks = dict(self.chargebacks)
        for dispute_id, seen in other.chargebacks.items():
            mine = chargebacks.get(dispute_id)
            chargebacks[dispute_id] = seen if mine is None else _merge_chargeback(mine, seen)
        return replace(
            self, state=state, amount=max(self.amount, other.amount), refunded=max(self.refunded, other.refunded),
            discount=max(self.discount, other.discount), method=_least(self.method, other.method),
            received_on=_least(self.received_on, other.received_on), chargebacks=chargebacks,
        )


def _merge_chargeback(a: Chargeback, b: Chargeback) -> Chargeback:
    status = max(a.status, b.status, key=lambda s: (CHARGEBACK_RANK[s], s))
    return Chargeback(amount=max(a.amount, b.amount), status=status, reason=_least(a.reason, b.reason))


def _least(a: str | None, b: str | None) -> str | None:
    """Either value when only one is known; the same one of two whichever order they came in."""
    known = [v for v in (a, b) if v]
    return min(known) if known else None


@dataclass(frozen=True)
class Ledger:
    payments: dict[str, Payment] = field(default_factory=dict)

    @property
    def paid(self) -> int:
        return sum(p.net for p in self.payments.values())

    @property
    def discount(self) -> int:
        return sum(p.granted_discount for p in self.payments.values())

    @property
    def pending(self) -> int:
        return sum(p.pending_amount for p in self.payments.values())

    @property
    def open_chargebacks(self) -> int:
        return sum(1 for p in self.payments.values() for c in p.chargebacks.values() if c.status == OPEN)

    def with_payment(self, reference: str, payment: Payment) -> Ledger:
        known = self.payments.get(reference)
        merged = payment if known is None else known.merge(payment)
        return Ledger({**self.payments, reference: merged})

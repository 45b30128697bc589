"""Money reported in another currency than its case's: never counted, always put before the broker.

A case's balance is in one currency, and converting would need a rate the broker never agreed to. So a
payment fact in another currency changes no balance; the case records `payment_currency_mismatch` with
what the provider reported, and the broker is told (services/payment_notices.py) to settle it by hand.
"""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.cases import Case, Change, record
from chalicelib.domain.payments import PaymentFact


def foreign(case: Case, facts: list[PaymentFact]) -> list[PaymentFact]:
    """The facts in a currency other than the case's."""
    return [f for f in facts if f.currency and f.currency.upper() != case.balance.currency]


def record_mismatch(case: Case, facts: list[PaymentFact], *, at: datetime, actor: str = "stripe") -> Change | None:
    """One `payment_currency_mismatch` event per foreign fact; None when every fact is in the case's currency."""
    events = [("payment_currency_mismatch", {
        "reference": f.reference, "amount": f.payment.amount, "currency": str(f.currency).upper(),
        "case_currency": case.balance.currency, "state": f.payment.state or "chargeback",
        **({"refunded": f.payment.refunded} if f.payment.refunded else {}),
    }) for f in foreign(case, facts)]
    return record(case, at, actor, list(events)) if events else None

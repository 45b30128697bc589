"""Money that reaches a written-off case (see closing.py): a recovery, which reopens nothing.

Kept apart from closing.py so payments.py can call it without importing the commands that use it.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.domain.cases import Balance, Case, Change, record, transition
from chalicelib.domain.payment_ledger import Ledger


def recovery(case: Case, ledger: Ledger, balance: Balance, events: list[tuple[str, dict[str, Any]]],
             at: datetime, actor: str) -> Change:
    """A written-off case's ledger changed (payments.apply): money received takes back the write-off, money
    refunded gives it back; the case stays written off, its ladder stopped, until all of it is recovered."""
    received = ledger.paid - case.payments.paid
    back = min(received, case.closing.written_off) if received >= 0 else max(received, -case.closing.recovered)
    balance = replace(balance, discount=balance.discount - back)
    closing = replace(case.closing, written_off=case.closing.written_off - back,
                      recovered=case.closing.recovered + back)
    status = case.status
    if received > 0:
        events = [*events, ("recovery_received", {"amount": received, "currency": balance.currency,
                                                  "written_off": closing.written_off, "recovered": closing.recovered})]
    if closing.written_off == 0 and balance.due == 0:
        status = transition(case, "paid")
        events = [*events, ("status_changed", {"status": status, "from": case.status, "reason": "recovered"})]
    return record(case, at, actor, events, balance=balance, status=status, next_action_at=None, payments=ledger,
                  closing=closing)

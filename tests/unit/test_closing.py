"""Closing rules the API tests reach only slowly: a refund after a recovery, and what a partner's hold does."""
from __future__ import annotations

from datetime import date, datetime, timezone

from chalicelib.domain import closing, ladder, payments
from chalicelib.domain.partners import Partner
from chalicelib.domain.policy import DEFAULT_POLICY
from tests.unit.test_dispute_promise_rules import make_case

NOW = datetime(2026, 11, 12, 12, tzinfo=timezone.utc)
AGENCY = Partner("p000000000001", "collection_agency", "Dunning", "cases@dunning.test", fee_bp=1500)


def test_a_refund_of_recovered_money_writes_it_off_again_and_reopens_nothing():
    written = closing.write_off(make_case(), DEFAULT_POLICY, NOW, amount=None, reason="insolvent").case
    paid = payments.record_offline_payment(written, amount=30000, method="cash", reference="R1",
                                           received_on=date(2026, 11, 12), today=date(2026, 11, 12), at=NOW)
    assert paid is not None
    recovered = paid.case
    assert (recovered.status, recovered.closing.recovered, recovered.closing.written_off) == (
        "written_off", 30000, 95000)
    refund = payments.apply(recovered, [payments.refunded("offline:R1", charged=30000, refunded_total=30000,
                                                          currency="EUR")], at=NOW, actor="broker")
    assert refund is not None
    after = refund.case
    assert (after.status, after.closing.recovered, after.closing.written_off, after.balance.due) == (
        "written_off", 0, 125000, 0)
    assert after.next_action_at is None


def test_a_partner_who_contacts_the_customer_holds_the_ladder_and_its_release_resumes_it():
    held = closing.escalate(make_case(), DEFAULT_POLICY, AGENCY, NOW, note=None, pack_key="packs/k.zip",
                            link_expires_at=NOW).case
    assert held.status == "escalated" and not ladder.running(held)
    assert ladder.plan(held, DEFAULT_POLICY, NOW).reason == ladder.HELD_BY_PARTNER and held.next_action_at is None
    later = NOW.replace(day=20)
    back = closing.record_outcome(held, DEFAULT_POLICY, later, collected=None, collected_on=None, partner_fee=None,
                                  closed=True, returned=True, note=None, today=later.date()).case
    assert back.status == "open" and back.closing.escalation is None and back.ladder.shift_days == 8
    assert back.next_action_at is not None

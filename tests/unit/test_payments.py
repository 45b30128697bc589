"""Payments on a case: checkout amounts, partial payments, refunds, chargebacks, credit, offline money,
and the same balance whatever order and however often the facts arrive."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import cases as domain
from chalicelib.domain import payments
from chalicelib.domain.cases import BrokerContact, Case, Customer, Invoice, Link, iso
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.fees import EarlyPaymentDiscountPolicy
from chalicelib.domain.history import verify_history
from chalicelib.domain.payments import PaymentTerms

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)
TODAY = date(2026, 11, 2)


def opened(amount: int = 10000, currency: str = "EUR", issued_on: date = date(2026, 10, 1)) -> Case:
    change = domain.open_case(
        broker_id="b1", case_id="c1", broker=BrokerContact("Acme", "ar@acme.test"),
        customer=Customer("Jane", "jane@example.test"),
        invoice=Invoice("INV-1", issued_on, issued_on + timedelta(days=30), amount, currency),
        link=Link("l1", 1, iso(T0 + timedelta(days=30))), at=T0,
    )
    return replace(change.case, next_action_at=iso(T0 + timedelta(days=1)))


def apply(case: Case, *facts: payments.PaymentFact) -> Case:
    change = payments.apply(case, list(facts), at=T0)
    assert change is not None
    return change.case


def paid_by_card(case: Case, ref: str = "pi_1", amount: int = 10000) -> Case:
    return apply(case, payments.succeeded(ref, amount, currency="eur", method="card"))


# --- checkout amounts -----------------------------------------------------------------------------

def test_no_amount_means_everything_due():
    quote = payments.quote_checkout(opened(), None, PaymentTerms(), TODAY)
    assert (quote.amount, quote.full, quote.discount, quote.methods) == (10000, True, 0, ("card",))


def test_a_part_payment_must_be_at_least_ten_percent_of_the_amount_due():
    case = opened()
    assert payments.quote_checkout(case, 1000, PaymentTerms(), TODAY).amount == 1000
    with pytest.raises(InvalidInput) as too_small:
        payments.quote_checkout(case, 999, PaymentTerms(), TODAY)
    assert too_small.value.field == "amount" and "1000" in too_small.value.message


def test_when_no_part_fits_only_the_whole_remainder_can_be_paid():
    case = paid_by_card(opened(), amount=9940)  # 60 cents left: any part would leave less than 50 cents
    assert payments.part_range(case, PaymentTerms()) is None
    with pytest.raises(InvalidInput) as part:
        payments.quote_checkout(case, 50, PaymentTerms(), TODAY)
    assert part.value.field == "amount" and "whole 60" in part.value.message
    assert payments.quote_checkout(case, None, PaymentTerms(), TODAY).amount == 60
    case = paid_by_card(opened(), amount=9960)  # 40 cents left: below Stripe's minimum altogether
    with pytest.raises(Conflict) as too_small:
        payments.quote_checkout(case, None, PaymentTerms(), TODAY)
    assert too_small.value.code == "amount_too_small"


@pytest.mark.parametrize(("currency", "amount", "largest"), [("EUR", 10000, 9950), ("GBP", 10000, 9970),
                                                             ("JPY", 10000, 9950), ("HUF", 100000, 82500)])
def test_a_part_payment_never_leaves_less_than_one_card_payment(currency, amount, largest):
    case = opened(amount=amount, currency=currency)
    assert payments.part_range(case, PaymentTerms())[1] == largest
    assert payments.quote_checkout(case, largest, PaymentTerms(), TODAY).amount == largest
    with pytest.raises(InvalidInput) as too_much:
        payments.quote_checkout(case, amount - 1, PaymentTerms(), TODAY)  # 99.99 of 100.00
    assert too_much.value.field == "amount" and f"at most {largest}" in too_much.value.message


def test_the_case_view_says_what_paying_now_charges_and_which_parts_are_allowed():
    terms = PaymentTerms(discount=EarlyPaymentDiscountPolicy(rate_bp=200, days=40))
    options = payments.pay_options(opened(), terms, date(2026, 11, 10))
    assert options == {"currency": {"code": "EUR", "exponent": 2}, "payable_now": 9800,
                       "discount": {"amount": 200, "until": "2026-11-10"}, "part": {"min": 1000, "max": 9950},
                       "minimum_charge": 50, "blocked": None}
    late = payments.pay_options(opened(), terms, date(2026, 11, 11))
    assert (late["payable_now"], late["discount"]) == (10000, None)
    assert payments.pay_options(paid_by_card(opened()), terms, TODAY)["payable_now"] is None


def test_a_remainder_no_card_payment_can_be_stops_reminders_and_tells_the_broker():
    case = opened()
    change = payments.record_offline_payment(case, amount=9999, method="bank_transfer", reference="BT-9",
                                             received_on=TODAY, today=TODAY, at=T0)
    assert change is not None and change.case.balance.due == 1
    told = [e.data for e in change.events if e.type == "broker_notified"]
    assert told == [{"reason": "small_remainder", "amount": 1, "currency": "EUR"}]
    assert payments.pay_options(change.case, PaymentTerms(), TODAY)["blocked"] == "small_remainder"
    again = payments.apply(change.case, [payments.failed("pi_x", 500, currency="EUR")], at=T0)
    assert again is not None and not [e for e in again.events if e.type == "broker_notified"]  # told once


def test_more_than_due_cannot_be_asked_for():
    with pytest.raises(InvalidInput) as raised:
        payments.quote_checkout(opened(), 10001, PaymentTerms(), TODAY)
    assert raised.value.field == "amount"


def test_nothing_due_is_a_conflict():
    with pytest.raises(Conflict) as raised:
        payments.quote_checkout(paid_by_card(opened()), None, PaymentTerms(), TODAY)
    assert raised.value.code == "nothing_due"


def test_a_pending_payment_is_not_asked_for_twice():
    case = apply(opened(), payments.pending("pi_1", 4000, currency="EUR", method="sepa_debit"))
    assert payments.quote_checkout(case, None, PaymentTerms(), TODAY).amount == 6000
    case = apply(case, payments.pending("pi_2", 6000, currency="EUR", method="sepa_debit"))
    with pytest.raises(Conflict) as raised:
        payments.quote_checkout(case, None, PaymentTerms(), TODAY)
    assert raised.value.code == "payment_pending"


def test_an_early_full_payment_earns_the_discount_and_settles_the_case():
    terms = PaymentTerms(discount=EarlyPaymentDiscountPolicy(rate_bp=200, days=40))
    case = opened(issued_on=date(2026, 10, 1))
    quote = payments.quote_checkout(case, None, terms, date(2026, 11, 10))
    assert (quote.amount, quote.discount) == (9800, 200)
    late = payments.quote_checkout(case, None, terms, date(2026, 11, 11))
    assert (late.amount, late.discount) == (10000, 0)
    part = payments.quote_checkout(case, 5000, terms, date(2026, 11, 10))
    assert (part.amount, part.discount) == (5000, 0)

    paid = apply(case, payments.succeeded("pi_1", 9800, currency="EUR", discount=200))
    assert (paid.status, paid.balance.due, paid.balance.discount, paid.balance.paid) == ("paid", 0, 200, 9800)


# --- payments, refunds, chargebacks -------------------------------------------------------------------

def test_paid_in_full_closes_the_case_stops_reminders_and_asks_for_a_receipt():
    change = payments.apply(opened(), [payments.succeeded("pi_1", 10000, currency="EUR", method="card")], at=T0)
    assert change is not None
    assert (change.case.status, change.case.next_action_at, change.case.balance.due) == ("paid", None, 0)
    assert [e.type for e in change.events] == ["payment_received", "status_changed", "receipt_due",
                                               "broker_notified"]
    assert change.events[0].data == {"reference": "pi_1", "currency": "EUR", "amount": 10000, "source": "stripe",
                                     "method": "card"}


def test_a_partial_payment_leaves_the_rest_due_and_reminders_running():
    case = opened()
    part = paid_by_card(case, amount=2500)
    assert (part.status, part.balance.due, part.next_action_at) == ("open", 7500, case.next_action_at)


def test_the_same_payment_twice_counts_once():
    once = paid_by_card(opened(), amount=2500)
    assert payments.apply(once, [payments.succeeded("pi_1", 2500, currency="EUR")], at=T0) is None


def test_overpayment_is_kept_as_credit():
    change = payments.apply(opened(), [payments.succeeded("pi_1", 12500, currency="EUR")], at=T0)
    assert change is not None
    assert (change.case.status, change.case.balance.due, change.case.balance.credit) == ("paid", 0, 2500)
    assert ("credit_kept", {"amount": 2500, "currency": "EUR"}) in [(e.type, e.data) for e in change.events]


def test_a_refund_makes_the_amount_due_again_and_reopens_a_paid_case():
    paid = paid_by_card(opened())
    change = payments.apply(paid, [payments.refunded("pi_1", charged=10000, refunded_total=3000, currency="eur")],
                            at=T0 + timedelta(days=1))
    assert change is not None
    case = change.case
    assert (case.status, case.balance.due, case.next_action_at) == ("open", 3000, iso(T0 + timedelta(days=1)))
    assert [e.type for e in change.events] == ["payment_refunded", "status_changed"]
    assert change.events[0].data["amount"] == 3000
    # A second refund on the same charge: Stripe reports the running total.
    more = apply(case, payments.refunded("pi_1", charged=10000, refunded_total=5000, currency="eur"))
    assert more.balance.due == 5000


def test_paying_again_after_a_partial_refund():
    case = apply(paid_by_card(opened()), payments.refunded("pi_1", charged=10000, refunded_total=4000,
                                                           currency="eur"))
    case = paid_by_card(case, ref="pi_2", amount=4000)
    assert (case.status, case.balance.due, case.balance.paid) == ("paid", 0, 10000)


def test_a_chargeback_makes_money_due_flags_the_case_and_tells_the_broker():
    paid = paid_by_card(opened())
    change = payments.apply(paid, [payments.chargeback("pi_1", "dp_1", 10000, "needs_response", currency="eur",
                                                        reason="fraudulent")], at=T0)
    assert change is not None
    case = change.case
    assert (case.status, case.balance.due, case.payments.open_chargebacks) == ("open", 10000, 1)
    assert case.next_action_at is None  # no reminders while the bank decides
    assert [e.type for e in change.events] == ["chargeback_opened", "status_changed", "broker_notified"]
    assert change.events[-1].data == {"reason": "chargeback"}

    won = apply(case, payments.chargeback("pi_1", "dp_1", 10000, "won", currency="eur"))
    assert (won.status, won.balance.due, won.payments.open_chargebacks) == ("paid", 0, 0)

    lost = payments.apply(case, [payments.chargeback("pi_1", "dp_1", 10000, "lost", currency="eur")], at=T0)
    assert lost is not None
    assert (lost.case.status, lost.case.balance.due, lost.case.next_action_at) == ("open", 10000, iso(T0))


def test_a_dispute_reported_before_its_payment_still_holds_the_money():
    case = apply(opened(), payments.chargeback("pi_1", "dp_1", 10000, "needs_response", currency="eur"))
    case = paid_by_card(case)
    assert (case.status, case.balance.due) == ("open", 10000)


def test_a_delayed_payment_is_pending_then_paid_or_failed():
    case = apply(opened(), payments.pending("pi_1", 10000, currency="EUR", method="sepa_debit"))
    assert (case.status, case.balance.due, case.payments.pending) == ("open", 10000, 10000)
    assert paid_by_card(case).status == "paid"
    failed = apply(case, payments.failed("pi_1", 10000, currency="EUR", code="insufficient_funds"))
    assert (failed.status, failed.balance.due, failed.payments.pending) == ("open", 10000, 0)


def test_money_in_another_currency_is_refused():
    with pytest.raises(InvalidInput):
        payments.apply(opened(), [payments.succeeded("pi_1", 100, currency="usd")], at=T0)


def test_every_payment_event_extends_a_valid_history():
    case = opened()
    change = domain.open_case(broker_id="b1", case_id="c1", broker=case.broker, customer=case.customer,
                              invoice=case.invoice, link=case.link, at=T0)
    history = list(change.events)
    case = change.case
    for fact in (payments.succeeded("pi_1", 10000, currency="EUR"),
                 payments.refunded("pi_1", charged=10000, refunded_total=10000, currency="EUR")):
        step = payments.apply(case, [fact], at=T0)
        assert step is not None
        case, history = step.case, history + list(step.events)
    assert verify_history(history, case.head_hash).ok


# --- offline payments ----------------------------------------------------------------------------

def test_an_offline_payment_counts_once_per_reference():
    change = payments.record_offline_payment(opened(), amount=10000, method="bank_transfer", reference="BT-1",
                                             received_on=date(2026, 11, 1), today=TODAY, at=T0)
    assert change is not None
    case = change.case
    assert (case.status, case.balance.due) == ("paid", 0)
    assert change.events[0].actor == "broker"
    assert change.events[0].data["received_on"] == "2026-11-01"
    again = payments.record_offline_payment(case, amount=10000, method="bank_transfer", reference="BT-1",
                                            received_on=date(2026, 11, 1), today=TODAY, at=T0)
    assert again is None
    with pytest.raises(Conflict) as other:
        payments.record_offline_payment(case, amount=500, method="cash", reference="BT-1",
                                        received_on=date(2026, 11, 1), today=TODAY, at=T0)
    assert other.value.field == "reference"


def test_an_offline_payment_cannot_be_dated_in_the_future():
    with pytest.raises(InvalidInput) as raised:
        payments.record_offline_payment(opened(), amount=100, method="cash", reference="X",
                                        received_on=TODAY + timedelta(days=1), today=TODAY, at=T0)
    assert raised.value.field == "received_on"


# --- any order, any duplicates: the same balance ---------------------------------------------------------

def scenario() -> list[payments.PaymentFact]:
    """A busy case: a part payment by card, refunded in two steps; a disputed payment, won; a delayed
    payment that failed; another that settled; a lost dispute; and money received by bank transfer."""
    eur = {"currency": "eur"}
    return [
        payments.succeeded("pi_a", 3000, method="card", **eur),
        payments.refunded("pi_a", charged=3000, refunded_total=1000, **eur),
        payments.refunded("pi_a", charged=3000, refunded_total=1500, **eur),
        payments.succeeded("pi_b", 4000, method="card", **eur),
        payments.chargeback("pi_b", "dp_b", 4000, "needs_response", reason="fraudulent", **eur),
        payments.chargeback("pi_b", "dp_b", 4000, "won", **eur),
        payments.pending("pi_c", 2000, method="sepa_debit", **eur),
        payments.failed("pi_c", 2000, code="insufficient_funds", **eur),
        payments.pending("pi_d", 2500, method="us_bank_account", **eur),
        payments.succeeded("pi_d", 2500, method="us_bank_account", **eur),
        payments.succeeded("pi_e", 1500, method="card", **eur),
        payments.chargeback("pi_e", "dp_e", 1500, "needs_response", **eur),
        payments.chargeback("pi_e", "dp_e", 1500, "lost", **eur),
        payments.succeeded("offline:BT-9", 1500, method="bank_transfer", source="offline", **eur),
    ]


def replay(facts: list[payments.PaymentFact]) -> Case:
    case = opened()
    for i, fact in enumerate(facts):
        change = payments.apply(case, [fact], at=T0 + timedelta(minutes=i))
        if change is not None:
            case = change.case
    return case


IN_ORDER = replay(scenario())


def test_the_busy_scenario_in_order():
    # paid: a 3000-1500 + b 4000 (won) + d 2500 + offline 1500 = 9500; e lost, c failed
    assert (IN_ORDER.balance.paid, IN_ORDER.balance.due, IN_ORDER.status) == (9500, 500, "open")


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_order_with_duplicates_gives_the_same_balance_and_status(data):
    facts = scenario()
    extra = data.draw(st.lists(st.sampled_from(facts), max_size=10))
    shuffled = data.draw(st.permutations(facts + extra))
    case = replay(shuffled)
    assert case.balance == IN_ORDER.balance
    assert case.status == IN_ORDER.status
    assert case.payments == IN_ORDER.payments


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_paid_in_full_in_any_order(data):
    eur = {"currency": "eur"}
    facts = [payments.succeeded("pi_a", 6000, **eur), payments.succeeded("pi_b", 6000, **eur),
             payments.refunded("pi_b", charged=6000, refunded_total=2000, **eur),
             payments.chargeback("pi_a", "dp_a", 6000, "needs_response", **eur),
             payments.chargeback("pi_a", "dp_a", 6000, "won", **eur)]
    shuffled = data.draw(st.permutations(facts + data.draw(st.lists(st.sampled_from(facts), max_size=5))))
    case = replay(shuffled)
    assert (case.status, case.balance.due, case.balance.credit) == ("paid", 0, 0)

"""Installment plans as pure domain: the offers' arithmetic and dates, and a plan's life (start, installments
paid or failed, retries, authentication, default, completion), replayed as often as Stripe or SQS may."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib import schemas
from chalicelib.domain import cases as domain
from chalicelib.domain import payments, plans
from chalicelib.domain.cases import BrokerContact, Case, Customer, Invoice, Link, iso
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.plans import ChargeResult, PlanPayment
from chalicelib.domain.policy import DEFAULT_POLICY, INTERVALS, PlanTerms

T0 = datetime(2026, 11, 5, 9, 0, tzinfo=timezone.utc)  # 10:00 in Berlin
TODAY = date(2026, 11, 5)
POLICY = DEFAULT_POLICY


def opened(amount: int = 125000, status: str = "open") -> Case:
    change = domain.open_case(
        broker_id="b1", case_id="c1", broker=BrokerContact("Acme", "ar@acme.test"),
        customer=Customer("Jane", "jane@example.test", timezone="Europe/Berlin"),
        invoice=Invoice("INV-1", date(2026, 10, 1), date(2026, 10, 31), amount, "EUR"),
        link=Link("l1", 1, iso(T0 + timedelta(days=60))), at=T0)
    return replace(change.case, status=status, next_action_at=iso(T0))


# --- the arithmetic ------------------------------------------------------------------------------------

@given(total=st.integers(1, 10**12), count=st.integers(1, 60), first_percent=st.integers(0, 100))
def test_a_split_sums_to_the_total_with_the_first_never_smaller(total, count, first_percent):
    if total < count:
        with pytest.raises(ValueError):
            plans.split(total, count)
        return
    parts = plans.split(total, count, -(-total * first_percent // 100))
    assert sum(parts) == total and len(parts) == count
    assert all(p >= 1 for p in parts) and parts[0] == max(parts)
    assert len(set(parts[1:])) <= 1  # the others are equal: the remainder went to the first
    if count > 1:
        assert parts[0] >= min(-(-total * first_percent // 100), total - (count - 1))


@given(start=st.dates(date(2000, 1, 1), date(2100, 1, 1)), count=st.integers(2, 24),
       interval=st.sampled_from(INTERVALS))
def test_dates_strictly_increase_from_the_first_and_never_drift(start, count, interval):
    days = plans.due_dates(start, count, interval)
    assert days[0] == start and len(days) == count
    assert all(a < b for a, b in pairwise(days))
    if interval == "monthly":
        assert all(d.day == start.day or d.day < start.day and (d + timedelta(days=1)).day == 1 for d in days)


@pytest.mark.parametrize(("start", "expected"), [
    (date(2026, 1, 31), ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]),
    (date(2027, 12, 31), ["2027-12-31", "2028-01-31", "2028-02-29", "2028-03-31"]),
    (date(2026, 11, 30), ["2026-11-30", "2026-12-30", "2027-01-30", "2027-02-28"]),
])
def test_monthly_dates_are_month_end_safe(start, expected):
    assert [d.isoformat() for d in plans.due_dates(start, 4, "monthly")] == expected


@given(due=st.integers(1, 10**9), today=st.dates(date(2020, 1, 1), date(2040, 1, 1)),
       max_installments=st.integers(2, 24), interval=st.sampled_from(INTERVALS),
       min_installment=st.integers(1, 100000), first_percent=st.integers(0, 100), max_days=st.integers(7, 730))
def test_every_offer_sums_to_the_due_amount_within_the_policys_limits(due, today, max_installments, interval,
                                                                    min_installment, first_percent, max_days):
    terms = PlanTerms(max_installments=max_installments, interval=interval, min_installment_amount=min_installment,
                      min_first_percent=first_percent, max_days=max_days)
    found = plans.offers(opened(due), terms, today)
    for offer in found:
        days, amounts = [d for d, _ in offer.schedule], [a for _, a in offer.schedule]
        assert sum(amounts) == due and amounts[0] == max(amounts) and min(amounts) >= max(min_installment, 50)
        assert amounts[0] * 100 >= due * first_percent
        assert days[0] == today and all(a < b for a, b in pairwise(days))
        assert (days[-1] - days[0]).days <= max_days and 2 <= offer.installments <= max_installments
    assert len({o.offer_id for o in found}) == len(found)


def test_the_schemas_intervals_are_the_domains():
    assert tuple(schemas.PLAN_INTERVALS) == INTERVALS


def test_the_default_policy_offers_two_to_six_monthly_installments():
    found = plans.offers(opened(), POLICY.plans, TODAY)
    assert [o.installments for o in found] == [2, 3, 4, 5, 6]
    assert [a for _, a in found[1].schedule] == [41668, 41666, 41666]


@pytest.mark.parametrize(("status", "code"), [("on_plan", "plan_active"), ("disputed", "disputed"),
                                              ("written_off", "closed"), ("paid", "nothing_due")])
def test_no_offers_where_a_plan_makes_no_sense(status, code):
    case = opened(status=status)
    assert plans.offers(case, POLICY.plans, TODAY) == []
    with pytest.raises(Conflict) as refused:
        plans.find_offer(case, POLICY.plans, TODAY, "o" + "0" * 15)
    assert refused.value.code == code


def test_an_unknown_offer_is_bad_input_naming_offer_id():
    with pytest.raises(InvalidInput) as bad:
        plans.find_offer(opened(), POLICY.plans, TODAY, "o" + "0" * 15)
    assert bad.value.field == "offer_id"


# --- a plan's life ----------------------------------------------------------------------------------------

def started(installments: int = 3) -> Case:
    case = opened()
    offer = next(o for o in plans.offers(case, POLICY.plans, TODAY) if o.installments == installments)
    first = payments.apply(case, [payments.succeeded("pi_1", offer.first_amount, currency="EUR")], at=T0)
    assert first is not None
    fact = PlanPayment("plan", plans.plan_id_for(case, offer), "pi_1", offer.first_amount, offer_id=offer.offer_id,
                       interval=offer.interval, schedule=offer.schedule, stripe_customer="cus_1",
                       payment_method="pm_1")
    change = plans.chain(first, plans.after_payment(first.case, fact, POLICY, T0))
    assert change is not None
    return change.case


def test_the_first_installment_starts_the_plan_and_pauses_the_ladder():
    case = started()
    plan = case.plans.current
    assert case.status == "on_plan" and plan is not None and plan.state == "active"
    assert [i.status for i in plan.installments] == ["paid", "scheduled", "scheduled"]
    assert case.ladder.paused_since == iso(T0)
    assert case.next_action_at == plan.next_charge_at == "2026-12-05T09:00:00.000Z"  # 10:00 in Berlin


def test_the_same_first_payment_again_starts_nothing_more():
    case = started()
    plan = case.plans.current
    assert plan is not None
    again = PlanPayment("plan", plan.plan_id, "pi_1", 41668, offer_id=plan.offer_id, interval="monthly",
                        schedule=tuple((i.due_on, i.amount) for i in plan.installments), stripe_customer="cus_1",
                        payment_method="pm_1")
    assert plans.after_payment(case, again, POLICY, T0) is None


def due(case: Case, at: datetime) -> plans.DueCharge:
    charge = plans.due_charge(case, at)
    assert charge is not None
    return charge


def charge(case: Case, at: datetime, result: ChargeResult) -> Case:
    change = plans.charged(case, due(case, at), result, POLICY, at, new_link_id="l2", link_ttl=timedelta(days=30))
    assert change is not None
    return change.case


def test_nothing_is_due_before_ten_in_the_morning_of_the_due_date():
    case = started()
    assert plans.due_charge(case, datetime(2026, 12, 5, 8, 59, tzinfo=timezone.utc)) is None
    assert due(case, datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)).installment == 2


def test_failures_retry_one_three_and_seven_days_after_the_due_date_then_the_plan_defaults():
    case = started()
    attempts = []
    for day in (5, 6, 8, 12):
        at = datetime(2026, 12, day, 9, 0, tzinfo=timezone.utc)
        charge_due = due(case, at)
        attempts.append((charge_due.attempt, charge_due.attempt_on.isoformat()))
        case = charge(case, at, ChargeResult(False, f"pi_{day}", "card_declined"))
    assert attempts == [(1, "2026-12-05"), (2, "2026-12-06"), (3, "2026-12-08"), (4, "2026-12-12")]
    plan = case.plans.current
    assert plan is not None and plan.state == "defaulted" and case.status == "open"
    assert [i.status for i in plan.installments] == ["paid", "missed", "scheduled"]
    assert case.balance.due == 125000 - 41668
    assert plans.due_charge(case, datetime(2027, 2, 1, tzinfo=timezone.utc)) is None


def test_a_failed_attempt_recorded_once_however_often_it_is_reported():
    case = started()
    at = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)
    charge_due = due(case, at)
    failed = ChargeResult(False, "pi_2", "card_declined")
    case = charge(case, at, failed)
    assert plans.charged(case, charge_due, failed, POLICY, at, new_link_id="l3", link_ttl=timedelta(days=30)) is None


def test_authentication_required_asks_the_customer_and_a_payment_by_hand_ends_the_retries():
    case = started()
    at = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)
    case = charge(case, at, ChargeResult(False, "pi_2", "authentication_required"))
    plan = case.plans.current
    assert plan is not None and plan.installments[1].status == "action_required"
    failed = plan.installments[1]
    assert plans.pay_now(case) == failed
    by_hand = PlanPayment("installment", plan.plan_id, "pi_hand", 41666, installment=2, payment_method="pm_new")
    paid = payments.apply(case, [payments.succeeded("pi_hand", 41666, currency="EUR")], at=at)
    assert paid is not None
    change = plans.chain(paid, plans.after_payment(paid.case, by_hand, POLICY, at))
    assert change is not None
    case = change.case
    plan = case.plans.current
    assert plan is not None and [i.status for i in plan.installments] == ["paid", "paid", "scheduled"]
    assert plan.payment_method == "pm_new"  # the card entered by hand is charged next time
    assert case.next_action_at == "2027-01-05T09:00:00.000Z"


def test_the_last_installment_paid_completes_the_plan_and_the_case():
    case = started(2)
    at = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)
    case = charge(case, at, ChargeResult(True, "pi_2", payment_method="pm_1"))
    plan = case.plans.current
    assert plan is not None and plan.state == "completed"
    assert (case.status, case.balance.due, case.next_action_at) == ("paid", 0, None)


def test_extra_money_shortens_the_plan_from_its_end():
    case = started()
    extra = payments.apply(case, [payments.succeeded("offline:BT-1", 20000, currency="EUR", source="offline")],
                           at=T0)
    assert extra is not None
    case = extra.case
    second = due(case, datetime(2026, 12, 5, 9, tzinfo=timezone.utc))
    assert second.amount == 41666
    case = charge(case, datetime(2026, 12, 5, 9, tzinfo=timezone.utc), ChargeResult(True, "pi_2"))
    third = due(case, datetime(2027, 1, 5, 9, tzinfo=timezone.utc))
    assert third.amount == 125000 - 41668 - 20000 - 41666 == 21666


def test_a_case_paid_in_full_elsewhere_ends_its_plan():
    case = started()
    paid = payments.apply(case, [payments.succeeded("offline:BT-2", 83332, currency="EUR", source="offline")],
                          at=T0, actor="broker")
    assert paid is not None and paid.case.status == "paid"
    ended = plans.reconcile(paid.case, POLICY, T0)
    assert ended is not None
    plan = ended.case.plans.current
    assert plan is not None and plan.state == "completed"
    assert [i.status for i in plan.installments] == ["paid", "cancelled", "cancelled"]
    assert plans.reconcile(ended.case, POLICY, T0) is None


def test_a_first_payment_for_a_case_that_is_no_longer_open_starts_no_plan():
    case = replace(opened(), status="disputed")
    offer = plans.offers(opened(), POLICY.plans, TODAY)[0]
    fact = PlanPayment("plan", "p1", "pi_1", offer.first_amount, offer_id=offer.offer_id, interval="monthly",
                       schedule=offer.schedule)
    change = plans.after_payment(case, fact, POLICY, T0)
    assert change is not None and change.case.status == "disputed"
    assert [e.type for e in change.events] == ["plan_not_started"]
    assert plans.after_payment(change.case, fact, POLICY, T0) is None  # never started later either


def test_a_charge_made_late_retries_from_the_next_day_not_at_once():
    case = started()
    late = datetime(2026, 12, 9, 9, 0, tzinfo=timezone.utc)  # the sweep was down from the 5th to the 9th
    case = charge(case, late, ChargeResult(False, "pi_2", "card_declined"))
    plan = case.plans.current
    assert plan is not None and plan.installments[1].retry_on == date(2026, 12, 10)
    assert plans.due_charge(case, late + timedelta(hours=12)) is None


@pytest.mark.parametrize("locale", ["en", "es", "fr", "de"])
@pytest.mark.parametrize("variant", [{}, {"action_required": True}, {"final": True, "retry_date": ""}])
def test_the_failed_installment_email_renders_in_every_locale(locale, variant):
    from chalicelib.adapters.templates import Templates, long_date, money

    case = started()
    model = {"case_id": "c1", "customer_name": "Jane", "broker_name": "Acme", "invoice_number": "INV-1",
             "due_on": case.invoice.due_on, "currency": "EUR", "balance": case.balance.as_dict(), "discount": None,
             "installment": 2, "installments": 3, "installment_amount": money(41666, "EUR", locale),
             "retry_date": long_date(date(2026, 12, 6), locale), "action_required": False, "final": False,
             "left": money(83332, "EUR", locale), "pay_url": "http://site.test/pay#token", **variant}
    rendered = Templates().email(locale, "installment_failed", model)
    assert "INV-1" in rendered.subject and "\n" not in rendered.subject
    for body in (rendered.text, rendered.html):
        assert "http://site.test/pay#token" in body and model["installment_amount"] in body.replace("&nbsp;", "\xa0")
        assert (long_date(date(2026, 12, 6), locale) in body) is (not variant.get("final"))


def test_the_schedule_shows_what_each_installment_charged():
    from chalicelib import views

    case = started(2)  # 625.00 now, 625.00 in a month
    part = payments.apply(case, [payments.succeeded("pi_part", 47500, currency="EUR")], at=T0)  # a second checkout
    assert part is not None
    at = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)
    case = charge(part.case, at, ChargeResult(True, "pi_2", payment_method="pm_1"))  # only 150.00 was left
    rows = views.plan_views(case)["plan"]["schedule"]
    assert [(r["status"], r["amount"], r["scheduled"]) for r in rows] == [("paid", 62500, 62500),
                                                                           ("paid", 15000, 62500)]

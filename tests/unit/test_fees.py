"""Late fees, statutory interest and early-payment discounts, worked by hand.

Interest arithmetic: one day's interest = principal * rate_bp / 10_000 / 365, so an amount
over ``days`` at one rate is principal * rate_bp * days / 3_650_000 minor units.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.fees import (
    EarlyPaymentDiscountPolicy,
    FeePolicyError,
    InterestRegime,
    LateFeeKind,
    LateFeePolicy,
    RateUnavailableError,
    discount_deadline,
    early_payment_discount,
    late_fee,
    late_fee_applies_from,
    round_half_up,
    statutory_interest,
)
from chalicelib.domain.rates import (
    BANK_OF_ENGLAND_BASE_RATE,
    BUNDESBANK_BASISZINSSATZ,
    ECB_MAIN_REFINANCING_RATE,
)

DUE = date(2024, 3, 1)


def eu(principal: int, due_on: date, on: date, country: str | None = None, currency: str = "EUR"):
    return statutory_interest("eu", country, principal, currency, due_on, on)


def uk(principal: int, due_on: date, on: date, currency: str = "GBP"):
    return statutory_interest("uk", None, principal, currency, due_on, on)


def contractual(principal: int, due_on: date, on: date, rate_bp: int):
    return statutory_interest("contractual", None, principal, "EUR", due_on, on, contractual_rate_bp=rate_bp)


# --- Rounding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(0), 0),
        (Fraction(1, 2), 1),
        (Fraction(5, 2), 3),  # half up, not to even (which would give 2)
        (Fraction(7, 2), 4),
        (Fraction(2499, 1000), 2),
        (Fraction(2501, 1000), 3),
        (Fraction(-5, 2), -3),  # away from zero
    ],
)
def test_round_half_up(value: Fraction, expected: int) -> None:
    assert round_half_up(value) == expected


# --- Late fee ---------------------------------------------------------------------------------


def test_fixed_late_fee_applies_from_the_day_after_the_due_date() -> None:
    policy = LateFeePolicy(kind=LateFeeKind.FIXED, fixed_amount=2500)

    assert late_fee(policy, 100_000, DUE, DUE - timedelta(days=1)) == 0
    assert late_fee(policy, 100_000, DUE, DUE) == 0
    assert late_fee(policy, 100_000, DUE, date(2024, 3, 2)) == 2500
    assert late_fee(policy, 100_000, DUE, date(2025, 3, 2)) == 2500  # a fee, not a daily charge


def test_percentage_late_fee_is_rounded_half_up() -> None:
    policy = LateFeePolicy(kind="percentage", rate_bp=500)  # 5%

    # 123_457 * 5% = 6_172.85 -> 6_173
    assert late_fee(policy, 123_457, DUE, date(2024, 3, 2)) == 6173


@pytest.mark.parametrize(("principal", "expected"), [(150, 2), (250, 3), (249, 2)])
def test_percentage_late_fee_half_cent_cases(principal: int, expected: int) -> None:
    policy = LateFeePolicy(kind=LateFeeKind.PERCENTAGE, rate_bp=100)  # 1%

    # 150 * 1% = 1.5 -> 2; 250 * 1% = 2.5 -> 3 (not 2); 249 * 1% = 2.49 -> 2
    assert late_fee(policy, principal, DUE, date(2024, 3, 2)) == expected


def test_greater_of_takes_the_larger_part() -> None:
    policy = LateFeePolicy(kind=LateFeeKind.GREATER_OF, fixed_amount=4000, rate_bp=500)

    # 50_000 * 5% = 2_500 < 4_000 -> 4_000
    assert late_fee(policy, 50_000, DUE, date(2024, 3, 2)) == 4000
    # 200_000 * 5% = 10_000 > 4_000 -> 10_000
    assert late_fee(policy, 200_000, DUE, date(2024, 3, 2)) == 10_000


def test_cap_limits_the_fee() -> None:
    policy = LateFeePolicy(kind=LateFeeKind.PERCENTAGE, rate_bp=1000, cap=25_000)

    # 1_000_000 * 10% = 100_000, capped at 25_000
    assert late_fee(policy, 1_000_000, DUE, date(2024, 3, 2)) == 25_000
    # 100_000 * 10% = 10_000, under the cap
    assert late_fee(policy, 100_000, DUE, date(2024, 3, 2)) == 10_000


def test_cap_applies_to_greater_of() -> None:
    policy = LateFeePolicy(kind=LateFeeKind.GREATER_OF, fixed_amount=4000, rate_bp=500, cap=7500)

    # 1_000_000 * 5% = 50_000 > 4_000, capped at 7_500
    assert late_fee(policy, 1_000_000, DUE, date(2024, 3, 2)) == 7500


def test_grace_days_boundary() -> None:
    policy = LateFeePolicy(kind=LateFeeKind.FIXED, fixed_amount=2500, grace_days=5)

    # due 1 March + 5 grace days = 6 March, the last free day; the fee applies from 7 March
    assert late_fee_applies_from(policy, DUE) == date(2024, 3, 7)
    assert late_fee(policy, 100_000, DUE, date(2024, 3, 6)) == 0
    assert late_fee(policy, 100_000, DUE, date(2024, 3, 7)) == 2500


def test_no_late_fee_on_zero_principal() -> None:
    policy = LateFeePolicy(kind=LateFeeKind.FIXED, fixed_amount=2500)

    assert late_fee(policy, 0, DUE, date(2024, 6, 1)) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "weekly", "fixed_amount": 100}, "kind must be one of"),
        ({"kind": "fixed", "fixed_amount": -100}, "fixed_amount must not be negative"),
        ({"kind": "fixed", "fixed_amount": 12.5}, "fixed_amount must be an int"),
        ({"kind": "fixed", "fixed_amount": True}, "fixed_amount must be an int"),
        ({"kind": "fixed", "fixed_amount": 0}, "needs a positive fixed_amount"),
        ({"kind": "fixed", "fixed_amount": 100, "rate_bp": 200}, "must not set rate_bp"),
        ({"kind": "percentage", "rate_bp": 0}, "needs a positive rate_bp"),
        ({"kind": "percentage", "rate_bp": -5}, "rate_bp must be a non-negative int"),
        ({"kind": "percentage", "rate_bp": 200, "fixed_amount": 100}, "must not set fixed_amount"),
        ({"kind": "greater_of", "fixed_amount": 100}, "needs a positive rate_bp"),
        ({"kind": "percentage", "rate_bp": 200, "cap": -1}, "cap must not be negative"),
        ({"kind": "percentage", "rate_bp": 200, "cap": 0}, "cap must be positive"),
        ({"kind": "fixed", "fixed_amount": 500, "cap": 400}, "below the fixed fee"),
        ({"kind": "fixed", "fixed_amount": 500, "grace_days": -1}, "grace_days"),
    ],
)
def test_bad_late_fee_policy_is_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(FeePolicyError, match=message):
        LateFeePolicy(**kwargs)


def test_policy_errors_are_value_errors() -> None:
    with pytest.raises(ValueError):
        LateFeePolicy(kind=LateFeeKind.FIXED, fixed_amount=-1)


def test_late_fee_refuses_negative_principal() -> None:
    policy = LateFeePolicy(kind=LateFeeKind.FIXED, fixed_amount=2500)

    with pytest.raises(FeePolicyError, match="principal"):
        late_fee(policy, -1, DUE, date(2024, 3, 2))


# --- EU interest (Directive 2011/7/EU) ----------------------------------------------------------


def test_eu_interest_is_split_at_the_half_year_rate_change() -> None:
    # EUR 10,000.00 due 2024-05-15, calculated 2024-09-30.
    # 16 May - 30 Jun: 16 + 30 = 46 days at ECB 1 Jan 2024 4.50% + 8 = 12.50% (1250 bp):
    #   1_000_000 * 1250 * 46 / 3_650_000 = 15_753.4247
    # 1 Jul - 30 Sep: 31 + 31 + 30 = 92 days at ECB 1 Jul 2024 4.25% + 8 = 12.25% (1225 bp):
    #   1_000_000 * 1225 * 92 / 3_650_000 = 30_876.7123
    # total 46_630.1370 -> 46_630 (EUR 466.30), plus EUR 40.00
    quote = eu(1_000_000, date(2024, 5, 15), date(2024, 9, 30))

    assert quote.amount == 46_630
    assert quote.fixed_compensation == 4000
    assert quote.total == 50_630
    first, second = quote.periods
    assert (first.start, first.end, first.days, first.rate_bp) == (
        date(2024, 5, 16),
        date(2024, 6, 30),
        46,
        1250,
    )
    assert (first.reference_date, first.reference_rate_bp) == (date(2024, 1, 1), 450)
    assert first.amount == Fraction(1_000_000 * 1250 * 46, 3_650_000)
    assert (second.start, second.end, second.days, second.rate_bp) == (
        date(2024, 7, 1),
        date(2024, 9, 30),
        92,
        1225,
    )
    assert (second.reference_date, second.reference_rate_bp) == (date(2024, 7, 1), 425)
    assert second.amount == Fraction(1_000_000 * 1225 * 92, 3_650_000)


def test_germany_uses_the_basiszinssatz_plus_nine_points() -> None:
    # Same debt under BGB §288(2):
    # 46 days at 3.62% + 9 = 12.62%: 1_000_000 * 1262 * 46 / 3_650_000 = 15_904.6575
    # 92 days at 3.37% + 9 = 12.37%: 1_000_000 * 1237 * 92 / 3_650_000 = 31_179.1781
    # total 47_083.8356 -> 47_084, plus the EUR 40 Pauschale (§288(5))
    quote = eu(1_000_000, date(2024, 5, 15), date(2024, 9, 30), country="DE")

    assert quote.amount == 47_084
    assert quote.fixed_compensation == 4000
    assert [p.rate_bp for p in quote.periods] == [1262, 1237]
    assert [p.reference_rate_bp for p in quote.periods] == [362, 337]


def test_other_euro_countries_get_the_directive_minimum() -> None:
    assert eu(1_000_000, date(2024, 5, 15), date(2024, 9, 30), country="nl").amount == 46_630


def test_non_euro_member_states_are_refused() -> None:
    with pytest.raises(FeePolicyError, match="outside the euro area"):
        eu(1_000_000, date(2024, 5, 15), date(2024, 9, 30), country="SE")


def test_eu_interest_spanning_several_half_years() -> None:
    # due 2023-12-31, on 2025-01-01:
    # 2024 H1: 182 days (leap year) at 12.50%; 2024 H2: 184 days at 12.25%; 2025-01-01: 1 day at 11.15%
    # 1250 * 182 + 1225 * 184 + 1115 * 1 = 227_500 + 225_400 + 1_115 = 454_015
    # 100_000 * 454_015 / 3_650_000 = 12_438.7671 -> 12_439
    quote = eu(100_000, date(2023, 12, 31), date(2025, 1, 1))

    assert [(p.days, p.rate_bp) for p in quote.periods] == [(182, 1250), (184, 1225), (1, 1115)]
    assert quote.amount == 12_439


def test_eu_rounds_once_over_all_periods() -> None:
    # 11 cents due 2024-05-15, on 2024-09-30:
    # 11 * 1250 * 46 / 3_650_000 = 0.1733 and 11 * 1225 * 92 / 3_650_000 = 0.3396
    # each rounds to 0, but the exact sum 0.5129 rounds to 1
    quote = eu(11, date(2024, 5, 15), date(2024, 9, 30))

    assert [round_half_up(p.amount) for p in quote.periods] == [0, 0]
    assert quote.exact_amount == Fraction(11 * (1250 * 46 + 1225 * 92), 3_650_000)
    assert quote.amount == 1


def test_eur_40_only_on_eur_invoices() -> None:
    assert eu(1_000_000, date(2024, 5, 15), date(2024, 9, 30), currency="USD").fixed_compensation == 0
    assert eu(1_000_000, date(2024, 5, 15), date(2024, 9, 30), currency="gbp").fixed_compensation == 0


def test_eu_interest_between_rate_periods_where_ecb_rate_was_zero() -> None:
    # due 2022-06-30, on 2022-07-01: 1 day at ECB 1 Jul 2022 0.00% + 8 = 8%
    # 3_650_000 * 800 * 1 / 3_650_000 = 800
    quote = eu(3_650_000, date(2022, 6, 30), date(2022, 7, 1))

    assert quote.amount == 800


def test_german_negative_basiszinssatz() -> None:
    # 2022 H2 Basiszinssatz -0.88% + 9 = 8.12%: 3_650_000 * 812 * 1 / 3_650_000 = 812
    assert eu(3_650_000, date(2022, 7, 1), date(2022, 7, 2), country="DE").amount == 812


# --- UK interest (Late Payment of Commercial Debts (Interest) Act 1998) --------------------------


def test_uk_rate_stays_fixed_across_a_reference_date() -> None:
    # GBP 10,000.00 due 2024-12-15: the rate prevailing at the end of the due date is the
    # base rate on 30 Jun 2024 (5.25%) + 8 = 13.25%, for the whole debt, although the
    # 31 Dec 2024 reference rate (4.75%) governs debts falling due in 2025 H1.
    # 16 Dec 2024 - 28 Feb 2025: 16 + 31 + 28 = 75 days
    # 1_000_000 * 1325 * 75 / 3_650_000 = 27_226.0274 -> 27_226 (a split would give 26_418)
    quote = uk(1_000_000, date(2024, 12, 15), date(2025, 2, 28))

    assert quote.amount == 27_226
    (period,) = quote.periods
    assert (period.start, period.end, period.days, period.rate_bp) == (
        date(2024, 12, 16),
        date(2025, 2, 28),
        75,
        1325,
    )
    assert (period.reference_date, period.reference_rate_bp) == (date(2024, 6, 30), 525)


def test_uk_debt_due_on_30_june_takes_the_first_half_year_rate() -> None:
    # s.4(2): the rate prevailing at the end of the relevant day (30 June) is the
    # January-June rate: 31 Dec 2024 base rate 4.75% + 8 = 12.75%.
    # 3_650_000 * 1275 * 1 / 3_650_000 = 1_275
    june = uk(3_650_000, date(2025, 6, 30), date(2025, 7, 1))
    # Due 1 July: 30 Jun 2025 base rate 4.25% + 8 = 12.25% -> 1_225 for one day
    july = uk(3_650_000, date(2025, 7, 1), date(2025, 7, 2))

    assert (june.periods[0].reference_date, june.amount) == (date(2024, 12, 31), 1275)
    assert (july.periods[0].reference_date, july.amount) == (date(2025, 6, 30), 1225)


def test_uk_interest_keeps_running_past_the_last_reference_date() -> None:
    # The debt's rate is fixed when it falls due, so later reference dates are not needed:
    # due 2026-06-30 (31 Dec 2025: 3.75% + 8 = 11.75%), on 2026-12-31: 184 days
    # 3_650_000 * 1175 * 184 / 3_650_000 = 216_200
    assert uk(3_650_000, date(2026, 6, 30), date(2026, 12, 31)).amount == 216_200


@pytest.mark.parametrize(
    ("principal", "fixed_sum"),
    [
        (99_999, 4000),  # GBP 999.99 -> GBP 40
        (100_000, 7000),  # GBP 1,000.00 -> GBP 70
        (999_999, 7000),  # GBP 9,999.99 -> GBP 70
        (1_000_000, 10_000),  # GBP 10,000.00 -> GBP 100
    ],
)
def test_uk_fixed_sums(principal: int, fixed_sum: int) -> None:
    assert uk(principal, date(2024, 5, 15), date(2024, 5, 16)).fixed_compensation == fixed_sum


def test_uk_fixed_sum_only_on_gbp_invoices() -> None:
    assert uk(1_000_000, date(2024, 5, 15), date(2024, 5, 16), currency="EUR").fixed_compensation == 0


# --- Day count, zero cases, regimes ----------------------------------------------------------------


def test_no_interest_on_the_due_date_and_one_day_the_day_after() -> None:
    on_due_date = eu(1_000_000, date(2024, 5, 15), date(2024, 5, 15))
    # 1_000_000 * 1250 * 1 / 3_650_000 = 342.4658 -> 342
    day_after = eu(1_000_000, date(2024, 5, 15), date(2024, 5, 16))

    assert (on_due_date.amount, on_due_date.fixed_compensation, on_due_date.periods) == (0, 0, ())
    assert day_after.amount == 342
    assert day_after.periods[0].days == 1


def test_calculation_before_the_due_date_is_zero() -> None:
    quote = uk(1_000_000, date(2024, 5, 15), date(2024, 4, 1))

    assert (quote.amount, quote.fixed_compensation, quote.total) == (0, 0, 0)


def test_zero_principal_owes_nothing_not_even_compensation() -> None:
    quote = eu(0, date(2024, 5, 15), date(2024, 9, 30))

    assert (quote.amount, quote.fixed_compensation) == (0, 0)


@pytest.mark.parametrize(("principal", "expected"), [(1824, 0), (1825, 1), (9125, 3)])
def test_half_cent_interest_rounds_up(principal: int, expected: int) -> None:
    # 10% for one day: principal * 1000 / 3_650_000
    # 1_824 -> 0.4997 -> 0; 1_825 (EUR 18.25) -> exactly 0.5 -> 1; 9_125 -> exactly 2.5 -> 3
    assert contractual(principal, DUE, DUE + timedelta(days=1), rate_bp=1000).amount == expected


def test_365_day_year_even_in_a_leap_year() -> None:
    # 2024-02-28 -> 2024-03-01 counts 29 Feb and 1 Mar: 2 days
    # 3_650_000 * 1000 * 2 / 3_650_000 = 2_000
    assert contractual(3_650_000, date(2024, 2, 28), date(2024, 3, 1), rate_bp=1000).amount == 2000
    # all of 2024 is 366 days: 366_000, i.e. 366/365 of the 10% annual rate
    assert contractual(3_650_000, date(2023, 12, 31), date(2024, 12, 31), rate_bp=1000).amount == 366_000


def test_contractual_rate() -> None:
    # 5% contractual, EUR 10,000.00, due 2024-05-15, on 2024-09-30: 138 days, no compensation
    # 1_000_000 * 500 * 138 / 3_650_000 = 18_904.1096 -> 18_904
    quote = contractual(1_000_000, date(2024, 5, 15), date(2024, 9, 30), rate_bp=500)

    assert (quote.amount, quote.fixed_compensation) == (18_904, 0)
    assert quote.regime is InterestRegime.CONTRACTUAL
    (period,) = quote.periods
    assert (period.days, period.rate_bp, period.reference_date) == (138, 500, None)


def test_contractual_rate_is_required_and_only_for_contractual() -> None:
    with pytest.raises(FeePolicyError, match="contractual_rate_bp is required"):
        statutory_interest("contractual", None, 100, "EUR", DUE, date(2024, 4, 1))
    with pytest.raises(FeePolicyError, match="contractual_rate_bp must be a non-negative int"):
        statutory_interest("contractual", None, 100, "EUR", DUE, date(2024, 4, 1), contractual_rate_bp=-1)
    with pytest.raises(FeePolicyError, match="only used by the contractual regime"):
        statutory_interest("eu", None, 100, "EUR", DUE, date(2024, 4, 1), contractual_rate_bp=500)


def test_none_regime_is_always_zero() -> None:
    quote = statutory_interest("none", "DE", 1_000_000, "EUR", date(2020, 1, 1), date(2024, 9, 30))

    assert (quote.amount, quote.fixed_compensation, quote.periods) == (0, 0, ())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("monthly", None, 100, "EUR"), "regime must be one of"),
        (("eu", "DEU", 100, "EUR"), "country must be a 2-letter code"),
        (("eu", None, 100, "EURO"), "currency must be a 3-letter code"),
        (("eu", None, -100, "EUR"), "principal must not be negative"),
        (("eu", None, 100.0, "EUR"), "principal must be an int"),
    ],
)
def test_bad_interest_parameters_are_refused(args: tuple, message: str) -> None:
    with pytest.raises(FeePolicyError, match=message):
        statutory_interest(*args, DUE, date(2024, 4, 1))


# --- Rate table coverage ----------------------------------------------------------------------------


def test_eu_date_before_the_rate_table_is_an_error() -> None:
    # interest from 2021-12-16 needs the 1 Jul 2021 ECB rate, which is not in the table
    with pytest.raises(RateUnavailableError, match="2021-07-01: before the first entry"):
        eu(100_000, date(2021, 12, 15), date(2022, 1, 10))


def test_eu_date_after_the_rate_table_is_an_error() -> None:
    with pytest.raises(RateUnavailableError, match="2026-07-01: after the last entry"):
        eu(100_000, date(2026, 6, 1), date(2026, 7, 1))


def test_uk_debt_due_before_the_rate_table_is_an_error() -> None:
    with pytest.raises(RateUnavailableError, match="2021-06-30"):
        uk(100_000, date(2021, 12, 15), date(2022, 1, 10))


def test_rate_table_errors_are_value_errors() -> None:
    with pytest.raises(ValueError):
        ECB_MAIN_REFINANCING_RATE.rate_on(date(2024, 1, 2))


def _half_years(first: date, last: date, month_day: tuple[tuple[int, int], tuple[int, int]]) -> list[date]:
    dates, year = [], first.year
    while True:
        for month, day in month_day:
            candidate = date(year, month, day)
            if first <= candidate <= last:
                dates.append(candidate)
        if year >= last.year:
            return dates
        year += 1


@pytest.mark.parametrize("table", [ECB_MAIN_REFINANCING_RATE, BUNDESBANK_BASISZINSSATZ])
def test_eu_tables_have_every_half_year_from_2022_through_2026(table) -> None:
    dates = [d for d, _ in table.rates]
    assert dates == _half_years(table.first, table.last, ((1, 1), (7, 1)))
    assert table.first <= date(2022, 1, 1) and table.last >= date(2026, 1, 1)


def test_boe_table_has_every_reference_date() -> None:
    table = BANK_OF_ENGLAND_BASE_RATE
    dates = [d for d, _ in table.rates]
    assert dates == _half_years(table.first, table.last, ((6, 30), (12, 31)))
    assert table.first <= date(2021, 12, 31) and table.last >= date(2025, 12, 31)


def test_basiszinssatz_moves_in_step_with_the_ecb_rate() -> None:
    # BGB §247(1): it changes on 1 Jan / 1 Jul by as many points as the ECB rate moved
    ecb = dict(ECB_MAIN_REFINANCING_RATE.rates)
    bbk = BUNDESBANK_BASISZINSSATZ.rates
    for (previous, previous_bp), (current, current_bp) in zip(bbk, bbk[1:], strict=False):
        assert current_bp - previous_bp == ecb[current] - ecb[previous], current


# --- Early-payment discount ---------------------------------------------------------------------


def test_discount_on_the_last_day_but_not_the_day_after() -> None:
    policy = EarlyPaymentDiscountPolicy(rate_bp=200, days=10)  # 2% within 10 days
    issued = date(2024, 3, 1)

    assert discount_deadline(policy, issued) == date(2024, 3, 11)
    # 123_475 * 2% = 2_469.5 -> 2_470
    assert early_payment_discount(policy, 123_475, issued, issued) == 2470
    assert early_payment_discount(policy, 123_475, issued, date(2024, 3, 11)) == 2470
    assert early_payment_discount(policy, 123_475, issued, date(2024, 3, 12)) == 0


def test_same_day_only_discount() -> None:
    policy = EarlyPaymentDiscountPolicy(rate_bp=300, days=0)

    assert early_payment_discount(policy, 10_000, DUE, DUE) == 300
    assert early_payment_discount(policy, 10_000, DUE, DUE + timedelta(days=1)) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate_bp": 0, "days": 10}, "between 1 and 10000"),
        ({"rate_bp": 10_001, "days": 10}, "between 1 and 10000"),
        ({"rate_bp": -200, "days": 10}, "rate_bp must be a non-negative int"),
        ({"rate_bp": 200, "days": -1}, "days must be a non-negative int"),
    ],
)
def test_bad_discount_policy_is_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(FeePolicyError, match=message):
        EarlyPaymentDiscountPolicy(**kwargs)


# --- Properties -----------------------------------------------------------------------------------

# Dates whose interest needs only rates in the tables.
eu_dates = st.dates(min_value=date(2022, 1, 1), max_value=date(2026, 6, 30))
uk_due_dates = st.dates(min_value=date(2022, 1, 1), max_value=date(2026, 6, 30))
principals = st.integers(min_value=0, max_value=10**12)
regimes = st.sampled_from(["eu", "eu-DE", "uk", "contractual"])


def quote_for(regime: str, principal: int, due_on: date, on: date):
    if regime == "eu-DE":
        return eu(principal, due_on, on, country="DE")
    if regime == "eu":
        return eu(principal, due_on, on)
    if regime == "uk":
        return uk(principal, due_on, on)
    return contractual(principal, due_on, on, rate_bp=750)


@given(regimes, principals, st.lists(eu_dates, min_size=3, max_size=3, unique=True))
def test_interest_never_falls_as_days_pass(regime: str, principal: int, dates: list[date]) -> None:
    due_on, earlier, later = sorted(dates)
    assert (
        quote_for(regime, principal, due_on, earlier).amount
        <= quote_for(regime, principal, due_on, later).amount
    )


@given(regimes, principals, principals, eu_dates, eu_dates)
def test_interest_never_falls_as_principal_grows(regime: str, a: int, b: int, due_on: date, on: date) -> None:
    small, large = sorted((a, b))
    assert quote_for(regime, small, due_on, on).amount <= quote_for(regime, large, due_on, on).amount


@given(
    st.sampled_from(["eu", "eu-DE", "contractual"]),
    principals,
    st.lists(eu_dates, min_size=3, max_size=3, unique=True),
)
def test_split_period_sums_to_the_whole(regime: str, principal: int, dates: list[date]) -> None:
    # Where each day's rate depends only on the day (EU half-years, a constant contractual
    # rate), interest up to a midpoint plus interest after it equals the whole, exactly.
    due_on, middle, on = sorted(dates)
    whole = quote_for(regime, principal, due_on, on).exact_amount
    parts = quote_for(regime, principal, due_on, middle).exact_amount
    parts += quote_for(regime, principal, middle, on).exact_amount
    assert parts == whole


@given(principals, uk_due_dates, st.integers(min_value=1, max_value=3000))
def test_uk_quote_is_one_period_at_one_rate(principal: int, due_on: date, days: int) -> None:
    quote = uk(principal, due_on, due_on + timedelta(days=days))
    if principal:
        (period,) = quote.periods
        assert period.days == days
        assert quote.amount == round_half_up(Fraction(principal * period.rate_bp * days, 3_650_000))


@given(principals, eu_dates, eu_dates)
def test_eu_periods_cover_every_day_once(principal: int, a: date, b: date) -> None:
    due_on, on = sorted((a, b))
    quote = eu(principal, due_on, on)
    if principal and on > due_on:
        assert quote.periods[0].start == due_on + timedelta(days=1)
        assert quote.periods[-1].end == on
        assert sum(p.days for p in quote.periods) == (on - due_on).days
        for previous, current in zip(quote.periods, quote.periods[1:], strict=False):
            assert current.start == previous.end + timedelta(days=1)
            assert current.rate_bp != previous.rate_bp or current.reference_date != previous.reference_date

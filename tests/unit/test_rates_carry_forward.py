"""Carrying the newest reference rate forward: only when asked, only past the table's end, always marked."""
from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain.fees import RateUnavailableError, statutory_interest
from chalicelib.domain.rates import BANK_OF_ENGLAND_BASE_RATE, BUNDESBANK_BASISZINSSATZ, ECB_MAIN_REFINANCING_RATE


def test_by_default_a_half_year_missing_from_the_table_is_refused():
    with pytest.raises(RateUnavailableError, match="rates.py"):
        ECB_MAIN_REFINANCING_RATE.rate_on(date(2026, 7, 1))


def test_carrying_forward_uses_the_newest_rate_and_says_it_is_provisional():
    assert ECB_MAIN_REFINANCING_RATE.lookup(date(2026, 7, 1), carry_forward=True) == (215, True)
    assert ECB_MAIN_REFINANCING_RATE.rate_on(date(2027, 1, 1), carry_forward=True) == 215
    assert BANK_OF_ENGLAND_BASE_RATE.lookup(date(2026, 6, 30), carry_forward=True) == (375, True)


def test_a_published_rate_is_never_provisional():
    assert ECB_MAIN_REFINANCING_RATE.lookup(date(2026, 1, 1), carry_forward=True) == (215, False)
    assert ECB_MAIN_REFINANCING_RATE.lookup(date(2026, 1, 1)) == (215, False)


def test_carrying_forward_does_not_reach_back_before_the_table():
    with pytest.raises(RateUnavailableError):
        ECB_MAIN_REFINANCING_RATE.lookup(date(2021, 7, 1), carry_forward=True)


def test_eu_interest_across_the_table_end_marks_only_the_carried_period():
    # Germany, EUR 1,000.00 due 15 June 2026, on 14 August 2026: 15 days at the published 1 January rate,
    # 45 days at the carried-forward one; both 1.27% + 9 = 10.27%.
    # 100000 * 0.1027 * 60 / 365 = 1688.22 -> 1688 cents.
    quote = statutory_interest("eu", "DE", 100000, "EUR", date(2026, 6, 15), date(2026, 8, 14), carry_forward=True)
    assert [(p.start, p.end, p.days, p.rate_bp, p.provisional) for p in quote.periods] == [
        (date(2026, 6, 16), date(2026, 6, 30), 15, 1027, False),
        (date(2026, 7, 1), date(2026, 8, 14), 45, 1027, True),
    ]
    assert quote.amount == 1688 and quote.fixed_compensation == 4000 and quote.provisional
    assert BUNDESBANK_BASISZINSSATZ.last == date(2026, 1, 1)


def test_without_the_option_the_same_quote_is_refused():
    with pytest.raises(RateUnavailableError):
        statutory_interest("eu", "DE", 100000, "EUR", date(2026, 6, 15), date(2026, 8, 14))


def test_uk_interest_for_a_debt_due_after_the_table_ends():
    # Due 1 August 2026: reference date 30 June 2026, not in the table; 3.75% + 8 = 11.75%.
    # GBP 5,000.00 for 31 days: 500000 * 0.1175 * 31 / 365 = 4989.73 -> 4990 pence; fixed sum GBP 70.
    quote = statutory_interest("uk", None, 500000, "GBP", date(2026, 8, 1), date(2026, 9, 1), carry_forward=True)
    assert quote.amount == 4990 and quote.fixed_compensation == 7000 and quote.provisional
    assert quote.periods[0].reference_date == date(2026, 6, 30) and quote.periods[0].rate_bp == 1175


def test_a_quote_inside_the_table_is_not_provisional():
    quote = statutory_interest("eu", "FR", 100000, "EUR", date(2025, 3, 1), date(2025, 3, 31), carry_forward=True)
    assert not quote.provisional and quote.amount > 0

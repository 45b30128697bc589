"""Late fees, statutory late-payment interest and early-payment discounts.

Money is always an ``int`` of minor units in the invoice currency; rates are ``int`` basis
points (1% = 100 bp). Intermediate arithmetic uses :class:`fractions.Fraction`, so nothing is
ever a float.

Rounding rule: a computed amount is rounded **once**, at the end, to the nearest minor unit,
with exact halves rounded up (away from zero): 0.5 -> 1, 2.5 -> 3, 2.4999 -> 2. Statutory
interest sums the exact amount of every rate period first and rounds the total; the per-period
amounts in a quote stay exact, so rounding them one by one need not add up to the total.

This module only computes amounts. Whether a fee has already been charged (once per step,
never twice, even on retries) is decided by the case's event history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction

from chalicelib.domain.rates import (
    BANK_OF_ENGLAND_BASE_RATE,
    BUNDESBANK_BASISZINSSATZ,
    ECB_MAIN_REFINANCING_RATE,
    RateUnavailableError,
    ReferenceRateTable,
)

__all__ = [
    "DAYS_PER_YEAR",
    "EarlyPaymentDiscountPolicy",
    "FeePolicyError",
    "InterestPeriod",
    "InterestQuote",
    "InterestRegime",
    "LateFeeKind",
    "LateFeePolicy",
    "RateUnavailableError",
    "discount_deadline",
    "early_payment_discount",
    "late_fee",
    "late_fee_applies_from",
    "round_half_up",
    "statutory_interest",
]

BASIS_POINTS = 10_000
DAYS_PER_YEAR = 365
"""Day-count denominator, also in leap years (UK practice and most EU member states):
a debt outstanding for all of 2024 accrues 366/365 of the annual rate."""


class FeePolicyError(ValueError):
    """A fee, interest or discount parameter is invalid; the message names it."""


def round_half_up(amount: Fraction) -> int:
    """Round to the nearest integer, exact halves away from zero (2.5 -> 3, -2.5 -> -3)."""
    magnitude = int(abs(amount) + Fraction(1, 2))  # int() truncates, i.e. floors a non-negative
    return magnitude if amount >= 0 else -magnitude


def _require_amount(name: str, value: object) -> int:
    if type(value) is not int:
        raise FeePolicyError(f"{name} must be an int of minor units, got {type(value).__name__}")
    if value < 0:
        raise FeePolicyError(f"{name} must not be negative, got {value}")
    return value


def _require_count(name: str, value: object) -> int:
    if type(value) is not int or value < 0:
        raise FeePolicyError(f"{name} must be a non-negative int, got {value!r}")
    return value


def _percentage(principal: int, rate_bp: int) -> Fraction:
    return Fraction(principal * rate_bp, BASIS_POINTS)


# --- Late fee --------------------------------------------------------------------------------


class LateFeeKind(StrEnum):
    FIXED = "fixed"
    PERCENTAGE = "percentage"
    GREATER_OF = "greater_of"


@dataclass(frozen=True)
class LateFeePolicy:
    """A broker's late fee.

    ``fixed``: ``fixed_amount``; ``percentage``: ``rate_bp`` of the principal (rounded half
    up); ``greater_of``: the larger of the two. ``cap`` (optional) limits the result.
    The fee applies only once ``due_on + grace_days`` has passed.
    """

    kind: LateFeeKind
    fixed_amount: int = 0
    rate_bp: int = 0
    cap: int | None = None
    grace_days: int = 0

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", LateFeeKind(self.kind))
        except ValueError:
            choices = ", ".join(kind.value for kind in LateFeeKind)
            raise FeePolicyError(f"kind must be one of {choices}, got {self.kind!r}") from None
        _require_amount("fixed_amount", self.fixed_amount)
        _require_count("rate_bp", self.rate_bp)
        _require_count("grace_days", self.grace_days)
        uses_fixed = self.kind in (LateFeeKind.FIXED, LateFeeKind.GREATER_OF)
        uses_rate = self.kind in (LateFeeKind.PERCENTAGE, LateFeeKind.GREATER_OF)
        if uses_fixed != (self.fixed_amount > 0):
            need = "needs a positive" if uses_fixed else "must not set"
            raise FeePolicyError(f"a {self.kind.value} late fee {need} fixed_amount")
        if uses_rate != (self.rate_bp > 0):
            need = "needs a positive" if uses_rate else "must not set"
            raise FeePolicyError(f"a {self.kind.value} late fee {need} rate_bp")
        if self.cap is not None:
            if _require_amount("cap", self.cap) == 0:
                raise FeePolicyError("cap must be positive; omit the policy to charge no fee")
            if self.kind is LateFeeKind.FIXED and self.cap < self.fixed_amount:
                raise FeePolicyError(f"cap {self.cap} is below the fixed fee {self.fixed_amount}")


def late_fee_applies_from(policy: LateFeePolicy, due_on: date) -> date:
    """The first day a late fee applies: the day after ``due_on + grace_days``."""
    return due_on + timedelta(days=policy.grace_days + 1)


def late_fee(policy: LateFeePolicy, principal: int, due_on: date, on: date) -> int:
    """The late fee owed on ``on`` for ``principal`` due on ``due_on``; 0 before it applies."""
    _require_amount("principal", principal)
    if principal == 0 or on < late_fee_applies_from(policy, due_on):
        return 0
    percentage = round_half_up(_percentage(principal, policy.rate_bp))
    if policy.kind is LateFeeKind.FIXED:
        fee = policy.fixed_amount
    elif policy.kind is LateFeeKind.PERCENTAGE:
        fee = percentage
    else:
        fee = max(policy.fixed_amount, percentage)
    return fee if policy.cap is None else min(fee, policy.cap)


# --- Statutory interest ----------------------------------------------------------------------


class InterestRegime(StrEnum):
    NONE = "none"
    CONTRACTUAL = "contractual"
    EU = "eu"
    UK = "uk"


@dataclass(frozen=True)
class InterestPeriod:
    """Days ``start`` to ``end`` (both inclusive) at one annual rate.

    ``amount`` is exact (unrounded) minor units; ``reference_date``/``reference_rate_bp`` name
    the published rate the period's rate was built from (``None`` for a contractual rate).
    """

    start: date
    end: date
    rate_bp: int
    amount: Fraction
    reference_date: date | None = None
    reference_rate_bp: int | None = None
    provisional: bool = False
    """The reference rate was carried forward past the rate table's newest entry (``carry_forward``)."""
    days: int = field(init=False)

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise FeePolicyError(f"period end {self.end} is before its start {self.start}")
        object.__setattr__(self, "days", (self.end - self.start).days + 1)


@dataclass(frozen=True)
class InterestQuote:
    """Interest owed on a date: ``amount`` (rounded once) plus ``fixed_compensation``."""

    regime: InterestRegime
    currency: str
    amount: int
    fixed_compensation: int
    periods: tuple[InterestPeriod, ...] = ()

    @property
    def exact_amount(self) -> Fraction:
        return sum((period.amount for period in self.periods), Fraction(0))

    @property
    def total(self) -> int:
        return self.amount + self.fixed_compensation

    @property
    def provisional(self) -> bool:
        """Some period used a carried-forward reference rate: the amount may change once it is published."""
        return any(period.provisional for period in self.periods)


EU_MARGIN_BP = 800  # Directive 2011/7/EU art. 2(6): "at least eight percentage points"
DE_MARGIN_BP = 900  # BGB §288(2): nine points, no consumer party
UK_MARGIN_BP = 800  # SI 2002/1675 art. 4
EU_FIXED_COMPENSATION_EUR = 4000  # Directive art. 6(1); BGB §288(5): EUR 40
# Act s.5A, in pence: (debt below, fixed sum): £40 below £1,000, £70 below £10,000, else £100.
UK_FIXED_SUMS_GBP = ((100_000, 4000), (1_000_000, 7000))
UK_FIXED_SUM_TOP_GBP = 10_000

# Member states whose own statute sets a different reference table or margin than the
# Directive's minimum. Others get ECB + 8 points (France, for one, sets ECB + 10 in Code de
# commerce L441-10 and is not modelled yet).
_EU_NATIONAL_RULES: dict[str, tuple[ReferenceRateTable, int]] = {
    "DE": (BUNDESBANK_BASISZINSSATZ, DE_MARGIN_BP),
}
# EU states outside the euro area use their own central bank's rate (art. 2(7)(b)), which
# is not modelled: refuse rather than quote an ECB-based figure.
_NON_EURO_EU_STATES = frozenset({"CZ", "DK", "HU", "PL", "RO", "SE"})


def _half_year_start(day: date) -> date:
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def _half_year_end(day: date) -> date:
    return date(day.year, 6, 30) if day.month <= 6 else date(day.year, 12, 31)


def _uk_reference_date(day: date) -> date:
    """The SI 2002/1675 reference date for the half-year containing ``day``."""
    return date(day.year - 1, 12, 31) if day.month <= 6 else date(day.year, 6, 30)


def _period(
    start: date,
    end: date,
    principal: int,
    rate_bp: int,
    reference_date: date | None = None,
    reference_rate_bp: int | None = None,
    provisional: bool = False,
) -> InterestPeriod:
    days = (end - start).days + 1
    return InterestPeriod(
        start=start,
        end=end,
        rate_bp=rate_bp,
        amount=Fraction(principal * rate_bp * days, BASIS_POINTS * DAYS_PER_YEAR),
        reference_date=reference_date,
        reference_rate_bp=reference_rate_bp,
        provisional=provisional,
    )


def _eu_periods(
    country: str | None, principal: int, first: date, last: date, carry_forward: bool = False
) -> list[InterestPeriod]:
    table, margin_bp = _EU_NATIONAL_RULES.get(country or "", (ECB_MAIN_REFINANCING_RATE, EU_MARGIN_BP))
    periods = []
    start = first
    while start <= last:
        end = min(_half_year_end(start), last)
        reference_date = _half_year_start(start)
        reference_bp, provisional = table.lookup(reference_date, carry_forward=carry_forward)
        periods.append(
            _period(
                start,
                end,
                principal,
                reference_bp + margin_bp,
                reference_date=reference_date,
                reference_rate_bp=reference_bp,
                provisional=provisional,
            )
        )
        start = end + timedelta(days=1)
    return periods


def _uk_fixed_sum(principal: int) -> int:
    for below, fixed_sum in UK_FIXED_SUMS_GBP:
        if principal < below:
            return fixed_sum
    return UK_FIXED_SUM_TOP_GBP


def _normalise_code(name: str, value: str, length: int) -> str:
    if not isinstance(value, str) or len(value) != length or not value.isascii() or not value.isalpha():
        raise FeePolicyError(f"{name} must be a {length}-letter code, got {value!r}")
    return value.upper()


def statutory_interest(
    regime: InterestRegime | str,
    country: str | None,
    principal: int,
    currency: str,
    due_on: date,
    on: date,
    contractual_rate_bp: int | None = None,
    carry_forward: bool = False,
) -> InterestQuote:
    """Simple late-payment interest on ``principal`` for the days after ``due_on`` up to and
    including ``on`` (none on the due date itself; one day's worth the day after).

    Each day accrues ``principal * rate_bp / 10000 / 365``; see :data:`DAYS_PER_YEAR`.
    The exact sum over all periods is rounded once, half up (see the module docstring).

    Regimes:

    ``none``
        Always zero.
    ``contractual``
        ``contractual_rate_bp`` a year for the whole debt, no fixed compensation (the
        broker's contract replaces the statutory scheme).
    ``eu`` - Directive 2011/7/EU
        Reference rate + 8 points, where the reference rate is the ECB main refinancing rate
        in force on 1 January / 1 July and applies for that half-year (art. 2(6)-(7), 3(2)):
        the rate **changes** across half-years for the same debt, so the days are split at
        each 1 January and 1 July. Interest runs from the day after the due date
        (art. 3(3)(a)). ``country="DE"``: BGB §288(2), Bundesbank Basiszinssatz (§247,
        also half-yearly) + 9 points. Fixed compensation EUR 40 (art. 6(1); BGB §288(5)).
        Non-euro member states are refused (their own central bank rate applies).
    ``uk`` - Late Payment of Commercial Debts (Interest) Act 1998
        Bank of England base rate + 8 points (SI 2002/1675 art. 4), the base rate being the
        one in force on the reference date (31 December for January-June, 30 June for
        July-December). Interest runs "at the rate prevailing ... at the end of the relevant
        day" (s.4(2)), so the rate is **fixed for the whole debt** by the half-year containing
        the due date and does not change at later reference dates. Fixed sum (s.5A): GBP 40
        below GBP 1,000, GBP 70 below GBP 10,000, GBP 100 from GBP 10,000.

    Fixed compensation is only given in its own currency (EUR 40 on EUR invoices, the GBP
    sums on GBP invoices) and is 0 for any other currency, since converting it would need an
    exchange rate this module does not have. It is due only once interest runs
    (``on > due_on``, non-zero principal). ``country`` (ISO 3166 alpha-2) only changes the
    ``eu`` regime.

    Raises :class:`FeePolicyError` for bad parameters and :class:`RateUnavailableError` when a
    needed reference date is outside the rate tables in :mod:`chalicelib.domain.rates`.

    ``carry_forward=True`` (off by default) is the explicit way past a rate table that has not
    been updated yet: a reference date after the table's newest entry uses the newest rate, and
    the periods that did so (and the quote, :attr:`InterestQuote.provisional`) are marked
    provisional. Dates before a table's first entry still raise.
    """
    try:
        regime = InterestRegime(regime)
    except ValueError:
        choices = ", ".join(r.value for r in InterestRegime)
        raise FeePolicyError(f"regime must be one of {choices}, got {regime!r}") from None
    if country is not None:
        country = _normalise_code("country", country, 2)
    _require_amount("principal", principal)
    currency = _normalise_code("currency", currency, 3)
    contractual_bp = 0
    if regime is InterestRegime.CONTRACTUAL:
        if contractual_rate_bp is None:
            raise FeePolicyError("contractual_rate_bp is required for the contractual regime")
        contractual_bp = _require_count("contractual_rate_bp", contractual_rate_bp)
    elif contractual_rate_bp is not None:
        raise FeePolicyError(
            f"contractual_rate_bp is only used by the contractual regime, not {regime.value}"
        )
    if regime is InterestRegime.EU and country in _NON_EURO_EU_STATES:
        raise FeePolicyError(
            f"country {country} is outside the euro area; its reference rate is not modelled"
        )

    nothing = InterestQuote(regime=regime, currency=currency, amount=0, fixed_compensation=0)
    if regime is InterestRegime.NONE or principal == 0 or on <= due_on:
        return nothing

    first = due_on + timedelta(days=1)
    fixed_compensation = 0
    if regime is InterestRegime.CONTRACTUAL:
        periods = [_period(first, on, principal, contractual_bp)]
    elif regime is InterestRegime.EU:
        periods = _eu_periods(country, principal, first, on, carry_forward)
        fixed_compensation = EU_FIXED_COMPENSATION_EUR if currency == "EUR" else 0
    else:
        reference_date = _uk_reference_date(due_on)
        reference_bp, provisional = BANK_OF_ENGLAND_BASE_RATE.lookup(reference_date, carry_forward=carry_forward)
        periods = [
            _period(
                first,
                on,
                principal,
                reference_bp + UK_MARGIN_BP,
                reference_date=reference_date,
                reference_rate_bp=reference_bp,
                provisional=provisional,
            )
        ]
        fixed_compensation = _uk_fixed_sum(principal) if currency == "GBP" else 0

    exact = sum((period.amount for period in periods), Fraction(0))
    return InterestQuote(
        regime=regime,
        currency=currency,
        amount=round_half_up(exact),
        fixed_compensation=fixed_compensation,
        periods=tuple(periods),
    )


# --- Early-payment discount ------------------------------------------------------------------


@dataclass(frozen=True)
class EarlyPaymentDiscountPolicy:
    """``rate_bp`` off the principal when paid within ``days`` of the issue date."""

    rate_bp: int
    days: int

    def __post_init__(self) -> None:
        _require_count("rate_bp", self.rate_bp)
        if not 0 < self.rate_bp <= BASIS_POINTS:
            raise FeePolicyError(f"rate_bp must be between 1 and {BASIS_POINTS}, got {self.rate_bp}")
        _require_count("days", self.days)


def discount_deadline(policy: EarlyPaymentDiscountPolicy, issued_on: date) -> date:
    """The last day (inclusive) a payment still earns the discount."""
    return issued_on + timedelta(days=policy.days)


def early_payment_discount(
    policy: EarlyPaymentDiscountPolicy, principal: int, issued_on: date, on: date
) -> int:
    """The discount for paying in full on ``on``: rounded half up, 0 after the deadline."""
    _require_amount("principal", principal)
    if on > discount_deadline(policy, issued_on):
        return 0
    return round_half_up(_percentage(principal, policy.rate_bp))

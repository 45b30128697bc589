"""Dated reference-rate tables for statutory late-payment interest.

Every rate is an ``int`` in basis points (1% = 100 bp; 4.25% = 425 bp). A table maps a
*reference date* to the rate in force on that date; nothing is interpolated or carried
forward by default. Asking for a reference date that is not in the table raises
:class:`RateUnavailableError`, so a stale table fails loudly instead of quoting interest at
a rate nobody published. The one exception is asked for explicitly: ``carry_forward=True``
(:meth:`ReferenceRateTable.lookup`) bridges reference dates after the newest entry with the
newest rate and marks the result provisional.

Keeping the tables current: add one row per table every half-year (ECB and Bundesbank on
1 January and 1 July, Bank of England on 30 June and 31 December), with its source. The
unit tests check that each table has no gaps and that the Basiszinssatz moves in step with
the ECB rate as BGB §247 requires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


class RateUnavailableError(ValueError):
    """The table has no rate for the reference date a calculation needs."""


@dataclass(frozen=True)
class ReferenceRateTable:
    name: str
    source: str
    rates: tuple[tuple[date, int], ...]
    """``(reference date, rate in bp)`` pairs in ascending date order."""

    def __post_init__(self) -> None:
        dates = [reference_date for reference_date, _ in self.rates]
        if not dates:
            raise ValueError(f"{self.name}: a rate table needs at least one entry")
        if dates != sorted(set(dates)):
            raise ValueError(f"{self.name}: reference dates must be unique and ascending")
        for reference_date, rate_bp in self.rates:
            if type(rate_bp) is not int:
                raise ValueError(f"{self.name}: rate for {reference_date} must be int basis points")

    @property
    def first(self) -> date:
        return self.rates[0][0]

    @property
    def last(self) -> date:
        return self.rates[-1][0]

    def rate_on(self, reference_date: date, carry_forward: bool = False) -> int:
        """The rate in force on ``reference_date``, which must be one of the table's dates.

        ``carry_forward=True`` is the one, explicit exception: see :meth:`lookup`.
        """
        return self.lookup(reference_date, carry_forward=carry_forward)[0]

    def lookup(self, reference_date: date, *, carry_forward: bool = False) -> tuple[int, bool]:
        """``(rate_bp, provisional)`` for ``reference_date``.

        Without ``carry_forward`` this is exactly :meth:`rate_on`: a date missing from the table raises.
        With ``carry_forward=True``, a reference date *after* the table's last entry gets the last
        published rate and ``provisional=True``, so a quote for a half-year nobody has added yet can go
        out marked as provisional instead of failing. Dates before the first entry, or gaps inside the
        table, still raise: carrying forward only ever bridges the newest, not-yet-added half-year(s).
        """
        for entry_date, rate_bp in self.rates:
            if entry_date == reference_date:
                return rate_bp, False
        if carry_forward and reference_date > self.last:
            return self.rates[-1][1], True
        if reference_date < self.first:
            why = f"before the first entry ({self.first.isoformat()})"
        elif reference_date > self.last:
            why = f"after the last entry ({self.last.isoformat()}); add the new rate to rates.py"
        else:
            why = "missing from the table"
        raise RateUnavailableError(f"no {self.name} for reference date {reference_date.isoformat()}: {why}")


# ECB main refinancing operations (fixed-rate tender) rate in force on the first calendar
# day of each half-year: the reference rate of Directive 2011/7/EU, art. 2(7)(a), applied
# for the following six months (art. 3(2), art. 4(2)).
# Source: https://www.ecb.europa.eu/stats/policy_and_exchange_rates/key_ecb_interest_rates/html/index.en.html
ECB_MAIN_REFINANCING_RATE = ReferenceRateTable(
    name="ECB main refinancing operations rate",
    source="https://www.ecb.europa.eu/stats/policy_and_exchange_rates/key_ecb_interest_rates/html/index.en.html",
    rates=(
        (date(2022, 1, 1), 0),  # 0.00% since 16 March 2016
        (date(2022, 7, 1), 0),  # 0.00% (raised to 0.50% only on 27 July 2022)
        (date(2023, 1, 1), 250),  # 2.50% from 21 December 2022
        (date(2023, 7, 1), 400),  # 4.00% from 21 June 2023
        (date(2024, 1, 1), 450),  # 4.50% from 20 September 2023
        (date(2024, 7, 1), 425),  # 4.25% from 12 June 2024
        (date(2025, 1, 1), 315),  # 3.15% from 18 December 2024
        (date(2025, 7, 1), 215),  # 2.15% from 11 June 2025
        (date(2026, 1, 1), 215),  # 2.15%: unchanged since June 2025 (Bundesbank, Dec 2025)
    ),
)

# Basiszinssatz under BGB §247, published by the Deutsche Bundesbank. It moves on 1 January
# and 1 July by as many points as the ECB main refinancing rate moved since the previous
# adjustment, so its level differs from the ECB rate (it was -0.88% from 1 July 2016).
# Used by BGB §288(2): 9 points above it for transactions without a consumer.
# Source: https://www.bundesbank.de/de/bundesbank/organisation/agb-und-regelungen/basiszinssatz-607820
BUNDESBANK_BASISZINSSATZ = ReferenceRateTable(
    name="Bundesbank Basiszinssatz (BGB §247)",
    source="https://www.bundesbank.de/de/bundesbank/organisation/agb-und-regelungen/basiszinssatz-607820",
    rates=(
        (date(2022, 1, 1), -88),
        (date(2022, 7, 1), -88),
        (date(2023, 1, 1), 162),
        (date(2023, 7, 1), 312),
        (date(2024, 1, 1), 362),
        (date(2024, 7, 1), 337),
        (date(2025, 1, 1), 227),
        (date(2025, 7, 1), 127),
        (date(2026, 1, 1), 127),  # announced unchanged at 1.27%
    ),
)

# Bank of England official dealing rate (Bank Rate) in force on each reference date of the
# Late Payment of Commercial Debts (Rate of Interest) (No. 3) Order 2002 (SI 2002/1675),
# art. 4: 31 December for 1 January - 30 June, 30 June for 1 July - 31 December.
# Source: https://www.bankofengland.co.uk/boeapps/database/Bank-Rate.asp
# The 2025 entries were checked against press reports of the MPC decisions (4.25% from
# 8 May 2025; 3.75% from 18 December 2025); confirm against the Bank's database when
# adding new rows.
BANK_OF_ENGLAND_BASE_RATE = ReferenceRateTable(
    name="Bank of England base rate",
    source="https://www.bankofengland.co.uk/boeapps/database/Bank-Rate.asp",
    rates=(
        (date(2021, 12, 31), 25),  # 0.25% from 16 December 2021
        (date(2022, 6, 30), 125),  # 1.25% from 16 June 2022
        (date(2022, 12, 31), 350),  # 3.50% from 15 December 2022
        (date(2023, 6, 30), 500),  # 5.00% from 22 June 2023
        (date(2023, 12, 31), 525),  # 5.25% from 3 August 2023
        (date(2024, 6, 30), 525),  # 5.25% (first cut came 1 August 2024)
        (date(2024, 12, 31), 475),  # 4.75% from 7 November 2024
        (date(2025, 6, 30), 425),  # 4.25% from 8 May 2025
        (date(2025, 12, 31), 375),  # 3.75% from 18 December 2025
    ),
)

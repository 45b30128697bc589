"""Money as integer minor units plus an ISO 4217 code: the one table of currencies.

Each currency's exponent (as Stripe counts it) and Stripe's smallest charge live here and nowhere else:
the API sends the exponent to the page, and the local Stripe stand-in reads this table too.
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.errors import InvalidInput

# Exponents as Stripe counts them: zero-decimal currencies, three-decimal currencies, two for the rest.
# https://docs.stripe.com/currencies#zero-decimal and #three-decimal
_ZERO = "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF"
_THREE = "BHD JOD KWD OMR TND"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BWP BYN BZD CAD CDF CHF "
    "CNY COP CRC CVE CZK DKK DOP DZD EGP ETB EUR FJD FKP GBP GEL GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS "
    "INR ISK JMD KES KGS KHR KYD KZT LAK LBP LKR LRD LSL MAD MDL MKD MMK MNT MOP MUR MVR MWK MXN MYR MZN "
    "NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SEK SGD SHP SLE SOS SRD "
    "STD SZL THB TJS TOP TRY TTD TWD TZS UAH USD UYU UZS WST XCD YER ZAR ZMW"
)
EXPONENTS: dict[str, int] = {
    **{c: 0 for c in _ZERO.split()},
    **{c: 2 for c in _TWO.split()},
    **{c: 3 for c in _THREE.split()},
}
# Stripe's smallest charge (minor units) per currency; any other currency: 1 minor unit.
# https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
MINIMUM_CHARGE: dict[str, int] = {
    "USD": 50, "EUR": 50, "GBP": 30, "CHF": 50, "CAD": 50, "AUD": 50, "NZD": 50, "JPY": 50, "SGD": 50, "BRL": 50,
    "INR": 50, "SEK": 300, "NOK": 300, "DKK": 250, "PLN": 200, "AED": 200, "RON": 200, "MYR": 200, "BGN": 100,
    "HKD": 400, "MXN": 1000, "THB": 1000, "CZK": 1500, "HUF": 17500,
}
MAXIMUM_CHARGE = 99_999_999  # Stripe's largest charge, in minor units


def currency_exponent(code: str, field: str = "currency") -> int:
    try:
        return EXPONENTS[code]
    except KeyError:
        raise InvalidInput(f"unknown currency {code!r}: use an ISO 4217 code such as EUR", field) from None


def minimum_charge(code: str) -> int:
    """The smallest amount one card payment in `code` can be."""
    return MINIMUM_CHARGE.get(code.upper(), 1)


def currency_view(code: str) -> dict[str, object]:
    """How the API names a currency to the page: its code and how many minor digits its amounts carry."""
    return {"code": code, "exponent": EXPONENTS[code]}


@dataclass(frozen=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise InvalidInput("amount must be an integer number of minor units", "amount")
        currency_exponent(self.currency)

    @property
    def exponent(self) -> int:
        return EXPONENTS[self.currency]

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidInput(f"cannot mix {self.currency} and {other.currency}", "currency")

    def format(self) -> str:
        """Plain `12.34 EUR` form for logs and texts; locale formatting lives with the templates."""
        if self.exponent == 0:
            return f"{self.amount} {self.currency}"
        sign = "-" if self.amount < 0 else ""
        major, minor = divmod(abs(self.amount), 10**self.exponent)
        return f"{sign}{major}.{minor:0{self.exponent}d} {self.currency}"

"""Money as integer minor units plus an ISO 4217 code, with the exponent Stripe uses for the currency."""
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


def currency_exponent(code: str, field: str = "currency") -> int:
    try:
        return EXPONENTS[code]
    except KeyError:
        raise InvalidInput(f"unknown currency {code!r}: use an ISO 4217 code such as EUR", field) from None


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

"""Amounts in minor units, shown the way Stripe's messages and checkout page show them."""

from __future__ import annotations

import re

from chalicelib.domain.money import EXPONENTS, MAXIMUM_CHARGE, minimum_charge
from portal.stripe_standin.errors import invalid_request

_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}
_CURRENCY = re.compile(r"^[a-z]{3}$")


def currency(value: str, param: str) -> str:
    code = value.lower()
    if not _CURRENCY.match(code):
        raise invalid_request(f"Invalid currency: {value}", param)
    return code


def exponent(code: str) -> int:
    """The portal's one currency table (Stripe's exponents); a code it does not know has two decimals."""
    return EXPONENTS.get(code.upper(), 2)


def display(amount: int, code: str) -> str:
    """`1250, "eur"` -> "€12.50 eur"; `500, "jpy"` -> "¥500 jpy"."""
    places = exponent(code)
    sign = "-" if amount < 0 else ""
    units, minor = divmod(abs(amount), 10**places)
    number = f"{units:,}" + (f".{minor:0{places}d}" if places else "")
    return f"{sign}{_SYMBOLS.get(code, '')}{number} {code}"


def check_charge_amount(amount: int, code: str, param: str) -> None:
    minimum = minimum_charge(code)
    if amount < minimum:
        raise invalid_request(f"Amount must be at least {display(minimum, code)}", param, "amount_too_small")
    if amount > MAXIMUM_CHARGE:
        raise invalid_request(f"Amount must be no more than {display(MAXIMUM_CHARGE, code)}", param,
                              "amount_too_large")

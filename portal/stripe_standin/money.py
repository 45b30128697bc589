"""Amounts in minor units, shown the way Stripe's messages and checkout page show them."""

from __future__ import annotations

import re

from portal.stripe_standin.errors import invalid_request

# Stripe's zero-decimal and three-decimal currencies; every other currency has two decimals.
_ZERO_DECIMAL = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
                 "xaf", "xof", "xpf"}
_THREE_DECIMAL = {"bhd", "jod", "kwd", "omr", "tnd"}
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}
# Stripe's minimum charge amounts (minor units) for the currencies this project is likely to meet.
MINIMUM_CHARGE = {"usd": 50, "eur": 50, "gbp": 30, "chf": 50, "cad": 50, "aud": 50, "jpy": 50,
                  "sek": 300, "nok": 300, "dkk": 250, "pln": 200}
MAXIMUM_CHARGE = 99_999_999
_CURRENCY = re.compile(r"^[a-z]{3}$")


def currency(value: str, param: str) -> str:
    code = value.lower()
    if not _CURRENCY.match(code):
        raise invalid_request(f"Invalid currency: {value}", param)
    return code


def exponent(code: str) -> int:
    if code in _ZERO_DECIMAL:
        return 0
    return 3 if code in _THREE_DECIMAL else 2


def display(amount: int, code: str) -> str:
    """`1250, "eur"` -> "€12.50 eur"; `500, "jpy"` -> "¥500 jpy"."""
    places = exponent(code)
    sign = "-" if amount < 0 else ""
    units, minor = divmod(abs(amount), 10**places)
    number = f"{units:,}" + (f".{minor:0{places}d}" if places else "")
    return f"{sign}{_SYMBOLS.get(code, '')}{number} {code}"


def check_charge_amount(amount: int, code: str, param: str) -> None:
    minimum = MINIMUM_CHARGE.get(code, 1)
    if amount < minimum:
        raise invalid_request(f"Amount must be at least {display(minimum, code)}", param, "amount_too_small")
    if amount > MAXIMUM_CHARGE:
        raise invalid_request(f"Amount must be no more than {display(MAXIMUM_CHARGE, code)}", param,
                              "amount_too_large")

"""Money: integer minor units in a known ISO 4217 currency, with Stripe's exponents."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import EXPONENTS, MINIMUM_CHARGE, Money, currency_exponent, minimum_charge


@pytest.mark.parametrize(("code", "exponent"), [("JPY", 0), ("KRW", 0), ("USD", 2), ("EUR", 2), ("GBP", 2),
                                                ("KWD", 3), ("BHD", 3)])
def test_exponent_is_the_one_stripe_uses(code, exponent):
    assert currency_exponent(code) == exponent
    assert Money(1, code).exponent == exponent


@pytest.mark.parametrize(("money", "text"), [
    (Money(1234, "JPY"), "1234 JPY"),
    (Money(1234, "USD"), "12.34 USD"),
    (Money(5, "USD"), "0.05 USD"),
    (Money(1234, "KWD"), "1.234 KWD"),
    (Money(-1205, "EUR"), "-12.05 EUR"),
])
def test_format_places_the_decimal_point_by_exponent(money, text):
    assert money.format() == text


@pytest.mark.parametrize("code", ["XYZ", "EURO", "", "usd"])
def test_unknown_currency_is_a_clear_error_naming_the_field(code):
    with pytest.raises(InvalidInput) as raised:
        currency_exponent(code, "invoice.currency")
    assert raised.value.field == "invoice.currency"
    assert repr(code) in raised.value.message
    with pytest.raises(InvalidInput) as raised:
        Money(100, code)
    assert raised.value.field == "currency"


@pytest.mark.parametrize("amount", [12.5, 12.0, True, False, Decimal("12"), "12", None])
def test_only_integers_are_money(amount):
    with pytest.raises(InvalidInput) as raised:
        Money(amount, "EUR")
    assert raised.value.field == "amount"


def test_same_currency_adds_and_subtracts_exactly():
    assert Money(1000, "EUR") + Money(234, "EUR") == Money(1234, "EUR")
    assert Money(1000, "EUR") - Money(1234, "EUR") == Money(-234, "EUR")


@pytest.mark.parametrize("operation", [lambda a, b: a + b, lambda a, b: a - b])
def test_mixing_currencies_fails(operation):
    with pytest.raises(InvalidInput) as raised:
        operation(Money(1000, "EUR"), Money(1000, "USD"))
    assert raised.value.field == "currency"
    assert "EUR" in raised.value.message and "USD" in raised.value.message


def test_every_listed_currency_is_an_iso_code_with_a_known_exponent():
    assert all(len(code) == 3 and code.isupper() for code in EXPONENTS)
    assert set(EXPONENTS.values()) == {0, 2, 3}


def test_every_minimum_charge_is_for_a_listed_currency():
    assert set(MINIMUM_CHARGE) <= set(EXPONENTS)
    assert (minimum_charge("HUF"), minimum_charge("jpy"), minimum_charge("KWD")) == (17500, 50, 1)


@pytest.mark.parametrize(("code", "below"), [("huf", 17499), ("mxn", 999), ("gbp", 29)])
def test_the_stripe_stand_in_charges_by_the_same_table(code, below):
    from portal.stripe_standin import money as standin
    from portal.stripe_standin.errors import StripeError

    assert all(standin.exponent(c.lower()) == e for c, e in EXPONENTS.items())
    with pytest.raises(StripeError) as refused:
        standin.check_charge_amount(below, code, "amount")
    assert refused.value.error["code"] == "amount_too_small"
    standin.check_charge_amount(below + 1, code, "amount")

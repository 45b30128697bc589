"""The validator's verdicts in our words: the field named as the API names it, a message a person reads."""
from __future__ import annotations

from typing import Any

import pytest

from chalicelib import schemas, validation
from chalicelib.domain.errors import InvalidInput


def complaint(value: Any, schema: dict[str, Any]) -> tuple[str | None, str]:
    with pytest.raises(InvalidInput) as caught:
        validation.validate(value, schema)
    return caught.value.field, caught.value.message


def case(**customer: Any) -> dict[str, Any]:
    return {"customer": {"name": "Jane", "email": "jane@example.test", **customer},
            "invoice": {"number": "INV-1", "amount": 100, "currency": "EUR", "issued_on": "2026-10-01",
                        "due_on": "2026-10-31"}}


@pytest.mark.parametrize("value", ["INV-1\n", "INV-1\r\n", "\nINV-1"])
def test_an_invoice_number_must_be_the_whole_string(value):
    body = case()
    body["invoice"]["number"] = value
    assert complaint(body, schemas.CREATE_CASE)[0] == "invoice.number"


@pytest.mark.parametrize("name, value", [("email", "a@b.co\n"), ("phone", "+4915112345678\n"),
                                         ("tier", "gold\n"), ("email", "a@b.co\x00")])
def test_customer_patterns_match_the_whole_string(name, value):
    assert complaint(case(**{name: value}), schemas.CREATE_CASE)[0] == f"customer.{name}"


def test_messages_say_what_is_wrong_in_the_house_style():
    body = case()
    body["invoice"]["amount"] = "100"
    assert complaint(body, schemas.CREATE_CASE) == ("invoice.amount", "must be an integer (money is in minor units)")
    body = case()
    del body["invoice"]["due_on"]
    assert complaint(body, schemas.CREATE_CASE) == ("invoice.due_on", "is required")
    assert complaint({**case(), "extra": 1}, schemas.CREATE_CASE) == ("extra", "unknown field")
    assert complaint(case(timezone="Europe/Atlantis"), schemas.CREATE_CASE) == (
        "customer.timezone", "must be an IANA time zone, e.g. Europe/Berlin")
    body = case()
    body["invoice"]["currency"] = "XXX"
    assert complaint(body, schemas.CREATE_CASE) == ("invoice.currency",
                                                     "must be an ISO 4217 currency code, e.g. EUR")
    body = case()
    body["invoice"]["issued_on"] = "2026-02-30"
    assert complaint(body, schemas.CREATE_CASE) == ("invoice.issued_on", "must be a date as YYYY-MM-DD")
    assert complaint([], schemas.CREATE_CASE) == ("body", "must be an object")


def test_list_items_are_named_by_their_index():
    ladder = [{"offset_days": 1, "template": "reminder", "stage": "reminder"},
              {"offset_days": 2, "template": "reminder", "stage": "reminder", "channels": ["email", "fax"]}]
    assert complaint({"ladder": ladder}, schemas.POLICY)[0] == "ladder[1].channels[1]"
    ladder[1]["channels"] = ["sms", "sms"]
    assert complaint({"ladder": ladder}, schemas.POLICY) == ("ladder[1].channels[1]", "sms appears twice")


def test_a_fraction_is_never_an_integer_amount():
    body = validation.loads(b'{"amount": 1250.0}')
    assert complaint(body, schemas.CHECKOUT) == ("amount", "must be an integer (money is in minor units)")


def test_a_header_is_named_by_its_own_name():
    with pytest.raises(InvalidInput) as caught:
        validation.validate("k" * 256, schemas.IDEMPOTENCY_KEY, "Idempotency-Key")
    assert (caught.value.field, caught.value.message) == ("Idempotency-Key", "must be at most 255 characters")


def test_query_digits_become_integers_and_the_bounds_hold():
    assert validation.parse_query({"limit": "100"}, schemas.LIST_QUERY) == {"limit": 100}
    for bad in ("0", "101", "1e2", "\u0661"):  # the last is an Arabic-Indic digit one
        with pytest.raises(InvalidInput) as caught:
            validation.parse_query({"limit": bad}, schemas.LIST_QUERY)
        assert caught.value.field == "limit"

"""Bad input on every route: a 400 (or 413) JSON error naming the field, and nothing written."""
from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.schemas import MAX_BODY_BYTES
from tests.api.conftest import listing, open_case, read_case, token_of
from tests.conftest import case_body, get, post


def without(path: str) -> dict[str, Any]:
    body = case_body()
    *parents, leaf = path.split(".")
    node = body
    for p in parents:
        node = node[p]
    del node[leaf]
    return body


def assert_names(answer: Any, field: str, status: int = 400) -> None:
    assert answer.status_code == status, answer.json_body
    error = answer.json_body["error"]
    assert error["field"] == field, error
    assert error["code"] == ("payload_too_large" if status == 413 else "invalid_input")
    assert error["message"]


# body -> the field the 400 names
CREATE_CASES: dict[str, tuple[Any, str]] = {
    "unknown top-level field": ({**case_body(), "priority": "high"}, "priority"),
    "unknown customer field": (case_body(customer__nickname="J"), "customer.nickname"),
    "unknown invoice field": (case_body(invoice__vat=19), "invoice.vat"),
    "amount as a string": (case_body(invoice__amount="125000"), "invoice.amount"),
    "amount as a bool": (case_body(invoice__amount=True), "invoice.amount"),
    "amount as a float": (case_body(invoice__amount=1250.50), "invoice.amount"),
    "amount as a whole float": (case_body(invoice__amount=1250.0), "invoice.amount"),
    "amount null": (case_body(invoice__amount=None), "invoice.amount"),
    "zero amount": (case_body(invoice__amount=0), "invoice.amount"),
    "negative amount": (case_body(invoice__amount=-100), "invoice.amount"),
    "absurd amount": (case_body(invoice__amount=10**13 + 1), "invoice.amount"),
    "unknown currency": (case_body(invoice__currency="XXX"), "invoice.currency"),
    "lowercase currency": (case_body(invoice__currency="eur"), "invoice.currency"),
    "currency not a string": (case_body(invoice__currency=978), "invoice.currency"),
    "impossible date": (case_body(invoice__issued_on="2026-02-30"), "invoice.issued_on"),
    "slashed date": (case_body(invoice__issued_on="2026/01/01"), "invoice.issued_on"),
    "compact date": (case_body(invoice__due_on="20261031"), "invoice.due_on"),
    "date with a time": (case_body(invoice__due_on="2026-10-31T00:00:00"), "invoice.due_on"),
    "due before issue": (case_body(invoice__issued_on="2026-10-31", invoice__due_on="2026-10-01"),
                         "invoice.due_on"),
    "over-long name": (case_body(customer__name="x" * 201), "customer.name"),
    "empty name": (case_body(customer__name=""), "customer.name"),
    "over-long email": (case_body(customer__email="a" * 250 + "@example.test"), "customer.email"),
    "over-long invoice number": (case_body(invoice__number="N" * 65), "invoice.number"),
    "invoice number with spaces": (case_body(invoice__number="INV 1"), "invoice.number"),
    "over-long description": (case_body(invoice__description="d" * 501), "invoice.description"),
    "bad email": (case_body(customer__email="jane.example.test"), "customer.email"),
    "email with a space": (case_body(customer__email="jane doe@example.test"), "customer.email"),
    "phone without +": (case_body(customer__phone="4155550100"), "customer.phone"),
    "phone with letters": (case_body(customer__phone="+1415CALLME"), "customer.phone"),
    "unknown time zone": (case_body(customer__timezone="Mars/Olympus_Mons"), "customer.timezone"),
    "time zone path": (case_body(customer__timezone="../../etc/passwd"), "customer.timezone"),
    "unknown locale": (case_body(customer__locale="xx"), "customer.locale"),
    "bad tier": (case_body(customer__tier="Gold Tier!"), "customer.tier"),
    "customer not an object": (case_body(customer="Jane"), "customer"),
    "missing customer": (without("customer"), "customer"),
    "missing name": (without("customer.name"), "customer.name"),
    "missing amount": (without("invoice.amount"), "invoice.amount"),
    "missing due date": (without("invoice.due_on"), "invoice.due_on"),
    "a list": ([case_body()], "body"),
    "a string": ("just text", "body"),
    "null": (None, "body"),
}


@pytest.mark.parametrize("kind", list(CREATE_CASES))
def test_create_with_bad_input_is_a_400_naming_the_field_and_opens_no_case(client, broker, kind):
    _, key = broker
    body, field = CREATE_CASES[kind]
    assert_names(post(client, "/admin/cases", key, json.dumps(body)), field)
    assert listing(client, key) == []
    # Nothing half-written either: the invoice number is still free.
    assert post(client, "/admin/cases", key, case_body()).status_code == 201


@pytest.mark.parametrize("raw", ["{", '{"customer": ', "\u00ff\u00fe", "{'single': 'quotes'}", "NaN-ish"])
def test_invalid_json_is_a_400_naming_the_body(client, broker, raw):
    _, key = broker
    assert_names(post(client, "/admin/cases", key, raw.encode("latin-1")), "body")
    assert listing(client, key) == []


def test_an_empty_body_names_the_first_missing_field(client, broker):
    _, key = broker
    assert_names(client.http.post("/admin/cases", headers={"Authorization": f"Bearer {key}"}), "customer")
    assert listing(client, key) == []


def test_a_body_over_64_kb_is_a_413_on_create(client, broker):
    _, key = broker
    body = json.dumps(case_body(invoice__description="d" * MAX_BODY_BYTES))
    assert_names(post(client, "/admin/cases", key, body), "body", status=413)
    assert listing(client, key) == []


def test_unicode_text_within_the_limits_is_fine(client, broker):
    _, key = broker
    name = "Zo\u00eb \u00c5ngstr\u00f6m \u5c71\u7530"
    case = open_case(client, key, customer__name=name, invoice__description="\u00e9" * 500)
    assert read_case(client, key, case["case_id"])["customer"]["name"] == name


# --- POST /admin/cases/{case_id}/notes -------------------------------------------------------------

NOTE_CASES: dict[str, tuple[Any, str]] = {
    "unknown kind": ({"kind": "sms", "text": "hi"}, "kind"),
    "kind in capitals": ({"kind": "CALL", "text": "hi"}, "kind"),
    "kind not a string": ({"kind": 1, "text": "hi"}, "kind"),
    "missing kind": ({"text": "hi"}, "kind"),
    "missing text": ({"kind": "call"}, "text"),
    "empty text": ({"kind": "call", "text": ""}, "text"),
    "text not a string": ({"kind": "call", "text": ["a"]}, "text"),
    "over-long text": ({"kind": "call", "text": "t" * 4001}, "text"),
    "unknown field": ({"kind": "call", "text": "hi", "actor": "system"}, "actor"),
    "a list": ([{"kind": "call", "text": "hi"}], "body"),
    "empty object": ({}, "kind"),
}


def _note_answer(client, key: str, case_id: str, body: Any) -> Any:
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return post(client, f"/admin/cases/{case_id}/notes", key, raw)


@pytest.mark.parametrize("kind", list(NOTE_CASES))
def test_a_bad_note_is_a_400_naming_the_field_and_leaves_the_case_unchanged(client, broker, kind):
    _, key = broker
    case = open_case(client, key)
    before = read_case(client, key, case["case_id"])
    body, field = NOTE_CASES[kind]
    assert_names(_note_answer(client, key, case["case_id"], body), field)
    assert read_case(client, key, case["case_id"]) == before


def test_a_note_with_invalid_json_or_over_64_kb_changes_nothing(client, broker):
    _, key = broker
    case = open_case(client, key)
    before = read_case(client, key, case["case_id"])
    assert_names(_note_answer(client, key, case["case_id"], '{"kind": "call", "text": '), "body")
    huge = json.dumps({"kind": "call", "text": "t" * (MAX_BODY_BYTES + 1)})
    assert_names(_note_answer(client, key, case["case_id"], huge), "body", status=413)
    assert read_case(client, key, case["case_id"]) == before


def test_a_note_of_exactly_the_longest_length_is_kept_whole(client, broker):
    _, key = broker
    case = open_case(client, key)
    answer = _note_answer(client, key, case["case_id"], {"kind": "meeting", "text": "t" * 4000})
    assert answer.status_code == 201
    assert answer.json_body["events"][-1]["data"]["text"] == "t" * 4000


def test_a_note_on_an_unknown_case_is_a_404_after_the_body_is_valid(client, broker):
    _, key = broker
    answer = _note_answer(client, key, "c0000000000000000", {"kind": "call", "text": "hi"})
    assert answer.status_code == 404
    assert answer.json_body["error"]["field"] == "case_id"


# --- POST /admin/cases/{case_id}/links -------------------------------------------------------------

@pytest.mark.parametrize("raw, field, status", [
    (json.dumps({"expires_in_days": 90}), "expires_in_days", 400),
    (json.dumps([]), "body", 400),
    ("{", "body", 400),
    (json.dumps({"pad": "x" * (MAX_BODY_BYTES + 1)}), "body", 413),
])
def test_a_bad_link_request_is_rejected_and_the_current_link_stays_live(client, broker, raw, field, status):
    _, key = broker
    case = open_case(client, key)
    before = read_case(client, key, case["case_id"])
    assert_names(post(client, f"/admin/cases/{case['case_id']}/links", key, raw), field, status)
    assert read_case(client, key, case["case_id"]) == before
    assert get(client, "/customer/case", token_of(case["pay_url"])).status_code == 200


# --- GET /admin/cases, GET /admin/cases/{case_id}, GET /customer/case -------------------------------

@pytest.mark.parametrize("query, field", [
    ("?sort=asc", "sort"),
    ("?status=OPEN", "status"),
    ("?status=", "status"),
    ("?limit=ten", "limit"),
    ("?cursor=", "cursor"),
])
def test_bad_listing_parameters_are_a_400_naming_them(client, broker, query, field):
    _, key = broker
    assert_names(get(client, f"/admin/cases{query}", key), field)


@pytest.mark.parametrize("case_id", ["c0000000000000000", "x" * 300, "%23CASE", "..%2F..%2Fadmin"])
def test_reading_a_case_that_is_not_there_is_a_json_404(client, broker, case_id):
    _, key = broker
    open_case(client, key)
    answer = get(client, f"/admin/cases/{case_id}", key)
    assert answer.status_code == 404, answer.json_body
    assert answer.json_body["error"]["code"] == "not_found"


def test_query_parameters_do_not_change_the_customer_view(client, broker):
    _, key = broker
    case = open_case(client, key)
    plain = get(client, "/customer/case", token_of(case["pay_url"]))
    with_query = get(client, "/customer/case?case_id=other&broker=x", token_of(case["pay_url"]))
    assert with_query.status_code == 200
    assert with_query.json_body["case_id"] == plain.json_body["case_id"] == case["case_id"]


def test_a_body_sent_without_a_json_content_type_gets_the_json_error_shape(client, broker):
    _, key = broker
    response = client.http.post("/admin/cases", headers={"Authorization": f"Bearer {key}",
                                                         "Content-Type": "application/x-www-form-urlencoded"},
                                body="customer=x")
    assert response.status_code == 400
    assert response.json_body["error"]["field"] == "body"

"""Retrying POST /admin/cases never opens a second case; an invoice number opens one case per broker."""
from __future__ import annotations

import json

from tests.api.conftest import listing, open_case, token_of
from tests.conftest import auth, case_body, get, post


def test_the_same_key_and_body_answers_with_the_same_case_once(client, broker):
    _, key = broker
    first = post(client, "/admin/cases", key, case_body(), **{"Idempotency-Key": "retry-1"})
    again = post(client, "/admin/cases", key, case_body(), **{"Idempotency-Key": "retry-1"})

    assert first.status_code == again.status_code == 201, again.json_body
    assert again.json_body["case_id"] == first.json_body["case_id"]
    assert again.headers["Location"] == first.headers["Location"]
    assert again.json_body["events"] == first.json_body["events"]
    assert listing(client, key) == [first.json_body["case_id"]]
    # The replayed answer's pay link works too.
    assert get(client, "/customer/case", token_of(again.json_body["pay_url"])).status_code == 200


def test_key_order_and_whitespace_do_not_make_a_different_body(client, broker):
    _, key = broker
    body = case_body()
    first = post(client, "/admin/cases", key, json.dumps(body), **{"Idempotency-Key": "k"})
    reordered = {"invoice": dict(reversed(list(body["invoice"].items()))), "customer": body["customer"]}
    again = post(client, "/admin/cases", key, json.dumps(reordered, indent=2), **{"Idempotency-Key": "k"})
    assert again.status_code == 201, again.json_body
    assert again.json_body["case_id"] == first.json_body["case_id"]
    assert len(listing(client, key)) == 1


def test_the_same_key_with_a_different_body_is_a_409_naming_the_header(client, broker):
    _, key = broker
    first = post(client, "/admin/cases", key, case_body(), **{"Idempotency-Key": "retry-1"})
    for changed in (case_body(invoice__amount=999), case_body(invoice__number="INV-OTHER")):
        clash = post(client, "/admin/cases", key, changed, **{"Idempotency-Key": "retry-1"})
        assert clash.status_code == 409, clash.json_body
        assert clash.json_body["error"]["field"] == "Idempotency-Key"
        assert clash.json_body["error"]["code"] == "idempotency_mismatch"
    assert listing(client, key) == [first.json_body["case_id"]]


def test_a_replay_after_the_case_changed_shows_the_same_case(client, broker):
    _, key = broker
    first = post(client, "/admin/cases", key, case_body(), **{"Idempotency-Key": "retry-1"})
    case_id = first.json_body["case_id"]
    post(client, f"/admin/cases/{case_id}/notes", key, {"kind": "call", "text": "left a voicemail"})
    again = post(client, "/admin/cases", key, case_body(), **{"Idempotency-Key": "retry-1"})
    assert again.status_code == 201
    assert again.json_body["case_id"] == case_id
    assert listing(client, key) == [case_id]


def test_the_same_invoice_number_twice_without_a_key_is_a_409(client, broker):
    _, key = broker
    first = open_case(client, key)
    duplicate = post(client, "/admin/cases", key, case_body(customer__name="Someone Else"))
    assert duplicate.status_code == 409
    assert duplicate.json_body["error"]["field"] == "invoice.number"
    assert "INV-1001" in duplicate.json_body["error"]["message"]
    assert listing(client, key) == [first["case_id"]]


def test_a_new_key_does_not_get_around_a_duplicate_invoice(client, broker):
    _, key = broker
    post(client, "/admin/cases", key, case_body(), **{"Idempotency-Key": "a"})
    duplicate = post(client, "/admin/cases", key, case_body(), **{"Idempotency-Key": "b"})
    assert duplicate.status_code == 409
    assert duplicate.json_body["error"]["field"] == "invoice.number"
    assert len(listing(client, key)) == 1


def test_another_broker_may_use_the_same_invoice_number_and_idempotency_key(client, broker, other_broker):
    _, key = broker
    _, other_key = other_broker
    mine = post(client, "/admin/cases", key, case_body(), **{"Idempotency-Key": "shared"})
    theirs = post(client, "/admin/cases", other_key, case_body(), **{"Idempotency-Key": "shared"})
    assert mine.status_code == theirs.status_code == 201, theirs.json_body
    assert theirs.json_body["case_id"] != mine.json_body["case_id"]
    assert listing(client, key) == [mine.json_body["case_id"]]
    assert listing(client, other_key) == [theirs.json_body["case_id"]]


def test_a_failed_request_does_not_use_up_its_key(client, broker):
    _, key = broker
    bad = post(client, "/admin/cases", key, case_body(invoice__amount=0), **{"Idempotency-Key": "k"})
    assert bad.status_code == 400
    good = post(client, "/admin/cases", key, case_body(), **{"Idempotency-Key": "k"})
    assert good.status_code == 201, good.json_body


def test_an_over_long_or_empty_key_is_a_400_naming_the_header(client, broker):
    _, key = broker
    for value in ("x" * 256, ""):
        answer = client.http.post("/admin/cases", headers={**auth(key), "Idempotency-Key": value},
                                  body=json.dumps(case_body()))
        assert answer.status_code == 400, (len(value), answer.json_body)
        assert answer.json_body["error"]["field"] == "Idempotency-Key"
    assert listing(client, key) == []

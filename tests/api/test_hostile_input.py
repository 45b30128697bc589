"""Hostile input anyone can send: a 400 naming the field (never a 500), and nothing written.

Deep nesting and endless integers are valid JSON text that Python's parser cannot hold; lone surrogates
are valid JSON escapes that cannot be stored as UTF-8; control and bidi characters would reach email
subjects and the operator's terminal; a trailing newline must not slip past a pattern.
"""
from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import stripe

from tests.api.conftest import listing, open_case, read_case, token_of
from tests.api.test_bad_input import assert_names
from tests.conftest import STRIPE_WEBHOOK_SECRET, case_body, get, post

HOSTILE_BODIES = {
    "deep arrays": "[" * 30_000 + "]" * 30_000,
    "deep objects": '{"a":' * 10_000 + "1" + "}" * 10_000,
    "an integer of 5000 digits": '{"amount": ' + "7" * 5_000 + "}",
    "a bare integer of 5000 digits": "9" * 5_000,
    "nesting past the limit inside a field": '{"amount": ' + "[" * 40 + "1" + "]" * 40 + "}",
}
CUSTOMER_ROUTES = ["/customer/checkout", "/customer/dispute", "/customer/promise", "/customer/already-paid",
                   "/customer/plan", "/customer/dispute/attachments"]


@pytest.mark.parametrize("kind", list(HOSTILE_BODIES))
def test_a_hostile_body_to_an_admin_route_is_a_400_naming_the_body(client, broker, kind):
    _, key = broker
    assert_names(post(client, "/admin/cases", key, HOSTILE_BODIES[kind]), "body")
    assert listing(client, key) == []


@pytest.mark.parametrize("kind", list(HOSTILE_BODIES))
def test_a_hostile_body_to_a_customer_route_is_a_400_naming_the_body(client, broker, kind):
    _, key = broker
    case = open_case(client, key)
    token = token_of(case["pay_url"])
    for path in CUSTOMER_ROUTES:
        assert_names(post(client, path, token, HOSTILE_BODIES[kind]), "body")
    answer = client.http.post("/customer/link-refresh", headers={"Content-Type": "application/json"},
                              body=HOSTILE_BODIES[kind])
    assert_names(answer, "body")
    assert read_case(client, key, case["case_id"])["events"] == case["events"]


def test_a_cursor_of_nested_brackets_is_a_400_naming_the_cursor(client, broker):
    _, key = broker
    cursor = base64.urlsafe_b64encode(b"[" * 1530).decode()
    assert_names(get(client, f"/admin/cases?cursor={cursor}", key), "cursor")


@pytest.mark.parametrize("kind", list(HOSTILE_BODIES)[:4])
def test_a_hostile_body_signed_as_stripe_would_is_a_400_naming_the_body(client, stripe_keys, kind):
    payload = HOSTILE_BODIES[kind]
    answer = client.http.post("/webhooks/stripe", body=payload, headers={
        "Content-Type": "application/json",
        "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(payload, STRIPE_WEBHOOK_SECRET)})
    assert_names(answer, "body")


# --- lone surrogates: valid JSON escapes, not storable text ------------------------------------------

LONE = "\ud800"  # json.dumps writes it as the escape \ud800


@pytest.mark.parametrize("path, field", [
    ("customer__name", "customer.name"),
    ("invoice__description", "invoice.description"),
    ("customer__timezone", "customer.timezone"),
])
def test_a_lone_surrogate_in_a_new_case_is_a_400_naming_the_field(client, broker, path, field):
    _, key = broker
    answer = post(client, "/admin/cases", key, json.dumps(case_body(**{path: f"Jane {LONE}"})))
    assert_names(answer, field)
    assert "Unicode" in answer.json_body["error"]["message"]
    assert listing(client, key) == []


def test_a_lone_surrogate_in_a_note_or_a_customers_words_changes_nothing(client, broker):
    _, key = broker
    case = open_case(client, key)
    token = token_of(case["pay_url"])
    assert_names(post(client, f"/admin/cases/{case['case_id']}/notes", key,
                      json.dumps({"kind": "call", "text": f"rang {LONE}"})), "text")
    assert_names(post(client, "/customer/dispute", token,
                      json.dumps({"reason": "other", "message": f"no {LONE}"})), "message")
    assert_names(post(client, "/customer/already-paid", token,
                      json.dumps({"paid_on": "2026-10-30", "method": "cash", "reference": f"R{LONE}"})), "reference")
    assert_names(post(client, "/admin/cases", key, json.dumps({**case_body(), f"x{LONE}": 1})), "body")
    after = read_case(client, key, case["case_id"])
    assert after["events"] == case["events"]
    # The history still verifies and reads: nothing unencodable was hashed into it.
    assert client.http.get("/customer/case", headers={"Authorization": f"Bearer {token}"}).status_code == 200


# --- a trailing newline must not pass a pattern --------------------------------------------------------

@pytest.mark.parametrize("path, value, field", [
    ("invoice__number", "INV-1\n", "invoice.number"),
    ("customer__email", "a@b.co\n", "customer.email"),
    ("customer__phone", "+4915112345678\n", "customer.phone"),
    ("customer__tier", "key_account\n", "customer.tier"),
])
def test_a_trailing_newline_does_not_pass_a_pattern(client, broker, path, value, field):
    _, key = broker
    assert_names(post(client, "/admin/cases", key, case_body(**{path: value})), field)
    assert listing(client, key) == []


def test_a_reference_with_a_trailing_newline_records_no_payment(client, broker):
    _, key = broker
    case = open_case(client, key)
    answer = post(client, f"/admin/cases/{case['case_id']}/payments", key, {
        "amount": 100, "method": "bank_transfer", "reference": "REF-1\n", "received_on": "2026-10-02"})
    assert_names(answer, "reference")
    assert read_case(client, key, case["case_id"])["events"] == case["events"]


def test_a_policy_tier_with_a_trailing_newline_is_refused(client, broker):
    _, key = broker
    step = {"offset_days": 1, "template": "reminder", "stage": "reminder"}
    policy = {"ladder": [step], "tiers": [{"tier": "gold\n", "ladder": [step]}]}
    answer = client.http.put("/admin/policy", headers={"Authorization": f"Bearer {key}"}, body=json.dumps(policy))
    assert_names(answer, "tiers[0].tier")


# --- control characters and bidirectional overrides ----------------------------------------------------

NAME_ATTACKS = {"NUL": "Jane\x00Doe", "ANSI colour": "Jane \x1b[31mDoe", "bell": "Jane\x07", "DEL": "Jane\x7f",
                "C1 next line": "Jane\x85Doe", "right-to-left override": "Jane \u202eeoD",
                "isolate": "Jane \u2066Doe\u2069", "newline": "Jane\nBcc: x@y.z", "tab": "Jane\tDoe"}


@pytest.mark.parametrize("kind", list(NAME_ATTACKS))
def test_a_customer_name_with_control_or_bidi_characters_is_refused(client, broker, kind):
    _, key = broker
    answer = post(client, "/admin/cases", key, case_body(customer__name=NAME_ATTACKS[kind]))
    assert_names(answer, "customer.name")
    assert listing(client, key) == []


@pytest.mark.parametrize("text", ["rang \x1b[2J twice", "NUL\x00", "carriage\rreturn", "C1 \x9b31m"])
def test_free_text_refuses_control_characters(client, broker, text):
    _, key = broker
    case = open_case(client, key)
    token = token_of(case["pay_url"])
    assert_names(post(client, f"/admin/cases/{case['case_id']}/notes", key, {"kind": "call", "text": text}), "text")
    assert_names(post(client, "/customer/dispute", token, {"reason": "other", "message": text}), "message")
    assert read_case(client, key, case["case_id"])["events"] == case["events"]
    # Lines, tabs and right-to-left script are still free text.
    fine = "Called twice.\n\tNo answer.\nשלום \u202bמשפט\u202c"
    answer = post(client, f"/admin/cases/{case['case_id']}/notes", key, {"kind": "call", "text": fine})
    assert answer.status_code == 201, answer.json_body
    assert answer.json_body["events"][-1]["data"]["text"] == fine


@pytest.mark.parametrize("route, payload, field", [
    ("/customer/dispute/attachments", {"dispute_id": "d1", "content_type": "application/pdf",
                                       "filename": "invoice\u202efdp.exe", "size": 10}, "filename"),
    ("/customer/already-paid", {"paid_on": "2026-10-30", "method": "cash", "reference": "R\x1b[1m"}, "reference"),
])
def test_names_a_customer_sends_refuse_control_and_bidi_characters(client, broker, route, payload, field):
    _, key = broker
    case = open_case(client, key)
    assert_names(post(client, route, token_of(case["pay_url"]), payload), field)
    assert read_case(client, key, case["case_id"])["events"] == case["events"]


def test_a_mediator_with_an_escape_sequence_is_refused(client, broker):
    _, key = broker
    case = open_case(client, key)
    answer = post(client, f"/admin/cases/{case['case_id']}/disputes/d1/resolve", key, {
        "outcome": "mediation", "message": "We will mediate.", "mediator": "Ombuds\x1b]0;pwned\x07",
        "until": "2027-01-01T00:00:00Z"})
    assert_names(answer, "mediator")


def _policy(**sender: Any) -> dict[str, Any]:
    return {"ladder": [{"offset_days": 1, "template": "reminder", "stage": "reminder"}], "sender": sender}


def test_a_sender_name_with_a_bidi_override_is_refused(client, broker):
    _, key = broker
    answer = client.http.put("/admin/policy", headers={"Authorization": f"Bearer {key}"},
                             body=json.dumps(_policy(from_name="Acme \u202eskcotS")))
    assert_names(answer, "sender.from_name")

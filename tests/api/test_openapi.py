"""GET /openapi.json describes exactly the routes the app serves, with their request and response schemas."""
from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from app import app
from tests.api.conftest import open_case
from tests.conftest import auth, case_body, get, post

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def document(client) -> dict[str, Any]:
    served = client.http.get("/openapi.json")
    assert served.status_code == 200
    return served.json_body


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A schema, or what its `$ref` points to in the document."""
    if "$ref" not in schema:
        return schema
    node: Any = document
    for part in schema["$ref"].removeprefix("#/").split("/"):
        node = node[part]
    return node  # type: ignore[no-any-return]


def app_routes() -> set[tuple[str, str]]:
    return {(path, method) for path, methods in app.routes.items() for method in methods if method != "OPTIONS"}


def documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, item in document["paths"].items() for method in item
            if method in METHODS}


def test_it_is_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] and document["info"]["version"]


def test_every_route_of_the_app_is_documented(document):
    assert app_routes() - documented(document) == set()


def test_every_documented_route_exists_in_the_app(document):
    assert documented(document) - app_routes() == set()


def test_every_operation_has_a_json_success_response_schema_and_json_errors(document):
    for path, item in document["paths"].items():
        for method, op in item.items():
            successes = [s for s in op["responses"] if s.startswith("2")]
            assert successes, (path, method)
            for status in successes:
                if status == "204":
                    assert "content" not in op["responses"][status], (path, method)  # no content, by definition
                    continue
                content = op["responses"][status]["content"]  # JSON, or a file such as text/csv
                assert [media for media in content if "schema" in content[media]], (path, method)
            if op.get("security"):
                error = op["responses"]["401"]["content"]["application/json"]["schema"]
                assert resolve(document, error)["required"] == ["error"], (path, method)


def test_path_parameters_are_declared(document):
    for path, item in document["paths"].items():
        for method, op in item.items():
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == {seg[1:-1] for seg in path.split("/") if seg.startswith("{")}, (path, method)


def test_every_post_that_needs_a_body_documents_its_schema(client, broker, document):
    """Behaviour decides: a POST answering an empty object with a 400 needs a body, so it must be documented."""
    _, key = broker
    case = open_case(client, key)
    # Broker routes: the pay-token and Stripe-signed POSTs refuse a broker key before reading a body (their
    # bodies are covered by tests/api/test_checkout.py and test_webhooks.py).
    posts = [path for path, item in document["paths"].items()
             if "post" in item and item["post"].get("security") == [{"broker": []}]]
    assert posts
    endpoint = post(client, "/admin/webhooks", key, {"url": "https://hooks.acme.test/x",
                                                      "event_types": ["case.opened"]}).json_body["endpoint_id"]
    for path in posts:
        op = document["paths"][path]["post"]
        answer = post(client, path.replace("{case_id}", case["case_id"]).replace("{endpoint_id}", endpoint), key, {})
        if answer.status_code == 400:
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            assert op["requestBody"]["required"] is True, path
            assert schema["type"] == "object" and schema["properties"], path
            assert schema["additionalProperties"] is False, path
            # The field the API complained about is one the document marks as required.
            assert answer.json_body["error"]["field"] in schema["required"], path
        else:
            assert answer.status_code in (200, 201, 202), (path, answer.json_body)


def test_documented_success_status_matches_what_the_routes_answer(client, broker, document):
    _, key = broker
    created = post(client, "/admin/cases", key, {
        "customer": {"name": "Ann", "email": "ann@example.test"},
        "invoice": {"number": "A-1", "amount": 100, "currency": "USD", "issued_on": "2026-01-01",
                    "due_on": "2026-01-31"}})
    assert created.status_code == 201
    assert "201" in document["paths"]["/admin/cases"]["post"]["responses"]
    note = post(client, f"/admin/cases/{created.json_body['case_id']}/notes", key, {"kind": "note", "text": "x"})
    assert str(note.status_code) in document["paths"]["/admin/cases/{case_id}/notes"]["post"]["responses"]
    link = post(client, f"/admin/cases/{created.json_body['case_id']}/links", key, {})
    assert str(link.status_code) in document["paths"]["/admin/cases/{case_id}/links"]["post"]["responses"]


def test_the_document_needs_no_credentials(client):
    assert client.http.get("/openapi.json").status_code == 200


# --- what the server enforces is what the document says ---------------------------------------------------

def request_schema(document: dict[str, Any], path: str, method: str) -> Any:
    schema = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": document["components"]})


def test_time_zones_and_currencies_are_published_as_the_lists_the_server_accepts(client, broker, document):
    _, key = broker
    zones = document["components"]["schemas"]["TimeZone"]["enum"]
    currencies = document["components"]["schemas"]["Currency"]["enum"]
    assert {"Europe/Berlin", "America/New_York", "UTC"} <= set(zones) and "Mars/Olympus_Mons" not in zones
    assert {"EUR", "JPY", "KWD"} <= set(currencies) and "XXX" not in currencies
    created = request_schema(document, "/admin/cases", "post")
    for n, (zone, currency) in enumerate([(zones[0], currencies[0]), (zones[-1], currencies[-1])]):
        body = case_body(customer__timezone=zone, invoice__currency=currency, invoice__number=f"TZ-{n}")
        assert created.is_valid(body)
        assert post(client, "/admin/cases", key, body).status_code == 201
    for body in (case_body(customer__timezone="Europe/Atlantis"), case_body(invoice__currency="EURO")):
        assert not created.is_valid(body)
        assert post(client, "/admin/cases", key, body).status_code == 400


def test_the_listing_limit_is_bounded_as_documented(client, broker, document):
    _, key = broker
    limit = next(p for p in document["paths"]["/admin/cases"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}
    for value, status in (("0", 400), ("1", 200), ("100", 200), ("101", 400), ("-1", 400), ("1.5", 400)):
        assert get(client, f"/admin/cases?limit={value}", key).status_code == status, value


def test_the_webhook_documents_its_signature_header(document):
    op = document["paths"]["/webhooks/stripe"]["post"]
    header = next(p for p in op["parameters"] if p["name"] == "Stripe-Signature")
    assert header["in"] == "header" and header["required"] is True
    assert op["requestBody"]["required"] is True
    assert {"200", "400"} <= set(op["responses"]) and "401" not in op["responses"]


def test_a_body_is_required_exactly_where_an_empty_one_is_refused(document):
    required = {path for path, item in document["paths"].items() for method, op in item.items()
                if op.get("requestBody", {}).get("required")}
    assert {"/admin/cases", "/admin/policy", "/customer/promise", "/webhooks/stripe"} <= required
    assert not required & {"/customer/checkout", "/admin/cases/{case_id}/links", "/admin/cases/{case_id}/pause"}


POLICY_BODIES = [
    {"ladder": [{"offset_days": 5, "template": "reminder", "stage": "reminder"}]},
    {"ladder": [{"offset_days": 5, "template": "reminder", "stage": "reminder"}],
     "late_fee": {"kind": "fixed", "fixed_amount": 10**14}},
    {"ladder": [{"offset_days": 5, "template": "reminder", "stage": "reminder"}],
     "late_fee": {"kind": "percentage", "rate_bp": 10**12}},
    {"ladder": [{"offset_days": 5, "template": "reminder", "stage": "reminder"}],
     "sender": {"from_email": "ar@acme.test", "from_name": "Acme <ar@evil.test>"}},
    {"ladder": [{"offset_days": 5, "template": "reminder", "stage": "reminder"}],
     "sender": {"from_email": "ar@acme.test", "from_name": ""}},
    {"ladder": [{"offset_days": 5, "template": "reminder", "stage": "reminder"}], "plans": {"retry_days": [2, 2]}},
    {"ladder": [{"offset_days": 5, "template": "reminder", "stage": "reminder", "channels": ["sms", "sms"]}]},
]


@pytest.mark.parametrize("body", POLICY_BODIES, ids=range(len(POLICY_BODIES)))
def test_the_published_policy_schema_is_the_one_enforced(client, broker, document, body):
    """A policy the document refuses is refused by the server, and one it accepts (with no rule across fields
    broken) is stored: the document and the server never disagree."""
    _, key = broker
    published = request_schema(document, "/admin/policy", "put")
    answer = client.http.put("/admin/policy", headers=auth(key), body=json.dumps(body))
    assert answer.status_code == (200 if published.is_valid(body) else 400), answer.json_body

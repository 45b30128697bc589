"""GET /openapi.json describes exactly the routes the app serves, with their request and response schemas."""
from __future__ import annotations

from typing import Any

import pytest

from app import app
from tests.api.conftest import open_case
from tests.conftest import post

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def document(client) -> dict[str, Any]:
    served = client.http.get("/openapi.json")
    assert served.status_code == 200
    return served.json_body


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
                assert "schema" in op["responses"][status]["content"]["application/json"], (path, method)
            if path.startswith("/admin") or path.startswith("/customer"):
                error = op["responses"]["401"]["content"]["application/json"]["schema"]
                assert error["required"] == ["error"], (path, method)


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
    for path in posts:
        op = document["paths"][path]["post"]
        answer = post(client, path.replace("{case_id}", case["case_id"]), key, {})
        if answer.status_code == 400:
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            assert op["requestBody"]["required"] is True, path
            assert schema["type"] == "object" and schema["properties"], path
            assert schema["additionalProperties"] is False, path
            # The field the API complained about is one the document marks as required.
            assert answer.json_body["error"]["field"] in schema["required"], path
        else:
            assert answer.status_code in (200, 201), (path, answer.json_body)


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

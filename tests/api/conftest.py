"""Fixtures and helpers for the API tests: a client that holds every answer to the published document, a
clock the tests can move, and short ways to open and read cases."""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest
from chalice.test import Client, HTTPResponse, TestHTTPClient
from jsonschema import Draft202012Validator

from chalicelib import bootstrap
from chalicelib.openapi import openapi_document
from tests.api.webhook_kit import receiver, webhook_env  # noqa: F401 - fixtures for the webhook tests
from tests.conftest import case_body, get, post


@functools.cache
def _operations() -> list[tuple[re.Pattern[str], str, dict[str, Any]]]:
    """(path pattern, method, operation) for every documented operation."""
    found = []
    for path, item in openapi_document()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)) + "$")
        found += [(pattern, method.upper(), op) for method, op in item.items()]
    return found


@functools.cache
def _validator(path: str, method: str, status: str) -> Draft202012Validator | None:
    for pattern, documented_method, op in _operations():
        if pattern.match(path) and documented_method == method:
            if status not in op["responses"]:
                raise AssertionError(f"{method} {path} answered {status}, which its document does not list "
                                     f"({', '.join(op['responses'])})")
            if "application/json" not in op["responses"][status].get("content", {}):
                return None  # a file (text/csv) or no content (204): its content type is checked instead
            schema = op["responses"][status]["content"]["application/json"]["schema"]
            return Draft202012Validator({**schema, "components": openapi_document()["components"]},
                                        format_checker=Draft202012Validator.FORMAT_CHECKER)
    raise AssertionError(f"{method} {path} is not in the document")


def check_against_document(method: str, path: str, response: HTTPResponse) -> None:
    """Fail on a status the route's document does not list, or a body its schema does not allow."""
    if method == "OPTIONS":  # CORS preflight, answered by Chalice
        return
    validator = _validator(path.split("?", 1)[0], method, str(response.status_code))
    if validator is None and response.status_code < 300:
        assert not response.headers.get("Content-Type", "").startswith("application/json"), (method, path)
        return
    assert response.headers.get("Content-Type", "").startswith("application/json"), (method, path, response.headers)
    errors = sorted(validator.iter_errors(response.json_body), key=str) if validator else []
    assert not errors, f"{method} {path} -> {response.status_code}: {errors[0].message} at {list(errors[0].path)}"


class CheckedHTTPClient(TestHTTPClient):
    def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                body: bytes = b"") -> HTTPResponse:
        response = super().request(method, path, headers=headers, body=body)
        check_against_document(method, path, response)
        return response


class CheckedClient(Client):
    """chalice.test.Client whose every HTTP answer is checked against /openapi.json."""

    @property
    def http(self) -> TestHTTPClient:
        if self._http_client is None:
            self._http_client = CheckedHTTPClient(self._app, self._chalice_config)
        return self._http_client


@pytest.fixture
def client(aws_env: None) -> Iterator[Client]:
    from app import app

    with CheckedClient(app) as checked:
        yield checked


class MovableClock:
    """Stands in for bootstrap.utc_now: time only moves when a test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> MovableClock:
    """The services' clock, set before bootstrap builds them (reset() rebuilds with this clock)."""
    moving = MovableClock(datetime.now(timezone.utc).replace(microsecond=0))
    monkeypatch.setattr(bootstrap, "utc_now", moving)
    bootstrap.reset()
    return moving


def open_case(client: Client, key: str, **overrides: Any) -> dict[str, Any]:
    created = post(client, "/admin/cases", key, case_body(**overrides))
    assert created.status_code == 201, created.json_body
    return created.json_body


def token_of(pay_url: str) -> str:
    return pay_url.split("#", 1)[1]


def read_case(client: Client, key: str, case_id: str) -> dict[str, Any]:
    fetched = get(client, f"/admin/cases/{case_id}", key)
    assert fetched.status_code == 200, fetched.json_body
    return fetched.json_body


def event_types(client: Client, key: str, case_id: str) -> list[str]:
    return [e["type"] for e in read_case(client, key, case_id)["events"]]


def listing(client: Client, key: str, query: str = "") -> list[str]:
    """Case ids of every page of a broker's listing."""
    ids: list[str] = []
    cursor = None
    while True:
        path = f"/admin/cases?limit=100{query}" + (f"&cursor={quote(cursor)}" if cursor else "")
        page = get(client, path, key)
        assert page.status_code == 200, page.json_body
        ids += [c["case_id"] for c in page.json_body["items"]]
        cursor = page.json_body["next_cursor"]
        if not cursor:
            return ids

"""Fixtures and helpers for the API tests: a clock the tests can move, and short ways to open and read cases."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest
from chalice.test import Client

from chalicelib import bootstrap
from tests.conftest import case_body, get, post


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

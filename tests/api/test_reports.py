"""Receivables, performance and forecast reports through the API on moto, from counters every case change
keeps current: exact figures for a seeded book, moved by payments, write-offs, partners and disputes."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from typing import Any

import pytest

from chalicelib import bootstrap
from tests.api.self_service_kit import World, link_in
from tests.api.test_checkout import checkout
from tests.api.test_closing import add_partner, call, escalate
from tests.api.test_webhooks import deliver_all

# 2026-12-01 03:00 UTC is still 30 November in New York: whole days count on the broker's calendar.
NOW = "2026-12-01T03:00:00Z"
EUR_BOOK = [("E-current", 1000, "2026-12-05"), ("E-today", 2000, "2026-11-30"), ("E-30", 3000, "2026-10-31"),
            ("E-60", 4000, "2026-10-01"), ("E-90", 5000, "2026-09-01"), ("E-121", 6000, "2026-08-01")]
USD_BOOK = [("U-15", 7000, "2026-11-15")]


def report(world: World, path: str, key: str | None = None) -> Any:
    return world.client.http.get(path, headers={"Authorization": f"Bearer {key or world.key}"})


def ok(world: World, path: str) -> dict[str, Any]:
    answer = report(world, path)
    assert answer.status_code == 200, answer.json_body
    return answer.json_body


def set_time_zone(world: World, zone: str) -> None:
    assert call(world, "PUT", "/admin/notifications", {"timezone": zone}).status_code == 200


def seed(world: World) -> dict[str, str]:
    """The book: six EUR invoices, one in each bucket (two current), and one USD invoice. Number -> case id."""
    ids = {}
    for number, amount, due in EUR_BOOK + USD_BOOK:
        issued = (date.fromisoformat(due) - timedelta(days=30)).isoformat()
        currency = "USD" if number.startswith("U") else "EUR"
        case_id, _ = world.open_case(number, invoice__amount=amount, invoice__due_on=due, invoice__issued_on=issued,
                                     invoice__currency=currency)
        ids[number] = case_id
    return ids


@pytest.fixture
def world(client, monkeypatch: pytest.MonkeyPatch) -> World:
    from datetime import datetime

    return World(client, monkeypatch, start=datetime.fromisoformat(NOW.replace("Z", "+00:00")))


def buckets(currency: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {b["bucket"]: (b["amount"], b["cases"]) for b in currency["buckets"]}


def test_receivables_age_every_open_balance_in_whole_days_on_the_brokers_calendar(world):
    seed(world)
    set_time_zone(world, "America/New_York")

    answer = ok(world, "/admin/reports/receivables")

    assert (answer["as_of"], answer["timezone"]) == ("2026-11-30", "America/New_York")
    eur, usd = answer["currencies"]
    assert (eur["currency"], eur["open"], eur["cases"]) == ("EUR", 21000, 6)
    assert buckets(eur) == {"current": (3000, 2), "1-30": (3000, 1), "31-60": (4000, 1), "61-90": (5000, 1),
                            "90+": (6000, 1)}
    assert (usd["currency"], usd["open"], buckets(usd)["1-30"]) == ("USD", 7000, (7000, 1))
    assert answer["by_status"] == {"open": 7} and answer["by_stage"] == {"not_started": 7}

    # In UTC it is already 1 December: every invoice is a day later, and three cross a bucket's edge.
    set_time_zone(world, "UTC")
    eur = ok(world, "/admin/reports/receivables?currency=EUR")["currencies"]
    assert [c["currency"] for c in eur] == ["EUR"]
    assert buckets(eur[0]) == {"current": (1000, 1), "1-30": (2000, 1), "31-60": (3000, 1), "61-90": (4000, 1),
                               "90+": (11000, 2)}

    later = ok(world, "/admin/reports/receivables?as_of=2026-12-31&currency=EUR")["currencies"][0]
    assert buckets(later) == {"current": (0, 0), "1-30": (1000, 1), "31-60": (2000, 1), "61-90": (3000, 1),
                              "90+": (15000, 3)}

"""The console's Cases list: filters, search, sort and paging over a broker's cases."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest

from tests.api.conftest import open_case
from tests.conftest import get, post

TODAY = datetime(2026, 12, 15, 12, tzinfo=timezone.utc)


def _due(days_ago: int) -> str:
    return (TODAY.date() - timedelta(days=days_ago)).isoformat()


@pytest.fixture
def book(client, broker, clock):
    """Five cases: names, amounts, currencies, tiers and due dates that sort differently."""
    clock.now = TODAY - timedelta(days=1)
    _, key = broker
    rows = [("Zoe Zimmer", "zoe@zed.test", "INV-A1", 50000, "EUR", None, 10),
            ("adam Apple", "billing@apple-farm.test", "INV-B2", 900000, "EUR", "gold", 45),
            ("Maria Müller", "maria@example.test", "ACME-77", 120000, "USD", "gold", 95),
            ("Bob Brown", "bob@brown.test", "INV-C3", 7000, "EUR", None, 0),
            ("Eve Early", "eve@early.test", "INV-D4", 30000, "JPY", None, 31)]
    ids = {}
    for name, email, number, amount, currency, tier, days in rows:
        body = {"customer__name": name, "customer__email": email, "invoice__number": number,
                "invoice__amount": amount, "invoice__currency": currency, "invoice__due_on": _due(days),
                "invoice__issued_on": _due(days + 30)}
        if tier:
            body["customer__tier"] = tier
        ids[number] = open_case(client, key, **body)["case_id"]
        clock.advance(minutes=1)
    clock.now = TODAY
    return key, ids


def _numbers(client, key, query):
    page = get(client, f"/admin/cases?{query}", key)
    assert page.status_code == 200, page.json_body
    return [c["invoice"]["number"] for c in page.json_body["items"]]


def test_sorts_by_due_date_balance_customer_and_last_change(client, book):
    key, _ = book
    assert _numbers(client, key, "sort=due_date") == ["ACME-77", "INV-B2", "INV-D4", "INV-A1", "INV-C3"]
    assert _numbers(client, key, "sort=due_date&order=desc")[0] == "INV-C3"
    assert _numbers(client, key, "sort=balance&order=desc") == ["INV-B2", "ACME-77", "INV-A1", "INV-D4", "INV-C3"]
    assert _numbers(client, key, "sort=customer") == ["INV-B2", "INV-C3", "INV-D4", "ACME-77", "INV-A1"]
    assert _numbers(client, key, "sort=updated_at&order=desc")[0] == "INV-D4"


def test_filters_combine_and_items_say_days_overdue_stage_and_tier(client, book):
    key, _ = book
    assert _numbers(client, key, "currency=EUR&sort=due_date") == ["INV-B2", "INV-A1", "INV-C3"]
    assert _numbers(client, key, "tier=gold&currency=EUR") == ["INV-B2"]
    assert _numbers(client, key, "tier=none&sort=customer") == ["INV-C3", "INV-D4", "INV-A1"]
    assert _numbers(client, key, "overdue_min=31&overdue_max=90") == ["INV-B2", "INV-D4"]
    assert _numbers(client, key, "overdue_min=1&sort=balance") == ["INV-D4", "INV-A1", "ACME-77", "INV-B2"]
    assert _numbers(client, key, "status=open&stage=none&overdue_max=10&sort=due_date") == ["INV-A1", "INV-C3"]
    item = get(client, "/admin/cases?q=acme-77", key).json_body["items"][0]
    assert (item["days_overdue"], item["stage"], item["tier"]) == (95, None, "gold")


@pytest.mark.parametrize("q, found", [("müller", ["ACME-77"]), ("APPLE", ["INV-B2"]), ("inv-c", ["INV-C3"]),
                                      ("@early.", ["INV-D4"]), ("nobody", [])])
def test_q_finds_a_part_of_the_name_email_or_invoice_number_in_any_case(client, book, q, found):
    key, _ = book
    assert _numbers(client, key, f"q={quote(q)}") == found


def test_pages_follow_the_cursor_to_the_end_without_repeats(client, book):
    key, _ = book
    seen, cursor = [], None
    while True:
        page = get(client, "/admin/cases?sort=customer&currency=EUR&limit=1"
                   + (f"&cursor={quote(cursor)}" if cursor else ""), key).json_body
        seen += [c["invoice"]["number"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["INV-B2", "INV-C3", "INV-A1"]


def test_a_cursor_continues_only_the_order_it_came_from(client, book, other_broker):
    key, _ = book
    cursor = get(client, "/admin/cases?sort=customer&limit=1", key).json_body["next_cursor"]
    other = get(client, f"/admin/cases?sort=balance&limit=1&cursor={quote(cursor)}", key)
    assert (other.status_code, other.json_body["error"]["field"]) == (400, "cursor")
    stolen = get(client, f"/admin/cases?sort=customer&limit=1&cursor={quote(cursor)}", other_broker[1])
    assert (stolen.status_code, stolen.json_body["error"]["field"]) == (400, "cursor")


@pytest.mark.parametrize("query, field", [("sort=amount", "sort"), ("order=up", "order"),
                                          ("overdue_min=-1", "overdue_min"), ("overdue_max=x", "overdue_max"),
                                          ("currency=eur", "currency"),
                                          ("stage=late", "stage"), ("q=" + "x" * 101, "q"), ("tier=Gold!", "tier")])
def test_bad_parameters_are_a_400_naming_them(client, broker, query, field):
    answer = get(client, f"/admin/cases?{query}", broker[1])
    assert (answer.status_code, answer.json_body["error"]["field"]) == (400, field)


def test_a_payment_moves_a_case_in_the_balance_order(client, book):
    key, ids = book
    paid = post(client, f"/admin/cases/{ids['INV-B2']}/payments", key, {
        "amount": 899000, "method": "bank_transfer", "reference": "BT-9", "received_on": TODAY.date().isoformat()})
    assert paid.status_code == 201, paid.json_body
    assert _numbers(client, key, "sort=balance&order=desc") == ["ACME-77", "INV-A1", "INV-D4", "INV-C3", "INV-B2"]

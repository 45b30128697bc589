"""Open cases written straight to the table for the benchmarks: case items only (what the sweep and the
worker read and write). Each case's two opening events are left out because moto copies the whole table
on every transaction, so every extra item slows a run down without changing a figure."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.adapters.dynamo import case_item
from chalicelib.domain import cases as domain
from chalicelib.domain import ladder
from chalicelib.domain.cases import BrokerContact, Customer, Invoice, Link, iso
from chalicelib.domain.policy import DEFAULT_POLICY


def seed_cases(db: Any, table: str, broker_id: str, n: int, due_on: Callable[[int], date], opened: datetime) -> None:
    """N cases of Berlin customers, case i due on `due_on(i)`, opened at `opened` with the default policy."""
    items = []
    for i in range(n):
        change = domain.open_case(
            broker_id=broker_id, case_id=f"c{i:015d}", broker=BrokerContact("Bench Brokers", "ar@bench.test"),
            customer=Customer(f"Customer {i}", f"customer{i}@example.test", None, "en", "Europe/Berlin"),
            invoice=Invoice(f"B-{i}", date(2026, 10, 28), due_on(i), 10000 + i, "EUR"),
            link=Link(f"l{i:011d}", 1, iso(opened + timedelta(days=60))), at=opened)
        case = replace(change.case, next_action_at=ladder.next_action(change.case, DEFAULT_POLICY, opened))
        items.append(case_item(case))
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]
        while batch:
            batch = db.batch_write_item(RequestItems={table: batch}).get("UnprocessedItems", {}).get(table, [])

"""The console's case search over a broker with 10,000 cases (moto, in this process): what one page of 50 costs.

For each kind of request it prints the index items DynamoDB examined (ScannedCount: what a FilterExpression
pays for even when it drops them), the cases returned, the requests made, and the read units DynamoDB would
charge (eventually consistent: 0.5 per 4 KB, the Query's items summed per request, each BatchGetItem item
rounded up on its own), against reading the broker's whole book from the listing index and filtering in the
function (what the list would cost without the per-order indexes).
"""
from __future__ import annotations

import json
import math
import os
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as `python bench/case_search.py`

os.environ.update({"AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib.adapters import keys  # noqa: E402
from chalicelib.adapters.dynamo import case_item  # noqa: E402
from chalicelib.adapters.dynamo_search import DynamoCaseSearch  # noqa: E402
from chalicelib.domain import cases as domain  # noqa: E402
from chalicelib.domain.case_query import CaseQuery  # noqa: E402
from chalicelib.domain.cases import BrokerContact, Customer, Invoice, Link, iso  # noqa: E402
from portal import infra  # noqa: E402

TABLE = "bench-search"
BROKER = "bbench"
N = 10_000
PAGE = 50
TODAY = date(2026, 12, 15)
FIRST = ("Anna", "Ben", "Chloé", "Dario", "Emma", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kofi", "Lena")
LAST = ("Schmidt", "Martin", "García", "Rossi", "Dubois", "Müller", "Smith", "Novak", "Jensen", "Silva")
INDEX_ATTRS = ("PK", "SK", "ListPK", "status", "stage", "tier", "currency", "due_on", "search")


def size(item: dict[str, Any], names: tuple[str, ...] | None = None) -> int:
    """Bytes as DynamoDB meters an item: attribute names plus values."""
    return sum(len(k.encode()) + len(str(next(iter(v.values()))).encode())
               for k, v in item.items() if names is None or k in names)


def seed(db: Any) -> tuple[int, int]:
    """N cases with varied names, currencies, tiers, amounts and due dates; (mean index item, mean state) bytes."""
    opened = datetime(2026, 9, 1, 9, tzinfo=timezone.utc)
    index_bytes = state_bytes = 0
    items = []
    for i in range(N):
        change = domain.open_case(
            broker_id=BROKER, case_id=f"c{i:015d}", broker=BrokerContact("Bench Brokers", "ar@bench.test"),
            customer=Customer(f"{FIRST[i % 12]} {LAST[i // 12 % 10]} {i}", f"ap{i}@customer{i % 997}.test", None, "en",
                              "Europe/Berlin", "gold" if i % 10 == 0 else None),
            invoice=Invoice(f"INV-{i:06d}", date(2026, 6, 1), TODAY - timedelta(days=i % 150),
                            1000 + (i * 7919) % 900_000, ("EUR", "USD", "GBP")[i // 5 % 3]),
            link=Link(f"l{i:011d}", 1, iso(opened + timedelta(days=60))), at=opened)
        item = case_item(change.case)
        index_bytes += size(item, (*INDEX_ATTRS, "DueSK"))
        state_bytes += size(item, ("PK", "state"))
        items.append(item)
    for start in range(0, N, 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]
        while batch:
            batch = db.batch_write_item(RequestItems={TABLE: batch}).get("UnprocessedItems", {}).get(TABLE, [])
    return index_bytes // N, state_bytes // N


def units(examined: int, queries: int, index_item: int, returned: int, state_item: int) -> float:
    """Read units of a page: Query requests over the examined index items, plus the page's BatchGetItem."""
    per_query = math.ceil(examined * index_item / max(queries, 1) / 4096) * 0.5 * queries
    return per_query + returned * math.ceil(state_item / 4096) * 0.5


def whole_book_units(db: Any) -> tuple[int, float]:
    """Reading every case of the broker from the listing index (state projected), as a filter in code would."""
    kwargs: dict[str, Any] = {"TableName": TABLE, "IndexName": "by_broker", "KeyConditionExpression": "ListPK = :pk",
                              "ExpressionAttributeValues": {":pk": {"S": keys.cases_by_broker(BROKER)}}}
    count, total = 0, 0.0
    while True:
        page = db.query(**kwargs)
        count += len(page["Items"])
        total += math.ceil(sum(size(i) for i in page["Items"]) / 4096) * 0.5
        if "LastEvaluatedKey" not in page:
            return count, total
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


CASES: list[tuple[str, CaseQuery]] = [
    ("sort=due_date", CaseQuery()),
    ("sort=balance&order=desc", CaseQuery(sort="balance", order="desc")),
    ("sort=customer", CaseQuery(sort="customer")),
    ("sort=updated_at&order=desc", CaseQuery(sort="updated_at", order="desc")),
    ("currency=USD&sort=customer", CaseQuery(currency="USD", sort="customer")),
    ("tier=gold&sort=balance", CaseQuery(tier="gold", sort="balance", order="desc")),
    ("overdue 31-60, sort=due_date", CaseQuery(due_from=TODAY - timedelta(days=60),
                                               due_to=TODAY - timedelta(days=31))),
    ("overdue 31-60, sort=balance", CaseQuery(due_from=TODAY - timedelta(days=60),
                                              due_to=TODAY - timedelta(days=31), sort="balance", order="desc")),
    ("q=müller (1 in 10)", CaseQuery(q="müller")),
    ("q=inv-004217 (1 case)", CaseQuery(q="inv-004217")),
    ("status=paid (none)", CaseQuery(status="paid")),
]


def main() -> None:
    with mock_aws():
        db = boto3.client("dynamodb")
        infra.create_table(db, TABLE)
        index_item, state_item = seed(db)
        search = DynamoCaseSearch(db, TABLE)
        print(f"case search: {N} cases of one broker, pages of {PAGE}; index item ~{index_item} B, "
              f"case state ~{state_item} B")
        book, book_units = whole_book_units(db)
        print(f"  reference: the whole book from the listing index = {book} items, {book_units:.0f} read units")
        print(f"  {'request':34} {'examined':>9} {'returned':>9} {'requests':>9} {'read units':>11} {'vs book':>8}")
        for label, query in CASES:
            cases, cursor, stats = search.search(BROKER, query, PAGE, None)
            cost = units(stats.examined, stats.queries, index_item, len(cases), state_item)
            print(f"  {label:34} {stats.examined:>9} {len(cases):>9} {stats.queries + (1 if cases else 0):>9} "
                  f"{cost:>11.1f} {cost / book_units:>7.1%}")
            if cursor:  # the second page costs the same again: the cursor starts where the first ended
                again, _, second = search.search(BROKER, query, PAGE, cursor)
                assert not {c.case_id for c in again} & {c.case_id for c in cases}, label
        print(json.dumps({"cases": N, "page": PAGE, "book_read_units": book_units}))


if __name__ == "__main__":
    main()

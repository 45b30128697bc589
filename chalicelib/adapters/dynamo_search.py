"""The console's case search: a Query on the broker's partition of the index for the chosen order, filtered
by DynamoDB (FilterExpression on the small attributes those indexes project), then one BatchGetItem for the
page's cases. Never a Scan: what a page costs grows with the broker's cases a filter passes over, not the
table's. See bench/case_search.py for the figures."""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters import keys
from chalicelib.adapters.dynamo import case_from_state
from chalicelib.domain.case_query import CaseQuery
from chalicelib.domain.cases import Case
from chalicelib.domain.errors import InvalidInput


@dataclass
class SearchStats:
    """What one page cost: index items DynamoDB read (ScannedCount), those that passed, read units."""

    examined: int = 0
    matched: int = 0
    read_units: float = 0.0
    queries: int = 0


FILTERED = ("status", "stage", "tier", "currency", "due_on", "search")


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _filter(query: CaseQuery) -> tuple[list[str], dict[str, Any]]:
    clauses: list[str] = []
    values: dict[str, Any] = {}
    for name in ("status", "stage", "tier", "currency"):
        value = getattr(query, name)
        if value is not None:
            clauses.append(f"#{name} = :{name}")
            values[f":{name}"] = _s(value)
    if query.due_from is not None:
        clauses.append("#due_on >= :due_from")
        values[":due_from"] = _s(query.due_from.isoformat())
    if query.due_to is not None:
        clauses.append("#due_on <= :due_to")
        values[":due_to"] = _s(query.due_to.isoformat())
    if query.q:
        clauses.append("contains(#search, :q)")
        values[":q"] = _s(query.q)
    return clauses, values


def _cursor(query: CaseQuery, item: dict[str, Any]) -> str:
    sk = keys.SORTS[query.sort]
    body = {"s": query.sort, "o": query.order, "pk": item["PK"]["S"], "k": item[sk]["S"]}
    return base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).decode()


def _start_key(cursor: str, broker_id: str, query: CaseQuery) -> dict[str, Any]:
    """The page's ExclusiveStartKey, rebuilt from the broker being served: a cursor can name only a position
    in that broker's own listing, in the order it came from."""
    try:
        body = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        ok = (isinstance(body, dict) and set(body) == {"s", "o", "pk", "k"}
              and (body["s"], body["o"]) == (query.sort, query.order)
              and all(isinstance(body[k], str) and body[k] for k in ("pk", "k"))
              and body["pk"].startswith(keys.case_pk(broker_id, "")) and "#" not in body["pk"][
                  len(keys.case_pk(broker_id, "")):])
    except (ValueError, binascii.Error, RecursionError):
        ok = False
    if not ok:
        raise InvalidInput("cursor is not valid for this listing", "cursor")
    return {"PK": _s(body["pk"]), "SK": _s(keys.CASE_SK), "ListPK": _s(keys.cases_by_broker(broker_id)),
            keys.SORTS[query.sort]: _s(body["k"])}


class DynamoCaseSearch:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def search(self, broker_id: str, query: CaseQuery, limit: int, cursor: str | None
               ) -> tuple[list[Case], str | None, SearchStats]:
        sort_attr = keys.SORTS[query.sort]
        clauses, values = _filter(query)
        values[":pk"] = _s(keys.cases_by_broker(broker_id))
        kwargs: dict[str, Any] = {
            "TableName": self._table, "IndexName": keys.SORT_INDEXES[query.sort],
            "KeyConditionExpression": "ListPK = :pk", "ExpressionAttributeValues": values,
            "ScanIndexForward": query.order == "asc", "ReturnConsumedCapacity": "TOTAL",
        }
        if query.sort == "due_date" and (query.due_from or query.due_to):
            # The overdue range bounds the due-date order's own key: DynamoDB reads only that slice.
            low = query.due_from.isoformat() if query.due_from else "0"
            high = (query.due_to.isoformat() if query.due_to else "9999-12-31") + "$"
            kwargs["KeyConditionExpression"] += f" AND {sort_attr} BETWEEN :low AND :high"
            values.update({":low": _s(low), ":high": _s(high)})
        if clauses:
            kwargs["FilterExpression"] = " AND ".join(clauses)
            kwargs["ExpressionAttributeNames"] = {  # names, not words: "status" and "search" are reserved
                f"#{n}": n for n in FILTERED if f"#{n}" in kwargs["FilterExpression"]}
        if cursor:
            kwargs["ExclusiveStartKey"] = _start_key(cursor, broker_id, query)
        stats = SearchStats()
        found: list[dict[str, Any]] = []
        more = False
        ask = limit + 1  # the page and one more, to know whether another page follows
        while True:
            # A filter may pass over many items for each match: ask for twice as many each round (up to
            # DynamoDB's 1 MB), so a common filter reads little more than the page and a rare one few requests.
            page = self._db.query(**kwargs, Limit=ask if clauses else max(limit + 1 - len(found), 1))
            ask = min(ask * 2, 1000)
            stats.queries += 1
            stats.examined += page.get("ScannedCount", len(page["Items"]))
            stats.read_units += page.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0)
            found += page["Items"]
            last = page.get("LastEvaluatedKey")
            if len(found) > limit:
                more = True
                break
            if not last:
                break
            kwargs["ExclusiveStartKey"] = last
        found = found[:limit]
        stats.matched = len(found)
        cases = self._cases(found, stats)
        return cases, _cursor(query, found[-1]) if more and found else None, stats

    def _cases(self, found: list[dict[str, Any]], stats: SearchStats) -> list[Case]:
        """The page's cases in index order: one BatchGetItem (retrying what DynamoDB leaves unprocessed)."""
        if not found:
            return []
        wanted = [{"PK": i["PK"], "SK": i["SK"]} for i in found]
        request: dict[str, Any] = {self._table: {"Keys": wanted, "ProjectionExpression": "PK, #state",
                                                 "ExpressionAttributeNames": {"#state": "state"}}}
        states: dict[str, str] = {}
        while request:
            answer = self._db.batch_get_item(RequestItems=request, ReturnConsumedCapacity="TOTAL")
            for item in answer["Responses"].get(self._table, []):
                states[item["PK"]["S"]] = item["state"]["S"]
            stats.read_units += sum(c.get("CapacityUnits", 0.0) for c in answer.get("ConsumedCapacity", []))
            request = answer.get("UnprocessedKeys") or {}
        return [case_from_state(json.loads(states[i["PK"]["S"]])) for i in found if i["PK"]["S"] in states]

    def needing_attention(self, broker_id: str) -> list[Case]:
        """The broker's cases that carry an attention flag: a Query on the sparse index, which holds only them."""
        kwargs: dict[str, Any] = {
            "TableName": self._table, "IndexName": "by_attention", "ScanIndexForward": False,
            "KeyConditionExpression": "AttentionPK = :pk",
            "ExpressionAttributeValues": {":pk": _s(keys.cases_by_broker(broker_id))}}
        return [case_from_state(json.loads(i["state"]["S"]))
                for page in self._db.get_paginator("query").paginate(**kwargs) for i in page["Items"]]

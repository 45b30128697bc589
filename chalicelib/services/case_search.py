"""The console's Cases list: a broker's cases filtered, searched, sorted and paged (adapters/dynamo_search.py)."""
from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from chalicelib.domain.case_query import CaseQuery, case_query, days_overdue
from chalicelib.domain.cases import Case
from chalicelib.ports import Clock

# Any of these turns the listing into a search; without them it stays the newest-opened-first listing.
SEARCH_PARAMS = ("stage", "tier", "currency", "overdue_min", "overdue_max", "q", "sort", "order")


class Search(Protocol):
    def search(self, broker_id: str, query: CaseQuery, limit: int, cursor: str | None
               ) -> tuple[list[Case], str | None, Any]: ...


def listed_case(case: Case, today: date) -> dict[str, Any]:
    from chalicelib import views

    return {**views.case_summary(case), "days_overdue": days_overdue(case.invoice.due_on, today),
            "stage": case.ladder.stage, "tier": case.customer.tier}


class CaseSearch:
    def __init__(self, search: Search, clock: Clock) -> None:
        self._search = search
        self._clock = clock

    def today(self) -> date:
        return self._clock().date()  # days overdue count UTC days, as due dates are stored

    @staticmethod
    def wanted(params: dict[str, Any]) -> bool:
        return any(name in params for name in SEARCH_PARAMS)

    def listed(self, case: Case) -> dict[str, Any]:
        return listed_case(case, self.today())

    def search(self, broker_id: str, params: dict[str, Any], limit: int, cursor: str | None) -> dict[str, Any]:
        today = self.today()
        cases, next_cursor, _ = self._search.search(broker_id, case_query(params, today), limit, cursor)
        return {"items": [listed_case(c, today) for c in cases], "next_cursor": next_cursor}

"""Receivables, performance and forecast reports: a few small reads of counters kept current by every case
change (report_figures.py), never a scan of the cases or their events."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from chalicelib.domain import reports
from chalicelib.domain.cases import Case, iso
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.forecast import forecast
from chalicelib.domain.report_figures import DAYS_LAST, STATE_FIRST, STATE_LAST, day_row
from chalicelib.ports import Clock

MAX_PERIOD_DAYS = 366
DEFAULT_PERIOD_DAYS = 30


class Counters(Protocol):
    def rows(self, broker_id: str, first: str, last: str) -> reports.Rows: ...

    def upcoming(self, broker_id: str, until: str) -> list[Case]: ...


class Policies(Protocol):
    def policy_for(self, broker_id: str) -> Any: ...


class TimeZones(Protocol):
    def __call__(self, broker_id: str) -> str: ...


def parse_day(text: str | None, field: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("must be a date, YYYY-MM-DD", field) from None


class ReportService:
    def __init__(self, counters: Counters, policies: Policies, time_zone: TimeZones, clock: Clock) -> None:
        self._counters = counters
        self._policies = policies
        self._time_zone = time_zone
        self._clock = clock

    def _zone(self, broker_id: str) -> ZoneInfo:
        return ZoneInfo(self._time_zone(broker_id))

    def today(self, broker_id: str) -> date:
        return self._clock().astimezone(self._zone(broker_id)).date()

    def receivables(self, broker_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """Aging as of `as_of` (default: today on the broker's calendar), in whole days past due."""
        as_of = parse_day(params.get("as_of"), "as_of") or self.today(broker_id)
        rows = self._counters.rows(broker_id, STATE_FIRST, STATE_LAST)
        report = reports.receivables(rows, as_of, params.get("currency"))
        return {"as_of": report["as_of"], "timezone": self._time_zone(broker_id), **report}

    def period(self, broker_id: str, params: dict[str, Any]) -> tuple[date, date]:
        end = parse_day(params.get("to"), "to") or self.today(broker_id)
        start = parse_day(params.get("from"), "from") or end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        if start > end:
            raise InvalidInput("must be on or before to", "from")
        if (end - start).days >= MAX_PERIOD_DAYS:
            raise InvalidInput(f"must be at most {MAX_PERIOD_DAYS} days after from", "to")
        return start, end

    def performance(self, broker_id: str, params: dict[str, Any]) -> dict[str, Any]:
        start, end = self.period(broker_id, params)
        first = min(start, end - timedelta(days=reports.COUNTBACK_DAYS - 1))
        rows = {**self._counters.rows(broker_id, STATE_FIRST, STATE_LAST),
                **self._counters.rows(broker_id, day_row(first.isoformat()), DAYS_LAST)}
        return {**reports.performance(rows, start, end), "timezone": "UTC"}

    def forecast(self, broker_id: str, days: int) -> dict[str, Any]:
        now, tz = self._clock(), self._zone(broker_id)
        until = now + timedelta(days=days + 1)  # the broker's last day may end a day later than UTC's
        cases = self._counters.upcoming(broker_id, iso(until))
        return forecast(cases, self._policies.policy_for(broker_id), now, days, tz)

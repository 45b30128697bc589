"""The console's Today list: what needs a person now, from the cases the attention index holds
(domain/attention.py decides the flags when each case changes)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.domain.attention import KINDS
from chalicelib.domain.cases import Case
from chalicelib.ports import Clock


class AttentionIndex(Protocol):
    def needing_attention(self, broker_id: str) -> list[Case]: ...


class Today:
    def __init__(self, index: AttentionIndex, broker_zone: Callable[[str], str], clock: Clock) -> None:
        self._index = index
        self._zone = broker_zone  # the broker's time zone (notification preferences): "today" is theirs
        self._clock = clock

    def _today(self, broker_id: str) -> date:
        try:
            zone = ZoneInfo(self._zone(broker_id))
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        return self._clock().astimezone(zone).date()

    def view(self, broker_id: str) -> dict[str, Any]:
        today = self._today(broker_id).isoformat()
        items: list[dict[str, Any]] = []
        for case in self._index.needing_attention(broker_id):
            for flag in case.attention:
                if flag.kind == "promise_due" and flag.detail != today:
                    continue  # a promise is the broker's business on the day it falls due
                item = {"kind": flag.kind, "case_id": case.case_id, "customer_name": case.customer.name,
                        "invoice_number": case.invoice.number,
                        "balance": {"amount": case.balance.due, "currency": case.balance.currency},
                        "since": flag.since}
                if flag.detail is not None:
                    item["detail"] = flag.detail
                items.append(item)
        items.sort(key=lambda i: i["since"], reverse=True)
        items.sort(key=lambda i: KINDS.index(i["kind"]))
        counts = {kind: sum(1 for i in items if i["kind"] == kind) for kind in KINDS}
        return {"items": items, "counts": counts}

"""The reports and the case list as CSV, every cell through csv_safe (no formula runs in a spreadsheet)."""
from __future__ import annotations

import json
from typing import Any

from chalicelib.domain.csv_safe import to_csv


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def receivables_csv(report: dict[str, Any]) -> str:
    header = ["as_of", "currency", "bucket", "amount", "cases"]
    rows = [[report["as_of"], c["currency"], b["bucket"], str(b["amount"]), str(b["cases"])]
            for c in report["currencies"] for b in c["buckets"]]
    rows += [[report["as_of"], c["currency"], "total", str(c["open"]), str(c["cases"])] for c in report["currencies"]]
    return to_csv(header, rows)


def performance_csv(report: dict[str, Any]) -> str:
    """One line per figure: `section, key, currency, value`, so every figure of the JSON has its place."""
    period = [report["from"], report["to"]]
    rows: list[list[str]] = []
    for c in report["currencies"]:
        rows += [[*period, "currency", name, c["currency"], _cell(c[name])] for name in c if name != "currency"]
    rows += [[*period, "overall", name, "", _cell(report[name])]
             for name in ("avg_days_to_pay", "payments_in_full", "promises_kept_percent")]
    rows += [[*period, "dispute", f"{d['reason']}/{d['outcome']}", "", str(d["count"])] for d in report["disputes"]]
    for s in report["steps"]:
        rows += [[*period, "step", f"{s['step']}/sent", "", str(s["sent"])],
                 [*period, "step", f"{s['step']}/paid_via_link", "", str(s["paid_via_link"])],
                 [*period, "step", f"{s['step']}/median_days_to_pay", "", _cell(s["median_days_to_pay"])]]
        rows += [[*period, "step", f"{s['step']}/collected", m["currency"], str(m["amount"])] for m in s["collected"]]
    return to_csv(["from", "to", "section", "figure", "currency", "value"], rows)


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else key, inner, out)
    else:
        out[prefix] = _cell(value)


def items_csv(items: list[dict[str, Any]]) -> str:
    """List items as rows, nested fields as dotted columns (in the order they first appear)."""
    flat: list[dict[str, str]] = []
    for item in items:
        row: dict[str, str] = {}
        _flatten("", item, row)
        flat.append(row)
    header = list(dict.fromkeys(k for row in flat for k in row))
    return to_csv(header, [[row.get(k, "") for k in header] for row in flat])

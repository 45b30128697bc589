"""Receivables and performance figures from the broker's summed counters (report_figures.py). Pure.

`rows` maps a counter row to its named totals, as the store sums them over the shards.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from chalicelib.domain.report_figures import COUNT, OPEN, day_row

Rows = dict[str, dict[str, int]]

BUCKETS = (("current", None, 0), ("1-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))
COUNTBACK_DAYS = 365  # DSO looks back at most a year of sales


def bucket_of(days_past_due: int) -> str:
    for name, low, high in BUCKETS:
        if (low is None or days_past_due >= low) and (high is None or days_past_due <= high):
            return name
    raise AssertionError(days_past_due)


def _open_rows(rows: Rows) -> list[tuple[str, date, int, int]]:
    """(currency, due date, open amount, open cases) of every due date with money still open."""
    out = []
    for row, names in rows.items():
        if row.startswith(OPEN) and (names.get("amount") or names.get("cases")):
            currency, due = row[len(OPEN):].split("|")
            out.append((currency, date.fromisoformat(due), names.get("amount", 0), names.get("cases", 0)))
    return out


def _counts(rows: Rows, prefix: str) -> dict[str, int]:
    return {name[len(prefix):]: value for name, value in sorted(rows.get(COUNT, {}).items())
            if name.startswith(prefix) and value}


def receivables(rows: Rows, as_of: date, currency: str | None) -> dict[str, Any]:
    """Open balance per currency in aging buckets as of `as_of` (whole days past the due date)."""
    by_currency: dict[str, dict[str, list[int]]] = {}
    for cur, due, amount, cases in _open_rows(rows):
        if currency is not None and cur != currency:
            continue
        buckets = by_currency.setdefault(cur, {name: [0, 0] for name, _, _ in BUCKETS})
        slot = buckets[bucket_of((as_of - due).days)]
        slot[0] += amount
        slot[1] += cases
    currencies = [{
        "currency": cur, "open": sum(a for a, _ in b.values()), "cases": sum(c for _, c in b.values()),
        "buckets": [{"bucket": name, "amount": b[name][0], "cases": b[name][1]} for name, _, _ in BUCKETS],
    } for cur, b in sorted(by_currency.items())]
    return {"as_of": as_of.isoformat(), "currencies": currencies,
            "by_status": _counts(rows, "status|"), "by_stage": _counts(rows, "stage|")}


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _sum(rows: Rows, days: list[date], name: str) -> int:
    return sum(rows.get(day_row(d.isoformat()), {}).get(name, 0) for d in days)


def _ar_at(rows: Rows, open_now: int, currency: str, day: date) -> int:
    """Receivables at the end of `day`: today's open balance less every change recorded after that day."""
    later = sum(names.get(f"ar|{currency}", 0) for row, names in rows.items()
                if row.startswith("d|") and row[2:] > day.isoformat())
    return open_now - later


def dso_countback(receivable: int, billed_by_day: list[int]) -> float | None:
    """Days of the newest sales (newest day first) that add up to what is still receivable."""
    if receivable <= 0:
        return 0.0
    days = 0.0
    for billed in billed_by_day:
        if billed >= receivable:
            return round(days + receivable / billed, 1)
        receivable -= billed
        days += 1
    return None  # more is owed than a year of sales: the countback does not end


def _percent(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole > 0 else None


def median_of(histogram: dict[int, int]) -> float | None:
    total = sum(histogram.values())
    if total == 0:
        return None
    ordered = [value for value in sorted(histogram) for _ in range(histogram[value])]
    middle = total // 2
    return float(ordered[middle]) if total % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _step_key(step: str) -> tuple[int, str]:
    try:
        return int(step), step
    except ValueError:
        return 0, step


def performance(rows: Rows, start: date, end: date) -> dict[str, Any]:
    """Collection figures for the days from `start` to `end` (inclusive); `rows` holds every day from the
    countback's first day on, and the open balances."""
    days = _days(start, end)
    open_now: dict[str, int] = {}
    current_at_end: dict[str, int] = {}
    for cur, due, amount, _ in _open_rows(rows):
        open_now[cur] = open_now.get(cur, 0) + amount
        if due >= end:
            current_at_end[cur] = current_at_end.get(cur, 0) + amount
    names = {name for day in days for name in rows.get(day_row(day.isoformat()), {})}
    currencies = sorted({n.split("|")[1] for n in names if n.split("|")[0] in ("billed", "collected", "ar",
                                                                                  "written_off", "partner")}
                        | set(open_now))
    out = []
    for cur in currencies:
        begin = _ar_at(rows, open_now.get(cur, 0), cur, start - timedelta(days=1))
        finish = _ar_at(rows, open_now.get(cur, 0), cur, end)
        sales = _sum(rows, days, f"billed|{cur}")
        back = [_sum(rows, [end - timedelta(days=i)], f"billed|{cur}") for i in range(COUNTBACK_DAYS)]
        out.append({
            "currency": cur, "collected": _sum(rows, days, f"collected|{cur}"),
            "written_off": _sum(rows, days, f"written_off|{cur}"),
            "recovered_by_partners": _sum(rows, days, f"partner|{cur}"),
            "billed": sales, "open_at_start": begin, "open_at_end": finish,
            "dso_days": dso_countback(finish, back),
            "cei_percent": _percent(begin + sales - finish, begin + sales - current_at_end.get(cur, 0)),
        })
    paid = _sum(rows, days, "paid")
    kept, missed = _sum(rows, days, "promise_kept"), _sum(rows, days, "promise_missed")
    disputes: dict[tuple[str, str], int] = {}
    steps: dict[str, dict[str, Any]] = {}
    for day in days:
        for name, value in rows.get(day_row(day.isoformat()), {}).items():
            kind, _, rest = name.partition("|")
            if kind == "dispute" and value:
                reason, outcome = rest.rsplit("|", 1)
                disputes[(reason, outcome)] = disputes.get((reason, outcome), 0) + value
            elif kind in ("sent", "via", "lag"):
                parts = rest.split("|")
                step = steps.setdefault(parts[0], {"sent": 0, "paid": 0, "collected": {}, "lag": {}})
                if kind == "sent":
                    step["sent"] += value
                elif kind == "via" and len(parts) == 1:
                    step["paid"] += value
                elif kind == "via":
                    step["collected"][parts[1]] = step["collected"].get(parts[1], 0) + value
                else:
                    step["lag"][int(parts[1])] = step["lag"].get(int(parts[1]), 0) + value
    return {
        "from": start.isoformat(), "to": end.isoformat(), "currencies": out,
        "avg_days_to_pay": round(_sum(rows, days, "paid_days_late") / paid, 1) if paid else None,
        "payments_in_full": paid,
        "promises_kept_percent": _percent(kept, kept + missed),
        "disputes": [{"reason": r, "outcome": o, "count": c} for (r, o), c in sorted(disputes.items()) if c],
        "steps": [{"step": name, "sent": s["sent"], "paid_via_link": s["paid"],
                   "collected": [{"amount": a, "currency": c} for c, a in sorted(s["collected"].items()) if a],
                   "median_days_to_pay": median_of(s["lag"])}
                  for name, s in sorted(steps.items(), key=lambda kv: _step_key(kv[0]))],
    }

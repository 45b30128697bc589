"""What one case change adds to its broker's report figures: counters, never a list of cases.

The figures are sums over cases, so a change contributes its difference: `figures(after) - figures(before)`
for what a case *is* (open balance by currency and due date, status, stage, its disputes), plus what its new
events *did* (money collected, written off, reminders sent, payments through a reminder's link), dated by
the UTC day of the change. The reports (reports.py) add the counters up; nothing reads a case or an event.

Counter names are `row -> {attribute: delta}`:
- `a|open|CUR|YYYY-MM-DD` (amount, cases): the open balance by currency and due date, so aging buckets are
  summed at read time for any `as_of`;
- `a|count` (`status|S`, `stage|S`): cases per status, open cases per ladder stage;
- `d|YYYY-MM-DD`: the day's flows (see `_flows`).
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timezone

from chalicelib.domain.cases import Case, Change
from chalicelib.domain.history import Event

# Writers add to one of these copies of each row (by case id), so two cases changing at once rarely touch
# the same item; the reports read all of them.
SHARDS = 8
NOT_STARTED = "not_started"  # the stage of a case no ladder step has reached yet
# Row names: what cases are now sort first ("a|"), then one row per day ("d|"), so a report reads each in one Query.
STATE_FIRST, STATE_LAST = "a|", "a|~"
COUNT = "a|count"
OPEN = "a|open|"


def day_row(day: str) -> str:
    return f"d|{day}"


DAYS_LAST = "d|~"

Figures = dict[str, dict[str, int]]


def shard(case_id: str) -> int:
    return int(hashlib.sha256(case_id.encode()).hexdigest()[:8], 16) % SHARDS


def reminder_ref(claim: str, step: str, sent_on: date) -> str:
    """What a reminder's pay link carries, so the payment it brings names the step and the day it was sent."""
    return f"{claim}@{step}@{sent_on.isoformat()}"


def utc_day(moment: datetime) -> date:
    return moment.astimezone(timezone.utc).date()


def step_of_ref(ref: str) -> tuple[str, date] | None:
    parts = ref.split("@")
    if len(parts) != 3:
        return None
    try:
        return parts[1], date.fromisoformat(parts[2])
    except ValueError:
        return None


def open_balance(case: Case) -> int:
    return 0 if case.is_closed else case.balance.due


def stage(case: Case) -> str:
    return case.ladder.stage or NOT_STARTED


def _state(case: Case | None) -> Figures:
    """What a case is, as counters."""
    out: Figures = defaultdict(dict)
    if case is None:
        return out
    out[COUNT][f"status|{case.status}"] = 1
    if not case.is_closed:
        out[COUNT][f"stage|{stage(case)}"] = 1
    due = open_balance(case)
    if due:
        out[f"{OPEN}{case.balance.currency}|{case.invoice.due_on.isoformat()}"] = {"amount": due, "cases": 1}
    cur = case.balance.currency
    # Dated by the day of the change but kept as state: the money lines are differences of running totals.
    billed = case.balance.principal + case.balance.fees + case.balance.interest
    out["money"] = {f"billed|{cur}": billed, f"collected|{cur}": case.balance.paid, f"ar|{cur}": due,
                    f"written_off|{cur}": case.closing.written_off + case.closing.recovered}
    for d in case.self_service.disputes:  # counted on the day each dispute was opened, by where it stands now
        key = day_row(d.opened_at[:10])
        name = f"dispute|{d.reason}|{d.status}"
        out[key][name] = out[key].get(name, 0) + 1
    return out


def _add(total: Figures, row: str, name: str, value: int) -> None:
    if value:
        total.setdefault(row, {})
        total[row][name] = total[row].get(name, 0) + value


def _flows(change: Change, day: str, total: Figures) -> None:
    """What the change's events did on `day`."""
    before, after = change.before, change.case
    row = day_row(day)
    cur = after.balance.currency
    for event in change.events:
        _event_flows(event, cur, total)
    if after.status == "paid" and (before is None or before.status != "paid"):
        late = max(0, (date.fromisoformat(day) - after.invoice.due_on).days)
        _add(total, row, "paid", 1)
        _add(total, row, "paid_days_late", late)
        if before is not None and before.status == "promised":
            _add(total, row, "promise_kept", 1)


def _event_flows(event: Event, cur: str, total: Figures) -> None:
    row = day_row(event.at[:10])
    if event.type == "reminder_sent" and event.data.get("step"):
        _add(total, row, f"sent|{event.data['step']}", 1)
    elif event.type == "promise_missed":
        _add(total, row, "promise_missed", 1)
    elif event.type == "escalation_outcome":
        _add(total, row, f"partner|{cur}", int(event.data.get("collected_amount") or 0))
    elif event.type == "payment_received" and isinstance(event.data.get("via_reminder"), str):
        via = step_of_ref(event.data["via_reminder"])
        if via is not None:
            step, sent_on = via
            _add(total, row, f"via|{step}", 1)
            _add(total, row, f"via|{step}|{cur}", int(event.data.get("amount") or 0))
            lag = max(0, (date.fromisoformat(event.at[:10]) - sent_on).days)
            _add(total, row, f"lag|{step}|{lag}", 1)


def deltas(change: Change) -> Figures:
    """The counters one stored change moves, and by how much (zero moves left out)."""
    old, new = _state(change.before), _state(change.case)
    day = change.case.updated_at[:10]
    total: Figures = {}
    for row in set(old) | set(new):
        target = day_row(day) if row == "money" else row
        names = set(old.get(row, {})) | set(new.get(row, {}))
        for name in names:
            _add(total, target, name, new.get(row, {}).get(name, 0) - old.get(row, {}).get(name, 0))
    _flows(change, day, total)
    return total


def merged(changes: Iterable[Change]) -> dict[tuple[str, int, str], dict[str, int]]:
    """The deltas of several changes by (broker, shard, row): one update per item, as a transaction requires."""
    out: dict[tuple[str, int, str], dict[str, int]] = {}
    for change in changes:
        where = (change.case.broker_id, shard(change.case.case_id))
        for row, names in deltas(change).items():
            target = out.setdefault((*where, row), {})
            for name, value in names.items():
                target[name] = target.get(name, 0) + value
    return {k: {n: v for n, v in names.items() if v} for k, names in out.items()
            if any(v for v in names.values())}

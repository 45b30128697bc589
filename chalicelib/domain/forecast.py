"""What the reminder ladder will send in the next days: the sweep's own `ladder.plan`, run forward. Pure."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain import ladder
from chalicelib.domain.cases import Case, iso
from chalicelib.domain.policy import Policy

MAX_STEPS = 50  # a ladder has far fewer steps; this only bounds a policy that would loop


def _steps_ahead(case: Case, policy: Policy, now: datetime, end: datetime) -> list[tuple[datetime, str]]:
    """Each step the case would start before `end`, if nobody paid, answered or paused meanwhile."""
    out: list[tuple[datetime, str]] = []
    for _ in range(MAX_STEPS):
        plan = ladder.plan(case, policy, now)
        if plan.step is None or plan.at is None or plan.at >= end:
            break
        step, at = plan.step, max(plan.at, now)
        out.append((at, step.step_id))
        on = ladder.local_date(at, ladder.zone(case)).isoformat()
        done = replace(case.ladder, pending=None, done_offset=step.offset_days, done_on=on, stage=step.stage,
                       contacts=(*case.ladder.contacts, iso(at)),
                       final_sent=case.ladder.final_sent or step.stage == "final",
                       final_on=on if step.stage == "final" else case.ladder.final_on)
        case, now = replace(case, ladder=done), at + timedelta(seconds=1)
    return out


def forecast(cases: Iterable[Case], policy: Policy, now: datetime, days: int, tz: ZoneInfo) -> dict[str, Any]:
    """Contacts per day (the broker's calendar) for `days` days from today, and per step."""
    today = now.astimezone(tz).date()
    end = datetime.combine(today + timedelta(days=days), datetime.min.time(), tzinfo=tz)
    per_day: dict[date, dict[str, int]] = {today + timedelta(days=i): {} for i in range(days)}
    for case in cases:
        for at, step in _steps_ahead(case, policy, now, end):
            slot = per_day.get(at.astimezone(tz).date())
            if slot is not None:
                slot[step] = slot.get(step, 0) + 1
    return {"days": [{"date": d.isoformat(), "contacts": sum(s.values()), "by_step": dict(sorted(s.items()))}
                     for d, s in sorted(per_day.items())]}

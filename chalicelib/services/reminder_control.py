"""The broker's hands on a case's ladder: pause, resume, and what happens next."""
from __future__ import annotations

from typing import Any

from chalicelib.domain import ladder
from chalicelib.domain.cases import Case, parse_iso
from chalicelib.domain.history import Event
from chalicelib.ports import Clock
from chalicelib.services.cases import CaseService
from chalicelib.services.policies import PolicyService


class ReminderControl:
    def __init__(self, cases: CaseService, policies: PolicyService, clock: Clock) -> None:
        self._cases = cases
        self._policies = policies
        self._clock = clock

    def pause(self, broker_id: str, case_id: str, until: str | None,
              reason: str | None) -> tuple[Case, list[Event]]:
        """`until` is the validated ISO date-time from the request, or None for "until resumed"."""
        policy = self._policies.policy_for(broker_id)
        resume_at = parse_iso(until) if until else None
        done = self._cases.change(broker_id, case_id, lambda case: ladder.pause(
            case, policy, self._clock(), until=resume_at, reason=reason))
        return done.case, list(done.history)

    def resume(self, broker_id: str, case_id: str) -> tuple[Case, list[Event]]:
        policy = self._policies.policy_for(broker_id)
        done = self._cases.change(broker_id, case_id, lambda case: ladder.resume(case, policy, self._clock()))
        return done.case, list(done.history)

    def describe(self, case: Case) -> dict[str, Any]:
        return ladder.describe(case, self._policies.policy_for(case.broker_id), self._clock())

    def first_action(self, case: Case) -> str | None:
        """next_action_at for a case being opened (CaseService's planner)."""
        return ladder.next_action(case, self._policies.policy_for(case.broker_id), self._clock())

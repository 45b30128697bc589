"""Where a case stands on its reminder ladder: a value kept on the Case (`case.ladder`).

Kept apart from ladder.py (which decides) so cases.py can hold it without importing the policy.
Times are UTC ISO strings like every stored time; `done_on` is a date in the customer's time zone.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PendingStep:
    """A step that has started (its `reminder_started` event is stored) and is sending, one channel at a time.

    `channels` are the deliveries still to do, the first one being the current one. `lease_until` is set
    while a worker holds the current delivery (claimed in the same transaction that stored `claim`); a
    worker may send only with the claim it stored itself. After a failed attempt the lease is cleared
    and `retry_at` says when to try again.
    """

    offset_days: int
    stage: str
    template: str
    started_seq: int
    started_at: str
    policy_version: int
    channels: tuple[str, ...]
    claim: str = ""
    attempt: int = 1
    lease_until: str | None = None
    retry_at: str | None = None
    went_out: bool = False
    customer_contact: bool = False
    deferred: bool = False  # released because the provider throttled: the next claim reuses `attempt`
    deferrals: int = 0  # throttles of the current delivery, which lengthen the jittered wait


@dataclass(frozen=True)
class LadderState:
    policy_version: int | None = None
    done_offset: int | None = None  # offset_days of the last finished step; None: nothing done yet
    done_on: str | None = None  # the customer's local date that step started on
    stage: str | None = None  # the stage of that step (the console filters and the reports count cases by it)
    final_sent: bool = False
    final_on: str | None = None  # the customer's local date the final notice went out
    contacts: tuple[str, ...] = ()  # when customer contacts started, pruned to the cap's window
    pending: PendingStep | None = None
    paused: bool = False  # a manual pause (POST .../pause)
    paused_until: str | None = None
    pause_reason: str | None = None
    paused_since: str | None = None  # start of the current pause, manual or by status
    shift_days: int = 0  # days the remaining ladder moved because of pauses
    halted: str | None = None  # why the ladder stopped (a final notice that could not go out)
    interest_started: bool = False
    interest_charged: int = 0
    compensation_charged: bool = False
    interest_provisional: bool = False  # the interest charged used a carried-forward reference rate
    sms_opted_out: bool = False
    email_suppressed: str | None = None  # why email stopped: "bounced", "complained", "suppressed" (listed)

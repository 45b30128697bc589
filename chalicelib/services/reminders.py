"""The sweep finds due cases and queues them; the worker runs each due step exactly once.

Sweep (every 15 minutes): one Query per shard of the sparse `by_next_action` index for next_action_at
<= now (never a Scan), then SendMessageBatch. Each message carries the case as the index projects it,
so the worker reads nothing more unless its conditional write shows the snapshot was stale. Sweeping
twice, or a case queued twice, is harmless: only one change per case version can be stored.

Worker (one SQS message = one case), in the order that makes it safe (see domain/ladder.py):
  1. advance: store the step's start with a claim on its first delivery (fees, interest, link too)
  2. send that one delivery with the claim's pay link
  3. confirm: store `reminder_sent` + provider message id, claiming the next delivery in the same write
     (the confirmations of all the cases of an SQS batch go in one transaction; claims never do, so a
     crash can cost at most the one delivery between its claim and its send)
A crash before 1 leaves the case due: the next sweep (or SQS redelivery) runs the step. A crash between
1 and 3 leaves a claim: nobody else may send it, and once its lease has run out it is recorded as
`reminder_unconfirmed` and never sent again (at most once: SES cannot say whether it went out). A crash
after 3 leaves the next claim or the finished step: nothing is repeated. A definite refusal (the
provider answered no) is retried with backoff; the last refusal is `reminder_failed` and the message
goes to the dead-letter queue. A throttle (the provider's "slow down": nothing was sent) is no failed
attempt: the claim is released as `reminder_deferred` with a jittered wait and the case goes back to the
queue with that delay, so a burst beyond the account's rate spreads out instead of failing.
"""
from __future__ import annotations

import json
import logging
import math
import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, Protocol

from chalicelib.domain import ladder
from chalicelib.domain.cases import Case, Change, iso, parse_iso
from chalicelib.domain.fees import discount_deadline, early_payment_discount
from chalicelib.domain.policy import Policy
from chalicelib.domain.report_figures import reminder_ref, utc_day
from chalicelib.ports import CaseStore, Clock, DeliveryRefused, DeliveryThrottled, Queue, RenderError
from chalicelib.services.channels import Channel, Delivery
from chalicelib.services.links import PayLinks
from chalicelib.services.unit_of_work import change_case

log = logging.getLogger(__name__)

MAX_MOVES = 12  # per message: a step, its deliveries and a following due move are far fewer
# After a throttle: a random wait up to THROTTLE_BASE * 2**(throttles so far), at most THROTTLE_CAP (SES
# advises waiting up to 10 minutes; SQS delays a message by at most 15). Random so a burst's retries spread.
THROTTLE_BASE = timedelta(seconds=2)
THROTTLE_CAP = timedelta(minutes=10)


def throttle_wait(throttles: int, draw: Callable[[float, float], float] = random.uniform) -> timedelta:
    """Full jitter: uniform between a second and the exponential ceiling."""
    ceiling = min(THROTTLE_CAP, THROTTLE_BASE * 2 ** min(throttles, 16))
    return timedelta(seconds=draw(1.0, max(1.0, ceiling.total_seconds())))


class DueCase(Protocol):
    @property
    def broker_id(self) -> str: ...

    @property
    def case_id(self) -> str: ...

    @property
    def next_action_at(self) -> str: ...

    @property
    def version(self) -> int: ...

    @property
    def state(self) -> str | None: ...  # the case as stored, opaque here: the index parses it back


class SweepIndex(Protocol):
    @property
    def shards(self) -> int: ...

    def due(self, shard: int, now: str) -> Iterator[DueCase]: ...

    def parse(self, state: str) -> Case: ...

    def get_case(self, broker_id: str, case_id: str) -> Case: ...

    def save_all(self, changes: list[Change]) -> None:
        """Store changes of several existing cases in one transaction, or none (VersionConflict)."""


class Policies(Protocol):
    def policy_for(self, broker_id: str) -> Policy: ...


# Hook (services/plans.py PlanService.run_due): given a queued case, charge its due installments
# (noting each stored change); None when the plan holds the case, else the case for the ladder to go on with.
InstallmentHook = Callable[[Case, Callable[[Change], None]], "Case | None"]


class TimerHook(Protocol):
    """Hook (services/self_service.py SelfServiceTimers): while a promise or dispute pauses a case,
    its own timers (promise missed, dispute raised again, mediation over) run instead of the ladder."""

    def owns(self, case: Case) -> bool: ...

    def advance(self, case: Case, policy: Policy, now: datetime) -> Change | None: ...

    def after(self, change: Change) -> None: ...


@dataclass
class SweepReport:
    at: str
    due: int = 0
    queued: int = 0
    brokers: set[str] = field(default_factory=set)  # whose cases were queued
    complete: bool = True  # False: the sweep stopped short of its timeout; the rest stay due for the next


SWEEP_BATCH = 10  # SendMessageBatch's most: stream each as soon as it is full, holding no more than that
SWEEP_MARGIN_MS = 10_000  # stop handing out this long before the sweep's Lambda timeout


@dataclass
class Outcome:
    """What the worker did for one message: the events it stored, the messages it sent, and whether it
    failed (an error nobody expected: SQS should deliver this message again, and only this one)."""

    broker_id: str
    case_id: str
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    def fail(self, exc: Exception) -> None:
        self.error = self.error or type(exc).__name__


@contextmanager
def _fails_alone(outcome: Outcome) -> Iterator[None]:
    """The worker's one catch-all, at the SQS message boundary (as Lambda's own would be): whatever one
    message's case raises is logged and reported for that message alone (batchItemFailures), so SQS
    delivers it again and the rest of the batch is still sent and recorded once."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - deliberate: see above; the error is logged, not hidden
        log.exception("reminder message failed", extra={"case_id": outcome.case_id})
        outcome.fail(exc)


@dataclass(frozen=True)
class _Delivery:
    """A delivery this worker has claimed (the claim is stored) and is about to make."""

    case: Case
    claim: ladder.Claim
    policy: Policy
    outcome: Outcome


def message(due: DueCase) -> str:
    body: dict[str, Any] = {"b": due.broker_id, "c": due.case_id, "at": due.next_action_at, "v": due.version}
    if due.state is not None:
        body["s"] = due.state
    return json.dumps(body, separators=(",", ":"))


class Sweep:
    def __init__(self, index: SweepIndex, queue: Queue, clock: Clock) -> None:
        self._index = index
        self._queue = queue
        self._clock = clock

    def run(self, now: datetime | None = None, time_left_ms: Callable[[], int] | None = None) -> SweepReport:
        """Stream due cases to the queue a batch at a time (memory stays flat however many are due).
        `time_left_ms` (Lambda's context.get_remaining_time_in_millis): stop in time; what is left stays
        due in the index, so the next sweep hands it out."""
        report = SweepReport(at=iso(now or self._clock()))
        batch: list[str] = []
        for shard in range(self._index.shards):
            for due in self._index.due(shard, report.at):
                batch.append(message(due))
                report.brokers.add(due.broker_id)
                if len(batch) == SWEEP_BATCH:
                    report.queued += self._hand_out(batch)
                    if time_left_ms is not None and time_left_ms() < SWEEP_MARGIN_MS:
                        report.complete = False
                        break
            if not report.complete:
                break
        report.queued += self._hand_out(batch)
        report.due = report.queued
        log.info("reminder sweep", extra={"due": report.due, "at": report.at, "complete": report.complete})
        return report

    def _hand_out(self, batch: list[str]) -> int:
        if batch:
            self._queue.send_batch(batch)
        count = len(batch)
        batch.clear()
        return count


class ReminderWorker:
    def __init__(self, *, store: CaseStore, index: SweepIndex, policies: Policies, channels: Mapping[str, Channel],
                 links: PayLinks, dead_letters: Queue | None, clock: Clock,
                 link_ttl: timedelta, new_link_id: Callable[[], str],
                 installments: InstallmentHook | None = None, timers: TimerHook | None = None,
                 requeue: Queue | None = None) -> None:
        self._requeue = requeue  # the reminder queue itself: a throttled case comes back after its wait
        self._store = store
        self._timers = timers
        self._installments = installments
        self._index = index
        self._policies = policies
        self._channels = channels
        self._links = links
        self._dead_letters = dead_letters
        self._clock = clock
        self._link_ttl = link_ttl
        self._new_link_id = new_link_id

    def handle_batch(self, bodies: Iterable[str]) -> list[Outcome]:
        """Every message of an SQS batch, in rounds: each case starts its step (its own claim write), then
        each claimed delivery is made, then the outcomes of the whole round are stored in one transaction
        (falling back to one write per case if that fails). A claim is always stored on its own, right
        before its send, so a crash can cost at most the one delivery in flight; batching only the
        confirmations makes a crash leave "sent, unconfirmed" records, never a lost message.

        One outcome per message, in order. A message whose case raised is marked failed (the caller
        reports it to SQS alone); nothing one case holds can stop the others being sent and recorded."""
        outcomes: list[Outcome] = []
        round_: list[_Delivery] = []
        for body in bodies:
            outcome = Outcome("", "")
            outcomes.append(outcome)
            delivery = None
            with _fails_alone(outcome):
                delivery = self._begin(body, outcome)
            if delivery is not None:
                round_.append(delivery)
        while round_:
            decided: list[tuple[_Delivery, Callable[[Case], Change | None]]] = []
            for delivery in round_:
                with _fails_alone(delivery.outcome):  # its claim lapses and is recorded unconfirmed
                    decided.append((delivery, self._send(delivery)))
            round_ = []
            for delivery, decide, change, stored in self._store_round(decided):
                following = None
                with _fails_alone(delivery.outcome):
                    if not stored:
                        change = self._apply(delivery.case, decide)
                    following = self._after(delivery, change)
                if following is not None:
                    round_.append(following)
        return outcomes

    def handle(self, body: str) -> Outcome:
        return self.handle_batch([body])[0]

    def _begin(self, body: str, outcome: Outcome) -> _Delivery | None:
        msg = json.loads(body)
        outcome.broker_id, outcome.case_id = msg["b"], msg["c"]
        case = self._index.parse(msg["s"]) if msg.get("s") else self._index.get_case(msg["b"], msg["c"])
        return self._advance(case, outcome)

    def _advance(self, case: Case, outcome: Outcome) -> _Delivery | None:
        """Store whatever is due now (starting a step claims its first delivery); the claim, if any."""
        for _ in range(MAX_MOVES):
            if self._installments is not None:  # a case on a plan has its due installments charged
                on_plan = self._installments(case, lambda change: self._note(outcome, change))
                if on_plan is None:
                    return None  # the plan holds the case (the ladder is paused): nothing more to do now
                case = on_plan
            policy = self._policies.policy_for(case.broker_id)
            route = self._route(case)
            # The queued snapshot may be stale, or another worker moved first: read the case item again.
            done = change_case(self._store, case.broker_id, case.case_id, partial(self._move, route, policy),
                               case=case, reader=self._index)
            change = done.change
            if change is None:
                if self._route(done.case) != route:  # read again onto another path: the move starts again
                    case = done.case
                    continue
                return None
            self._note(outcome, change)
            if route == "timers" and self._timers is not None:
                self._timers.after(change)  # its emails, once the change is stored
            claim = ladder.claim_of(change)
            if claim is not None:
                return _Delivery(change.case, claim, policy, outcome)
            case = change.case
        return None

    def _move(self, route: str, policy: Policy, case: Case) -> Change | None:
        if self._route(case) != route:
            return None
        if route == "timers" and self._timers is not None:  # a promise or dispute holds the case
            return self._timers.advance(case, policy, self._clock())
        return ladder.advance(case, policy, self._clock(), new_link_id=self._new_link_id(), link_ttl=self._link_ttl)

    def _route(self, case: Case) -> str:
        """Who moves the case: its plan's installments, a promise's or dispute's timers, or the ladder."""
        if self._installments is not None and case.status == "on_plan":
            return "plan"
        if self._timers is not None and self._timers.owns(case):
            return "timers"
        return "ladder"

    def _after(self, delivery: _Delivery, change: Change | None) -> _Delivery | None:
        """What a stored delivery outcome leads to: the next delivery of the step, or the next due move."""
        if change is None:
            return None
        self._note(delivery.outcome, change)
        failed = [e.data for e in change.events if e.type == "reminder_failed"]
        if failed and self._dead_letters is not None:
            self._dead_letters.send(json.dumps({"b": change.case.broker_id, "c": change.case.case_id,
                                                **failed[0]}, separators=(",", ":")))
        deferred = [e.data for e in change.events if e.type == "reminder_deferred"]
        if deferred:
            self._come_back(change.case, deferred[0]["retry_at"])
            return None
        claim = ladder.claim_of(change)
        if claim is not None:
            return _Delivery(change.case, claim, delivery.policy, delivery.outcome)
        if change.case.next_action_at and change.case.next_action_at <= iso(self._clock()):
            return self._advance(change.case, delivery.outcome)  # e.g. a retry that is due at once
        return None

    # --- one delivery ------------------------------------------------------------------------------

    def _send(self, delivery: _Delivery) -> Callable[[Case], Change | None]:
        """Make the claimed delivery; return how to record its outcome on the (possibly reloaded) case.

        Whatever fails before the provider call (opt-out check, composing) is a definite failure, retried
        with backoff like a refusal; one nobody foresaw is also reported (outcome.fail). Only the send
        itself may fail without an answer: then the claim lapses and is recorded as unconfirmed."""
        case, claim, policy, outcome = delivery.case, delivery.claim, delivery.policy, delivery.outcome
        channel = self._channels[claim.channel]
        try:
            if not channel.reaches(case):  # e.g. contact details stored without an address
                return self._skip(claim, f"{claim.channel}_unreachable", policy)
            if channel.opted_out(case):
                return self._skip(claim, f"{claim.channel}_opted_out", policy)
            send = channel.compose(Delivery(case, claim, policy, self.model(case, claim, policy)))
        except DeliveryThrottled as exc:  # the opt-out check itself was throttled
            return self._throttled(delivery, exc)
        except (DeliveryRefused, RenderError) as exc:
            return self._refused(delivery, exc)
        except Exception as exc:  # noqa: BLE001 - nothing reached the provider: record it, and report it
            log.exception("reminder could not be composed", extra={"case_id": case.case_id, "claim": claim.claim})
            outcome.fail(exc)
            return self._fail(claim, type(exc).__name__, policy)
        try:
            return self._confirm(claim, send(), policy, outcome)
        except DeliveryThrottled as exc:
            return self._throttled(delivery, exc)
        except DeliveryRefused as exc:
            return self._refused(delivery, exc)

    def _throttled(self, delivery: _Delivery, exc: DeliveryThrottled) -> Callable[[Case], Change | None]:
        """Nothing went out: release the claim for a jittered wait, keeping the attempt."""
        pending = delivery.case.ladder.pending
        wait = throttle_wait(pending.deferrals if pending is not None else 0)
        log.info("reminder delivery throttled", extra={"case_id": delivery.case.case_id, "claim": delivery.claim.claim,
                                                       "channel": delivery.claim.channel, "error": exc.code,
                                                       "wait_seconds": round(wait.total_seconds(), 1)})
        claim, policy = delivery.claim, delivery.policy
        return lambda case: ladder.defer(case, claim, exc.code, self._clock() + wait, policy, self._clock())

    def _come_back(self, case: Case, retry_at: str) -> None:
        """Queue the case again to arrive at `retry_at` (the sweep would also find it due then)."""
        if self._requeue is None:
            return
        delay = max(0, math.ceil((parse_iso(retry_at) - self._clock()).total_seconds()))  # never early
        body = json.dumps({"b": case.broker_id, "c": case.case_id, "at": retry_at, "v": case.version},
                          separators=(",", ":"))
        self._requeue.send(body, delay_seconds=delay)  # if SQS refuses, the message fails alone and comes back

    def _refused(self, delivery: _Delivery, exc: DeliveryRefused | RenderError) -> Callable[[Case], Change | None]:
        code = exc.code if isinstance(exc, DeliveryRefused) else "RenderError"
        log.warning("reminder delivery refused", extra={"case_id": delivery.case.case_id, "claim": delivery.claim.claim,
                                                        "channel": delivery.claim.channel, "error": code})
        return self._fail(delivery.claim, code, delivery.policy)

    def _store_round(self, decided: list[tuple[_Delivery, Callable[[Case], Change | None]]]
                     ) -> list[tuple[_Delivery, Callable[[Case], Change | None], Change | None, bool]]:
        """The round's outcomes in one transaction when there are several: (delivery, decide, change, stored).
        Not stored (one outcome only, or some case moved meanwhile): the caller stores each on its own."""
        changes = []
        for d, decide in decided:
            with _fails_alone(d.outcome):
                changes.append((d, decide, decide(d.case)))
        batch = [c for _, _, c in changes if c is not None]
        stored = False
        if len(batch) > 1:
            try:
                self._index.save_all(batch)
                stored = True
            except Exception:  # noqa: BLE001 - one case's write must not sink the others: store each alone
                log.warning("batched confirmation not stored; storing each case alone", exc_info=True)
                stored = False
        return [(d, decide, c, stored or c is None) for d, decide, c in changes]

    def _confirm(self, claim: ladder.Claim, message_id: str, policy: Policy,
                 outcome: Outcome) -> Callable[[Case], Change | None]:
        outcome.sent.append({"channel": claim.channel, "step": claim.step_id, "template": claim.template,
                             "message_id": message_id, "claim": claim.claim})
        return lambda case: ladder.confirm(case, claim, message_id, policy, self._clock())

    def _skip(self, claim: ladder.Claim, reason: str, policy: Policy) -> Callable[[Case], Change | None]:
        return lambda case: ladder.skip(case, claim, reason, policy, self._clock())

    def _fail(self, claim: ladder.Claim, code: str, policy: Policy) -> Callable[[Case], Change | None]:
        return lambda case: ladder.fail(case, claim, code, policy, self._clock())

    def _apply(self, case: Case, decide: Callable[[Case], Change | None]) -> Change | None:
        """Store what the delivery's outcome means; someone else's write in between only means reload."""
        return change_case(self._store, case.broker_id, case.case_id, decide, case=case, reader=self._index).change

    @staticmethod
    def _note(outcome: Outcome, change: Change) -> None:
        outcome.events.extend((e.type, e.data) for e in change.events)

    # --- what a message says -------------------------------------------------------------------------

    def model(self, case: Case, claim: ladder.Claim, policy: Policy) -> dict[str, Any]:
        ref = reminder_ref(claim.claim, claim.step_id, utc_day(self._clock()))
        return message_model(case, claim.template, policy, self._clock(), self._links.url(case, ref=ref))


def message_model(case: Case, template: str, policy: Policy, now: datetime, pay_url: str) -> dict[str, Any]:
    """The raw values a reminder shows (the worker's, and the console's preview of it); the renderer formats
    them for the reader's locale."""
    today = ladder.local_date(now, ladder.zone(case))
    discount: tuple[int, date] | None = None
    if policy.discount is not None and case.balance.paid == 0:
        amount = early_payment_discount(policy.discount, case.invoice.amount, case.invoice.issued_on, today)
        if amount > 0:
            discount = (amount, discount_deadline(policy.discount, case.invoice.issued_on))
    return {
        "case_id": case.case_id, "template": template, "customer_name": case.customer.name,
        "broker_name": case.broker.name, "invoice_number": case.invoice.number, "due_on": case.invoice.due_on,
        "currency": case.balance.currency, "balance": case.balance.as_dict(),
        "days_overdue": max(0, (today - case.invoice.due_on).days),
        "pay_url": pay_url, "discount": discount,
        "interest_provisional": case.ladder.interest_provisional,
        "final_on": case.ladder.final_on or "",
    }

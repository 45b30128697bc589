"""Disputes: a customer contests the whole balance or a part of it; the broker answers.

Opening one moves the case to `disputed`, which pauses the ladder (ladder.RUNNING excludes it); the
broker is told by email (services/self_service_notices.py, after the change is stored). Evidence files
get an object key fixed here when the customer asks for the upload slot (the presigned POST can only
write that key); the file becomes one of the dispute's attachments only once its object is seen in S3
(`confirm_uploads`), so the broker never gets a link to nothing. A slot not used in its time is dropped.

The broker's answer:
- upheld: a credit (by default what was disputed, at most what is due) comes off the balance as a
  discount; nothing left due closes the case as paid;
- partially_upheld: the credit the broker names;
- rejected: no credit;
- any of those three ends the pause: the ladder continues where it stood (its remaining steps move by
  the days spent disputed), from `escalated` again if the case was escalated;
- mediation: the mediator and a date are recorded and the case stays paused until then; at that date
  the ladder resumes by itself and the broker is told (`mediation_ended`); a final answer may follow.

An open dispute nobody answers is raised to the broker again every `dispute_reminder_days` (policy):
`wake_at` puts the case back in the sweep, and self_service.due runs `raise_again`.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain import ladder
from chalicelib.domain.cases import Case, Change, iso, parse_iso, record, transition
from chalicelib.domain.customer_rules import (
    EVIDENCE_TYPES,
    MAX_ATTACHMENTS,
    MAX_DISPUTES,
    MAX_EVIDENCE_BYTES,
    MAX_MEDIATION,
    OUTCOMES,
    REASONS,
    check,
    fresh_link,
    pause_by_status,
    restored_status,
    resume_after,
)
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.policy import Policy
from chalicelib.domain.self_service_state import Attachment, Dispute, SelfService

FINAL = ("upheld", "partially_upheld", "rejected")
UPLOAD_WINDOW = timedelta(minutes=15)  # how long an upload slot (the presigned POST) may be used
UPLOAD_GRACE = timedelta(minutes=15)  # an upload begun at the last moment may still be finishing


def _with(state: SelfService, dispute: Dispute, **changes: Any) -> SelfService:
    disputes = tuple(dispute if d.dispute_id == dispute.dispute_id else d for d in state.disputes)
    return replace(state, disputes=disputes, **changes)


def _find(case: Case, dispute_id: str) -> Dispute:
    dispute = case.self_service.dispute(dispute_id)
    if dispute is None:
        raise NotFound("no such dispute on this case", "dispute_id")
    return dispute


def _reminder_at(policy: Policy, since: datetime) -> str:
    return iso(since + timedelta(days=policy.self_service.dispute_reminder_days))


# --- the customer ------------------------------------------------------------------------------------

def open_dispute(case: Case, policy: Policy, now: datetime, *, reason: str, message: str,
                 amount: int | None) -> Change | None:
    """Open a dispute; None when this very dispute is already open (a retried request)."""
    state = case.self_service
    current = state.current_dispute
    if current is not None and (current.reason, current.message, current.amount) == (reason, message, amount):
        return None
    check("dispute", case)
    if case.balance.due == 0:
        raise Conflict("nothing is due on this case", "status", code="nothing_due")
    if current is not None:
        raise Conflict("a dispute is already open on this case", "status", code="dispute_open")
    if len(state.disputes) >= MAX_DISPUTES:
        raise Conflict(f"this case has had {MAX_DISPUTES} disputes: please contact {case.broker.name}", "status",
                       code="too_many_disputes")
    if reason not in REASONS:
        raise InvalidInput(f"must be one of {', '.join(REASONS)}", "reason")
    if amount is not None and not 1 <= amount <= case.balance.due:
        raise InvalidInput(f"must be between 1 and {case.balance.due} (the amount due, in minor units)", "amount")
    dispute = Dispute(
        dispute_id=f"d{len(state.disputes) + 1}", reason=reason, message=message, amount=amount,
        disputed=case.balance.due if amount is None else amount, opened_at=iso(now), prior_status=case.status)
    promise = state.promise
    if case.status == "promised" and promise is not None:
        promise = replace(promise, status="superseded")
    status = transition(case, "disputed")
    new_state = replace(state, disputes=(*state.disputes, dispute), promise=promise,
                        wake_at=_reminder_at(policy, now))
    changes: dict[str, Any] = {"status": status, "ladder": pause_by_status(case, now), "self_service": new_state}
    return record(case, now, "customer", [
        ("dispute_opened", {"dispute_id": dispute.dispute_id, "reason": reason, "message": message,
                            "amount": amount, "disputed": dispute.disputed, "currency": case.balance.currency}),
        ("status_changed", {"status": status, "from": case.status, "reason": "dispute opened"}),
    ], **changes, next_action_at=ladder.next_action(replace(case, **changes), policy, now))


def add_attachment(case: Case, now: datetime, *, dispute_id: str, content_type: str, filename: str,
                   size: int) -> tuple[Change | None, Attachment]:
    """An upload slot for one evidence file: its key, kept on the dispute until the file is seen in S3.
    The same file asked for again (a retry) gets the same key and records nothing."""
    dispute = _find(case, dispute_id)
    if content_type not in EVIDENCE_TYPES:
        raise InvalidInput(f"must be one of {', '.join(EVIDENCE_TYPES)}", "content_type")
    if not 1 <= size <= MAX_EVIDENCE_BYTES:
        raise InvalidInput(f"must be between 1 and {MAX_EVIDENCE_BYTES} bytes (10 MB)", "size")
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name:
        raise InvalidInput("must name the file", "filename")
    if not dispute.unresolved:
        raise Conflict("this dispute has been answered: evidence can no longer be added", "dispute_id",
                       code="dispute_closed")
    for known in (*dispute.attachments, *_live_uploads(dispute, now)):
        if (known.filename, known.content_type, known.size) == (name, content_type, size):
            return None, known
    if len(dispute.attachments) + len(_live_uploads(dispute, now)) >= MAX_ATTACHMENTS:
        raise Conflict(f"a dispute holds at most {MAX_ATTACHMENTS} files", "dispute_id", code="too_many_files")
    # Disputes stored before slots were counted hold every slot they gave among their attachments.
    given = max(dispute.slots, len(dispute.attachments) + len(dispute.uploads))
    attachment_id = f"a{given + 1}"
    attachment = Attachment(
        attachment_id=attachment_id,
        key=f"evidence/{case.broker_id}/{case.case_id}/{dispute_id}/{attachment_id}.{EVIDENCE_TYPES[content_type]}",
        filename=name, content_type=content_type, size=size, added_at=iso(now))
    state = _with(case.self_service, replace(dispute, uploads=(*dispute.uploads, attachment), slots=given + 1))
    return record(case, now, "customer", [("dispute_upload_requested", {
        "dispute_id": dispute_id, "attachment_id": attachment_id, "key": attachment.key, "filename": name,
        "content_type": content_type, "size": size})], self_service=state), attachment


def _live_uploads(dispute: Dispute, now: datetime) -> tuple[Attachment, ...]:
    """Slots that may still be used, or whose upload may still be finishing."""
    return tuple(u for u in dispute.uploads if parse_iso(u.added_at) + UPLOAD_WINDOW + UPLOAD_GRACE > now)


def pending_uploads(case: Case) -> list[str]:
    """The keys of every upload slot given and not yet seen in S3 (what a read of the case checks)."""
    return [u.key for d in case.self_service.disputes for u in d.uploads]


def confirm_uploads(case: Case, now: datetime, stored: dict[str, int]) -> Change | None:
    """Uploads whose object is in S3 (`stored`: key -> its size in bytes) become attachments; slots that
    can no longer be used and hold nothing are dropped. None when nothing changed."""
    events: list[tuple[str, dict[str, Any]]] = []
    state = case.self_service
    for dispute in state.disputes:
        live = _live_uploads(dispute, now)
        arrived = [replace(u, size=stored[u.key], added_at=iso(now)) for u in dispute.uploads if u.key in stored]
        lapsed = [u for u in dispute.uploads if u.key not in stored and u not in live]
        if not arrived and not lapsed:
            continue
        events += [("dispute_attachment_added", {
            "dispute_id": dispute.dispute_id, "attachment_id": a.attachment_id, "key": a.key, "filename": a.filename,
            "content_type": a.content_type, "size": a.size}) for a in arrived]
        events += [("dispute_upload_lapsed", {"dispute_id": dispute.dispute_id, "attachment_id": u.attachment_id,
                                              "filename": u.filename}) for u in lapsed]
        done = {u.key for u in (*arrived, *lapsed)}
        state = _with(state, replace(dispute, attachments=(*dispute.attachments, *arrived),
                                     uploads=tuple(u for u in dispute.uploads if u.key not in done)))
    if not events:
        return None
    return record(case, now, "customer", events, self_service=state)


# --- the broker --------------------------------------------------------------------------------------

def resolve(case: Case, policy: Policy, now: datetime, *, dispute_id: str, outcome: str, message: str,
            credit_amount: int | None = None, mediator: str | None = None, until: datetime | None = None,
            new_link_id: str, link_ttl: timedelta) -> Change | None:
    """The broker's answer; None when it is the answer already recorded (a retried request)."""
    dispute = _find(case, dispute_id)
    if outcome not in OUTCOMES:
        raise InvalidInput(f"must be one of {', '.join(OUTCOMES)}", "outcome")
    until_iso = iso(until) if until is not None else None
    if (dispute.status, dispute.outcome_message, dispute.mediator, dispute.until) == (
            outcome, message, mediator, until_iso) and credit_amount in (None, dispute.credit):
        return None
    if not dispute.unresolved:
        raise Conflict(f"this dispute was already answered: {dispute.status}", "dispute_id",
                       code="already_resolved")
    credit = _credit(case, dispute, now, outcome, credit_amount, mediator, until)
    balance = replace(case.balance, discount=case.balance.discount + credit)
    events: list[tuple[str, dict[str, Any]]] = [("dispute_resolved", {
        "dispute_id": dispute_id, "outcome": outcome, "message": message, "credit_amount": credit,
        "currency": balance.currency, "mediator": mediator, "until": until_iso})]
    if credit:
        events.append(("credit_applied", {"amount": credit, "currency": balance.currency,
                                          "dispute_id": dispute_id, "due": balance.due}))
    if outcome == "mediation":
        target = "disputed"
    elif balance.due == 0 and case.status != "written_off":
        target = "paid"
    elif case.status == "disputed":
        target = restored_status(dispute.prior_status)
    else:
        target = case.status
    if target != case.status:
        events.append(("status_changed", {"status": transition(case, target), "from": case.status,
                                          "reason": f"dispute {outcome.replace('_', ' ')}"}))
    answered = replace(dispute, status=outcome, outcome_message=message, credit=dispute.credit + credit,
                       mediator=mediator, until=until_iso, resolved_at=None if outcome == "mediation" else iso(now))
    state = _with(case.self_service, answered, wake_at=until_iso if outcome == "mediation" else None)
    changes: dict[str, Any] = {"balance": balance, "status": target, "self_service": state}
    if target == "disputed":
        changes["ladder"] = pause_by_status(case, now)
    if target not in ("paid", "written_off"):  # the outcome email carries a link that still works
        link, link_events = fresh_link(case, now, new_link_id, link_ttl)
        changes["link"] = link
        events += link_events
    after = replace(case, **changes)
    change = record(case, now, "broker", events, **changes,
                    next_action_at=None if target == "paid" else ladder.next_action(after, policy, now))
    if case.status == "disputed" and target != "disputed":
        return resume_after(change, policy, now, actor="broker", reason=f"dispute {outcome.replace('_', ' ')}")
    return change


def _credit(case: Case, dispute: Dispute, now: datetime, outcome: str, credit_amount: int | None,
            mediator: str | None, until: datetime | None) -> int:
    """The credit the answer grants, after checking its fields fit the outcome (400 naming the field)."""
    due = case.balance.due
    if outcome == "mediation":
        if credit_amount is not None:
            raise InvalidInput("a mediation grants no credit (answer upheld or partially_upheld after it)",
                               "credit_amount")
        if not mediator:
            raise InvalidInput("is required for mediation", "mediator")
        if until is None:
            raise InvalidInput("is required for mediation", "until")
        if until <= now:
            raise InvalidInput("must be in the future", "until")
        if until > now + MAX_MEDIATION:
            raise InvalidInput(f"must be within {MAX_MEDIATION.days} days", "until")
        return 0
    for name, value in (("mediator", mediator), ("until", until)):
        if value is not None:
            raise InvalidInput("only a mediation has this", name)
    if outcome == "rejected":
        if credit_amount is not None:
            raise InvalidInput("a rejected dispute grants no credit", "credit_amount")
        return 0
    if credit_amount is None:
        if outcome == "partially_upheld":
            raise InvalidInput("is required for partially_upheld", "credit_amount")
        return min(dispute.disputed, due)
    if not 1 <= credit_amount <= due:
        raise InvalidInput(f"must be between 1 and {due} (the amount due, in minor units)", "credit_amount")
    return credit_amount


# --- timers (self_service.due runs them from the sweep) ------------------------------------------------

def raise_again(case: Case, policy: Policy, now: datetime, dispute: Dispute) -> Change:
    """Unanswered for `dispute_reminder_days`: tell the broker again, and again after as many days."""
    raised = replace(dispute, raised_at=iso(now), raised=dispute.raised + 1)
    state = _with(case.self_service, raised, wake_at=_reminder_at(policy, now))
    after = replace(case, self_service=state)
    return record(case, now, "system", [("dispute_raised_again", {
        "dispute_id": dispute.dispute_id, "days_open": (now - parse_iso(dispute.opened_at)).days,
        "times": raised.raised})], self_service=state, next_action_at=ladder.next_action(after, policy, now))


def end_mediation(case: Case, policy: Policy, now: datetime, dispute: Dispute) -> Change:
    """The mediation's date has come: the pause ends and the ladder continues; the broker is told."""
    target = restored_status(dispute.prior_status)
    state = _with(case.self_service, replace(dispute, status="mediation_ended"), wake_at=None)
    changes: dict[str, Any] = {"status": transition(case, target), "self_service": state}
    change = record(case, now, "system", [
        ("mediation_ended", {"dispute_id": dispute.dispute_id, "mediator": dispute.mediator,
                             "until": dispute.until}),
        ("status_changed", {"status": target, "from": case.status, "reason": "mediation ended"}),
    ], **changes, next_action_at=ladder.next_action(replace(case, **changes), policy, now))
    return resume_after(change, policy, now, actor="system", reason="mediation ended")

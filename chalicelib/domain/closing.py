"""Closing a case the ladder could not: a collections partner, mediation, write-off.

Escalation
    The broker hands a case to a partner (directly, or confirming what the ladder's escalation step
    marked `ready_for_collections`). Refused on a paid or written-off case, on a disputed one (the
    dispute is answered first), and below the partner's minimum balance. The case becomes `escalated`;
    the partner's `contact_customer` says whether the ladder keeps contacting the customer (it runs in
    `escalated`) or stops until the case comes back (ladder.running).
Outcome
    What the partner reports: money collected enters the ledger like an offline payment (reference
    `partner:<partner>:<n>`), with the partner's fee beside it (a cost to the broker, not to the
    customer); `returned_to_broker` ends the escalation: the case is open again and the ladder resumes
    where it stood, moved by the days it was held.
Mediation
    On an undisputed case: the ladder is held (a timed pause) until `hold_until`; it ends at that date
    or when the broker resumes, either way recorded as `mediation_ended` (ladder.resume).
Write-off
    Full (no amount): whatever is due is written off, the case is `written_off`, the ladder stops.
    Partial: the amount comes off what is owed (like a dispute's credit); when that leaves nothing due
    the case is settled: `paid` if money was received, else `written_off`. Money that arrives after a
    write-off is a recovery (`recovered`): it takes back the write-off, reopens nothing, and closes the
    case as paid only once the whole write-off is recovered.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from chalicelib.domain import ladder, payments
from chalicelib.domain.cases import Case, Change, iso, record, transition
from chalicelib.domain.closing_state import Escalation, Mediation
from chalicelib.domain.customer_rules import MAX_MEDIATION, chain
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.money import Money
from chalicelib.domain.partners import Partner
from chalicelib.domain.policy import Policy

ESCALATION_TEMPLATE = "escalation"  # the customer's formal notice when the policy's ladder names none


def notice_template(case: Case, policy: Policy) -> str:
    """The formal notice the customer gets on escalation: the template of the policy's escalation step."""
    steps = [s for s in ladder.steps_of(case, policy) if s.stage == "escalation"]
    return steps[-1].template if steps else ESCALATION_TEMPLATE


def _refuse_closed(case: Case, what: str) -> None:
    if case.is_closed:
        raise Conflict(f"a {case.status.replace('_', '-')} case cannot be {what}", "status", code="closed")


def escalate(case: Case, policy: Policy, partner: Partner, now: datetime, *, note: str | None, pack_key: str,
             link_expires_at: datetime) -> Change:
    _refuse_closed(case, "escalated")
    if case.status == "disputed":
        raise Conflict("the customer disputes this case: answer the dispute before escalating", "status",
                       code="disputed")
    if case.closing.escalation is not None:
        raise Conflict(f"the case is already with {case.closing.escalation.partner_name}", "status",
                       code="already_escalated")
    if partner.kind == "mediator":
        raise InvalidInput("a mediator takes cases through POST .../mediation, not escalation", "partner_id")
    due, currency = case.balance.due, case.balance.currency
    if due < partner.minimum(currency):
        raise Conflict(f"{partner.name} accepts balances from {Money(partner.minimum(currency), currency).format()}; "
                       f"{Money(due, currency).format()} is due", "partner_id", code="below_minimum")
    status = transition(case, "escalated")
    escalation = Escalation(
        partner_id=partner.partner_id, partner_kind=partner.kind, partner_name=partner.name, fee_bp=partner.fee_bp,
        contact_customer=partner.contact_customer, escalated_at=iso(now), pack_key=pack_key,
        link_expires_at=iso(link_expires_at))
    closing = replace(case.closing, escalation=escalation, escalations=case.closing.escalations + 1,
                      ready_for_collections=False)
    lad = case.ladder if partner.contact_customer else replace(case.ladder, paused_since=case.ladder.paused_since
                                                              or iso(now))
    changes: dict[str, Any] = {"status": status, "closing": closing, "ladder": lad}
    events: list[tuple[str, dict[str, Any]]] = [
        ("escalated", {"partner_id": partner.partner_id, "partner_kind": partner.kind, "partner_name": partner.name,
                       "fee_bp": partner.fee_bp, "contact_customer": partner.contact_customer,
                       "balance_due": due, "currency": currency, "note": note,
                       "via": "ladder" if case.closing.ready_for_collections else "broker",
                       "pack_key": pack_key, "link_expires_at": escalation.link_expires_at,
                       "notice_template": notice_template(case, policy)})]
    if status != case.status:
        events.append(("status_changed", {"status": status, "from": case.status, "reason": "escalated"}))
    return record(case, now, "broker", events, **changes,
                  next_action_at=ladder.next_action(replace(case, **changes), policy, now))


def record_outcome(case: Case, policy: Policy, now: datetime, *, collected: int | None, collected_on: date | None,
                   partner_fee: int | None, closed: bool, returned: bool, note: str | None, today: date) -> Change:
    escalation = case.closing.escalation
    if escalation is None:
        raise Conflict("the case is not with a partner", "status", code="not_escalated")
    if (collected is None) != (collected_on is None):
        raise InvalidInput("collected_amount and collected_on go together",
                           "collected_on" if collected_on is None else "collected_amount")
    if collected_on is not None and collected_on > today:
        raise InvalidInput("cannot be in the future", "collected_on")
    if partner_fee is not None and not collected:
        raise InvalidInput("a partner fee goes with an amount collected", "partner_fee")
    fee = 0
    if collected:  # by default the partner's share, rounded half up to a minor unit
        fee = partner_fee if partner_fee is not None else (collected * escalation.fee_bp + 5_000) // 10_000
    if collected and fee > collected:
        raise InvalidInput("cannot be more than the amount collected", "partner_fee")
    number = escalation.outcomes + 1
    reference = f"partner:{escalation.partner_id}:{number}"
    paid: Change | None = None  # the money, recorded as any payment is (balance, status, receipt)
    if collected:
        assert collected_on is not None
        fact = payments.succeeded(reference, collected, currency=case.balance.currency, method="other",
                                  source="partner", received_on=collected_on.isoformat())
        paid = payments.apply(case, [fact], at=now, actor="broker")
    current = paid.case if paid is not None else case
    escalation = replace(escalation, collected=escalation.collected + (collected or 0),
                         partner_fees=escalation.partner_fees + fee, outcomes=number, closed=closed or returned)
    events: list[tuple[str, dict[str, Any]]] = [("escalation_outcome", {
        "partner_id": escalation.partner_id, "collected_amount": collected or 0,
        "collected_on": collected_on.isoformat() if collected_on else None, "partner_fee": fee,
        "currency": case.balance.currency, "reference": reference if collected else None, "closed": closed,
        "returned_to_broker": returned, "note": note, "due": current.balance.due})]
    closing = replace(current.closing, escalation=None if returned else escalation)
    changes: dict[str, Any] = {"closing": closing}
    if returned and current.status == "escalated":
        changes["status"] = transition(current, "open")
        events.append(("status_changed", {"status": "open", "from": "escalated", "reason": "returned by partner"}))
    after = replace(current, **changes)
    outcome = record(current, now, "broker", events, **changes,
                     next_action_at=current.next_action_at if after.is_closed
                     else ladder.next_action(after, policy, now))
    combined = chain(paid, outcome) if paid is not None else outcome
    if returned and combined.case.status in ladder.RUNNING:
        return chain(combined, ladder.resume(combined.case, policy, now, actor="broker",
                                             reason="returned by partner"))
    return combined


def start_mediation(case: Case, policy: Policy, mediator: Partner, now: datetime, *, hold_until: datetime) -> Change:
    _refuse_closed(case, "mediated")
    if case.status == "disputed":
        raise Conflict("the customer disputes this case: a mediation is one answer to the dispute "
                       "(POST .../disputes/{dispute_id}/resolve)", "status", code="disputed")
    if mediator.kind != "mediator":
        raise InvalidInput(f"{mediator.name} is a {mediator.kind.replace('_', ' ')}, not a mediator", "mediator_id")
    if case.closing.mediation is not None:
        raise Conflict(f"a mediation with {case.closing.mediation.mediator_name} is under way", "status",
                       code="mediation_open")
    if hold_until <= now:
        raise InvalidInput("must be in the future", "hold_until")
    if hold_until > now + MAX_MEDIATION:
        raise InvalidInput(f"must be within {MAX_MEDIATION.days} days", "hold_until")
    mediation = Mediation(mediator.partner_id, mediator.name, iso(hold_until), iso(now))
    started = record(case, now, "broker", [("mediation_started", {
        "mediator_id": mediator.partner_id, "mediator": mediator.name, "until": mediation.until})],
        closing=replace(case.closing, mediation=mediation))
    return chain(started, ladder.pause(started.case, policy, now, until=hold_until,
                                       reason=f"mediation with {mediator.name}"))


def write_off(case: Case, policy: Policy, now: datetime, *, amount: int | None, reason: str) -> Change:
    _refuse_closed(case, "written off")
    due, currency = case.balance.due, case.balance.currency
    if due == 0:
        raise Conflict("nothing is due on this case", "status", code="nothing_due")
    if amount is not None and not 1 <= amount <= due:
        raise InvalidInput(f"must be between 1 and {due} (the amount due, in minor units)", "amount")
    written = due if amount is None else amount
    balance = replace(case.balance, discount=case.balance.discount + written)
    closing = replace(case.closing, written_off=case.closing.written_off + written, ready_for_collections=False)
    events: list[tuple[str, dict[str, Any]]] = [("written_off", {
        "amount": written, "currency": currency, "reason": reason, "full": amount is None, "due_before": due,
        "due": balance.due})]
    changes: dict[str, Any] = {"balance": balance, "closing": closing}
    if balance.due == 0:
        target = "written_off" if amount is None or case.balance.paid == 0 else "paid"
        changes["status"] = transition(case, target)
        changes["next_action_at"] = None
        events.append(("status_changed", {"status": target, "from": case.status, "reason": "written off"}))
    else:
        changes["next_action_at"] = ladder.next_action(replace(case, **changes), policy, now)
    return record(case, now, "broker", events, **changes)

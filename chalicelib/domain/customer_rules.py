"""When a customer may do what on their own, and the small pieces the self-service commands share.

The table (RULES) answers "may a customer do this to a case in this status?": None means yes, anything
else is the Conflict (409) they get, with a message that says why. Rules that depend on more than the
status (nothing due, a promise already missed, a payment report being checked) sit beside it in the
commands (self_service.py, disputes.py) and are listed here in words, so the whole set reads in one place:

    action        status -> refused with            other rules (409)
    dispute       disputed, on_plan, paid,          nothing due; at most MAX_DISPUTES per case
                  written_off
    attachment    (any)                             the dispute must be unresolved; MAX_ATTACHMENTS each
    promise       promised, disputed, on_plan,      a promise on this case was already missed
                  paid, written_off
    already_paid  disputed, on_plan, paid,          a report is still being checked (its pause runs);
                  written_off                       at most MAX_REPORTS per case
    resolve       (the dispute's own state)         a dispute resolved for good stays resolved
    link_refresh  never a 409: it answers the same whatever happens (no oracle)

A retried request (the same body again) is answered as the first one was and records nothing: the
commands return None for it, before any rule is checked.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.domain import ladder
from chalicelib.domain.cases import Case, Change, Link, iso, parse_iso
from chalicelib.domain.errors import Conflict
from chalicelib.domain.policy import Policy

REASONS = ("not_received", "wrong_amount", "quality", "already_paid", "other")
OUTCOMES = ("upheld", "partially_upheld", "rejected", "mediation")
PAID_METHODS = ("bank_transfer", "cheque", "cash", "other")
EVIDENCE_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 5
MAX_DISPUTES = 20
MAX_REPORTS = 3
MAX_MEDIATION = timedelta(days=365)
REFRESHES_PER_DAY = 3

_ON_PLAN = "this case is on a payment plan: please contact {broker} about it"

RULES: dict[str, dict[str, tuple[str, str] | None]] = {
    "dispute": {
        "open": None, "escalated": None, "promised": None,
        "disputed": ("dispute_open", "a dispute is already open on this case"),
        "on_plan": ("on_plan", _ON_PLAN),
        "paid": ("closed", "this invoice is paid: there is nothing left to dispute"),
        "written_off": ("closed", "this case is closed: there is nothing left to dispute"),
    },
    "promise": {
        "open": None, "escalated": None,
        "promised": ("promise_exists", "you have already promised to pay by {pay_by}"),
        "disputed": ("dispute_open", "a dispute is open: reminders are paused until {broker} answers it"),
        "on_plan": ("on_plan", _ON_PLAN),
        "paid": ("closed", "this invoice is paid: there is nothing left to promise"),
        "written_off": ("closed", "this case is closed: there is nothing left to promise"),
    },
    "already_paid": {
        "open": None, "escalated": None, "promised": None,
        "disputed": ("dispute_open", "a dispute is open: {broker} will check your payment while answering it"),
        "on_plan": ("on_plan", _ON_PLAN),
        "paid": ("closed", "this invoice is already marked as paid"),
        "written_off": ("closed", "this case is closed: there is nothing left to report"),
    },
}


def check(action: str, case: Case, **words: str) -> None:
    """Raise the table's Conflict when `action` makes no sense for the case's status."""
    refusal = RULES[action][case.status]
    if refusal is not None:
        code, message = refusal
        raise Conflict(message.format(broker=case.broker.name, **words), "status", code=code)


def chain(first: Change, second: Change | None) -> Change:
    """Two changes made one after the other (`second` decided on `first.case`), stored as one."""
    if second is None:
        return first
    return Change(second.case, first.events + second.events, first.expected_version, first.before)


def customer_today(case: Case, now: datetime) -> date:
    """The customer's own date: promises and reported payments are dates on their calendar."""
    return ladder.local_date(now, ladder.zone(case))


def pause_by_status(case: Case, now: datetime) -> Any:
    """The ladder state once a promise or dispute pauses it: remember since when (resume shifts by it)."""
    return replace(case.ladder, paused_since=case.ladder.paused_since or iso(now))


def resume_after(change: Change, policy: Policy, now: datetime, actor: str, reason: str) -> Change:
    """The case is running again: continue the ladder where it stood. A manual pause (the broker's, or
    "I already paid") still running keeps it paused; the ladder resumes by itself when that ends."""
    if change.case.status not in ladder.RUNNING or change.case.ladder.paused:
        return change
    return chain(change, ladder.resume(change.case, policy, now, actor=actor, reason=reason))


def restored_status(prior: str) -> str:
    """Where a case goes when a promise or dispute ends: back to escalated if it was, else open."""
    return "escalated" if prior == "escalated" else "open"


def fresh_link(case: Case, now: datetime, new_link_id: str, link_ttl: timedelta, *, force: bool = False,
               reason: str | None = None) -> tuple[Link, list[tuple[str, dict[str, Any]]]]:
    """The link a message to the customer carries: a new version (revoking earlier ones) when forced or
    when the current one would expire within ladder.LINK_REFRESH, else the current one."""
    if not force and parse_iso(case.link.expires_at) - now >= ladder.LINK_REFRESH:
        return case.link, []
    link = Link(new_link_id, case.link.version + 1, iso(now + link_ttl))
    data: dict[str, Any] = {"link_id": link.link_id, "link_version": link.version, "expires_at": link.expires_at,
                            "revoked_version": case.link.version}
    if reason is not None:
        data["reason"] = reason
    return link, [("link_issued", data)]

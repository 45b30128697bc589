"""Self-service use cases: what a pay-link holder may do besides paying, the broker's answer to a dispute,
and the promise and dispute timers the reminder worker runs (SelfServiceTimers, its `timers` hook).

Every command is load -> decide (domain) -> save with CaseService.change (optimistic locking, retried),
and then the emails the stored events call for. `created` tells a first request (201) from a retry that
found its own result already there (200, nothing recorded twice).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from chalicelib.domain import disputes, self_service
from chalicelib.domain.cases import Case, Change, parse_iso
from chalicelib.domain.customer_rules import MAX_EVIDENCE_BYTES
from chalicelib.domain.errors import NotFound, Unauthorized
from chalicelib.domain.history import Event
from chalicelib.domain.policy import Policy
from chalicelib.domain.self_service_state import Attachment, Dispute
from chalicelib.ports import Clock
from chalicelib.services.cases import CaseService
from chalicelib.services.customer import CustomerService
from chalicelib.services.links import INVALID_LINK, PayLinks

log = logging.getLogger(__name__)


class Policies(Protocol):
    def policy_for(self, broker_id: str) -> Policy: ...


class Notices(Protocol):
    def after(self, case: Case, events: tuple[Event, ...]) -> Any: ...


class Evidence(Protocol):
    def upload_slot(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> dict[str, Any]: ...

    def stored_size(self, key: str) -> int | None: ...

    def download_url(self, key: str, filename: str, inline: bool = False) -> str: ...


Decide = Callable[[Case, Policy, datetime], Change | None]


class SelfService:
    def __init__(self, *, cases: CaseService, customers: CustomerService, links: PayLinks,
                 policies: Policies, notices: Notices, evidence: Callable[[], Evidence], clock: Clock,
                 link_ttl: timedelta, new_link_id: Callable[[], str]) -> None:
        self._cases = cases
        self._customers = customers
        self._links = links
        self._policies = policies
        self._notices = notices
        self._evidence = evidence  # built on first use: only evidence needs S3
        self._clock = clock
        self._link_ttl = link_ttl
        self._new_link_id = new_link_id

    # --- the customer (pay token) -------------------------------------------------------------------

    def open_dispute(self, token: str | None, body: dict[str, Any]) -> tuple[Case, list[Event], Dispute, bool]:
        case, events, created = self._as_customer(token, lambda case, policy, now: disputes.open_dispute(
            case, policy, now, reason=body["reason"], message=body["message"], amount=body.get("amount")))
        dispute = case.self_service.current_dispute
        assert dispute is not None  # just opened, or the same one found open
        return case, events, dispute, created

    def dispute_attachment(self, token: str | None, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """An S3 presigned POST for one evidence file, its key kept on the dispute first; created?
        The file is an attachment only once read_evidence finds it in S3."""
        evidence = self._evidence()  # fail before recording anything if the bucket is not configured
        slot: list[Attachment] = []

        def decide(case: Case, policy: Policy, now: datetime) -> Change | None:
            slot.clear()
            change, attachment = disputes.add_attachment(
                case, now, dispute_id=body["dispute_id"], content_type=body["content_type"],
                filename=body["filename"], size=body["size"])
            slot.append(attachment)
            return change

        _, _, created = self._as_customer(token, decide)
        attachment = slot[0]
        upload = evidence.upload_slot(attachment.key, attachment.content_type, MAX_EVIDENCE_BYTES,
                                      int(disputes.UPLOAD_WINDOW.total_seconds()))
        return {**upload, "dispute_id": body["dispute_id"], "attachment_id": attachment.attachment_id,
                "key": attachment.key, "max_bytes": MAX_EVIDENCE_BYTES}, created

    def promise(self, token: str | None, body: dict[str, Any]) -> tuple[Case, list[Event], bool]:
        pay_by = date.fromisoformat(body["pay_by"])
        return self._as_customer(token, lambda case, policy, now: self_service.make_promise(
            case, policy, now, pay_by=pay_by))

    def already_paid(self, token: str | None, body: dict[str, Any]) -> tuple[Case, list[Event], bool]:
        paid_on = date.fromisoformat(body["paid_on"])
        return self._as_customer(token, lambda case, policy, now: self_service.report_payment(
            case, policy, now, paid_on=paid_on, method=body["method"], reference=body["reference"]))

    def refresh_link(self, token: str) -> None:
        """Email a fresh link if the token is an expired but genuine, current link; else nothing.

        Says nothing either way (the route answers the same), and logs no token."""
        try:
            claims = self._links.read(token)
        except Unauthorized:
            log.info("link refresh: not a link of ours")
            return
        made: list[Change] = []

        def command(case: Case) -> Change | None:
            made.clear()
            change = self_service.refresh_link(
                case, self._clock(), link_id=claims.link_id, link_version=claims.link_version,
                expires_at=claims.expires_at, new_link_id=self._new_link_id(), link_ttl=self._link_ttl)
            if change is not None:
                made.append(change)
            return change

        try:
            self._cases.change(claims.broker_id, claims.case_id, command)
        except NotFound:
            log.info("link refresh: no such case")
            return
        extra = {"case_id": claims.case_id, "broker_id": claims.broker_id}
        if not made:
            log.info("link refresh: nothing sent (not expired, revoked, closed or over the daily limit)", extra=extra)
            return
        log.info("link refresh: fresh link issued", extra=extra)
        self._notices.after(made[0].case, made[0].events)

    def read_evidence(self, case: Case, events: list[Event]) -> tuple[Case, list[Event]]:
        """The case as it is read, with the uploads that reached S3 since made its attachments (one
        HeadObject per pending upload; nothing at all when none is pending)."""
        pending = disputes.pending_uploads(case)
        if not pending:
            return case, events
        evidence = self._evidence()
        stored = {key: size for key in pending if (size := evidence.stored_size(key)) is not None}
        made: list[Change] = []

        def command(current: Case) -> Change | None:
            made.clear()
            change = disputes.confirm_uploads(current, self._clock(), stored)
            if change is not None:
                made.append(change)
            return change

        self._cases.change(case.broker_id, case.case_id, command)
        if not made:
            return case, events
        return made[0].case, events + list(made[0].events)

    # --- the broker (API key) -------------------------------------------------------------------------

    def resolve(self, broker_id: str, case_id: str, dispute_id: str,
                body: dict[str, Any]) -> tuple[Case, list[Event], bool]:
        until = body.get("until")
        return self._change(broker_id, case_id, lambda case, policy, now: disputes.resolve(
            case, policy, now, dispute_id=dispute_id, outcome=body["outcome"], message=body["message"],
            credit_amount=body.get("credit_amount"), mediator=body.get("mediator"),
            until=parse_iso(until) if until else None, new_link_id=self._new_link_id(),
            link_ttl=self._link_ttl))

    def evidence_links(self, case: Case, inline: bool = False) -> dict[str, str]:
        """attachment key -> a download link (`inline`: one a browser shows in place), for the broker's view
        of the case (signed locally)."""
        keys = [(a.key, a.filename) for d in case.self_service.disputes for a in d.attachments]
        if not keys:
            return {}
        evidence = self._evidence()
        return {key: evidence.download_url(key, name, inline) for key, name in keys}

    # --- shared -----------------------------------------------------------------------------------------

    def _as_customer(self, token: str | None, decide: Decide) -> tuple[Case, list[Event], bool]:
        case, _ = self._customers.authenticate(token)
        link = (case.link.link_id, case.link.version)

        def still_theirs(current: Case, policy: Policy, now: datetime) -> Change | None:
            if (current.link.link_id, current.link.version) != link:  # revoked while we were deciding
                raise Unauthorized(INVALID_LINK, code="invalid_link")
            return decide(current, policy, now)

        return self._change(case.broker_id, case.case_id, still_theirs)

    def _change(self, broker_id: str, case_id: str, decide: Decide) -> tuple[Case, list[Event], bool]:
        policy = self._policies.policy_for(broker_id)
        made: list[Change] = []

        def command(case: Case) -> Change | None:
            made.clear()
            change = decide(case, policy, self._clock())
            if change is not None:
                made.append(change)
            return change

        done = self._cases.change(broker_id, case_id, command)
        case, events = done.case, list(done.history)
        if made:
            log.info("self-service change stored", extra={"case_id": case_id, "broker_id": broker_id,
                                                          "events": [e.type for e in made[0].events]})
            self._notices.after(made[0].case, made[0].events)
        return case, events, bool(made)


class SelfServiceTimers:
    """The reminder worker's `timers` hook: promise and dispute timers, and their emails."""

    def __init__(self, notices: Notices, new_link_id: Callable[[], str], link_ttl: timedelta) -> None:
        self._notices = notices
        self._new_link_id = new_link_id
        self._link_ttl = link_ttl

    def owns(self, case: Case) -> bool:
        return self_service.owns(case)

    def advance(self, case: Case, policy: Policy, now: datetime) -> Change | None:
        return self_service.due(case, policy, now, new_link_id=self._new_link_id(), link_ttl=self._link_ttl)

    def after(self, change: Change) -> None:
        self._notices.after(change.case, change.events)

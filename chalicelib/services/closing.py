"""Closing use cases: partners, escalation with its evidence pack, partner outcomes, mediation, write-off.

An escalation is stored first (the `escalated` event names the partner, its fee and when the pack's
link expires), the customer gets the policy's formal notice and the pack's build is queued (pack_builds:
a large case takes longer to build than API Gateway waits). The evidence pack worker builds it, then
`pack_ready` emails the partner its link and `escalation_sent` records the pack's manifest hash and the
message ids, once per build however often SQS delivers it. A failure after the first write leaves the
escalation stored and logged: the broker can send the pack again with GET .../evidence-pack.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, Protocol

from chalicelib.domain import closing
from chalicelib.domain.cases import Case, Change, iso, parse_iso, record
from chalicelib.domain.errors import NotFound
from chalicelib.domain.history import Event
from chalicelib.domain.pack import pack_key
from chalicelib.domain.partners import Partner, new_partner, updated
from chalicelib.ports import Clock, Mailer, Renderer
from chalicelib.services.cases import CaseService
from chalicelib.services.evidence_packs import BuiltPack, EvidencePacks
from chalicelib.services.notices import send_notice
from chalicelib.services.pack_builds import PackBuilds
from chalicelib.services.payments import LATEST_OFFSET
from chalicelib.services.statement_document import message_model

log = logging.getLogger(__name__)
PARTNER_LINK = timedelta(days=7)  # the longest a presigned S3 link may live


class PartnerStore(Protocol):
    def put(self, broker_id: str, partner: Partner) -> None: ...

    def get(self, broker_id: str, partner_id: str) -> Partner: ...

    def list(self, broker_id: str) -> list[Partner]: ...

    def delete(self, broker_id: str, partner_id: str) -> None: ...


class Policies(Protocol):
    def policy_for(self, broker_id: str) -> Any: ...


class Links(Protocol):
    def url(self, case: Case, ref: str | None = None) -> str: ...


def new_partner_id() -> str:
    return "p" + secrets.token_hex(6)


class ClosingService:
    def __init__(self, *, cases: CaseService, partners: PartnerStore, policies: Policies, packs: EvidencePacks,
                 renderer: Renderer, mailer: Mailer, links: Callable[[], Links], clock: Clock,
                 builds: PackBuilds) -> None:
        self._cases = cases
        self._builds = builds
        self._partners = partners
        self._policies = policies
        self._packs = packs
        self._renderer = renderer
        self._mailer = mailer
        self._links = links  # only the request needs pay links (and their keys), not the worker
        self._clock = clock

    # --- partners ----------------------------------------------------------------------------------

    def add_partner(self, broker_id: str, body: dict[str, Any]) -> Partner:
        partner = new_partner(new_partner_id(), body, iso(self._clock()))
        self._partners.put(broker_id, partner)
        return partner

    def partners(self, broker_id: str) -> list[Partner]:
        return sorted(self._partners.list(broker_id), key=lambda p: (p.created_at, p.partner_id))

    def partner(self, broker_id: str, partner_id: str) -> Partner:
        return self._partners.get(broker_id, partner_id)

    def update_partner(self, broker_id: str, partner_id: str, patch: dict[str, Any]) -> Partner:
        partner = updated(self._partners.get(broker_id, partner_id), patch, iso(self._clock()))
        self._partners.put(broker_id, partner)
        return partner

    def delete_partner(self, broker_id: str, partner_id: str) -> Partner:
        """Cases already with the partner keep the copy of its terms they were escalated with."""
        partner = self._partners.get(broker_id, partner_id)
        self._partners.delete(broker_id, partner_id)
        return partner

    # --- escalation --------------------------------------------------------------------------------

    def escalate(self, broker_id: str, case_id: str,
                 body: dict[str, Any]) -> tuple[Case, list[Event], dict[str, Any]]:
        """The stored escalation, its history and the queued pack's build (GET its status_url)."""
        partner = self._partners.get(broker_id, body["partner_id"])
        now = self._clock()
        key = pack_key(broker_id, case_id, iso(now))
        policy = self._policies.policy_for(broker_id)
        done = self._cases.change(broker_id, case_id, lambda case: closing.escalate(
            case, policy, partner, self._clock(), note=body.get("note"), pack_key=key,
            link_expires_at=now + PARTNER_LINK))
        case = done.case
        escalated = next(e for e in done.events if e.type == "escalated")
        customer_message = send_notice(
            renderer=self._renderer, mailer=self._mailer, sender=policy.sender, clock=self._clock, case=case,
            event=escalated, to_broker=False, template=escalated.data["notice_template"],
            model=message_model(case, template=escalated.data["notice_template"], balance=case.balance.as_dict(),
                                on=now.date(), pay_url=self._links().url(case)))
        build = self._builds.queue_for(broker_id, case_id, case.version, key, {
            "partner_id": partner.partner_id, "seq": escalated.seq, "note": body.get("note"),
            "customer_message_id": customer_message})
        return case, list(done.history), build

    def pack_ready(self, broker_id: str, case_id: str, hand_on: dict[str, Any], built: BuiltPack) -> None:
        """The worker built an escalation's pack: the partner gets its link, `escalation_sent` records it."""
        case, events, _ = self._cases.get(broker_id, case_id, before=hand_on["seq"] + 1)
        escalated = next(e for e in events if e.seq == hand_on["seq"])
        partner = self._partners.get(broker_id, hand_on["partner_id"])
        url, expires_at = self._packs.link(built, case_id, PARTNER_LINK)
        partner_message = self._to_partner(case, escalated, partner, url, expires_at, built.sha256,
                                           hand_on.get("note"))
        self._cases.change(broker_id, case_id, lambda current: record(
            current, self._clock(), "system", [("escalation_sent", {
                "partner_id": partner.partner_id, "pack_key": built.key, "manifest_sha256": built.sha256,
                "pack_version": built.version, "link_expires_at": expires_at,
                "partner_message_id": partner_message,
                "customer_message_id": hand_on.get("customer_message_id")})]))

    def _to_partner(self, case: Case, event: Event, partner: Partner, url: str, expires_at: str,
                    manifest_sha256: str, note: str | None) -> str | None:
        model = {**message_model(case, template="partner_pack", balance=case.balance.as_dict(),
                                 on=self._clock().date(), pay_url=""),
                 "pack_url": url, "link_expires_at": expires_at, "manifest_sha256": manifest_sha256,
                 "fee_percent": f"{partner.fee_bp / 100:g}", "note": note or ""}
        return send_notice(renderer=self._renderer, mailer=self._mailer, clock=self._clock, case=case, event=event,
                           sender=self._policies.policy_for(case.broker_id).sender, to_broker=True,
                           template="partner_pack", model=model, to=partner.email)

    def outcome(self, broker_id: str, case_id: str, body: dict[str, Any]) -> tuple[Case, list[Event]]:
        policy = self._policies.policy_for(broker_id)
        on = body.get("collected_on")

        def command(case: Case) -> Change:
            return closing.record_outcome(
                case, policy, self._clock(), collected=body.get("collected_amount"),
                collected_on=date.fromisoformat(on) if on else None, partner_fee=body.get("partner_fee"),
                closed=body["closed"], returned=body["returned_to_broker"],
                note=body.get("note"), today=(self._clock() + LATEST_OFFSET).date())

        done = self._cases.change(broker_id, case_id, command)
        return done.case, list(done.history)

    def mediation(self, broker_id: str, case_id: str, body: dict[str, Any]) -> tuple[Case, list[Event]]:
        try:
            mediator = self._partners.get(broker_id, body["mediator_id"])
        except NotFound:
            raise NotFound("no such partner", "mediator_id") from None
        until = parse_iso(body["hold_until"])  # the schema checked its format
        policy = self._policies.policy_for(broker_id)
        done = self._cases.change(broker_id, case_id, lambda case: closing.start_mediation(
            case, policy, mediator, self._clock(), hold_until=until))
        return done.case, list(done.history)

    def write_off(self, broker_id: str, case_id: str, body: dict[str, Any]) -> tuple[Case, list[Event]]:
        policy = self._policies.policy_for(broker_id)
        done = self._cases.change(broker_id, case_id, lambda case: closing.write_off(
            case, policy, self._clock(), amount=body.get("amount"), reason=body["reason"]))
        return done.case, list(done.history)


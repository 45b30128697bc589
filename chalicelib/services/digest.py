"""The broker's morning digest: yesterday's payments, the promises to pay falling due today, what the
ladder will send tomorrow, and the notices the broker chose to read here rather than one by one.

The hourly run reads only the digests due (one Query of the schedule), then, once for all of them, the
part of the sweep's own index that falls in the next two days; each broker's digest adds two Queries
of its own notice log. Each digest is claimed (and the next one scheduled) in one transaction before it
is sent, so a retried or overlapping run never sends a morning's digest twice.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from email.utils import format_datetime
from typing import Any, Protocol

from chalicelib.domain import ladder
from chalicelib.domain import notifications as n
from chalicelib.domain.cases import Case, iso, parse_iso
from chalicelib.domain.policy import Policy
from chalicelib.ports import Clock, DeliveryRefused, Email, Mailer, Renderer, RenderError
from chalicelib.services.broker_notices import BrokerNotices

log = logging.getLogger(__name__)
LOOKAHEAD = timedelta(hours=50)  # the end of tomorrow in any zone, seen from any morning hour


class DigestStore(Protocol):
    def due_digests(self, now: str) -> list[tuple[str, str]]: ...

    def claim_digest(self, broker_id: str, due_sk: str, next_at: str) -> str | None: ...

    def digest_sent(self, broker_id: str, due_at: str, message_id: str | None) -> None: ...

    def entries(self, broker_id: str, since: str, until: str) -> list[n.LogEntry]: ...

    def promises(self, broker_id: str, first: str, last: str) -> list[dict[str, Any]]: ...

    def upcoming(self, start: str, end: str) -> dict[str, list[Case]]: ...


class Brokers(Protocol):
    def get_broker(self, broker_id: str) -> Any: ...


class Policies(Protocol):
    def policy_for(self, broker_id: str) -> Policy: ...


class DigestRun:
    def __init__(self, *, store: DigestStore, notices: BrokerNotices, brokers: Brokers, policies: Policies,
                 renderer: Renderer, mailer: Mailer, clock: Clock, money: Callable[[int, str, str], str],
                 long_date: Callable[[date, str], str]) -> None:
        self._store = store
        self._notices = notices
        self._brokers = brokers
        self._policies = policies
        self._renderer = renderer
        self._mailer = mailer
        self._clock = clock
        self._money = money
        self._date = long_date

    def run(self) -> list[str]:
        """Send every digest due now; the brokers whose digest went out."""
        now = self._clock()
        due = self._store.due_digests(iso(now))
        if not due:
            return []
        upcoming = self._store.upcoming(iso(now), iso(now + LOOKAHEAD))
        sent = []
        for broker_id, due_sk in due:
            if self._one(broker_id, due_sk, now, upcoming.get(broker_id, [])):
                sent.append(broker_id)
        return sent

    def _one(self, broker_id: str, due_sk: str, now: datetime, upcoming: list[Case]) -> bool:
        prefs = self._notices.preferences(broker_id, fresh=True)
        due_at = self._store.claim_digest(broker_id, due_sk, iso(n.next_digest_at(prefs, now)))
        if due_at is None:
            return False
        broker = self._brokers.get_broker(broker_id)
        to = n.digest_recipients(prefs, broker.email)
        message_id = None
        if to:
            model = self.model(broker_id, broker.name, prefs, now, upcoming)
            policy = self._policies.policy_for(broker_id)
            try:
                rendered = self._renderer.email(prefs.locale, n.DIGEST_TEMPLATE, model)
                message_id = self._mailer.send(Email(
                    to=to[0], also_to=to[1:], subject=rendered.subject, text=rendered.text, html=rendered.html,
                    from_email=policy.sender.from_email, from_name=policy.sender.from_name or broker.name,
                    reply_to=policy.sender.reply_to, tags=(("notice", n.DIGEST_TEMPLATE),),
                    date=format_datetime(now)))
            except (DeliveryRefused, RenderError) as exc:
                log.error("digest not sent", extra={"broker_id": broker_id, "error": type(exc).__name__})
        self._store.digest_sent(broker_id, due_at, message_id)
        log.info("digest", extra={"broker_id": broker_id, "due_at": due_at, "message_id": message_id})
        return message_id is not None

    def model(self, broker_id: str, broker_name: str, prefs: n.Preferences, now: datetime,
              upcoming: list[Case]) -> dict[str, Any]:
        locale = prefs.locale
        today = n.local_day(prefs, now)
        entries = self._store.entries(broker_id, iso(now - timedelta(days=1)), iso(now))

        def money(data: dict[str, Any]) -> str:
            return self._money(int(data["amount"]), data["currency"], locale)

        payments = [{**e.data, "amount": money(e.data)} for e in entries
                    if e.kind == "payment_received" and e.data]
        held = [{"notice": e.kind, "customer_name": (e.data or {}).get("customer_name", ""),
                 "invoice_number": (e.data or {}).get("invoice_number", ""), "case_id": e.case_id or ""}
                for e in entries if e.delivery == n.DIGEST]
        promises = [{**p, "amount": money(p)} for p in self._store.promises(broker_id, today.isoformat(),
                                                                            today.isoformat())]
        return {"broker_name": broker_name, "day": self._date(today, locale), "payments": payments,
                "promises": promises, "tomorrow": self.tomorrow(prefs, now, upcoming), "held": held}

    def tomorrow(self, prefs: n.Preferences, now: datetime, upcoming: list[Case]) -> list[dict[str, Any]]:
        """What the ladder will send on the broker's tomorrow: the sweep's own plan for each case."""
        start, end = n.day_bounds(prefs, n.local_day(prefs, now) + timedelta(days=1))
        sends = []
        for case in upcoming:
            if case.next_action_at is None or not start <= parse_iso(case.next_action_at) < end:
                continue
            planned = ladder.plan(case, self._policies.policy_for(case.broker_id), now)
            if planned.step is None or planned.at is None or not start <= planned.at < end:
                continue
            sends.append({"customer_name": case.customer.name, "invoice_number": case.invoice.number,
                          "case_id": case.case_id, "stage": planned.step.stage, "template": planned.step.template,
                          "channels": ", ".join(planned.step.channels),
                          "amount": self._money(case.balance.due, case.balance.currency, prefs.locale)})
        return sorted(sends, key=lambda s: (s["invoice_number"], s["case_id"]))

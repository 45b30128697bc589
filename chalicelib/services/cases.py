"""Broker use cases on cases: open, list, read, annotate, re-issue the pay link."""
from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from chalicelib.domain import cases as domain
from chalicelib.domain.cases import BrokerContact, Case, Change, Customer, Invoice, Link, iso
from chalicelib.domain.errors import Conflict
from chalicelib.domain.history import TIMELINE_PAGE, Event
from chalicelib.ports import BrokerStore, CaseStore, Clock
from chalicelib.services.acting import attribute
from chalicelib.services.unit_of_work import Changed, change_case

IDEMPOTENCY_TTL = timedelta(hours=24)


def new_case_id() -> str:
    return "c" + secrets.token_hex(8)


def new_link_id() -> str:
    return "l" + secrets.token_hex(6)


def request_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class CaseService:
    def __init__(self, store: CaseStore, brokers: BrokerStore, clock: Clock, link_ttl: timedelta,
                 planner: Callable[[Case], str | None] | None = None) -> None:
        self._store = store
        self._brokers = brokers
        self._clock = clock
        self._link_ttl = link_ttl
        # Sets a new case's next_action_at (its first reminder); bootstrap wires the broker's ladder in.
        self._planner = planner

    def create(self, broker_id: str, body: dict[str, Any], idempotency_key: str | None) -> tuple[Case, list[Event]]:
        """Open a case from a validated body. Same Idempotency-Key and body -> the same case, once."""
        now = self._clock()
        c, i = body["customer"], body["invoice"]
        customer = Customer(c["name"], c["email"], c.get("phone"), c.get("locale", "en"),
                            c.get("timezone", "UTC"), c.get("tier"))
        invoice = Invoice(i["number"], date.fromisoformat(i["issued_on"]), date.fromisoformat(i["due_on"]),
                          i["amount"], i["currency"], i.get("description", ""))
        broker = self._brokers.get_broker(broker_id)
        case_id = new_case_id()
        change = domain.open_case(
            broker_id=broker_id, case_id=case_id,
            broker=BrokerContact(broker.name, broker.email, broker.phone, broker.reply_to, broker.sender_name),
            customer=customer, invoice=invoice,
            link=Link(new_link_id(), 1, iso(now + self._link_ttl)), at=now,
        )
        if self._planner is not None:
            change = replace(change, case=replace(change.case, next_action_at=self._planner(change.case)))
        change = attribute(change)
        unique: dict[str, dict[str, Any]] = {}
        digest = request_hash(body)
        if idempotency_key:
            expires = int((now + IDEMPOTENCY_TTL).timestamp())
            unique["Idempotency-Key"] = self._store.idempotency_item(broker_id, idempotency_key, digest, case_id,
                                                                     expires)
        unique["invoice.number"] = self._store.invoice_item(broker_id, invoice.number, case_id)
        try:
            self._store.save(change, unique=unique)
        except Conflict as exc:
            if exc.field == "Idempotency-Key" and idempotency_key:
                return self._replay(broker_id, idempotency_key, digest)
            if exc.field == "invoice.number":
                raise Conflict(f"invoice {invoice.number} already has a case", "invoice.number",
                               code="duplicate_invoice") from exc
            raise
        return change.case, list(change.events)

    def _replay(self, broker_id: str, key: str, digest: str) -> tuple[Case, list[Event]]:
        stored = self._store.get_idempotency(broker_id, key)
        if stored is None or stored[0] != digest:
            raise Conflict("this Idempotency-Key was used with a different request", "Idempotency-Key",
                           code="idempotency_mismatch")
        return self._store.load(broker_id, stored[1])

    def get(self, broker_id: str, case_id: str, before: int | None = None) -> tuple[Case, list[Event], int | None]:
        """The case, the newest page of its timeline (under `before`), and the cursor to the page below."""
        return self._store.load_page(broker_id, case_id, before=before, limit=TIMELINE_PAGE)

    def list_cases(self, broker_id: str, status: str | None, limit: int,
                   cursor: str | None) -> tuple[list[Case], str | None]:
        return self._store.list_cases(broker_id, status=status, limit=limit, cursor=cursor)

    def add_note(self, broker_id: str, case_id: str, kind: str, text: str) -> tuple[Case, list[Event]]:
        done = self.change(broker_id, case_id, lambda case: domain.add_note(case, kind=kind, text=text,
                                                                              at=self._clock()))
        return done.case, list(done.history)

    def issue_link(self, broker_id: str, case_id: str) -> tuple[Case, list[Event]]:
        def command(case: Case) -> Change:
            now = self._clock()
            return domain.issue_link(case, link_id=new_link_id(), expires_at=now + self._link_ttl, at=now)
        done = self.change(broker_id, case_id, command)
        return done.case, list(done.history)

    def change(self, broker_id: str, case_id: str, command: Callable[[Case], Change | None]) -> Changed:
        """The one way a service changes a case by its id (unit_of_work.change_case)."""
        return change_case(self._store, broker_id, case_id, command)

"""Every notice to a broker's team goes through here: their preferences decide whether it is emailed now
(to which addresses, in their language), held for the morning digest, or not sent; each outcome is
written to the broker's notice log with the provider's message id.

It also keeps what the digest reports (payments received, promises to pay by their date) in that log as
the changes happen, so the digest never reads the broker's cases.
"""
from __future__ import annotations

import base64
import binascii
import logging
import time
from collections.abc import Callable
from email.utils import format_datetime
from typing import Any, Protocol

from chalicelib.domain import notifications as n
from chalicelib.domain.cases import Case, iso
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.history import Event
from chalicelib.ports import Clock, DeliveryRefused, Email, Mailer, Renderer, RenderError

log = logging.getLogger(__name__)
PAYMENTS = ("payment_received", "installment_paid")


class NoticeStore(Protocol):
    def preferences(self, broker_id: str) -> tuple[dict[str, Any], str] | None: ...

    def save_preferences(self, broker_id: str, body: dict[str, Any], updated_at: str, digest_at: str | None,
                         previous: str | None) -> None: ...

    def log(self, broker_id: str, entry: n.LogEntry) -> None: ...

    def add_promise(self, broker_id: str, pay_by: str, case_id: str, data: dict[str, Any]) -> None: ...

    def recent(self, broker_id: str, limit: int, after: str | None) -> tuple[list[n.LogEntry], str | None]: ...


def _encode(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def _decode(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, binascii.Error):  # UnicodeDecodeError is a ValueError
        return ""


def case_model(case: Case) -> dict[str, Any]:
    """What every broker notice about a case shows (the renderer formats it for the reader)."""
    return {"case_id": case.case_id, "customer_name": case.customer.name, "broker_name": case.broker.name,
            "invoice_number": case.invoice.number, "due_on": case.invoice.due_on, "currency": case.balance.currency,
            "balance": case.balance.as_dict(), "discount": None, "interest_provisional": False}


class BrokerNotices:
    def __init__(self, store: NoticeStore, renderer: Renderer, mailer: Mailer, clock: Clock,
                 money: Callable[[int, str, str], str], cache_seconds: int = 60) -> None:
        self._store = store
        self._renderer = renderer
        self._mailer = mailer
        self._clock = clock
        self._money = money
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, n.Preferences]] = {}

    # --- preferences ------------------------------------------------------------------------------------

    def preferences(self, broker_id: str, *, fresh: bool = False) -> n.Preferences:
        cached = self._cache.get(broker_id)
        if cached and not fresh and time.monotonic() - cached[0] < self._cache_seconds:
            return cached[1]
        stored = self._store.preferences(broker_id)
        prefs = n.preferences(stored[0], stored[1]) if stored else n.Preferences()
        self._cache[broker_id] = (time.monotonic(), prefs)
        return prefs

    def locale(self, broker_id: str) -> str:
        return self.preferences(broker_id).locale

    def view(self, broker_id: str) -> dict[str, Any]:
        prefs = self.preferences(broker_id, fresh=True)
        return {**prefs.as_dict(), "updated_at": prefs.updated_at}

    def put(self, broker_id: str, body: dict[str, Any]) -> dict[str, Any]:
        now = self._clock()
        previous = self.preferences(broker_id, fresh=True).updated_at
        prefs = n.preferences(body, iso(now))  # rules across fields; raises InvalidInput naming the field
        digest_at = iso(n.next_digest_at(prefs, now)) if prefs.digest else None
        self._store.save_preferences(broker_id, prefs.as_dict(), iso(now), digest_at, previous)
        self._cache.pop(broker_id, None)
        return self.view(broker_id)

    def log_view(self, broker_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
        """The broker's notice log, newest first: what was sent (with SES's message id), held or turned off."""
        after = None
        if cursor is not None:
            after = _decode(cursor)
            if not after.startswith("LOG#"):  # a cursor only ever continues this log
                raise InvalidInput("cursor is not valid for this log", "cursor")
        entries, last = self._store.recent(broker_id, limit, after)
        items = [{"at": e.at, "notice": e.kind, "delivery": e.delivery, "case_id": e.case_id,
                  "message_id": e.message_id} for e in entries]
        return {"items": items, "next_cursor": _encode(last) if last else None}

    # --- notices ---------------------------------------------------------------------------------------

    def send(self, *, case: Case, event: Event, template: str, model: dict[str, Any], sender: Any) -> str | None:
        """Route one notice by the broker's preferences; the provider's message id when it was emailed now."""
        notice = n.BY_TEMPLATE.get(template, template.removeprefix("broker_"))
        prefs = self.preferences(case.broker_id)
        where = n.route(prefs, notice, case.broker.email)
        record = {"customer_name": case.customer.name, "invoice_number": case.invoice.number}
        if "amount" in event.data and "currency" in event.data:
            record.update(amount=event.data["amount"], currency=event.data["currency"])
        extra = {"case_id": case.case_id, "broker_id": case.broker_id, "notice": notice, "seq": event.seq}
        if where.delivery != n.IMMEDIATE:
            self._log(case, event, notice, where.delivery, None, record)
            log.info("broker notice not emailed now", extra={**extra, "delivery": where.delivery})
            return None
        try:
            rendered = self._renderer.email(prefs.locale, template, model)
            message_id = self._mailer.send(Email(
                to=where.recipients[0], also_to=where.recipients[1:], subject=rendered.subject, text=rendered.text,
                html=rendered.html, from_email=sender.from_email, from_name=sender.from_name or case.broker.name,
                reply_to=sender.reply_to, tags=(("notice", template), ("case", case.case_id)),
                date=format_datetime(self._clock())))
        except (DeliveryRefused, RenderError) as exc:
            log.error("broker notice not sent", extra={**extra, "error": type(exc).__name__, "code": str(exc)[:80]})
            self._log(case, event, notice, "failed", None, record)
            return None
        self._log(case, event, notice, "sent", message_id, record)
        log.info("broker notice sent", extra={**extra, "message_id": message_id})
        return message_id

    def observe(self, case: Case, events: tuple[Event, ...], sender: Any) -> None:
        """Remember what the digest reports, and raise the large-payment notice."""
        prefs = self.preferences(case.broker_id)
        currency = case.balance.currency
        counted = {e.data.get("reference") for e in events if e.type == "payment_received"}
        for event in events:
            if event.type == "installment_paid" and event.data.get("reference") in counted:
                continue  # the same money as the payment_received beside it
            if event.type in PAYMENTS and "amount" in event.data:
                amount = int(event.data["amount"])
                self._log(case, event, "payment_received", "recorded", None, {
                    "customer_name": case.customer.name, "invoice_number": case.invoice.number,
                    "amount": amount, "currency": currency})
                if n.is_large(prefs, amount, currency):
                    locale = prefs.locale
                    model = {**case_model(case), "payment_amount": self._money(amount, currency, locale),
                             "threshold": self._money(prefs.large_payment[currency], currency, locale),
                             "reference": str(event.data.get("reference", ""))}
                    self.send(case=case, event=event, template="broker_large_payment", model=model, sender=sender)
            elif event.type == "promise_made":
                self._store.add_promise(case.broker_id, str(event.data["pay_by"])[:10], case.case_id, {
                    "customer_name": case.customer.name, "invoice_number": case.invoice.number,
                    "amount": case.balance.due, "currency": currency})

    def route(self, case: Case, notice: str) -> n.Route:
        return n.route(self.preferences(case.broker_id), notice, case.broker.email)

    def record(self, case: Case, notice: str, ref: str, delivery: str, message_id: str | None = None) -> str:
        """Log a notice made elsewhere (the ladder's escalation); what the case records as its message id."""
        self._store.log(case.broker_id, n.LogEntry(
            at=iso(self._clock()), ref=f"{case.case_id}#{ref}", kind=notice, delivery=delivery, case_id=case.case_id,
            message_id=message_id, data={"customer_name": case.customer.name, "invoice_number": case.invoice.number}))
        return message_id or f"{delivery}:{ref}"

    def _log(self, case: Case, event: Event, kind: str, delivery: str, message_id: str | None,
             data: dict[str, Any]) -> None:
        ref = f"{case.case_id}#{event.seq:010d}#{kind}"
        self._store.log(case.broker_id, n.LogEntry(at=event.at, ref=ref, kind=kind, delivery=delivery,
                                                  case_id=case.case_id, message_id=message_id, data=data))

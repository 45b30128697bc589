"""The statement of account as text blocks in the broker's language, ready for the PDF adapter.

Reminder texts: a `reminder_sent` event keeps the channel, step, template and provider message id, not
the text or its hash. So each text is rendered again from the template the event names, in the
customer's language, with the balance as the history stood at that event and the days overdue on its
date; the pay link (a live credential) is withheld. The templates are the ones shipped with this
version: a text sent by an older version may have differed in wording, never in the amounts shown.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from chalicelib.domain import ladder
from chalicelib.domain.cases import Case, parse_iso
from chalicelib.domain.history import Event
from chalicelib.domain.policy import Policy
from chalicelib.domain.statement import Line, Statement
from chalicelib.ports import Renderer, RenderError

LABELS = Path(__file__).resolve().parent.parent / "templates" / "pack" / "labels.json"
WITHHELD = "[pay link withheld]"
Money = Callable[[int, str, str], str]
LongDate = Callable[[date, str], str]
Block = tuple[str, str]


def message_model(case: Case, *, template: str, balance: dict[str, Any], on: date, pay_url: str) -> dict[str, Any]:
    """The values a reminder or notice template shows (as the reminder worker's model), for `balance` on `on`."""
    return {"case_id": case.case_id, "template": template, "customer_name": case.customer.name,
            "broker_name": case.broker.name, "invoice_number": case.invoice.number, "due_on": case.invoice.due_on,
            "currency": case.balance.currency, "balance": balance,
            "days_overdue": max(0, (on - case.invoice.due_on).days), "pay_url": pay_url, "discount": None,
            "interest_provisional": case.ladder.interest_provisional, "final_on": case.ladder.final_on or ""}


@cache
def labels(locale: str) -> dict[str, str]:
    table: dict[str, dict[str, str]] = json.loads(LABELS.read_text(encoding="utf-8"))
    return table.get(locale, table["en"])


class StatementDocument:
    def __init__(self, renderer: Renderer, money: Money, long_date: LongDate) -> None:
        self._renderer = renderer
        self._money = money
        self._date = long_date

    def blocks(self, found: Statement, policy: Policy, locale: str, generated_at: str) -> Iterator[Block]:
        case, words = found.case, labels(locale)
        cur = case.balance.currency

        def money(amount: int) -> str:
            return self._money(amount, cur, locale)

        def when(event: Event) -> str:
            moment = parse_iso(event.at)
            return f"{self._date(moment.date(), locale)} {moment:%H:%M} UTC"

        yield "h1", f"{words['title']}: {case.invoice.number}"
        yield "small", (f"{words['generated']}: {generated_at} · {words['case']} {case.case_id} · "
                        f"{words['version']} {case.version} · {words['head_hash']} {case.head_hash}")
        yield "h2", words["parties"]
        yield "p", f"{words['creditor']}: {case.broker.name} <{case.broker.email or '-'}>"
        yield "p", f"{words['debtor']}: {case.customer.name} <{case.customer.email}> {case.customer.phone or ''}"
        if case.closing.escalation is not None:
            e = case.closing.escalation
            yield "p", f"{words['partner']}: {e.partner_name} ({e.partner_kind}, {e.fee_bp / 100:g}%)"
        inv = case.invoice
        yield "h2", words["invoice"]
        yield "p", (f"{words['number']}: {inv.number} · {words['issued_on']}: {self._date(inv.issued_on, locale)} · "
                    f"{words['due_on']}: {self._date(inv.due_on, locale)} · {words['amount']}: {money(inv.amount)}")
        if inv.description:
            yield "p", f"{words['description']}: {inv.description}"
        yield "h2", words["terms"]
        fee = policy.late_fee
        yield "p", f"{words['late_fee']}: " + (words["none"] if fee is None else json.dumps(
            {"kind": fee.kind.value, "fixed_amount": fee.fixed_amount, "rate_bp": fee.rate_bp, "cap": fee.cap,
             "grace_days": fee.grace_days}))
        yield "p", f"{words['interest']}: {json.dumps(policy.interest.as_dict())}"
        yield "p", f"{words['contact']}: {json.dumps(policy.contact.as_dict())}"
        yield "h2", words["balance"]
        yield "p", f"{words['due_now']}: {money(case.balance.due)} ({json.dumps(case.balance.as_dict())})"
        for line in found.balance:
            amount = line.event.data.get("amount", 0)
            yield "p", (f"{when(line.event)} · {line.event.type} {money(amount)} · "
                        f"{words['due_after']}: {money(line.due)}")
        yield "h2", words["reminders"]
        yield "small", words["text_note"]
        for line in found.reminders:
            data = line.event.data
            yield "p", (f"{when(line.event)} · {words['channel']}: {data.get('channel')} · {data.get('stage')} / "
                        f"{data.get('template')} · {data.get('message_id', '')} ({line.event.type})")
            yield "small", self.reminder_text(case, line)
        for key, rows in (("fees", found.fees), ("payments", found.payments), ("promises", found.promises),
                          ("disputes", found.disputes), ("closing", found.closing), ("notes", found.notes)):
            yield "h2", words[key]
            if not rows:
                yield "p", words["nothing"]
            for event in rows:
                yield "p", f"{when(event)} · {event.type} · {self._details(event, cur, locale)}"

    def _details(self, event: Event, currency: str, locale: str) -> str:
        shown = dict(event.data)
        for name in ("amount", "collected_amount", "partner_fee", "credit_amount", "due", "total"):
            value = shown.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                shown[name] = self._money(value, currency, locale)
        return json.dumps(shown, ensure_ascii=False, sort_keys=True)

    def reminder_text(self, case: Case, line: Line) -> str:
        data = line.event.data
        sent_on = ladder.local_date(parse_iso(line.event.at), ladder.zone(case))
        model = message_model(case, template=str(data.get("template", "")),
                              balance=line.parts.as_dict(case.balance.currency), on=sent_on, pay_url=WITHHELD)
        try:
            if data.get("channel") == "sms":
                return self._renderer.sms(case.customer.locale, model)
            if data.get("channel") == ladder.BROKER:
                return str(self._renderer.email("en", "broker_escalation", model).text)
            return str(self._renderer.email(case.customer.locale, str(data.get("template")), model).text)
        except RenderError as exc:
            return f"(not re-rendered: {exc})"

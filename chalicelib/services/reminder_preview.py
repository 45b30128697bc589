"""The next reminder of a case, exactly as its customer will get it: the ladder's own next move, run on a copy
of the case at the planned moment (so a late fee that step charges is in the amounts), rendered by the worker's
templates and model in the customer's language, with a placeholder where the pay link goes."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from chalicelib.domain import ladder
from chalicelib.domain.cases import Case, iso
from chalicelib.domain.policy import Policy
from chalicelib.ports import Clock, Renderer
from chalicelib.services.policy_console import local_time
from chalicelib.services.reminders import message_model

CUSTOMER_CHANNELS = ("email", "sms")


class NextReminder:
    def __init__(self, load: Callable[[str, str], Case], policies: Callable[[str], Policy], renderer: Renderer,
                 clock: Clock, placeholder_url: str) -> None:
        self._load = load
        self._policies = policies
        self._renderer = renderer
        self._clock = clock
        self._placeholder = placeholder_url  # never a live token: a preview must not open the case to anyone

    def view(self, broker_id: str, case_id: str) -> dict[str, Any]:
        case = self._load(broker_id, case_id)
        policy = self._policies(broker_id)
        now = self._clock()
        upcoming = ladder.plan(case, policy, now)
        if upcoming.step is None or upcoming.at is None:
            return {"next": None}
        at = max(upcoming.at, now)
        change = ladder.advance(case, policy, at, new_link_id="lpreview", link_ttl=timedelta(days=30))
        pending = change.case.ladder.pending if change is not None else None
        if change is None or pending is None:
            return {"next": None}  # nothing the customer would receive (e.g. the step reaches nobody)
        sent = change.case
        channels = [c for c in pending.channels if c in CUSTOMER_CHANNELS]
        model = message_model(sent, pending.template, policy, at, self._placeholder)
        locale = sent.customer.locale
        email = None
        if "email" in channels:
            rendered = self._renderer.email(locale, pending.template, model)
            email = {"subject": rendered.subject, "text": rendered.text, "html": rendered.html}
        sms = {"text": self._renderer.sms(locale, model)} if "sms" in channels else None
        return {"next": {"at": iso(at), "local_time": local_time(at, sent.customer.timezone),
                         "step": f"{pending.offset_days:+d}", "stage": pending.stage, "template": pending.template,
                         "channels": channels, "language": locale, "email": email, "sms": sms,
                         "balance": {"amount": sent.balance.due, "currency": sent.balance.currency}}}

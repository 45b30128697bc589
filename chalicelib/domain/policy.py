"""A broker's reminder policy: the ladder of steps, tier ladders, contact rules, fees, interest, sender.

A policy is a value. `policy_from_dict` is the one way in from JSON, after the edge has checked the body
against the published schema; it enforces the rules that span fields, raising InvalidInput naming the
field (`ladder[2].offset_days`), so a bad PUT never stores half a policy.
`Policy.as_dict()` is the way back out; `policy_from_dict(p.as_dict(), p.version) == p`.

Amounts (`late_fee.fixed_amount`, `late_fee.cap`) are minor units of the invoice's own currency: a
broker who bills in EUR and JPY sets them for the currency they mostly use; percentages work for all.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import time
from typing import Any

from chalicelib.domain import channels
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.fees import EarlyPaymentDiscountPolicy, FeePolicyError, LateFeePolicy

STAGES = ("courtesy", "reminder", "formal", "late_fee", "final", "escalation")
CHANNELS = channels.NAMES
ACTIONS = ("apply_late_fee", "start_interest", "mark_ready_for_collections", "notify_broker")
# Templates shipped in chalicelib/templates/email/<locale>/ (each as .html, .txt and .sms.txt).
TEMPLATES = ("courtesy", "due_today", "reminder", "formal", "late_fee", "final", "escalation")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Step:
    """One rung: `offset_days` from the due date (negative = before it), what to send and what to do."""

    offset_days: int
    template: str
    stage: str
    channels: tuple[str, ...] = ("email",)
    actions: tuple[str, ...] = ()

    @property
    def step_id(self) -> str:
        """Stable name of the rung within a ladder, e.g. `+10`, `-3`, `+0`."""
        return f"{self.offset_days:+d}"

    def as_dict(self) -> dict[str, Any]:
        return {"offset_days": self.offset_days, "channels": list(self.channels), "template": self.template,
                "stage": self.stage, "actions": list(self.actions)}


@dataclass(frozen=True)
class ContactRules:
    """When a customer may be contacted: a window in their own time zone, on some weekdays, and a cap."""

    window_start: time = time(8, 0)
    window_end: time = time(21, 0)
    days: tuple[int, ...] = (0, 1, 2, 3, 4, 5)  # Monday=0 ... Saturday=5: no Sundays
    max_contacts: int = 3
    per_days: int = 7

    def as_dict(self) -> dict[str, Any]:
        return {"window_start": self.window_start.strftime("%H:%M"), "window_end": self.window_end.strftime("%H:%M"),
                "days": [WEEKDAYS[d] for d in self.days], "max_contacts": self.max_contacts,
                "per_days": self.per_days}


@dataclass(frozen=True)
class InterestTerms:
    """Which late-payment interest the broker charges once a step starts it (see fees.statutory_interest).

    `carry_forward_rates`: when the dated rate table in rates.py ends before a half-year the case needs,
    use the newest published rate and mark the amount provisional (True by default, so current cases
    are not stuck until someone adds the new rate; turning it off refuses to quote instead).
    """

    regime: str = "none"
    country: str | None = None
    rate_bp: int | None = None
    carry_forward_rates: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"regime": self.regime, "country": self.country, "rate_bp": self.rate_bp,
                "carry_forward_rates": self.carry_forward_rates}


@dataclass(frozen=True)
class Sender:
    from_email: str = "reminders@collections.example.com"
    from_name: str | None = None
    reply_to: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"from_email": self.from_email, "from_name": self.from_name, "reply_to": self.reply_to}


@dataclass(frozen=True)
class SelfServiceRules:
    """What a customer may do on their own: how far ahead a promise to pay may reach, how long
    "I already paid" pauses the ladder while the broker checks, and after how many days an unanswered
    dispute is raised to the broker again (and again, every as many days, until it is answered)."""

    promise_max_days: int = 14
    already_paid_pause_days: int = 5
    dispute_reminder_days: int = 7

    def as_dict(self) -> dict[str, Any]:
        return {"promise_max_days": self.promise_max_days, "already_paid_pause_days": self.already_paid_pause_days,
                "dispute_reminder_days": self.dispute_reminder_days}


INTERVALS = ("weekly", "biweekly", "monthly")


@dataclass(frozen=True)
class PlanTerms:
    """Which installment plans customers are offered (see domain/plans.py).

    Amounts are minor units of the invoice's currency, like the late fee's. A balance qualifies when it is
    between `min_due` and `max_due` (None: no upper limit); an offer needs every installment at least
    `min_installment_amount`, a first payment of at least `min_first_percent` of the balance, and its
    last installment at most `max_days` after the first. A failed installment is tried again
    `retry_days` after its due date; after the last failed retry the plan defaults.
    """

    enabled: bool = True
    max_installments: int = 6
    interval: str = "monthly"
    min_installment_amount: int = 1000
    min_first_percent: int = 0
    max_days: int = 180
    min_due: int = 0
    max_due: int | None = None
    retry_days: tuple[int, ...] = (1, 3, 7)

    def as_dict(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "max_installments": self.max_installments, "interval": self.interval,
                "min_installment_amount": self.min_installment_amount,
                "min_first_percent": self.min_first_percent, "max_days": self.max_days, "min_due": self.min_due,
                "max_due": self.max_due, "retry_days": list(self.retry_days)}


DEFAULT_LADDER: tuple[Step, ...] = (
    Step(-3, "courtesy", "courtesy", ("email",)),
    Step(0, "due_today", "reminder", ("email",)),
    Step(3, "reminder", "reminder", ("email", "sms")),
    Step(10, "formal", "formal", ("email",)),
    Step(20, "late_fee", "late_fee", ("email", "sms"), ("apply_late_fee", "start_interest")),
    Step(30, "final", "final", ("email", "sms")),
    Step(45, "escalation", "escalation", (), ("mark_ready_for_collections", "notify_broker")),
)

# Key accounts: fewer, later, email only; the same final notice and escalation, without a late fee.
KEY_ACCOUNT_LADDER: tuple[Step, ...] = (
    Step(0, "due_today", "reminder", ("email",)),
    Step(7, "reminder", "reminder", ("email",)),
    Step(21, "formal", "formal", ("email",)),
    Step(40, "final", "final", ("email",)),
    Step(60, "escalation", "escalation", (), ("mark_ready_for_collections", "notify_broker")),
)


@dataclass(frozen=True)
class Policy:
    version: int = 0
    ladder: tuple[Step, ...] = DEFAULT_LADDER
    tiers: dict[str, tuple[Step, ...]] = field(default_factory=lambda: {"key_account": KEY_ACCOUNT_LADDER})
    contact: ContactRules = ContactRules()
    late_fee: LateFeePolicy | None = LateFeePolicy(kind="percentage", rate_bp=500)  # type: ignore[arg-type]
    interest: InterestTerms = InterestTerms()
    discount: EarlyPaymentDiscountPolicy | None = None
    sender: Sender = Sender()
    self_service: SelfServiceRules = SelfServiceRules()
    plans: PlanTerms = PlanTerms()

    def ladder_for(self, tier: str | None) -> tuple[Step, ...]:
        return self.tiers.get(tier or "", self.ladder)

    def as_dict(self) -> dict[str, Any]:
        fee = self.late_fee
        return {
            "ladder": [s.as_dict() for s in self.ladder],
            "tiers": [{"tier": name, "ladder": [s.as_dict() for s in steps]} for name, steps in self.tiers.items()],
            "contact": self.contact.as_dict(),
            "late_fee": None if fee is None else {
                "kind": fee.kind.value, "fixed_amount": fee.fixed_amount, "rate_bp": fee.rate_bp, "cap": fee.cap,
                "grace_days": fee.grace_days},
            "interest": self.interest.as_dict(),
            "discount": None if self.discount is None else {"rate_bp": self.discount.rate_bp,
                                                            "days": self.discount.days},
            "sender": self.sender.as_dict(),
            "self_service": self.self_service.as_dict(),
            "plans": self.plans.as_dict(),
        }


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class PolicyRecord:
    """One stored version of a broker's policy: the policy as JSON, who stored it and when."""

    broker_id: str
    version: int
    policy: dict[str, Any]
    updated_at: str
    updated_by: dict[str, str]  # {"kind": "user" | "api_key", "id", "name"}


def stored_by(text: str) -> dict[str, str]:
    """Who stored a version, from its stored text: JSON now; before staff sign-in, "broker:<id>" (a key)."""
    if text.startswith("{"):
        by: dict[str, str] = json.loads(text)
        return by
    return {"kind": "api_key", "id": "", "name": "API key"}


# --- reading a policy from JSON ------------------------------------------------------------------
# The body's shape, types, ranges and formats are checked at the edge against schemas.POLICY (the schema
# /openapi.json publishes). What is left here are the rules that span fields.

POLICY_FIELDS: tuple[str, ...] = ("ladder", "tiers", "contact", "late_fee", "interest", "discount", "sender",
                                  "self_service", "plans")
NON_EURO_MEMBER_STATES = {"CZ", "DK", "HU", "PL", "RO", "SE"}


def policy_from_dict(data: dict[str, Any], version: int = 0) -> Policy:
    """A Policy from a body that passed schemas.POLICY. Omitted sections take the default policy's values."""
    ladder = _ladder(data["ladder"], "ladder")
    tiers: dict[str, tuple[Step, ...]] = {}
    for i, entry in enumerate(data.get("tiers", [])):
        if entry["tier"] in tiers:
            raise InvalidInput(f"tier {entry['tier']} appears twice", f"tiers[{i}].tier")
        tiers[entry["tier"]] = _ladder(entry["ladder"], f"tiers[{i}].ladder")
    late_fee = _late_fee(data.get("late_fee"))
    if late_fee is None:
        ladders = [("ladder", ladder)] + [(f"tiers[{i}].ladder", steps) for i, steps in enumerate(tiers.values())]
        for where, steps in ladders:
            for i, step in enumerate(steps):
                if "apply_late_fee" in step.actions:
                    raise InvalidInput("this step applies a late fee but late_fee is not set", f"{where}[{i}].actions")
    return Policy(version=version, ladder=ladder, tiers=tiers, contact=_contact(data.get("contact", {})),
                  late_fee=late_fee, interest=_interest(data.get("interest", {})),
                  discount=_discount(data.get("discount")), sender=_sender(data.get("sender", {})),
                  self_service=_self_service(data.get("self_service", {})), plans=_plans(data.get("plans", {})))


def _ladder(items: list[dict[str, Any]], where: str) -> tuple[Step, ...]:
    steps: list[Step] = []
    final_at: int | None = None
    for i, raw in enumerate(items):
        at = f"{where}[{i}]"
        step = _step(raw, at)
        if steps and step.offset_days <= steps[-1].offset_days:
            raise InvalidInput("steps must be in increasing order of offset_days, each offset once",
                               f"{at}.offset_days")
        if step.stage == "final":
            if final_at is not None:
                raise InvalidInput("a ladder has at most one final step", f"{at}.stage")
            final_at = i
        if step.stage == "escalation" and final_at is None:
            raise InvalidInput("escalation must come after a final step", f"{at}.stage")
        steps.append(step)
    return tuple(steps)


def _step(raw: dict[str, Any], at: str) -> Step:
    channels = tuple(raw.get("channels", ["email"]))
    actions = tuple(raw.get("actions", []))
    if not channels and "notify_broker" not in actions:
        raise InvalidInput("a step sends on at least one channel or notifies the broker", f"{at}.channels")
    if "mark_ready_for_collections" in actions and raw["stage"] != "escalation":
        raise InvalidInput("only an escalation step marks a case ready for collections", f"{at}.actions")
    return Step(raw["offset_days"], raw["template"], raw["stage"], channels, actions)


def _contact(body: dict[str, Any]) -> ContactRules:
    base = ContactRules()
    start = _hhmm(body["window_start"]) if "window_start" in body else base.window_start
    end = _hhmm(body["window_end"]) if "window_end" in body else base.window_end
    if end <= start:
        raise InvalidInput("must be later than window_start", "contact.window_end")
    days = tuple(sorted(WEEKDAYS.index(n) for n in body["days"])) if "days" in body else base.days
    return ContactRules(window_start=start, window_end=end, days=days,
                        max_contacts=body.get("max_contacts", base.max_contacts),
                        per_days=body.get("per_days", base.per_days))


def _late_fee(body: dict[str, Any] | None) -> LateFeePolicy | None:
    if body is None:
        return None
    numbers = {name: body[name] for name in ("fixed_amount", "rate_bp", "grace_days") if body.get(name) is not None}
    try:
        return LateFeePolicy(kind=body["kind"], cap=body.get("cap"), **numbers)  # type: ignore[arg-type]
    except FeePolicyError as exc:
        raise InvalidInput(str(exc), _fee_field("late_fee", str(exc), LATE_FEE_FIELDS)) from None


def _interest(body: dict[str, Any]) -> InterestTerms:
    regime = body.get("regime", "none")
    country, rate_bp = body.get("country"), body.get("rate_bp")
    if regime == "contractual" and rate_bp is None:
        raise InvalidInput("a contractual rate needs rate_bp", "interest.rate_bp")
    if regime != "contractual" and rate_bp is not None:
        raise InvalidInput("rate_bp is only for the contractual regime", "interest.rate_bp")
    if regime == "eu" and country in NON_EURO_MEMBER_STATES:
        raise InvalidInput("outside the euro area: its reference rate is not modelled", "interest.country")
    return InterestTerms(regime=regime, country=country, rate_bp=rate_bp,
                         carry_forward_rates=body.get("carry_forward_rates", True))


def _discount(body: dict[str, Any] | None) -> EarlyPaymentDiscountPolicy | None:
    return None if body is None else EarlyPaymentDiscountPolicy(rate_bp=body["rate_bp"], days=body["days"])


def _sender(body: dict[str, Any]) -> Sender:
    base = Sender()
    return Sender(from_email=body.get("from_email", base.from_email), from_name=body.get("from_name"),
                  reply_to=body.get("reply_to"))


def _self_service(body: dict[str, Any]) -> SelfServiceRules:
    return replace(SelfServiceRules(), **body)


def _plans(body: dict[str, Any]) -> PlanTerms:
    terms = replace(PlanTerms(), **body)
    if terms.max_due is not None and terms.max_due < terms.min_due:
        raise InvalidInput("must be at least min_due", "plans.max_due")
    for i in range(1, len(terms.retry_days)):
        if terms.retry_days[i] <= terms.retry_days[i - 1]:
            raise InvalidInput("retry days must increase, each day once", f"plans.retry_days[{i}]")
    return replace(terms, retry_days=tuple(terms.retry_days))


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


LATE_FEE_FIELDS = ("kind", "fixed_amount", "rate_bp", "cap", "grace_days")


def _fee_field(section: str, message: str, names: tuple[str, ...]) -> str:
    """fees.py names the parameter at the start of its message; point the error at that field."""
    for name in names:
        if message.startswith(name) or f" {name}" in message:
            return f"{section}.{name}"
    return section

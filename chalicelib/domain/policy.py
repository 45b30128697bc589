"""A broker's reminder policy: the ladder of steps, tier ladders, contact rules, fees, interest, sender.

A policy is a value. `policy_from_dict` is the one way in from JSON: it checks every field and raises
InvalidInput naming the field (`ladder[2].offset_days`), so a bad PUT never stores half a policy.
`Policy.as_dict()` is the way back out; `policy_from_dict(p.as_dict(), p.version) == p`.

Amounts (`late_fee.fixed_amount`, `late_fee.cap`) are minor units of the invoice's own currency: a
broker who bills in EUR and JPY sets them for the currency they mostly use; percentages work for all.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from chalicelib.domain import channels
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.fees import EarlyPaymentDiscountPolicy, FeePolicyError, InterestRegime, LateFeePolicy

STAGES = ("courtesy", "reminder", "formal", "late_fee", "final", "escalation")
CHANNELS = channels.NAMES
ACTIONS = ("apply_late_fee", "start_interest", "mark_ready_for_collections", "notify_broker")
# Templates shipped in chalicelib/templates/email/<locale>/ (each as .html, .txt and .sms.txt).
TEMPLATES = ("courtesy", "due_today", "reminder", "formal", "late_fee", "final", "escalation")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_STEPS = 20
OFFSET_RANGE = (-60, 365)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TIER = re.compile(r"^[a-z0-9_]{1,40}$")
HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


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
    """What a customer may do on their own (issue 5): how far ahead a promise to pay may reach, how long
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
    """Which installment plans customers are offered (issue 5; see domain/plans.py).

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
    updated_by: str


# --- reading a policy from JSON ------------------------------------------------------------------

POLICY_FIELDS: tuple[str, ...] = ("ladder", "tiers", "contact", "late_fee", "interest", "discount", "sender")
POLICY_FIELDS += ("self_service",)
POLICY_FIELDS += ("plans",)
PLAN_FIELDS = ("enabled", "max_installments", "interval", "min_installment_amount", "min_first_percent", "max_days",
               "min_due", "max_due", "retry_days")
SELF_SERVICE_FIELDS = ("promise_max_days", "already_paid_pause_days", "dispute_reminder_days")
STEP_FIELDS = ("offset_days", "channels", "template", "stage", "actions")
CONTACT_FIELDS = ("window_start", "window_end", "days", "max_contacts", "per_days")
LATE_FEE_FIELDS = ("kind", "fixed_amount", "rate_bp", "cap", "grace_days")
INTEREST_FIELDS = ("regime", "country", "rate_bp", "carry_forward_rates")
DISCOUNT_FIELDS = ("rate_bp", "days")
SENDER_FIELDS = ("from_email", "from_name", "reply_to")


def policy_from_dict(data: Any, version: int = 0) -> Policy:
    """A validated Policy from a JSON body. Omitted sections take the default policy's values."""
    body = _object(data, "body", POLICY_FIELDS, required=("ladder",))
    ladder = _ladder(body["ladder"], "ladder")
    tiers: dict[str, tuple[Step, ...]] = {}
    for i, entry in enumerate(_list(body.get("tiers", []), "tiers", max_items=20)):
        where = f"tiers[{i}]"
        tier = _object(entry, where, ("tier", "ladder"), required=("tier", "ladder"))
        name = _string(tier["tier"], f"{where}.tier", 40)
        if not TIER.match(name):
            raise InvalidInput("must be lower-case letters, digits and _", f"{where}.tier")
        if name in tiers:
            raise InvalidInput(f"tier {name} appears twice", f"{where}.tier")
        tiers[name] = _ladder(tier["ladder"], f"{where}.ladder")
    contact = _contact(body.get("contact", {}))
    late_fee = _late_fee(body.get("late_fee"))
    for i, step in enumerate(ladder):
        if "apply_late_fee" in step.actions and late_fee is None:
            raise InvalidInput("this step applies a late fee but late_fee is not set", f"ladder[{i}].actions")
    for tier_index, steps in enumerate(tiers.values()):
        for i, step in enumerate(steps):
            if "apply_late_fee" in step.actions and late_fee is None:
                raise InvalidInput("this step applies a late fee but late_fee is not set",
                                   f"tiers[{tier_index}].ladder[{i}].actions")
    return Policy(version=version, ladder=ladder, tiers=tiers, contact=contact, late_fee=late_fee,
                  interest=_interest(body.get("interest", {})), discount=_discount(body.get("discount")),
                  sender=_sender(body.get("sender", {})), self_service=_self_service(body.get("self_service", {})),
                  plans=_plans(body.get("plans", {})))


def _ladder(value: Any, where: str) -> tuple[Step, ...]:
    items = _list(value, where, max_items=MAX_STEPS)
    if not items:
        raise InvalidInput("needs at least one step", where)
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


def _step(raw: Any, at: str) -> Step:
    step = _object(raw, at, STEP_FIELDS, required=("offset_days", "template", "stage"))
    offset = _int(step["offset_days"], f"{at}.offset_days", *OFFSET_RANGE)
    template = _choice(step["template"], f"{at}.template", TEMPLATES)
    stage = _choice(step["stage"], f"{at}.stage", STAGES)
    channels = _set_of(step.get("channels", ["email"]), f"{at}.channels", CHANNELS)
    actions = _set_of(step.get("actions", []), f"{at}.actions", ACTIONS)
    if not channels and "notify_broker" not in actions:
        raise InvalidInput("a step sends on at least one channel or notifies the broker", f"{at}.channels")
    if "mark_ready_for_collections" in actions and stage != "escalation":
        raise InvalidInput("only an escalation step marks a case ready for collections", f"{at}.actions")
    return Step(offset, template, stage, channels, actions)


def _contact(value: Any) -> ContactRules:
    base = ContactRules()
    body = _object(value, "contact", CONTACT_FIELDS)
    start = _hhmm(body["window_start"], "contact.window_start") if "window_start" in body else base.window_start
    end = _hhmm(body["window_end"], "contact.window_end") if "window_end" in body else base.window_end
    if end <= start:
        raise InvalidInput("must be later than window_start", "contact.window_end")
    days = base.days
    if "days" in body:
        names = _set_of(body["days"], "contact.days", WEEKDAYS)
        if not names:
            raise InvalidInput("needs at least one day", "contact.days")
        days = tuple(sorted(WEEKDAYS.index(n) for n in names))
    return ContactRules(
        window_start=start, window_end=end, days=days,
        max_contacts=_int(body.get("max_contacts", base.max_contacts), "contact.max_contacts", 1, 50),
        per_days=_int(body.get("per_days", base.per_days), "contact.per_days", 1, 31),
    )


def _late_fee(value: Any) -> LateFeePolicy | None:
    if value is None:
        return None
    body = _object(value, "late_fee", LATE_FEE_FIELDS, required=("kind",))
    kind = _choice(body["kind"], "late_fee.kind", ("fixed", "percentage", "greater_of"))
    numbers = {name: _int(body[name], f"late_fee.{name}", 0, 10**13)
               for name in ("fixed_amount", "rate_bp", "grace_days") if body.get(name) is not None}
    cap = None if body.get("cap") is None else _int(body["cap"], "late_fee.cap", 1, 10**13)
    if numbers.get("grace_days", 0) > 365:
        raise InvalidInput("must be at most 365", "late_fee.grace_days")
    try:
        return LateFeePolicy(kind=kind, cap=cap, **numbers)  # type: ignore[arg-type]
    except FeePolicyError as exc:
        raise InvalidInput(str(exc), _fee_field("late_fee", str(exc), LATE_FEE_FIELDS)) from None


def _interest(value: Any) -> InterestTerms:
    body = _object(value, "interest", INTEREST_FIELDS)
    regime = _choice(body.get("regime", "none"), "interest.regime", tuple(r.value for r in InterestRegime))
    country = None
    if body.get("country") is not None:
        country = _string(body["country"], "interest.country", 2)
        if not re.match(r"^[A-Z]{2}$", country):
            raise InvalidInput("must be an ISO 3166 country code such as DE", "interest.country")
    rate_bp = None if body.get("rate_bp") is None else _int(body["rate_bp"], "interest.rate_bp", 0, 10_000)
    if regime == "contractual" and rate_bp is None:
        raise InvalidInput("a contractual rate needs rate_bp", "interest.rate_bp")
    if regime != "contractual" and rate_bp is not None:
        raise InvalidInput("rate_bp is only for the contractual regime", "interest.rate_bp")
    if regime == "eu" and country in {"CZ", "DK", "HU", "PL", "RO", "SE"}:
        raise InvalidInput("outside the euro area: its reference rate is not modelled", "interest.country")
    carry = body.get("carry_forward_rates", True)
    if not isinstance(carry, bool):
        raise InvalidInput("must be true or false", "interest.carry_forward_rates")
    return InterestTerms(regime=regime, country=country, rate_bp=rate_bp, carry_forward_rates=carry)


def _discount(value: Any) -> EarlyPaymentDiscountPolicy | None:
    if value is None:
        return None
    body = _object(value, "discount", DISCOUNT_FIELDS, required=("rate_bp", "days"))
    return EarlyPaymentDiscountPolicy(rate_bp=_int(body["rate_bp"], "discount.rate_bp", 1, 10_000),
                                      days=_int(body["days"], "discount.days", 0, 365))


def _sender(value: Any) -> Sender:
    body = _object(value, "sender", SENDER_FIELDS)
    base = Sender()
    from_email = _email(body["from_email"], "sender.from_email") if "from_email" in body else base.from_email
    name = None if body.get("from_name") is None else _string(body["from_name"], "sender.from_name", 100)
    if name is not None and any(c in name for c in '<>"\r\n'):
        raise InvalidInput("must not contain < > \" or line breaks", "sender.from_name")
    reply_to = None if body.get("reply_to") is None else _email(body["reply_to"], "sender.reply_to")
    return Sender(from_email=from_email, from_name=name, reply_to=reply_to)


def _self_service(value: Any) -> SelfServiceRules:
    body = _object(value, "self_service", SELF_SERVICE_FIELDS)
    base = SelfServiceRules()
    return SelfServiceRules(
        promise_max_days=_int(body.get("promise_max_days", base.promise_max_days),
                              "self_service.promise_max_days", 1, 90),
        already_paid_pause_days=_int(body.get("already_paid_pause_days", base.already_paid_pause_days),
                                     "self_service.already_paid_pause_days", 1, 30),
        dispute_reminder_days=_int(body.get("dispute_reminder_days", base.dispute_reminder_days),
                                   "self_service.dispute_reminder_days", 1, 60),
    )


def _plans(value: Any) -> PlanTerms:
    body = _object(value, "plans", PLAN_FIELDS)
    base = PlanTerms()
    enabled = body.get("enabled", base.enabled)
    if not isinstance(enabled, bool):
        raise InvalidInput("must be true or false", "plans.enabled")
    min_due = _int(body.get("min_due", base.min_due), "plans.min_due", 0, 10**13)
    max_due = None if body.get("max_due") is None else _int(body["max_due"], "plans.max_due", 1, 10**13)
    if max_due is not None and max_due < min_due:
        raise InvalidInput("must be at least min_due", "plans.max_due")
    retry_days = tuple(_list(body.get("retry_days", list(base.retry_days)), "plans.retry_days", max_items=5))
    for i, days in enumerate(retry_days):
        _int(days, f"plans.retry_days[{i}]", 1, 60)
        if i and days <= retry_days[i - 1]:
            raise InvalidInput("retry days must increase, each day once", f"plans.retry_days[{i}]")
    return PlanTerms(
        enabled=enabled,
        max_installments=_int(body.get("max_installments", base.max_installments), "plans.max_installments", 2, 24),
        interval=_choice(body.get("interval", base.interval), "plans.interval", INTERVALS),
        min_installment_amount=_int(body.get("min_installment_amount", base.min_installment_amount),
                                    "plans.min_installment_amount", 1, 10**13),
        min_first_percent=_int(body.get("min_first_percent", base.min_first_percent), "plans.min_first_percent",
                               0, 100),
        max_days=_int(body.get("max_days", base.max_days), "plans.max_days", 7, 730),
        min_due=min_due, max_due=max_due, retry_days=retry_days,
    )


# --- small checks that name the field -------------------------------------------------------------

def _object(value: Any, where: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput("must be an object", where)
    prefix = "" if where == "body" else f"{where}."
    for key in value:
        if key not in allowed:
            raise InvalidInput("unknown field", f"{prefix}{key}")
    for key in required:
        if value.get(key) is None:
            raise InvalidInput("is required", f"{prefix}{key}")
    return value


def _list(value: Any, where: str, max_items: int) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInput("must be a list", where)
    if len(value) > max_items:
        raise InvalidInput(f"must have at most {max_items} items", where)
    return value


def _int(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("must be an integer", where)
    if not low <= value <= high:
        raise InvalidInput(f"must be between {low} and {high}", where)
    return value


def _string(value: Any, where: str, max_length: int) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInput("must be a non-empty string", where)
    if len(value) > max_length:
        raise InvalidInput(f"must be at most {max_length} characters", where)
    return value


def _choice(value: Any, where: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise InvalidInput(f"must be one of {', '.join(choices)}", where)
    return value


def _set_of(value: Any, where: str, choices: tuple[str, ...]) -> tuple[str, ...]:
    items = _list(value, where, max_items=len(choices))
    for i, item in enumerate(items):
        _choice(item, f"{where}[{i}]", choices)
        if item in items[:i]:
            raise InvalidInput(f"{item} appears twice", f"{where}[{i}]")
    return tuple(items)


def _hhmm(value: Any, where: str) -> time:
    if not isinstance(value, str) or not HHMM.match(value):
        raise InvalidInput("must be a time as HH:MM, e.g. 08:00", where)
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _email(value: Any, where: str) -> str:
    text = _string(value, where, 254)
    if not EMAIL.match(text):
        raise InvalidInput("must be an email address", where)
    return text


def _fee_field(section: str, message: str, names: tuple[str, ...]) -> str:
    """fees.py names the parameter at the start of its message; point the error at that field."""
    for name in names:
        if message.startswith(name) or f" {name}" in message:
            return f"{section}.{name}"
    return section

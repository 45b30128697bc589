"""A broker's notification preferences, and what they decide: which notices go to whom, now or in the
daily digest, in which language, and when the digest is due.

Pure: `now` comes in, times go out as UTC; the broker's IANA zone only decides when their morning is.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.vocabulary import BROKER_NOTICES, NOTICE_DELIVERIES

# The notices a broker may hear about, each by the template that says it.
TEMPLATES = {
    "dispute": "broker_dispute",
    "already_paid": "broker_already_paid",
    "plan_defaulted": "broker_plan_defaulted",
    "escalation": "broker_escalation",
    "email_bounced": "broker_email_bounced",
    "currency_mismatch": "broker_currency_mismatch",
    "large_payment": "broker_large_payment",
    "payment": "broker_payment",  # paid in full, a chargeback, a remainder too small for a card
}
NOTICE_TYPES = BROKER_NOTICES
assert set(TEMPLATES) == set(NOTICE_TYPES)
BY_TEMPLATE = {template: notice for notice, template in TEMPLATES.items()}
DIGEST_TEMPLATE = "broker_digest"
IMMEDIATE, DIGEST, OFF = NOTICE_DELIVERIES
DEFAULT_HOUR = 8


@dataclass(frozen=True)
class NoticeRule:
    delivery: str = IMMEDIATE
    recipients: tuple[str, ...] = ()  # empty: the preferences' recipients


@dataclass(frozen=True)
class Preferences:
    recipients: tuple[str, ...] = ()  # empty: the broker's own email
    locale: str = "en"
    timezone: str = "UTC"
    digest: bool = False
    digest_hour: int = DEFAULT_HOUR
    digest_recipients: tuple[str, ...] = ()
    notices: dict[str, NoticeRule] = field(default_factory=dict)
    large_payment: dict[str, int] = field(default_factory=dict)  # currency -> threshold in minor units
    updated_at: str | None = None

    def rule(self, notice: str) -> NoticeRule:
        return self.notices.get(notice, NoticeRule())

    def as_dict(self) -> dict[str, Any]:
        return {
            "recipients": list(self.recipients), "locale": self.locale, "timezone": self.timezone,
            "digest": {"enabled": self.digest, "hour": self.digest_hour, "recipients": list(self.digest_recipients)},
            "notices": {n: {"delivery": self.rule(n).delivery, "recipients": list(self.rule(n).recipients)}
                        for n in NOTICE_TYPES},
            "large_payment": dict(sorted(self.large_payment.items())),
        }


def preferences(body: dict[str, Any], updated_at: str | None = None) -> Preferences:
    """Preferences from a body the schema accepted; rules across fields are checked here."""
    digest = body.get("digest") or {}
    prefs = Preferences(
        recipients=tuple(body.get("recipients", ())), locale=body.get("locale", "en"),
        timezone=body.get("timezone", "UTC"), digest=bool(digest.get("enabled", False)),
        digest_hour=int(digest.get("hour", DEFAULT_HOUR)), digest_recipients=tuple(digest.get("recipients", ())),
        notices={n: NoticeRule(r.get("delivery", IMMEDIATE), tuple(r.get("recipients", ())))
                 for n, r in (body.get("notices") or {}).items()},
        large_payment={c: int(a) for c, a in (body.get("large_payment") or {}).items()}, updated_at=updated_at)
    for notice in NOTICE_TYPES:
        if prefs.rule(notice).delivery == DIGEST and not prefs.digest:
            raise InvalidInput("a notice can only wait for the digest when the digest is enabled",
                               f"notices.{notice}.delivery")
    return prefs


@dataclass(frozen=True)
class LogEntry:
    """One line of the broker's notice log."""

    at: str
    ref: str  # "<case>#<seq>#<kind>": the event that called for it, so a retried write stores it once
    kind: str  # a notice type, or payment_received
    delivery: str  # sent, digest, off, failed, recorded
    case_id: str | None = None
    message_id: str | None = None
    data: dict[str, Any] | None = None


@dataclass(frozen=True)
class Route:
    delivery: str
    recipients: tuple[str, ...]


def route(prefs: Preferences, notice: str, broker_email: str | None) -> Route:
    """Where a notice goes: its own addresses, else the team's, else the broker's email; none means off."""
    rule = prefs.rule(notice)
    to = rule.recipients or prefs.recipients or ((broker_email,) if broker_email else ())
    return Route(rule.delivery if to else OFF, to)


def digest_recipients(prefs: Preferences, broker_email: str | None) -> tuple[str, ...]:
    return prefs.digest_recipients or prefs.recipients or ((broker_email,) if broker_email else ())


def is_large(prefs: Preferences, amount: int, currency: str) -> bool:
    threshold = prefs.large_payment.get(currency)
    return threshold is not None and amount >= threshold


def next_digest_at(prefs: Preferences, now: datetime) -> datetime:
    """The next broker morning strictly after `now`, in UTC (a DST gap moves it to the hour after)."""
    tz = ZoneInfo(prefs.timezone)
    day = now.astimezone(tz).date()
    for offset in range(3):
        local = datetime.combine(day + timedelta(days=offset), time(prefs.digest_hour), tzinfo=tz)
        at = local.astimezone(timezone.utc)
        if at > now:
            return at
    raise AssertionError("a morning always comes within three days")


def local_day(prefs: Preferences, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(prefs.timezone)).date()


def day_bounds(prefs: Preferences, day: date) -> tuple[datetime, datetime]:
    """The UTC start and end of one local day of the broker."""
    tz = ZoneInfo(prefs.timezone)
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(timezone.utc)
    return start, end

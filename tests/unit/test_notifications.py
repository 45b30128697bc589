"""The preferences' decisions, pure: where a notice goes and when the broker's morning is."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chalicelib.domain import notifications as n
from chalicelib.domain.errors import InvalidInput


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_a_notice_goes_to_its_own_addresses_else_the_teams_else_the_brokers_else_nowhere():
    prefs = n.preferences({"recipients": ["team@a.test"], "notices": {"dispute": {"recipients": ["legal@a.test"]}}})
    assert n.route(prefs, "dispute", "ar@a.test") == n.Route("immediate", ("legal@a.test",))
    assert n.route(prefs, "payment", "ar@a.test") == n.Route("immediate", ("team@a.test",))
    assert n.route(n.Preferences(), "payment", "ar@a.test") == n.Route("immediate", ("ar@a.test",))
    assert n.route(n.Preferences(), "payment", None).delivery == "off"  # nobody to tell


def test_waiting_for_the_digest_needs_the_digest():
    with pytest.raises(InvalidInput) as refused:
        n.preferences({"notices": {"escalation": {"delivery": "digest"}}})
    assert refused.value.field == "notices.escalation.delivery"
    assert n.preferences({"digest": {"enabled": True}, "notices": {"escalation": {"delivery": "digest"}}}).digest


@pytest.mark.parametrize(("now", "expected"), [
    ("2026-11-02T06:59:00", "2026-11-02T07:00:00"),  # 08:00 CET
    ("2026-11-02T07:00:00", "2026-11-03T07:00:00"),  # just sent: tomorrow's
    ("2026-03-28T12:00:00", "2026-03-29T06:00:00"),  # summer time starts overnight: 08:00 CEST
    ("2026-10-24T12:00:00", "2026-10-25T07:00:00"),  # and ends
])
def test_the_next_morning_is_eight_oclock_in_the_brokers_zone_whatever_the_season(now, expected):
    prefs = n.Preferences(timezone="Europe/Berlin", digest=True)
    assert n.next_digest_at(prefs, utc(now)) == utc(expected)


def test_a_large_payment_is_at_or_over_the_threshold_of_its_own_currency():
    prefs = n.Preferences(large_payment={"EUR": 100000})
    assert n.is_large(prefs, 100000, "EUR") and not n.is_large(prefs, 99999, "EUR")
    assert not n.is_large(prefs, 10**9, "JPY")  # no threshold for yen: never large

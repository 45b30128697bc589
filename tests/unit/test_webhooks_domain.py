"""Outbound webhooks' pure rules: which addresses a delivery may reach, the signature, the retry schedule."""
from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from chalicelib.domain import webhook_security as s
from chalicelib.domain import webhooks as w

REFUSED = ["10.0.0.1", "172.16.5.4", "192.168.1.1", "127.0.0.1", "127.8.9.10", "169.254.169.254", "100.64.0.1",
           "0.0.0.0", "255.255.255.255", "224.0.0.1", "192.0.2.10", "198.18.0.1", "::1", "::", "fe80::1",
           "fc00::1", "fd12:3456::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1", "ff02::1", "2001:db8::1"]
ALLOWED = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"]


@pytest.mark.parametrize("address", REFUSED)
def test_private_loopback_link_local_and_reserved_addresses_are_refused(address):
    with pytest.raises(ValueError, match="not a public address"):
        s.check_address(ipaddress.ip_address(address), allow_loopback=False)


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address):
    s.check_address(ipaddress.ip_address(address), allow_loopback=False)


def test_the_demo_setting_opens_loopback_only():
    for address in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        s.check_address(ipaddress.ip_address(address), allow_loopback=True)
    for address in ("10.0.0.1", "169.254.169.254", "192.168.0.1"):
        with pytest.raises(ValueError):
            s.check_address(ipaddress.ip_address(address), allow_loopback=True)


def test_urls_are_https_except_loopback_in_the_demo():
    assert s.parse_url("https://hooks.acme.test/in?x=1", allow_loopback=False) == s.Target(
        "https", "hooks.acme.test", 443, "/in?x=1")
    for url in ("http://hooks.acme.test/", "http://127.0.0.1:8090/", "http://localhost/", "https://10.0.0.1/"):
        with pytest.raises(ValueError):
            s.parse_url(url, allow_loopback=False)
    assert s.parse_url("http://127.0.0.1:8090/hooks", allow_loopback=True).port == 8090
    with pytest.raises(ValueError, match="https"):
        s.parse_url("http://hooks.acme.test/", allow_loopback=True)  # plain HTTP only to loopback


def test_a_signature_verifies_and_nothing_else_does():
    body = b'{"id":"evt_1"}'
    header = s.signature("whsec_a", 1_800_000_000, body)
    assert re.fullmatch(r"t=1800000000,v1=[0-9a-f]{64}", header)
    assert s.verify_signature("whsec_a", header, body, 1_800_000_000 + s.TOLERANCE_SECONDS)
    assert not s.verify_signature("whsec_a", header, body, 1_800_000_000 + s.TOLERANCE_SECONDS + 1)
    assert not s.verify_signature("whsec_b", header, body, 1_800_000_000)
    assert not s.verify_signature("whsec_a", header, body + b" ", 1_800_000_000)
    assert not s.verify_signature("whsec_a", header.replace("t=1800000000", "t=1800000001"), body, 1_800_000_000)
    assert not s.verify_signature("whsec_a", None, body, 1_800_000_000)
    assert not s.verify_signature("whsec_a", "v1=abc", body, 1_800_000_000)
    # A receiver rolling its secret: several v1 values, any one may match.
    assert s.verify_signature("whsec_a", header + ",v1=" + "0" * 64, body, 1_800_000_000)


def test_the_wait_doubles_from_30_seconds_to_6_hours_with_jitter():
    assert w.retry_delay(1, 0.0) == timedelta(seconds=15) and w.retry_delay(1, 0.999999) < timedelta(seconds=30)
    assert w.retry_delay(2, 0.0) == timedelta(seconds=30)
    assert w.retry_delay(20, 0.0) == timedelta(hours=3) and w.retry_delay(20, 0.999999) < timedelta(hours=6)
    assert w.retry_delay(3, 0.5, scale=0.01) == w.retry_delay(3, 0.5) * 0.01


def test_retries_stop_after_3_days():
    first = datetime(2026, 11, 1, tzinfo=timezone.utc)
    assert w.next_attempt(first, first + timedelta(days=2, hours=23), 19, 0.0) is None
    assert w.next_attempt(first, first + timedelta(days=2), 19, 0.0) == first + timedelta(days=2, hours=3)
    assert w.next_attempt(first, first + timedelta(minutes=42), 19, 0.0, scale=0.01) is None  # 43 min window


def test_every_mapped_history_kind_is_one_the_domain_records():
    """A typo in the table would silently send nothing; the two kinds another change adds are named."""
    tables = ("webhooks.py", "webhook_types.py")
    domain = "".join(p.read_text() for p in Path(w.__file__).parent.glob("*.py") if p.name not in tables)
    recorded = {k for k in w.CASE_EVENT_TYPES if f'"{k}"' in domain}
    assert set(w.CASE_EVENT_TYPES) - recorded <= {"escalated", "written_off"}
    assert set(w.EVENT_TYPES) >= {"case.opened", "reminder.sent", "payment.received", "payment.refunded",
                                  "chargeback.opened", "plan.started", "plan.defaulted", "plan.completed",
                                  "promise.made", "promise.missed", "dispute.opened", "dispute.resolved",
                                  "case.escalated", "case.written_off", "import.finished"}


def test_the_same_change_always_has_the_same_event_id():
    assert w.event_id("b1", "c1", 3) == w.event_id("b1", "c1", 3) != w.event_id("b1", "c1", 4)
    assert w.event_id("b1", "c1", 3) != w.event_id("b2", "c1", 3)

"""Every channel a policy may name is one the worker can send through, and each says whom it reaches."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

from chalicelib.adapters.templates import Templates
from chalicelib.domain import channels as domain_channels
from chalicelib.domain import ladder
from chalicelib.domain.cases import BrokerContact, Case, Customer, Invoice, Link, open_case
from chalicelib.domain.policy import DEFAULT_POLICY, policy_from_dict
from chalicelib.services.channels import registry

NOW = datetime(2026, 11, 3, 8, 0, tzinfo=timezone.utc)


def case(phone: str | None = "+14155550100", broker_email: str | None = "ar@acme.test") -> Case:
    return open_case(broker_id="b1", case_id="c1", broker=BrokerContact("Acme", broker_email),
                     customer=Customer("Jane", "jane@example.test", phone, "en", "UTC"),
                     invoice=Invoice("INV-1", date(2026, 10, 1), date(2026, 10, 31), 1000, "EUR"),
                     link=Link("l1", 1, "2026-12-01T00:00:00Z"), at=NOW).case


class Unused:
    """Channels are built with their provider; these tests never send."""

    def __getattr__(self, name: str) -> None:
        raise AssertionError(f"nothing is sent here ({name})")


CHANNELS = registry(Templates(), Unused(), Unused(), lambda: NOW)  # type: ignore[arg-type]


def test_the_registry_has_a_channel_for_every_name_a_policy_accepts_and_for_the_broker():
    assert set(CHANNELS) == set(domain_channels.NAMES) | {ladder.BROKER}
    for name in domain_channels.NAMES:
        body = DEFAULT_POLICY.as_dict()
        body["ladder"][0]["channels"] = [name]
        assert policy_from_dict(body).ladder[0].channels == (name,)


def test_each_channel_says_whether_it_reaches_the_customer():
    assert CHANNELS["sms"].reaches(case()) and not CHANNELS["sms"].reaches(case(phone=None))
    opted_out = replace(case(), ladder=replace(case().ladder, sms_opted_out=True))
    assert not CHANNELS["sms"].reaches(opted_out) and CHANNELS["email"].reaches(opted_out)
    assert CHANNELS[ladder.BROKER].reaches(case()) and not CHANNELS[ladder.BROKER].reaches(case(broker_email=None))

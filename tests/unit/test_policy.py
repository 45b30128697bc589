"""The broker's reminder policy: the default ladder, tiers, and a clear 400 naming the field for bad input.

A body is read as the API reads it: checked against the published schema, then by the domain's rules
that span fields.
"""
from __future__ import annotations

import copy
from datetime import time
from typing import Any

import pytest

from chalicelib import schemas, validation
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.fees import InterestRegime, LateFeeKind
from chalicelib.domain.policy import (
    ACTIONS,
    CHANNELS,
    DEFAULT_POLICY,
    INTERVALS,
    KEY_ACCOUNT_LADDER,
    POLICY_FIELDS,
    STAGES,
    TEMPLATES,
    WEEKDAYS,
    Policy,
    policy_from_dict,
)


def body(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(DEFAULT_POLICY.as_dict())
    data.update(changes)
    return data


def read(data: Any) -> Policy:
    validation.validate(data, schemas.POLICY)
    return policy_from_dict(data)


def field_of(data: Any) -> str | None:
    with pytest.raises(InvalidInput) as caught:
        read(data)
    return caught.value.field


def test_the_default_ladder_is_the_one_the_issue_describes():
    ladder = DEFAULT_POLICY.ladder
    assert [(s.offset_days, s.stage) for s in ladder] == [
        (-3, "courtesy"), (0, "reminder"), (3, "reminder"), (10, "formal"), (20, "late_fee"), (30, "final"),
        (45, "escalation")]
    assert [s.template for s in ladder] == ["courtesy", "due_today", "reminder", "formal", "late_fee", "final",
                                            "escalation"]
    assert ladder[4].actions == ("apply_late_fee", "start_interest")
    assert ladder[6].actions == ("mark_ready_for_collections", "notify_broker")
    assert ladder[6].channels == ()  # the broker is told; the customer gets no message at escalation
    assert [s.step_id for s in ladder] == ["-3", "+0", "+3", "+10", "+20", "+30", "+45"]


def test_default_contact_rules_are_eight_to_nine_no_sundays_three_a_week():
    rules = DEFAULT_POLICY.contact
    assert (rules.window_start, rules.window_end) == (time(8), time(21))
    assert 6 not in rules.days and len(rules.days) == 6
    assert (rules.max_contacts, rules.per_days) == (3, 7)


def test_key_accounts_get_a_gentler_ladder():
    gentle = DEFAULT_POLICY.ladder_for("key_account")
    assert gentle == KEY_ACCOUNT_LADDER
    assert gentle[0].offset_days >= 0 > DEFAULT_POLICY.ladder[0].offset_days  # no nudge before the due date
    assert not any("apply_late_fee" in s.actions for s in gentle)
    assert all(c == "email" for s in gentle for c in s.channels)
    assert DEFAULT_POLICY.ladder_for(None) == DEFAULT_POLICY.ladder
    assert DEFAULT_POLICY.ladder_for("unknown_tier") == DEFAULT_POLICY.ladder


def test_a_policy_survives_the_round_trip_through_json():
    assert policy_from_dict(DEFAULT_POLICY.as_dict()) == DEFAULT_POLICY
    assert policy_from_dict(DEFAULT_POLICY.as_dict(), version=7).version == 7


def test_omitted_sections_take_the_defaults():
    policy = policy_from_dict({"ladder": [{"offset_days": 5, "template": "reminder", "stage": "reminder"}]})
    assert policy.ladder[0].channels == ("email",) and policy.ladder[0].actions == ()
    assert policy.contact == DEFAULT_POLICY.contact
    assert policy.tiers == {}
    assert policy.interest.regime == "none" and policy.interest.carry_forward_rates is True
    assert policy.sender == DEFAULT_POLICY.sender


def test_a_full_custom_policy_is_read_exactly():
    policy = policy_from_dict({
        "ladder": [
            {"offset_days": 1, "template": "reminder", "stage": "reminder", "channels": ["sms", "email"]},
            {"offset_days": 14, "template": "final", "stage": "final", "actions": ["apply_late_fee"]},
            {"offset_days": 28, "template": "escalation", "stage": "escalation", "channels": [],
             "actions": ["notify_broker", "mark_ready_for_collections"]},
        ],
        "tiers": [{"tier": "vip", "ladder": [{"offset_days": 7, "template": "reminder", "stage": "reminder"}]}],
        "contact": {"window_start": "09:30", "window_end": "17:00", "days": ["fri", "mon"], "max_contacts": 2,
                    "per_days": 10},
        "late_fee": {"kind": "greater_of", "fixed_amount": 4000, "rate_bp": 250, "cap": 10000, "grace_days": 5},
        "interest": {"regime": "eu", "country": "DE", "carry_forward_rates": False},
        "discount": {"rate_bp": 200, "days": 10},
        "sender": {"from_email": "ar@acme.test", "from_name": "Acme AR", "reply_to": "help@acme.test"},
    }, version=3)
    assert policy.version == 3
    assert policy.ladder[0].channels == ("sms", "email")
    assert policy.tiers["vip"][0].offset_days == 7
    assert policy.contact.days == (0, 4) and policy.contact.window_start == time(9, 30)
    assert policy.late_fee is not None and policy.late_fee.kind is LateFeeKind.GREATER_OF
    assert policy.late_fee.cap == 10000 and policy.late_fee.grace_days == 5
    assert (policy.interest.regime, policy.interest.country, policy.interest.carry_forward_rates) == ("eu", "DE",
                                                                                                      False)
    assert policy.discount is not None and policy.discount.rate_bp == 200
    assert policy.sender.reply_to == "help@acme.test"
    assert policy_from_dict(policy.as_dict(), version=3) == policy


def step(offset: Any, **extra: Any) -> dict[str, Any]:
    return {"offset_days": offset, "template": "reminder", "stage": "reminder", **extra}


def ladder_with(index: int, **changes: Any) -> list[dict[str, Any]]:
    steps = copy.deepcopy(DEFAULT_POLICY.as_dict()["ladder"])
    steps[index].update(changes)
    return steps


BAD: list[tuple[str, Any, str]] = [
    ("not an object", [1, 2], "body"),
    ("unknown top-level field", body(colour="red"), "colour"),
    ("no ladder", {"contact": {}}, "ladder"),
    ("ladder not a list", body(ladder={"a": 1}), "ladder"),
    ("empty ladder", body(ladder=[]), "ladder"),
    ("offset as text", body(ladder=ladder_with(2, offset_days="3")), "ladder[2].offset_days"),
    ("offset as a boolean", body(ladder=ladder_with(0, offset_days=True)), "ladder[0].offset_days"),
    ("offset out of range", body(ladder=ladder_with(6, offset_days=400)), "ladder[6].offset_days"),
    ("offsets out of order", body(ladder=ladder_with(2, offset_days=-5)), "ladder[2].offset_days"),
    ("the same offset twice", body(ladder=ladder_with(2, offset_days=0)), "ladder[2].offset_days"),
    ("unknown stage", body(ladder=ladder_with(0, stage="gentle")), "ladder[0].stage"),
    ("unknown template", body(ladder=ladder_with(1, template="nag")), "ladder[1].template"),
    ("unknown channel", body(ladder=ladder_with(1, channels=["email", "fax"])), "ladder[1].channels[1]"),
    ("a channel twice", body(ladder=ladder_with(1, channels=["email", "email"])), "ladder[1].channels[1]"),
    ("unknown action", body(ladder=ladder_with(3, actions=["sue"])), "ladder[3].actions[0]"),
    ("a step that does nothing", body(ladder=ladder_with(3, channels=[])), "ladder[3].channels"),
    ("unknown step field", body(ladder=ladder_with(3, colour="red")), "ladder[3].colour"),
    ("missing template", body(ladder=[{"offset_days": 1, "stage": "reminder"}]), "ladder[0].template"),
    ("two final steps", body(ladder=ladder_with(3, stage="final")), "ladder[5].stage"),
    ("escalation without a final", body(ladder=[step(1), {"offset_days": 9, "template": "escalation",
                                                           "stage": "escalation", "channels": [],
                                                           "actions": ["notify_broker"]}]), "ladder[1].stage"),
    ("collections outside escalation", body(ladder=ladder_with(3, actions=["mark_ready_for_collections"])),
     "ladder[3].actions"),
    ("a late fee step without a late fee", body(late_fee=None), "ladder[4].actions"),
    ("tier name", body(tiers=[{"tier": "Key Account", "ladder": [step(1)]}]), "tiers[0].tier"),
    ("tier twice", body(tiers=[{"tier": "a", "ladder": [step(1)]}, {"tier": "a", "ladder": [step(2)]}]),
     "tiers[1].tier"),
    ("tier step", body(tiers=[{"tier": "a", "ladder": [step(1), step("x")]}]), "tiers[0].ladder[1].offset_days"),
    ("tier without ladder", body(tiers=[{"tier": "a"}]), "tiers[0].ladder"),
    ("window start", body(contact={"window_start": "8am"}), "contact.window_start"),
    ("window hour 24", body(contact={"window_end": "24:00"}), "contact.window_end"),
    ("window backwards", body(contact={"window_start": "18:00", "window_end": "09:00"}), "contact.window_end"),
    ("no contact days", body(contact={"days": []}), "contact.days"),
    ("unknown day", body(contact={"days": ["mon", "funday"]}), "contact.days[1]"),
    ("no contacts at all", body(contact={"max_contacts": 0}), "contact.max_contacts"),
    ("cap window too long", body(contact={"per_days": 90}), "contact.per_days"),
    ("unknown contact field", body(contact={"holidays": []}), "contact.holidays"),
    ("late fee kind", body(late_fee={"kind": "huge"}), "late_fee.kind"),
    ("fixed fee without amount", body(late_fee={"kind": "fixed"}), "late_fee.fixed_amount"),
    ("percentage with an amount", body(late_fee={"kind": "percentage", "rate_bp": 100, "fixed_amount": 5}),
     "late_fee.fixed_amount"),
    ("cap below the fixed fee", body(late_fee={"kind": "fixed", "fixed_amount": 500, "cap": 100}), "late_fee.cap"),
    ("fee as a float", body(late_fee={"kind": "fixed", "fixed_amount": 12.5}), "late_fee.fixed_amount"),
    ("negative grace", body(late_fee={"kind": "fixed", "fixed_amount": 5, "grace_days": -1}), "late_fee.grace_days"),
    ("interest regime", body(interest={"regime": "usury"}), "interest.regime"),
    ("contractual without a rate", body(interest={"regime": "contractual"}), "interest.rate_bp"),
    ("a rate for the EU regime", body(interest={"regime": "eu", "rate_bp": 900}), "interest.rate_bp"),
    ("country name", body(interest={"regime": "eu", "country": "Germany"}), "interest.country"),
    ("non-euro member state", body(interest={"regime": "eu", "country": "PL"}), "interest.country"),
    ("carry forward as text", body(interest={"regime": "uk", "carry_forward_rates": "yes"}),
     "interest.carry_forward_rates"),
    ("discount of nothing", body(discount={"rate_bp": 0, "days": 10}), "discount.rate_bp"),
    ("discount without days", body(discount={"rate_bp": 200}), "discount.days"),
    ("from address", body(sender={"from_email": "not an address"}), "sender.from_email"),
    ("reply-to", body(sender={"reply_to": "x@"}), "sender.reply_to"),
    ("header injection in the name", body(sender={"from_name": "Acme\r\nBcc: x@y.z"}), "sender.from_name"),
]


@pytest.mark.parametrize(("data", "field"), [(d, f) for _, d, f in BAD], ids=[name for name, _, _ in BAD])
def test_bad_policies_are_refused_naming_the_field(data, field):
    assert field_of(data) == field


def test_the_error_message_says_what_is_wrong():
    with pytest.raises(InvalidInput) as caught:
        read(body(ladder=ladder_with(2, offset_days=-5)))
    assert "increasing" in caught.value.message
    assert caught.value.status == 400


def test_the_published_fields_are_the_ones_read():
    assert set(POLICY_FIELDS) == set(DEFAULT_POLICY.as_dict())
    assert isinstance(policy_from_dict(body()), Policy)


def test_the_published_schema_speaks_the_domains_words():
    """The schema is now the only check of these words: it must offer exactly what the domain knows."""
    fields = schemas.POLICY["properties"]
    step = fields["ladder"]["items"]["properties"]
    assert step["stage"]["enum"] == list(STAGES) and step["template"]["enum"] == list(TEMPLATES)
    assert step["channels"]["items"]["enum"] == list(CHANNELS) and step["actions"]["items"]["enum"] == list(ACTIONS)
    assert fields["contact"]["properties"]["days"]["items"]["enum"] == list(WEEKDAYS)
    assert fields["interest"]["properties"]["regime"]["enum"] == [r.value for r in InterestRegime]
    assert fields["late_fee"]["properties"]["kind"]["enum"] == [k.value for k in LateFeeKind]
    assert fields["plans"]["properties"]["interval"]["enum"] == list(INTERVALS)
    assert set(fields) == set(POLICY_FIELDS)

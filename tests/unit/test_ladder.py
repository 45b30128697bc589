"""The reminder ladder, driven by time travel: which step, when, in the customer's own time zone, exactly once."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain import cases, ladder, payments
from chalicelib.domain.cases import BrokerContact, Case, Change, Customer, Invoice, Link, iso, parse_iso
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.history import Event, verify_history
from chalicelib.domain.policy import DEFAULT_POLICY, ContactRules, Policy, Step, policy_from_dict

UTC = timezone.utc
DUE = date(2027, 3, 3)  # a Wednesday; three days before is a Sunday; DST starts in the US and EU after it
OPENED = datetime(2027, 2, 20, 12, 0, tzinfo=UTC)


def make_case(*, tz: str = "Europe/Berlin", due: date = DUE, opened: datetime = OPENED,
              phone: str | None = "+4915550100", tier: str | None = None, policy: Policy = DEFAULT_POLICY,
              amount: int = 125000,
              currency: str = "EUR", broker_email: str | None = "ar@acme.test",
              link_days: int = 90) -> tuple[Case, list[Event]]:
    change = cases.open_case(
        broker_id="b1", case_id="c1", broker=BrokerContact("Acme", broker_email),
        customer=Customer("Jane", "jane@example.test", phone, "en", tz, tier),
        invoice=Invoice("INV-1", due - timedelta(days=30), due, amount, currency),
        link=Link("l1", 1, iso(opened + timedelta(days=link_days))), at=opened)
    case = replace(change.case, next_action_at=ladder.next_action(change.case, policy, opened))
    return case, list(change.events)


@dataclass
class Sent:
    local: str
    step: str
    channel: str


@dataclass
class World:
    """A case, its history, and a provider that accepts or refuses deliveries; time moves in sweep ticks."""

    case: Case
    events: list[Event]
    policy: Policy = DEFAULT_POLICY
    sent: list[Sent] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # channels the provider refuses
    opted_out: bool = False
    ids: int = 0

    def store(self, change: cases.Change | None) -> cases.Change | None:
        if change is not None:
            assert change.expected_version == self.case.version
            self.case = change.case
            self.events.extend(change.events)
        return change

    def worker(self, now: datetime) -> None:
        """What the queue worker does with a case the sweep found due."""
        self.ids += 1
        change = self.store(ladder.advance(self.case, self.policy, now, new_link_id=f"l{self.ids + 1}",
                                           link_ttl=timedelta(days=30)))
        claim = ladder.claim_of(change) if change else None
        while claim is not None:
            if claim.channel in self.refuse:
                change = self.store(ladder.fail(self.case, claim, "MessageRejected", self.policy, now))
            elif claim.channel == "sms" and self.opted_out:
                change = self.store(ladder.skip(self.case, claim, "sms_opted_out", self.policy, now))
            else:
                tz = ZoneInfo(self.case.customer.timezone)
                self.sent.append(Sent(now.astimezone(tz).strftime("%a %Y-%m-%d %H:%M"), claim.step_id, claim.channel))
                change = self.store(ladder.confirm(self.case, claim, f"m{len(self.sent)}", self.policy, now))
            claim = ladder.claim_of(change) if change else None

    def run(self, start: datetime, days: float, tick: timedelta = timedelta(minutes=15)) -> datetime:
        now = start
        while now < start + timedelta(days=days):
            if self.case.next_action_at and parse_iso(self.case.next_action_at) <= now:
                self.worker(now)
            now += tick
        return now

    def types(self) -> list[str]:
        return [e.type for e in self.events]

    def of(self, type_: str) -> list[dict[str, Any]]:
        return [e.data for e in self.events if e.type == type_]


def paid_by_card(case: Case, at: datetime) -> Change:
    """Everything due paid by card, as Stripe's webhook records it (the payments ledger)."""
    change = payments.apply(case, [payments.succeeded("pi_1", case.balance.due, currency=case.balance.currency)],
                            at=at)
    assert change is not None
    return change


def world(**kwargs: Any) -> World:
    policy = kwargs.pop("policy", DEFAULT_POLICY)
    case, events = make_case(policy=policy, **kwargs)
    return World(case, events, policy)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- the "Done when" scenario ------------------------------------------------------------------------

EXPECTED = [
    ("Mon 2027-03-01 08:00", "-3", "email"),  # Sunday 28 February is no contact day: deferred, not dropped
    ("Wed 2027-03-03 08:00", "+0", "email"),
    ("Sat 2027-03-06 08:00", "+3", "email"),
    ("Sat 2027-03-06 08:00", "+3", "sms"),
    ("Sat 2027-03-13 08:00", "+10", "email"),
    ("Tue 2027-03-23 08:00", "+20", "email"),
    ("Tue 2027-03-23 08:00", "+20", "sms"),
    ("Fri 2027-04-02 08:00", "+30", "email"),
    ("Fri 2027-04-02 08:00", "+30", "sms"),
    ("Sat 2027-04-17 08:00", "+45", "broker"),
]


@pytest.mark.parametrize("tz", ["America/Los_Angeles", "Europe/Berlin", "Asia/Tokyo"])
def test_the_default_ladder_over_sixty_days_sends_each_step_once_at_eight_local(tz):
    w = world(tz=tz)
    w.run(OPENED, days=60)
    assert [(s.local, s.step, s.channel) for s in w.sent] == EXPECTED
    assert w.case.status == "open" and w.case.closing.ready_for_collections  # the broker confirms (escalate)
    assert w.case.next_action_at is None  # the ladder is done: the case leaves the sweep index
    assert w.case.balance.fees == 6250  # the +20 step's 5% late fee, once
    assert [d["step"] for d in w.of("reminder_started")] == ["-3", "+0", "+3", "+10", "+20", "+30", "+45"]
    assert len(w.of("reminder_sent")) == len(EXPECTED)
    assert all(d["message_id"] for d in w.of("reminder_sent"))
    assert verify_history(w.events, w.case.head_hash).ok


def test_the_same_local_time_is_a_different_utc_time_across_a_dst_change():
    w = world(tz="America/Los_Angeles")
    w.run(OPENED, days=60)
    started = {e.data["step"]: e.at for e in w.events if e.type == "reminder_started"}
    assert started["+10"].startswith("2027-03-13T16:00")  # PST, UTC-8
    assert started["+20"].startswith("2027-03-23T15:00")  # PDT, UTC-7 since 14 March


def test_a_new_case_is_planned_for_its_first_step_straight_away():
    case, _ = make_case(tz="Asia/Tokyo")
    assert case.next_action_at == "2027-02-28T23:00:00.000Z"  # Monday 08:00 in Tokyo
    plan = ladder.plan(case, DEFAULT_POLICY, OPENED)
    assert plan.step is not None and plan.step.step_id == "-3" and plan.reason == "scheduled"


def test_nothing_happens_before_the_planned_moment():
    w = world()
    w.worker(utc("2027-02-28T06:59:00"))  # Sunday 07:59 in Berlin; the sweep would not even pick it up
    assert w.sent == [] and "reminder_started" not in w.types()


# --- contact rules ---------------------------------------------------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")
RULES = ContactRules()


@pytest.mark.parametrize(("moment", "expected"), [
    ("2027-03-02T06:00:00", "2027-03-02T07:00:00"),  # Tue 07:00 Berlin -> 08:00
    ("2027-03-02T10:00:00", "2027-03-02T10:00:00"),  # inside the window: now
    ("2027-03-02T19:59:00", "2027-03-02T19:59:00"),  # 20:59 still inside
    ("2027-03-02T20:00:00", "2027-03-03T07:00:00"),  # 21:00 is closed: next morning
    ("2027-03-06T20:30:00", "2027-03-08T07:00:00"),  # Saturday night -> skips Sunday -> Monday 08:00
    ("2027-03-07T09:00:00", "2027-03-08T07:00:00"),  # Sunday -> Monday
])
def test_the_contact_window(moment, expected):
    assert ladder.in_window(utc(moment), BERLIN, RULES) == utc(expected)


def test_the_window_is_local_across_a_dst_change():
    la = ZoneInfo("America/Los_Angeles")
    assert ladder.in_window(utc("2027-03-13T12:00:00"), la, RULES) == utc("2027-03-13T16:00:00")  # PST
    assert ladder.in_window(utc("2027-03-15T12:00:00"), la, RULES) == utc("2027-03-15T15:00:00")  # PDT


def test_a_window_opening_inside_the_skipped_hour_opens_just_after_it():
    la = ZoneInfo("America/Los_Angeles")
    rules = ContactRules(window_start=time(2, 30), days=tuple(range(7)))
    opened = ladder.in_window(utc("2027-03-14T08:00:00"), la, rules)  # 00:00 PST on the change day
    assert opened.astimezone(la).hour == 3 and opened == utc("2027-03-14T10:30:00")


def test_the_weekly_cap_defers_to_when_the_oldest_contact_falls_out():
    contacts = (utc("2027-03-01T07:00:00"), utc("2027-03-03T07:00:00"), utc("2027-03-04T07:00:00"))
    assert ladder.under_cap(utc("2027-03-05T07:00:00"), contacts, RULES) == utc("2027-03-08T07:00:00")
    assert ladder.under_cap(utc("2027-03-09T07:00:00"), contacts, RULES) == utc("2027-03-09T07:00:00")
    assert ladder.under_cap(utc("2027-03-05T07:00:00"), contacts[:2], RULES) == utc("2027-03-05T07:00:00")


def test_cap_and_window_together_never_land_on_a_sunday():
    contacts = (utc("2027-02-28T10:00:00"), utc("2027-03-02T07:00:00"), utc("2027-03-03T07:00:00"))
    # The oldest falls out on Sunday 7 March 11:00: the next allowed moment is Monday 08:00.
    assert ladder.allowed(utc("2027-03-05T07:00:00"), BERLIN, RULES, contacts) == utc("2027-03-08T07:00:00")


def tight_policy(**contact: Any) -> Policy:
    return policy_from_dict({
        "ladder": [{"offset_days": d, "template": "reminder", "stage": "reminder"} for d in (0, 1, 2, 3, 4)],
        "contact": {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], **contact},
    })


def test_a_fourth_contact_within_seven_days_waits_for_the_oldest_to_fall_out():
    w = world(policy=tight_policy())
    w.run(OPENED, days=30)
    assert [(s.local, s.step) for s in w.sent] == [
        ("Wed 2027-03-03 08:00", "+0"), ("Thu 2027-03-04 08:00", "+1"), ("Fri 2027-03-05 08:00", "+2"),
        ("Wed 2027-03-10 08:00", "+3"),  # deferred a week after the first, not dropped
        ("Thu 2027-03-11 08:00", "+4"),
    ]


def test_a_configured_cap_and_window_are_honoured():
    w = world(policy=tight_policy(max_contacts=5, window_start="10:15", window_end="12:00"))
    w.run(OPENED, days=30)
    assert [s.local for s in w.sent] == [f"{d} 2027-03-0{n} 10:15" for d, n in
                                         (("Wed", 3), ("Thu", 4), ("Fri", 5), ("Sat", 6), ("Sun", 7))]


def test_at_most_one_step_per_local_day():
    policy = policy_from_dict({"ladder": [{"offset_days": d, "template": "reminder", "stage": "reminder"}
                                          for d in (4, 5)]})  # +4 is Sunday 7 March, +5 Monday
    w = world(policy=policy)
    w.run(OPENED, days=20)
    assert [(s.local, s.step) for s in w.sent] == [("Mon 2027-03-08 08:00", "+4"), ("Tue 2027-03-09 08:00", "+5")]


def test_a_late_sweep_after_the_window_closes_waits_for_the_next_morning():
    w = world()
    w.worker(utc("2027-03-01T20:30:00"))  # Monday 21:30 Berlin: due since 08:00, but now too late
    assert w.sent == []
    assert w.case.next_action_at == "2027-03-02T07:00:00.000Z"
    assert w.of("reminder_rescheduled")[-1]["step"] == "-3"


# --- late starts, tiers, channels ------------------------------------------------------------------

def test_a_case_opened_late_starts_at_the_newest_due_step_and_carries_its_fees():
    w = world(opened=utc("2027-03-26T09:00:00"))  # +23: the +20 late fee step is the newest one due
    w.run(utc("2027-03-26T09:00:00"), days=40)
    started = w.of("reminder_started")
    assert started[0]["step"] == "+20" and started[0]["skipped"] == ["-3", "+0", "+3", "+10"]
    assert [s.step for s in w.sent if s.channel == "email"] == ["+20", "+30"]
    assert w.of("fee_applied")[0]["amount"] == 6250


def test_a_case_opened_after_the_escalation_date_gets_its_final_notice_first():
    w = world(opened=utc("2027-04-26T09:00:00"))  # +54
    w.run(utc("2027-04-26T09:00:00"), days=30)
    started = w.of("reminder_started")
    assert [d["step"] for d in started] == ["+30", "+45"]
    assert "apply_late_fee" in started[0]["actions"]  # the skipped +20 step's fee is not lost
    final_on = date.fromisoformat(started[0]["local_date"])
    escalated_on = date.fromisoformat(started[1]["local_date"])
    assert escalated_on - final_on >= timedelta(days=15)  # the customer keeps the full time to answer


def test_key_accounts_follow_their_own_ladder():
    w = world(tier="key_account")
    w.run(OPENED, days=75)
    assert [s.step for s in w.sent] == ["+0", "+7", "+21", "+40", "+60"]
    assert w.case.balance.fees == 0


def test_no_sms_without_a_phone_number():
    w = world(phone=None)
    w.run(OPENED, days=60)
    assert {s.channel for s in w.sent} == {"email", "broker"}
    assert w.of("reminder_started")[2]["not_sent_on"] == ["sms"]


def test_an_sms_opt_out_is_recorded_and_honoured_from_then_on():
    w = world()
    w.opted_out = True
    w.run(OPENED, days=60)
    assert [s for s in w.sent if s.channel == "sms"] == []
    assert len(w.of("sms_opted_out")) == 1  # found once, at +3; later steps do not even try
    assert w.case.ladder.sms_opted_out
    assert [d["not_sent_on"] for d in w.of("reminder_started")][4:6] == [["sms"], ["sms"]]


def test_escalation_without_a_broker_email_still_marks_the_case_ready():
    w = world(broker_email=None)
    w.run(OPENED, days=60)
    assert w.case.closing.ready_for_collections and w.of("reminder_started")[-1]["not_sent_on"] == ["broker"]


def test_a_link_about_to_expire_is_replaced_by_a_fresh_one():
    w = world(link_days=40)  # expires on 1 April: fine for the first steps, too soon at +20 (23 March)
    w.run(OPENED, days=60)
    issued = w.of("link_issued")
    assert len(issued) == 2 and issued[1]["revoked_version"] == 1
    links = {d["step"]: d["link_id"] for d in w.of("reminder_sent")}
    assert links["-3"] == links["+10"] == "l1"
    assert links["+20"] == links["+30"] == issued[1]["link_id"] == w.case.link.link_id != "l1"
    assert parse_iso(w.case.link.expires_at) - utc("2027-03-23T07:00:00") == timedelta(days=30)


# --- pauses ----------------------------------------------------------------------------------------

def test_a_manual_pause_skips_steps_and_resume_continues_where_the_ladder_stood():
    w = world()
    end = w.run(OPENED, days=14)  # -3, 0, +3 done by 6 March
    assert [s.step for s in w.sent if s.channel == "email"] == ["-3", "+0", "+3"]
    w.store(ladder.pause(w.case, w.policy, utc("2027-03-08T10:00:00"), until=None, reason="called the customer"))
    assert w.case.next_action_at is None
    end = w.run(end, days=20)  # until 26 March: +10 and +20 would have gone out
    assert [s.step for s in w.sent if s.channel == "email"] == ["-3", "+0", "+3"]
    resume_at = utc("2027-03-28T10:00:00")
    w.store(ladder.resume(w.case, w.policy, resume_at))
    assert w.of("reminders_resumed")[0]["paused_days"] == 20
    w.run(resume_at, days=60)
    assert [(s.local, s.step) for s in w.sent if s.channel == "email"][3:] == [
        ("Fri 2027-04-02 08:00", "+10"),  # the next step is still +10, 20 days later than planned
        ("Mon 2027-04-12 08:00", "+20"),
        ("Thu 2027-04-22 08:00", "+30"),
    ]
    assert w.sent[-1].step == "+45" and w.sent[-1].local == "Fri 2027-05-07 08:00"


def test_a_pause_with_an_end_resumes_by_itself():
    w = world()
    w.run(OPENED, days=14)
    until = utc("2027-03-20T12:00:00")
    w.store(ladder.pause(w.case, w.policy, utc("2027-03-08T10:00:00"), until=until, reason="holiday"))
    assert w.case.next_action_at == iso(until)
    w.run(utc("2027-03-08T10:00:00"), days=60)
    resumed = w.of("reminders_resumed")
    assert resumed == [{"paused_days": 12, "reason": "pause ended"}]
    assert [e.actor for e in w.events if e.type == "reminders_resumed"] == ["system"]
    assert [s.step for s in w.sent if s.channel == "email"][3] == "+10"


def test_pause_and_resume_refuse_what_makes_no_sense():
    w = world()
    with pytest.raises(InvalidInput) as caught:
        ladder.pause(w.case, w.policy, OPENED, until=OPENED - timedelta(hours=1), reason=None)
    assert caught.value.field == "until"
    assert ladder.resume(w.case, w.policy, OPENED) is None  # not paused: nothing to do, not an error
    paid = replace(w.case, status="paid")
    with pytest.raises(Conflict):
        ladder.pause(paid, w.policy, OPENED, until=None, reason=None)


@pytest.mark.parametrize("status", ["promised", "on_plan", "disputed"])
def test_a_promise_plan_or_dispute_pauses_the_ladder_and_reopening_resumes_it(status):
    w = world()
    end = w.run(OPENED, days=14)
    w.case = replace(w.case, status=status)  # what the promise, plan or dispute command does
    end = w.run(end, days=20)
    assert [d["reason"] for d in w.of("reminders_paused")] == [status]
    assert w.case.next_action_at is None
    assert [s.step for s in w.sent if s.channel == "email"] == ["-3", "+0", "+3"]
    reopened = end
    w.case = replace(w.case, status="open", next_action_at=iso(reopened))  # broken promise: back to the sweep
    w.run(reopened, days=60)
    assert w.of("reminders_resumed")[0]["reason"] == "case is open again"
    assert [s.step for s in w.sent if s.channel == "email"][3:] == ["+10", "+20", "+30"]


def test_a_paid_case_gets_no_more_reminders():
    w = world()
    end = w.run(OPENED, days=5)
    w.store(paid_by_card(w.case, end))
    assert w.case.status == "paid" and w.case.next_action_at is None
    before = len(w.sent)
    w.run(end, days=60)
    assert len(w.sent) == before


# --- exactly once ------------------------------------------------------------------------------------

def at_step(step_local: str = "2027-03-01T07:00:00") -> tuple[World, datetime]:
    w = world()
    return w, utc(step_local)


def test_only_the_worker_whose_claim_was_stored_may_send():
    w, now = at_step()
    first = ladder.advance(w.case, w.policy, now, new_link_id="lx", link_ttl=timedelta(days=30))
    second = ladder.advance(w.case, w.policy, now, new_link_id="ly", link_ttl=timedelta(days=30))
    assert first is not None and second is not None
    # Both were decided on the same version: the store accepts one, the other's save fails on the version.
    assert first.expected_version == second.expected_version == w.case.version
    w.store(first)
    assert ladder.advance(w.case, w.policy, now, new_link_id="lz", link_ttl=timedelta(days=30)) is None
    claim = ladder.claim_of(first)
    assert claim is not None and claim.channel == "email" and claim.step_id == "-3"


def test_a_claim_whose_worker_died_is_recorded_unconfirmed_and_never_sent_again():
    w = world()
    now = utc("2027-03-06T07:00:00")  # +3: email, then sms
    w.run(OPENED, days=(now - OPENED).days)
    started = w.store(ladder.advance(w.case, w.policy, now, new_link_id="lx", link_ttl=timedelta(days=30)))
    claim = ladder.claim_of(started)
    assert claim is not None and claim.channel == "email"
    # The worker dies here. Before the lease runs out, nobody else may touch the delivery.
    assert ladder.advance(w.case, w.policy, now + timedelta(minutes=4), new_link_id="lx",
                          link_ttl=timedelta(days=30)) is None
    later = now + ladder.LEASE
    recovered = w.store(ladder.advance(w.case, w.policy, later, new_link_id="lx", link_ttl=timedelta(days=30)))
    assert [e.type for e in recovered.events] == ["reminder_unconfirmed"]
    nxt = ladder.claim_of(recovered)
    assert nxt is not None and nxt.channel == "sms"  # the next delivery, not the same one again


def test_a_late_confirmation_still_records_that_the_message_went_out():
    w = world()
    now = utc("2027-03-01T07:00:00")
    started = w.store(ladder.advance(w.case, w.policy, now, new_link_id="lx", link_ttl=timedelta(days=30)))
    claim = ladder.claim_of(started)
    w.store(ladder.advance(w.case, w.policy, now + ladder.LEASE, new_link_id="lx", link_ttl=timedelta(days=30)))
    late = w.store(ladder.confirm(w.case, claim, "m-late", w.policy, now + ladder.LEASE + timedelta(seconds=1)))
    assert late is not None and [e.type for e in late.events] == ["reminder_sent"]
    assert late.events[0].data["late"] is True and late.events[0].data["message_id"] == "m-late"


def test_failed_sends_retry_with_backoff_then_give_up_and_say_so():
    w = world()
    w.refuse = {"email"}
    w.run(OPENED, days=12)  # -3 on Monday 1 March 08:00, retried, then failed; then +0
    attempts = w.of("reminder_attempt_failed")
    first_step = [d for d in attempts if d["step"] == "-3"]
    assert [d["attempt"] for d in first_step] == [1, 2, 3, 4]
    retries = [parse_iso(d["retry_at"]) - utc("2027-03-01T07:00:00") for d in first_step]
    assert retries == [timedelta(minutes=15), timedelta(minutes=45), timedelta(hours=1, minutes=45),
                       timedelta(hours=3, minutes=45)]
    failed = [d for d in w.of("reminder_failed") if d["step"] == "-3"]
    assert len(failed) == 1 and failed[0]["attempt"] == ladder.MAX_ATTEMPTS
    assert "+0" in [d["step"] for d in w.of("reminder_started")]  # the ladder goes on


def test_a_final_notice_that_cannot_go_out_stops_the_ladder_before_escalation():
    w = world(phone=None)
    end = w.run(OPENED, days=29)  # up to 21 March: everything before the final went out
    w.refuse = {"email"}
    end = w.run(end, days=40)
    assert "+45" not in [d["step"] for d in w.of("reminder_started")]
    assert w.case.status == "open" and w.case.ladder.halted
    assert w.of("reminders_halted")[0]["step"] == "+30"
    assert w.case.next_action_at is None
    w.refuse = set()
    w.store(ladder.resume(w.case, w.policy, end))
    w.run(end, days=30)
    assert [d["step"] for d in w.of("reminder_started")][-2:] == ["+30", "+45"]
    assert w.case.closing.ready_for_collections


def test_the_late_fee_is_charged_once_even_when_the_step_is_retried():
    w = world()
    w.refuse = {"email"}
    w.run(OPENED, days=40)
    assert len([d for d in w.of("fee_applied") if d["kind"] == "late_fee"]) == 1
    assert w.case.balance.fees == 6250


# --- interest ----------------------------------------------------------------------------------------

def eu_policy(country: str | None = "DE", carry: bool = True) -> Policy:
    data = DEFAULT_POLICY.as_dict()
    data["interest"] = {"regime": "eu", "country": country, "carry_forward_rates": carry}
    return policy_from_dict(data, version=2)


def test_statutory_interest_starts_at_the_late_fee_step_and_grows_only_by_the_difference():
    # Due 31 Oct 2026; the +20 step runs on 20 Nov 2026, after the rate table's last entry (Jan 2026):
    # the newest rate is carried forward and the amount marked provisional.
    w = world(policy=eu_policy(), due=date(2026, 10, 31), opened=utc("2026-10-20T09:00:00"))
    w.run(utc("2026-10-20T09:00:00"), days=45)
    interest = w.of("interest_applied")
    # Bundesbank 1.27% + 9 = 10.27% a year on EUR 1,250.00 for 20 days: 1250 * 0.1027 * 20 / 365 = 7.03
    assert interest[0]["amount"] == 703 and interest[0]["total"] == 703 and interest[0]["provisional"] is True
    assert interest[1]["total"] == round(125000 * 1027 * 30 / 10000 / 365)  # at +30: 10.55
    assert interest[1]["amount"] == interest[1]["total"] - interest[0]["total"]
    assert w.case.balance.interest == interest[1]["total"]
    compensation = [d for d in w.of("fee_applied") if d["kind"] == "fixed_compensation"]
    assert [d["amount"] for d in compensation] == [4000]  # EUR 40, once per invoice


def test_without_carrying_rates_forward_interest_is_not_applied_and_says_why():
    w = world(policy=eu_policy(carry=False), due=date(2026, 10, 31), opened=utc("2026-10-20T09:00:00"))
    w.run(utc("2026-10-20T09:00:00"), days=45)
    assert w.of("interest_applied") == []
    assert "rates.py" in w.of("interest_not_applied")[0]["reason"]
    assert w.case.balance.interest == 0


# --- what the broker sees ------------------------------------------------------------------------------

def test_describe_shows_the_next_step_and_when():
    case, _ = make_case()
    view = ladder.describe(case, DEFAULT_POLICY, OPENED)
    assert view["next_action_at"] == "2027-03-01T07:00:00.000Z"
    assert view["next_step"]["step"]["step"] == "-3" and view["next_step"]["step"]["stage"] == "courtesy"
    assert view["next_step"]["at"] == "2027-03-01T07:00:00.000Z" and view["paused"] is None
    paused = ladder.pause(case, DEFAULT_POLICY, OPENED, until=None, reason="x").case
    assert ladder.describe(paused, DEFAULT_POLICY, OPENED)["paused"]["reason"] == "x"
    assert ladder.plan(paused, DEFAULT_POLICY, OPENED).reason == "paused"


def test_a_custom_step_list_is_used_as_given():
    policy = Policy(ladder=(Step(2, "reminder", "reminder", ("sms",)),), tiers={})
    w = world(policy=policy)
    w.run(OPENED, days=20)
    assert [(s.local, s.step, s.channel) for s in w.sent] == [("Fri 2027-03-05 08:00", "+2", "sms")]


def test_a_payment_while_a_step_goes_out_stops_its_remaining_deliveries():
    w = world()
    now = utc("2027-03-06T07:00:00")  # +3: email, then SMS
    w.run(OPENED, days=(now - OPENED).days)
    claim = ladder.claim_of(w.store(ladder.advance(w.case, w.policy, now, new_link_id="lx",
                                                   link_ttl=timedelta(days=30))))
    assert claim is not None and claim.channel == "email"
    w.store(paid_by_card(w.case, now))
    confirmed = w.store(ladder.confirm(w.case, claim, "m-email", w.policy, now))
    assert ladder.claim_of(confirmed) is None  # no SMS to a customer who has just paid
    assert w.of("reminder_skipped")[-1] == {"channel": "sms", "step": "+3", "stage": "reminder",
                                            "template": "reminder", "reason": "case is paid"}
    assert w.case.ladder.pending is None and w.case.next_action_at is None


def test_a_remainder_no_card_payment_can_be_is_never_asked_for():
    from chalicelib.domain import payments

    w = world()
    change = payments.record_offline_payment(w.case, amount=124_999, method="bank_transfer", reference="BT-1",
                                             received_on=OPENED.date(), today=OPENED.date(), at=OPENED)
    w.store(change)
    assert w.case.balance.due == 1
    w.run(OPENED, days=90)
    assert w.sent == []
    assert w.case.next_action_at is None
    assert "smallest card payment" in ladder.describe(w.case, w.policy, OPENED)["next_step"]["reason"]

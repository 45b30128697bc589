"""Self-service rules as pure domain: disputes, promises, "already paid", fresh links; every 409, every retry."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib import schemas, validation
from chalicelib.domain import cases, disputes, ladder, self_service
from chalicelib.domain.cases import BrokerContact, Case, Customer, Invoice, Link, iso, parse_iso
from chalicelib.domain.customer_rules import (
    EVIDENCE_TYPES,
    MAX_ATTACHMENTS,
    MAX_REPORTS,
    OUTCOMES,
    PAID_METHODS,
    REASONS,
    REFRESHES_PER_DAY,
    RULES,
)
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.history import verify_history
from chalicelib.domain.policy import DEFAULT_POLICY, policy_from_dict

UTC = timezone.utc
NOW = datetime(2026, 11, 5, 10, 0, tzinfo=UTC)  # a Thursday; the invoice was due on Saturday 31 October
POLICY = DEFAULT_POLICY
TTL = timedelta(days=30)
STATUSES = ("open", "promised", "on_plan", "disputed", "escalated", "paid", "written_off")


def make_case(status: str = "open", **changes) -> Case:
    change = cases.open_case(
        broker_id="b1", case_id="c1", broker=BrokerContact("Acme", "ar@acme.test"),
        customer=Customer("Jane", "jane@example.test", None, "en", "Europe/Berlin"),
        invoice=Invoice("INV-1", date(2026, 10, 1), date(2026, 10, 31), 125000, "EUR"),
        link=Link("l1", 1, iso(NOW + timedelta(days=20))), at=NOW - timedelta(days=30))
    case = replace(change.case, status=status, **changes)
    return replace(case, next_action_at=ladder.next_action(case, POLICY, NOW))


def dispute(case: Case, at: datetime = NOW, **overrides) -> cases.Change:
    body = {"reason": "quality", "message": "It arrived broken", "amount": None, **overrides}
    change = disputes.open_dispute(case, POLICY, at, **body)
    assert change is not None
    return change


def answer(case: Case, at: datetime = NOW, **body) -> cases.Change | None:
    return disputes.resolve(case, POLICY, at, dispute_id=body.pop("dispute_id", "d1"), new_link_id="l9",
                            link_ttl=TTL, **{"message": "Looked into it", **body})


# --- the table of rules ----------------------------------------------------------------------------------

def test_the_table_covers_every_status_for_every_action():
    for action, by_status in RULES.items():
        assert set(by_status) == set(STATUSES), action


def _attempt(action: str, case: Case) -> cases.Change | None:
    if action == "dispute":
        return disputes.open_dispute(case, POLICY, NOW, reason="other", message="m", amount=None)
    if action == "promise":
        return self_service.make_promise(case, POLICY, NOW, pay_by=date(2026, 11, 12))
    return self_service.report_payment(case, POLICY, NOW, paid_on=date(2026, 11, 4), method="cash", reference="R1")


@pytest.mark.parametrize(("action", "status"), [(a, s) for a in RULES for s in STATUSES])
def test_each_action_is_allowed_or_refused_with_a_409_as_the_table_says(action, status):
    case = make_case(status)
    refusal = RULES[action][status]
    if refusal is None:
        change = _attempt(action, case)
        assert change is not None and change.events[0].actor == "customer"
        verify_history(change.events, case.head_hash)
        return
    with pytest.raises(Conflict) as caught:
        _attempt(action, case)
    assert caught.value.status == 409
    assert caught.value.code == refusal[0]
    assert caught.value.message and "{" not in caught.value.message  # every placeholder filled in


def test_nothing_due_means_no_dispute_and_no_promise():
    settled = make_case(balance=replace(make_case().balance, paid=125000))
    for action in ("dispute", "promise"):
        with pytest.raises(Conflict) as caught:
            _attempt(action, settled)
        assert caught.value.code == "nothing_due"


# --- disputes --------------------------------------------------------------------------------------------

def test_a_dispute_pauses_the_ladder_and_sets_the_broker_reminder():
    case = make_case()
    change = dispute(case, amount=25000)
    after = change.case
    assert after.status == "disputed"
    assert [e.type for e in change.events] == ["dispute_opened", "status_changed"]
    assert change.events[0].data == {"dispute_id": "d1", "reason": "quality", "message": "It arrived broken",
                                     "amount": 25000, "disputed": 25000, "currency": "EUR"}
    assert all(e.actor == "customer" for e in change.events)
    assert after.ladder.paused_since == iso(NOW)
    assert after.self_service.wake_at == iso(NOW + timedelta(days=7))
    assert after.next_action_at == iso(NOW + timedelta(days=7))  # the sweep comes back for the broker
    assert ladder.plan(after, POLICY, NOW).reason == "case is disputed"


def test_the_same_dispute_again_records_nothing_and_another_one_is_a_409():
    after = dispute(make_case()).case
    assert disputes.open_dispute(after, POLICY, NOW, reason="quality", message="It arrived broken",
                                 amount=None) is None
    with pytest.raises(Conflict) as caught:
        disputes.open_dispute(after, POLICY, NOW, reason="other", message="Something else", amount=None)
    assert caught.value.code == "dispute_open"


def test_a_disputed_amount_above_what_is_due_names_the_field():
    with pytest.raises(InvalidInput) as caught:
        dispute(make_case(), amount=125001)
    assert caught.value.field == "amount"


def test_a_dispute_replaces_a_promise():
    promised = self_service.make_promise(make_case(), POLICY, NOW, pay_by=date(2026, 11, 12)).case
    after = dispute(promised).case
    assert after.self_service.promise.status == "superseded"
    assert after.self_service.disputes[0].prior_status == "promised"


def test_upheld_credits_what_was_disputed_and_a_whole_dispute_closes_the_case():
    disputed = dispute(make_case()).case
    change = answer(disputed, outcome="upheld")
    assert change.case.balance.discount == 125000 and change.case.balance.due == 0
    assert change.case.status == "paid" and change.case.next_action_at is None
    assert [e.type for e in change.events] == ["dispute_resolved", "credit_applied", "status_changed"]
    assert all(e.actor == "broker" for e in change.events)


def test_partially_upheld_credits_the_named_amount_and_the_ladder_resumes_shifted():
    disputed = dispute(make_case(), amount=30000).case
    later = NOW + timedelta(days=4)
    change = answer(disputed, later, outcome="partially_upheld", credit_amount=20000)
    after = change.case
    assert after.balance.due == 105000 and after.status == "open"
    resumed = [e for e in change.events if e.type == "reminders_resumed"]
    assert resumed[0].data == {"paused_days": 4, "reason": "dispute partially upheld"}
    assert after.ladder.shift_days == 4 and after.ladder.paused_since is None


def test_rejected_resumes_where_the_ladder_stood_and_an_escalated_case_stays_escalated():
    stood = replace(make_case().ladder, done_offset=10, done_on="2026-11-10")
    case = make_case("escalated", ladder=stood)
    disputed = dispute(case).case
    change = answer(disputed, NOW + timedelta(days=10), outcome="rejected")
    after = change.case
    assert after.status == "escalated" and after.ladder.done_offset == 10
    upcoming = ladder.plan(after, POLICY, NOW + timedelta(days=10))
    assert upcoming.step.step_id == "+20"  # the next rung, not the first one
    assert ladder.nominal_date(after, upcoming.step) == date(2026, 11, 30)  # 31 Oct + 20 + 10 paused


def test_mediation_keeps_the_case_paused_until_its_date_then_the_ladder_resumes():
    disputed = dispute(make_case()).case
    until = NOW + timedelta(days=20)
    change = answer(disputed, outcome="mediation", mediator="Consumer Arbitration Board", until=until)
    after = change.case
    assert after.status == "disputed"
    assert after.self_service.disputes[0].mediator == "Consumer Arbitration Board"
    assert after.next_action_at == iso(until)  # no broker reminder during the mediation
    assert self_service.owns(after)
    assert self_service.due(after, POLICY, until - timedelta(minutes=1), new_link_id="l8", link_ttl=TTL) is None
    ended = self_service.due(after, POLICY, until, new_link_id="l8", link_ttl=TTL)
    assert [e.type for e in ended.events] == ["mediation_ended", "status_changed", "reminders_resumed"]
    assert ended.case.status == "open" and ended.case.self_service.disputes[0].status == "mediation_ended"


def test_an_unanswered_dispute_is_raised_again_every_seven_days():
    after = dispute(make_case()).case
    assert self_service.due(after, POLICY, NOW + timedelta(days=6), new_link_id="l8", link_ttl=TTL) is None
    first = self_service.due(after, POLICY, NOW + timedelta(days=7), new_link_id="l8", link_ttl=TTL)
    assert [(e.type, e.data["times"], e.data["days_open"]) for e in first.events] == [
        ("dispute_raised_again", 1, 7)]
    assert first.case.next_action_at == iso(NOW + timedelta(days=14))
    second = self_service.due(first.case, POLICY, NOW + timedelta(days=14), new_link_id="l8", link_ttl=TTL)
    assert second.events[0].data["times"] == 2


def test_the_broker_reminder_follows_the_policy():
    policy = policy_from_dict({**DEFAULT_POLICY.as_dict(), "self_service": {"dispute_reminder_days": 3}})
    after = disputes.open_dispute(make_case(), policy, NOW, reason="other", message="m", amount=None).case
    assert after.next_action_at == iso(NOW + timedelta(days=3))


def test_answering_the_same_way_twice_records_nothing_and_a_second_answer_is_a_409():
    disputed = dispute(make_case()).case
    rejected = answer(disputed, outcome="rejected").case
    assert answer(rejected, outcome="rejected") is None
    with pytest.raises(Conflict) as caught:
        answer(rejected, outcome="upheld")
    assert caught.value.code == "already_resolved"


def test_an_unknown_dispute_is_a_404():
    with pytest.raises(NotFound) as caught:
        answer(dispute(make_case()).case, dispute_id="d7", outcome="rejected")
    assert caught.value.field == "dispute_id"


@pytest.mark.parametrize(("body", "field"), [
    ({"outcome": "partially_upheld"}, "credit_amount"),
    ({"outcome": "rejected", "credit_amount": 100}, "credit_amount"),
    ({"outcome": "upheld", "credit_amount": 125001}, "credit_amount"),
    ({"outcome": "upheld", "mediator": "X"}, "mediator"),
    ({"outcome": "mediation", "until": NOW + timedelta(days=3)}, "mediator"),
    ({"outcome": "mediation", "mediator": "X"}, "until"),
    ({"outcome": "mediation", "mediator": "X", "until": NOW - timedelta(hours=1)}, "until"),
    ({"outcome": "mediation", "mediator": "X", "until": NOW + timedelta(days=400)}, "until"),
    ({"outcome": "mediation", "mediator": "X", "until": NOW + timedelta(days=3), "credit_amount": 5}, "credit_amount"),
    ({"outcome": "dismissed"}, "outcome"),
])
def test_an_answer_that_does_not_fit_its_outcome_names_the_field(body, field):
    with pytest.raises(InvalidInput) as caught:
        answer(dispute(make_case()).case, **body)
    assert caught.value.field == field


def test_evidence_keys_live_under_the_brokers_case_and_dispute_and_a_retry_gets_the_same_key():
    disputed = dispute(make_case()).case
    change, slot = disputes.add_attachment(disputed, NOW, dispute_id="d1", content_type="image/png",
                                           filename="C:\\photos\\box.png", size=2048)
    assert slot.key == "evidence/b1/c1/d1/a1.png" and slot.filename == "box.png"
    assert change.events[0].type == "dispute_upload_requested" and change.events[0].actor == "customer"
    again, same = disputes.add_attachment(change.case, NOW, dispute_id="d1", content_type="image/png",
                                          filename="box.png", size=2048)
    assert again is None and same == slot


def test_evidence_is_refused_for_an_answered_dispute_and_beyond_the_file_limit():
    case = dispute(make_case()).case
    for n in range(MAX_ATTACHMENTS):
        case = disputes.add_attachment(case, NOW, dispute_id="d1", content_type="application/pdf",
                                       filename=f"{n}.pdf", size=10)[0].case
    with pytest.raises(Conflict) as caught:
        disputes.add_attachment(case, NOW, dispute_id="d1", content_type="application/pdf", filename="x.pdf", size=1)
    assert caught.value.code == "too_many_files"
    answered = answer(case, outcome="rejected").case
    with pytest.raises(Conflict) as caught:
        disputes.add_attachment(answered, NOW, dispute_id="d1", content_type="image/png", filename="y.png", size=1)
    assert caught.value.code == "dispute_closed"


@pytest.mark.parametrize(("body", "field"), [
    ({"content_type": "text/html"}, "content_type"),
    ({"size": 10 * 1024 * 1024 + 1}, "size"),
    ({"size": 0}, "size"),
    ({"filename": "///"}, "filename"),
])
def test_evidence_that_is_not_a_small_pdf_png_or_jpeg_names_the_field(body, field):
    request = {"dispute_id": "d1", "content_type": "application/pdf", "filename": "a.pdf", "size": 10, **body}
    with pytest.raises(InvalidInput) as caught:
        disputes.add_attachment(dispute(make_case()).case, NOW, **request)
    assert caught.value.field == field


# --- promises ---------------------------------------------------------------------------------------------

def test_a_promise_pauses_until_the_morning_after_and_the_same_promise_again_records_nothing():
    change = self_service.make_promise(make_case(), POLICY, NOW, pay_by=date(2026, 11, 12))
    after = change.case
    assert after.status == "promised" and change.events[0].actor == "customer"
    # Friday 13 November, 08:00 in Berlin (the contact window opens) = 07:00 UTC
    assert after.next_action_at == "2026-11-13T07:00:00.000Z"
    assert self_service.make_promise(after, POLICY, NOW, pay_by=date(2026, 11, 12)) is None
    with pytest.raises(Conflict) as caught:
        self_service.make_promise(after, POLICY, NOW, pay_by=date(2026, 11, 13))
    assert caught.value.code == "promise_exists" and "2026-11-12" in caught.value.message


@pytest.mark.parametrize("pay_by", [date(2026, 11, 4), date(2026, 11, 20)])
def test_a_promise_in_the_past_or_beyond_the_limit_names_the_field(pay_by):
    with pytest.raises(InvalidInput) as caught:
        self_service.make_promise(make_case(), POLICY, NOW, pay_by=pay_by)
    assert caught.value.field == "pay_by"


def test_the_promise_limit_follows_the_policy():
    policy = policy_from_dict({**DEFAULT_POLICY.as_dict(), "self_service": {"promise_max_days": 30}})
    assert self_service.make_promise(make_case(), policy, NOW, pay_by=date(2026, 12, 5)) is not None


def test_a_missed_promise_reopens_the_case_resumes_the_ladder_and_allows_no_second_promise():
    promised = self_service.make_promise(make_case(), POLICY, NOW, pay_by=date(2026, 11, 12)).case
    deadline = parse_iso(promised.next_action_at)
    missed = self_service.due(promised, POLICY, deadline, new_link_id="l8", link_ttl=TTL)
    # The message goes with a link good for at least two more weeks: the old one had a week left.
    assert [e.type for e in missed.events] == ["promise_missed", "status_changed", "link_issued",
                                               "reminders_resumed"]
    assert missed.case.status == "open" and missed.case.ladder.shift_days == 8
    assert missed.case.ladder.contacts[-1] == iso(deadline)  # the message counts as a contact
    with pytest.raises(Conflict) as caught:
        self_service.make_promise(missed.case, POLICY, deadline, pay_by=date(2026, 11, 20))
    assert caught.value.code == "promise_missed"


# --- "I already paid" -------------------------------------------------------------------------------------

def report(case: Case, at: datetime = NOW, reference: str = "TX-1", **overrides) -> cases.Change | None:
    body = {"paid_on": date(2026, 11, 4), "method": "bank_transfer", "reference": reference, **overrides}
    return self_service.report_payment(case, POLICY, at, **body)


def test_a_reported_payment_pauses_the_ladder_for_five_days_and_a_retry_records_nothing():
    change = report(make_case())
    after = change.case
    assert [e.type for e in change.events] == ["already_paid_reported", "reminders_paused"]
    assert all(e.actor == "customer" for e in change.events)
    assert after.ladder.paused and after.ladder.paused_until == iso(NOW + timedelta(days=5))
    assert after.status == "open"
    assert report(after) is None


def test_a_second_report_waits_for_the_first_and_there_are_at_most_three():
    case = report(make_case()).case
    with pytest.raises(Conflict) as caught:
        report(case, reference="TX-2")
    assert caught.value.code == "report_pending"
    at = NOW
    for n in range(2, MAX_REPORTS + 1):
        at += timedelta(days=6)
        case = report(case, at, reference=f"TX-{n}").case
    with pytest.raises(Conflict) as caught:
        report(case, at + timedelta(days=6), reference="TX-9")
    assert caught.value.code == "too_many_reports"


def test_a_broker_pause_that_lasts_longer_is_left_alone():
    paused = ladder.pause(make_case(), POLICY, NOW, until=None, reason="legal hold").case
    change = report(paused)
    assert [e.type for e in change.events] == ["already_paid_reported"]
    assert change.case.ladder.paused_until is None and change.case.ladder.pause_reason == "legal hold"


def test_a_payment_date_in_the_future_names_the_field():
    with pytest.raises(InvalidInput) as caught:
        report(make_case(), paid_on=date(2026, 11, 6))
    assert caught.value.field == "paid_on"


# --- fresh links ------------------------------------------------------------------------------------------

def refresh(case: Case, at: datetime, *, version: int | None = None, link_id: str | None = None):
    return self_service.refresh_link(case, at, link_id=link_id or case.link.link_id,
                                     link_version=case.link.version if version is None else version,
                                     expires_at=parse_iso(case.link.expires_at), new_link_id=f"n{at.minute}",
                                     link_ttl=timedelta(0))


def test_only_an_expired_current_link_is_refreshed_and_the_new_version_revokes_it():
    case = make_case()
    expired = parse_iso(case.link.expires_at) + timedelta(hours=1)
    assert refresh(case, expired - timedelta(days=2)) is None  # still valid: nothing to do
    assert refresh(case, expired, version=0) is None  # an older version: revoked
    change = refresh(case, expired)
    assert change.case.link.version == 2 and change.events[0].actor == "customer"
    assert change.events[0].data["revoked_version"] == 1
    assert refresh(replace(case, status="written_off"), expired) is None


def test_at_most_three_refreshes_a_day():
    case = make_case()
    at = parse_iso(case.link.expires_at) + timedelta(hours=1)  # the links issued here expire at once (TTL 0)
    sent = 0
    for minute in range(REFRESHES_PER_DAY + 2):
        change = refresh(case, at + timedelta(minutes=minute))
        if change is not None:
            case, sent = change.case, sent + 1
    assert sent == REFRESHES_PER_DAY
    assert refresh(case, at + timedelta(days=1)) is not None  # a new day


# --- the published word lists are the domain's ------------------------------------------------------------

def test_request_schemas_use_the_domains_words():
    assert schemas.DISPUTE["properties"]["reason"]["enum"] == list(REASONS)
    assert schemas.RESOLVE_DISPUTE["properties"]["outcome"]["enum"] == list(OUTCOMES)
    assert schemas.ALREADY_PAID["properties"]["method"]["enum"] == list(PAID_METHODS)
    assert schemas.DISPUTE_ATTACHMENT["properties"]["content_type"]["enum"] == list(EVIDENCE_TYPES)


def test_the_self_service_policy_fields_are_validated_and_round_trip():
    policy = policy_from_dict({**DEFAULT_POLICY.as_dict(), "self_service": {
        "promise_max_days": 21, "already_paid_pause_days": 3, "dispute_reminder_days": 10}}, 4)
    assert policy_from_dict(policy.as_dict(), 4) == policy
    for name, bad in (("promise_max_days", 0), ("already_paid_pause_days", 31), ("dispute_reminder_days", "7"),
                      ("unknown", 1)):
        with pytest.raises(InvalidInput) as caught:  # as the API reads it: the published schema first
            validation.validate({**DEFAULT_POLICY.as_dict(), "self_service": {name: bad}}, schemas.POLICY)
        assert caught.value.field == f"self_service.{name}"

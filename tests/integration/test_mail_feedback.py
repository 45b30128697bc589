"""SES bounces and complaints reach the ses_events function as SNS delivers them (the records below follow
https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-examples.html): email to the
address stops, the case records it, the broker is told once, and the ladder goes on by SMS."""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import bootstrap
from tests.integration.reminder_stack import Stack, sent_emails, sent_sms

START = datetime(2026, 10, 1, 9, 0, tzinfo=timezone.utc)
AFTER_COURTESY = datetime(2026, 10, 28, 12, 0, tzinfo=timezone.utc)  # the -3 step went out by email at 08:00
AFTER_DUE_DAY = datetime(2026, 10, 31, 12, 0, tzinfo=timezone.utc)  # the +0 step: email only in the policy
CUSTOMER = "jane@example.test"


@pytest.fixture
def stack(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    yield Stack(monkeypatch, START)


@pytest.fixture
def lambdas(aws_env: None) -> Iterator[Any]:
    from app import app

    with Client(app) as client:
        yield client.lambda_


def mail(stack: Stack, case_id: str, message_id: str) -> dict[str, Any]:
    return {"timestamp": "2026-10-28T07:00:01.012Z", "source": "Acme Brokers <reminders@example.com>",
            "sourceArn": "arn:aws:ses:eu-west-1:123456789012:identity/example.com", "sendingAccountId": "123456789012",
            "messageId": message_id, "destination": [CUSTOMER], "headersTruncated": False,
            "tags": {"ses:configuration-set": ["collections-prod"], "ses:source-ip": ["192.0.2.0"],
                     "claim": ["c3_email_1"], "stage": ["courtesy"], "broker": [stack.broker_id], "case": [case_id]}}


def bounce(stack: Stack, case_id: str, message_id: str, kind: str = "Permanent") -> dict[str, Any]:
    return {"eventType": "Bounce", "bounce": {
        "bounceType": kind, "bounceSubType": "General" if kind == "Permanent" else "MailboxFull",
        "bouncedRecipients": [{"emailAddress": CUSTOMER, "action": "failed", "status": "5.1.1",
                               "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
        "timestamp": "2026-10-28T07:00:02.669Z", "feedbackId": "0100015-bounce-000000",
        "reportingMTA": "dsn; mta.example.test"}, "mail": mail(stack, case_id, message_id)}


def complaint(stack: Stack, case_id: str, message_id: str) -> dict[str, Any]:
    return {"eventType": "Complaint", "complaint": {
        "complainedRecipients": [{"emailAddress": CUSTOMER}], "timestamp": "2026-10-28T08:00:00.000Z",
        "feedbackId": "0100015-complaint-000000", "userAgent": "ExampleCorp Feedback Loop (V0.01)",
        "complaintFeedbackType": "abuse", "arrivalDate": "2026-10-28T07:59:00.000Z"},
        "mail": mail(stack, case_id, message_id)}


def sns_delivery(record: dict[str, Any]) -> dict[str, Any]:
    """What SNS hands the subscribed Lambda function."""
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
                         "EventSubscriptionArn": "arn:aws:sns:eu-west-1:123456789012:ses-events:0b1c",
                         "Sns": {"Type": "Notification", "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                                 "TopicArn": "arn:aws:sns:eu-west-1:123456789012:ses-events", "Subject": None,
                                 "Message": json.dumps(record), "Timestamp": "2026-10-28T07:00:03.000Z",
                                 "SignatureVersion": "1", "Signature": "EXAMPLE", "SigningCertUrl": "EXAMPLE",
                                 "UnsubscribeUrl": "EXAMPLE", "MessageAttributes": {}}}]}


def first_email(stack: Stack) -> str:
    stack.travel(AFTER_COURTESY)
    [sent] = sent_emails()
    assert sent.to == CUSTOMER
    return sent.message_id


def to_broker() -> list[Any]:
    return [m for m in sent_emails() if m.to == "ar@acme.test"]


def to_customer() -> list[Any]:
    return [m for m in sent_emails() if m.to == CUSTOMER]


def test_a_bounce_stops_email_records_it_tells_the_broker_and_the_next_step_goes_by_sms(stack, lambdas):
    case = stack.open_case()
    message_id = first_email(stack)
    lambdas.invoke("ses_events", sns_delivery(bounce(stack, case.case_id, message_id)))

    [bounced] = stack.events(case.case_id, "email_bounced")
    assert bounced.data["message_id"] == message_id and bounced.data["bounce_type"] == "Permanent"
    assert bounced.data["sms_follows"] is True
    [notice] = to_broker()
    assert notice.subject == "Email to Jane Customer bounced: invoice INV-1"
    assert "Reminders continue by SMS." in notice.text and case.case_id in notice.text
    assert bootstrap.reminder_control().describe(stack.case(case.case_id)[0])["email_suppressed"] == "bounced"

    stack.travel(AFTER_DUE_DAY)
    assert len(to_customer()) == 1  # the courtesy email only: the due-day step did not email
    [(_, phone, text)] = sent_sms()
    assert phone == "+14155550100" and "INV-1" in text
    started = {e.data["step"]: e.data for e in stack.events(case.case_id, "reminder_started")}
    assert started["+0"]["channels"] == ["sms"] and started["+0"]["not_sent_on"] == ["email"]

    # SNS delivers again: nothing new is recorded and the broker is not told twice.
    lambdas.invoke("ses_events", sns_delivery(bounce(stack, case.case_id, message_id)))
    assert len(stack.events(case.case_id, "email_bounced")) == 1 and len(to_broker()) == 1


def test_a_complaint_stops_email_likewise(stack, lambdas):
    case = stack.open_case()
    message_id = first_email(stack)
    lambdas.invoke("ses_events", sns_delivery(complaint(stack, case.case_id, message_id)))

    [complained] = stack.events(case.case_id, "email_complained")
    assert complained.data["feedback_type"] == "abuse"
    [notice] = to_broker()
    assert notice.subject == "Jane Customer marked our email as spam: invoice INV-1"
    stack.travel(AFTER_DUE_DAY)
    assert len(to_customer()) == 1 and len(sent_sms()) == 1


def test_the_address_is_suppressed_on_the_brokers_other_cases_too(stack, lambdas):
    first = stack.open_case()
    other = stack.open_case("INV-2", invoice__due_on="2026-11-30")
    message_id = first_email(stack)
    lambdas.invoke("ses_events", sns_delivery(bounce(stack, first.case_id, message_id)))

    stack.travel(datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc))  # the other case's -3 step
    assert [m.subject for m in to_customer()] == ["Invoice INV-1 is due on October 31, 2026"]
    [suppressed] = stack.events(other.case_id, "email_suppressed")
    assert suppressed.data["step"] == "-3"
    assert stack.case(other.case_id)[0].ladder.email_suppressed == "suppressed"


def test_a_bounced_customer_whose_number_replied_stop_gets_neither_and_the_case_records_both(stack, lambdas):
    case = stack.open_case(customer__phone="+14155550199")  # moto: numbers ending in 99 replied STOP
    message_id = first_email(stack)
    lambdas.invoke("ses_events", sns_delivery(bounce(stack, case.case_id, message_id)))
    stack.travel(AFTER_DUE_DAY + timedelta(days=3))
    assert sent_sms() == [] and len(to_customer()) == 1
    assert len(stack.events(case.case_id, "email_bounced")) == 1
    assert len(stack.events(case.case_id, "sms_opted_out")) == 1
    started = {e.data["step"]: e.data for e in stack.events(case.case_id, "reminder_started")}
    assert started["+3"]["channels"] == [] and started["+3"]["not_sent_on"] == ["email", "sms"]


def test_a_transient_bounce_changes_nothing(stack, lambdas):
    case = stack.open_case()
    message_id = first_email(stack)
    lambdas.invoke("ses_events", sns_delivery(bounce(stack, case.case_id, message_id, kind="Transient")))
    assert stack.events(case.case_id, "email_bounced") == [] and to_broker() == []
    stack.travel(AFTER_DUE_DAY)
    assert len(to_customer()) == 2

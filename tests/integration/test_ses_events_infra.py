"""infra/ wires SES's bounces and complaints to the ses_events function, gives it exactly what it reaches, and
tells the worker the concurrency its event source is capped at (each container sends its share of the rate)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import bootstrap
from tests.integration import function_access as fa
from tests.integration.reminder_stack import Stack
from tests.integration.test_infra_package import packaged, template  # noqa: F401 - the packaged stack
from tests.integration.test_mail_feedback import AFTER_COURTESY, bounce, sns_delivery


def test_the_configuration_set_publishes_bounces_and_complaints_to_the_functions_topic(template):  # noqa: F811
    resources = template["Resources"]
    destination = resources["SesEventDestination"]["Properties"]
    assert destination["ConfigurationSetName"] == {"Ref": "SesConfigurationSet"}
    assert destination["EventDestination"]["MatchingEventTypes"] == ["bounce", "complaint"]
    topic = destination["EventDestination"]["SnsDestination"]["TopicARN"]
    subscription = resources["SesEventsSubscription"]["Properties"]
    assert (subscription["TopicArn"], subscription["Protocol"]) == (topic, "lambda")
    assert subscription["Endpoint"] == {"Fn::GetAtt": ["SesEvents", "Arn"]}
    assert resources["SesEvents"]["Properties"]["Handler"] == "app.ses_events"
    assert resources["SesEventsInvokePermission"]["Properties"]["SourceArn"] == topic
    worker = resources["ReminderWorker"]["Properties"]
    assert worker["Environment"]["Variables"]["SES_CONFIGURATION_SET"] == {"Ref": "SesConfigurationSet"}


def test_the_worker_knows_the_concurrency_its_event_source_is_capped_at(template):  # noqa: F811
    worker = template["Resources"]["ReminderWorker"]["Properties"]
    [source] = worker["Events"].values()
    cap = source["Properties"]["ScalingConfig"]["MaximumConcurrency"]
    assert worker["Environment"]["Variables"]["WORKER_CONCURRENCY"] == cap


@pytest.fixture
def stack(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    yield Stack(monkeypatch, datetime(2026, 10, 1, 9, 0, tzinfo=timezone.utc))


def test_the_function_reaches_only_what_its_role_allows(template, stack, monkeypatch):  # noqa: F811
    case = stack.open_case()
    stack.travel(AFTER_COURTESY)
    bootstrap.reset()  # a cold container of the function: every client built anew, with the recorder
    called: set[str] = set()

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        called.update(fa.iam_actions(model.service_model.signing_name, model.name, params))

    session = boto3.Session()
    session.events.register("provide-client-params.*.*", record)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", session)  # the clients bootstrap builds from now on
    from app import app

    with Client(app) as client:
        client.lambda_.invoke("ses_events", sns_delivery(bounce(stack, case.case_id, "m-1")))
    assert stack.events(case.case_id, "email_bounced")
    statements = template["Resources"]["SesEventsRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    allowed = {action for s in statements for action in s["Action"]}
    assert called and called <= allowed, called - allowed
    assert {"dynamodb:UpdateItem", "dynamodb:PutItem", "s3:PutObject", "ses:SendEmail"} <= called

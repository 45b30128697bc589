"""The webhook functions as infra/ deploys them: each its own role with what its handler reaches, the
delivery queue named by the stack (one per stage), and the demo's loopback setting nowhere."""
from __future__ import annotations

import boto3
import pytest

from chalicelib import bootstrap
from chalicelib.services import brokers
from portal import infra

RESOURCES = infra.template()["Resources"]


def statements(role: str) -> list[dict]:
    return RESOURCES[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]


def actions(role: str) -> dict[str, set[str]]:
    """Resource (as text) -> actions allowed on it, logs left out."""
    found: dict[str, set[str]] = {}
    for s in statements(role):
        if not any(a.startswith(("logs:", "xray:")) for a in s["Action"]):
            found.setdefault(str(s["Resource"]), set()).update(s["Action"])
    return found


def test_the_queues_are_named_by_the_stack_and_failed_messages_go_to_a_dead_letter_queue():
    queue, dlq = RESOURCES["WebhookQueue"]["Properties"], RESOURCES["WebhookDeadLetters"]["Properties"]
    assert "QueueName" not in queue and "QueueName" not in dlq  # CloudFormation names them per stack
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["WebhookDeadLetters", "Arn"]}
    assert queue["SqsManagedSseEnabled"] and dlq["SqsManagedSseEnabled"]


def test_the_relay_may_read_and_clear_the_outbox_and_send_to_the_queue_only():
    assert actions("WebhookRelayRole") == {
        "{'Fn::GetAtt': ['CasesTable', 'Arn']}": {"dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"},
        "{'Fn::GetAtt': ['WebhookQueue', 'Arn']}": {"sqs:SendMessage"}}
    env = RESOURCES["WebhookRelay"]["Properties"]["Environment"]["Variables"]
    assert env["WEBHOOK_QUEUE_URL"] == {"Ref": "WebhookQueue"}


def test_the_delivery_function_reads_secrets_of_its_own_stack_only_and_consumes_its_queue():
    allowed = actions("WebhookDeliveryRole")
    secrets = [r for r, a in allowed.items() if a == {"secretsmanager:GetSecretValue"}]
    assert secrets == ["{'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:"
                       "secret:${AWS::StackName}/webhooks/*'}"]
    assert allowed["{'Fn::GetAtt': ['WebhookQueue', 'Arn']}"] >= {"sqs:ReceiveMessage", "sqs:DeleteMessage",
                                                                 "sqs:SendMessage"}
    assert not any("TransactWriteItems" in a or "s3:" in str(a) for a in allowed.values())  # changes no case
    props = RESOURCES["WebhookDelivery"]["Properties"]
    source = props["Events"]["WebhookDeliverySqsEventSource"]["Properties"]
    assert source == {"Queue": {"Fn::GetAtt": ["WebhookQueue", "Arn"]},
                      "FunctionResponseTypes": ["ReportBatchItemFailures"]}
    assert props["Environment"]["Variables"]["WEBHOOK_SECRET_PREFIX"] == {"Fn::Sub": "${AWS::StackName}/webhooks"}


def test_the_api_creates_and_deletes_webhook_secrets_under_its_stack_prefix_only():
    [grant] = [s for s in statements("ApiHandlerRole") if "secretsmanager:CreateSecret" in s["Action"]]
    assert set(grant["Action"]) == {"secretsmanager:CreateSecret", "secretsmanager:DeleteSecret"}
    assert "${AWS::StackName}/webhooks/*" in str(grant["Resource"])
    assert RESOURCES["APIHandler"]["Properties"]["Environment"]["Variables"]["WEBHOOK_SECRET_PREFIX"] == {
        "Fn::Sub": "${AWS::StackName}/webhooks"}


def test_the_demo_settings_are_never_deployed():
    text = infra.TEMPLATE.read_text()
    assert "WEBHOOK_ALLOW_LOOPBACK" not in text and "WEBHOOK_RETRY_SCALE" not in text


def test_the_delivery_function_can_tell_the_broker_with_only_its_own_environment(aws_env, monkeypatch):
    """Its environment has no anchor bucket: the notice path must not need the case store's."""
    broker, _ = brokers.create_broker(bootstrap.store(), bootstrap.utc_now, "Acme", "ar@acme.test")
    monkeypatch.delenv("ANCHOR_BUCKET")
    url, _ = infra.create_webhook_queues(boto3.client("sqs"))
    monkeypatch.setenv("WEBHOOK_QUEUE_URL", url)
    bootstrap.reset()
    bootstrap.webhook_worker()
    assert bootstrap.broker_addresses(broker.broker_id)[1] == "ar@acme.test"
    with pytest.raises(Exception, match="ANCHOR_BUCKET"):
        bootstrap.store()  # what the worker would have needed before

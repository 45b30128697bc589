"""infra/ is the one home of the table: moto builds it from there, and the packaged stack lints clean."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib import bootstrap
from portal import infra
from tests.conftest import TABLE

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
INDEXES = {"by_broker", "by_status", "by_next_action", "by_attention", "by_due", "by_balance", "by_customer",
           "by_updated"}


# --- the moto table made from infra/resources.json ----------------------------------------------

def described(aws_env: None) -> dict[str, Any]:
    return boto3.client("dynamodb").describe_table(TableName=TABLE)["Table"]


def test_the_table_has_the_three_indexes(aws_env):
    table = described(aws_env)
    indexes = {i["IndexName"]: i for i in table["GlobalSecondaryIndexes"]}
    assert set(indexes) == INDEXES
    assert [k["AttributeName"] for k in indexes["by_next_action"]["KeySchema"]] == ["SweepPK", "SweepSK"]
    assert indexes["by_next_action"]["Projection"]["ProjectionType"] == "INCLUDE"  # one read per due case
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["PK", "SK"]


def test_the_table_is_on_demand_with_deletion_protection(aws_env):
    table = described(aws_env)
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["DeletionProtectionEnabled"] is True


def test_point_in_time_recovery_is_on(aws_env):
    backups = boto3.client("dynamodb").describe_continuous_backups(TableName=TABLE)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_idempotency_records_expire_by_ttl(aws_env):
    ttl = boto3.client("dynamodb").describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_the_link_keys_secret_exists(aws_env):
    secret = boto3.client("secretsmanager").get_secret_value(SecretId="link-keys-test")
    assert json.loads(secret["SecretString"])["active"]


def test_the_store_writes_expiry_to_the_ttl_attribute(aws_env):
    item = bootstrap.store().idempotency_item("b1", "k", "h", "c1", 1_900_000_000)
    assert item[infra.table_definition()["TimeToLiveSpecification"]["AttributeName"]] == {"N": "1900000000"}


# --- chalice package + cfn-lint -----------------------------------------------------------------

@pytest.fixture(scope="module")
def packaged(packaged_template: Path) -> Path:
    return packaged_template


@pytest.fixture(scope="module")
def template(packaged: Path) -> dict[str, Any]:
    return json.loads(packaged.read_text())


def test_the_packaged_template_lints_clean_without_a_warning(packaged):
    result = subprocess.run([str(BIN / "cfn-lint"), "--format", "parseable", str(packaged)], capture_output=True,
                            text=True, timeout=300, check=False)
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


def test_the_packaged_table_is_the_one_in_infra(template):
    table = template["Resources"]["CasesTable"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert table["DeletionPolicy"] == "Retain"
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["DeletionProtectionEnabled"] is True
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert {i["IndexName"] for i in props["GlobalSecondaryIndexes"]} == INDEXES
    assert props == infra.table_definition()


def test_the_packaged_stack_has_the_secret_and_wires_it_to_the_function(template):
    resources = template["Resources"]
    assert resources["LinkKeysSecret"]["Type"] == "AWS::SecretsManager::Secret"
    handler = resources["APIHandler"]
    assert handler["Type"] == "AWS::Serverless::Function"
    variables = handler["Properties"]["Environment"]["Variables"]
    assert variables["TABLE_NAME"] == {"Ref": "CasesTable"}
    assert variables["LINK_KEYS_SECRET_ID"] == {"Ref": "LinkKeysSecret"}
    assert variables["SITE_URL"] == {"Ref": "SiteOrigin"}  # the stack's one site origin


def test_the_reminder_worker_reports_failed_messages_one_by_one(template):
    # Without this, Lambda ignores the worker's batchItemFailures and redelivers the whole batch.
    [source] = template["Resources"]["ReminderWorker"]["Properties"]["Events"].values()
    assert source["Type"] == "SQS"
    assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["Properties"]["BatchSize"] == 10


def test_the_packaged_stack_never_lets_webhooks_reach_loopback(template):
    # The demo's setting (plain HTTP to 127.0.0.1) must not reach a deployed function.
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            variables = resource["Properties"].get("Environment", {}).get("Variables", {})
            assert "WEBHOOK_ALLOW_LOOPBACK" not in variables and "WEBHOOK_RETRY_SCALE" not in variables, name
    delivery = template["Resources"]["WebhookDelivery"]["Properties"]
    assert delivery["Role"] == {"Fn::GetAtt": ["WebhookDeliveryRole", "Arn"]}
    assert delivery["Events"]["WebhookDeliverySqsEventSource"]["Properties"]["Queue"] == {
        "Fn::GetAtt": ["WebhookQueue", "Arn"]}


def test_the_import_functions_are_triggered_by_their_bucket_and_queue(template):
    resources = template["Resources"]
    [uploaded] = resources["ImportUploaded"]["Properties"]["Events"].values()
    assert uploaded["Type"] == "S3" and uploaded["Properties"]["Bucket"] == {"Ref": "ImportBucket"}
    assert {"Name": "prefix", "Value": "imports/"} in uploaded["Properties"]["Filter"]["S3Key"]["Rules"]
    [worker] = resources["ImportWorker"]["Properties"]["Events"].values()
    assert worker == {"Type": "SQS", "Properties": {"Queue": {"Fn::GetAtt": ["ImportQueue", "Arn"]}, "BatchSize": 1}}
    for function, handler in (("ImportUploaded", "app.import_uploaded"), ("ImportWorker", "app.import_worker")):
        assert resources[function]["Properties"]["Role"] == {"Fn::GetAtt": [f"{function}Role", "Arn"]}
        assert resources[function]["Properties"]["Handler"] == handler


def test_the_digest_runs_hourly_with_its_own_role_reaching_only_the_table_and_ses(template):
    resources = template["Resources"]
    digest = resources["BrokerDigest"]
    [event] = digest["Properties"]["Events"].values()
    assert (event["Type"], event["Properties"]["Schedule"]) == ("Schedule", "rate(1 hour)")
    assert digest["Properties"]["Role"] == {"Fn::GetAtt": ["BrokerDigestRole", "Arn"]}
    assert digest["Properties"]["Environment"]["Variables"]["TABLE_NAME"] == {"Ref": "CasesTable"}
    [policy] = resources["BrokerDigestRole"]["Properties"]["Policies"]
    actions = sorted(a for s in policy["PolicyDocument"]["Statement"] for a in s["Action"])
    assert [a for a in actions if not a.startswith(("logs:", "xray:"))] == [
        "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Query",
        "dynamodb:UpdateItem", "ses:GetSendQuota", "ses:SendEmail"]  # its pacing reads the account's send rate


def test_staff_routes_answer_their_preflight_in_the_function_with_the_stages_origin_never_a_fixed_star(template):
    """Chalice would answer a `cors=` route's OPTIONS in API Gateway with an origin fixed at packaging; the
    staff routes' preflight reaches the function, which answers with SITE_URL's origin (SiteOrigin)."""
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    staff = [p for p in paths if p.startswith(("/admin", "/console"))]
    assert "/admin/me" in staff and "/console/session" in staff
    for path in staff:
        integration = paths[path]["options"]["x-amazon-apigateway-integration"]
        assert integration["type"] == "aws_proxy", path
        assert "'*'" not in json.dumps(paths[path]), path
    api = template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert api["SITE_URL"] == {"Ref": "SiteOrigin"}
    assert api["USER_POOL_ID"] == {"Ref": "StaffPool"} and api["USER_POOL_CLIENT_ID"] == {"Ref": "StaffConsoleClient"}


def test_the_staff_pool_lets_nobody_sign_up_or_change_their_broker(template):
    pool = template["Resources"]["StaffPool"]["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    [broker] = [a for a in pool["Schema"] if a["Name"] == "broker_id"]
    assert broker["Mutable"] is False
    client = template["Resources"]["StaffConsoleClient"]["Properties"]
    assert "custom:broker_id" not in client["WriteAttributes"] and client["GenerateSecret"] is False
    assert {g["Properties"]["GroupName"] for g in template["Resources"].values()
            if g.get("Type") == "AWS::Cognito::UserPoolGroup"} == {"owner", "collector", "viewer"}

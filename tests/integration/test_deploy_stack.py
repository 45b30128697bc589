"""`portal deploy` against moto's CloudFormation: the expanded template's resources are created as declared,
the page goes up with its config.json, the link keys are initialised once, and the operator commands find
everything by --stage. `--dry-run` needs no AWS at all.

moto cannot create every type the stack uses (tests/moto_cloudformation.py says why for each): those are
named in NOT_CREATED_BY_MOTO and their properties are checked in the expanded template instead.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.stripe_events import HANDLED
from portal import cli, infra
from portal import stack as stacks
from tests.moto_cloudformation import moto_cloudformation, supported

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REGION = "eu-west-1"
STAGE = "prod"
STACK = stacks.stack_name(STAGE)
SITE_URL = "https://pay.acme.test"
DEPLOY = ["deploy", "--stage", STAGE, "--region", REGION]
ON_STAGE = ["--stage", STAGE, "--region", REGION]

# What infra/ is to give the page (an S3 bucket a CloudFront distribution serves), added here while the
# template has none, so the upload is exercised either way.
SITE_RESOURCES = {
    "SiteBucket": {"Type": "AWS::S3::Bucket", "Properties": {"PublicAccessBlockConfiguration": {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}}},
    "SiteDistribution": {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
        "Enabled": True, "DefaultRootObject": "index.html",
        "Origins": [{"Id": "site", "DomainName": {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]},
                     "S3OriginConfig": {"OriginAccessIdentity": ""}}],
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}}}},
}


def check_api_stage(resource: dict[str, Any], template: dict[str, Any]) -> None:
    props = resource["Properties"]
    assert props["StageName"] == "api"  # the path in EndpointURL
    assert template["Resources"][props["DeploymentId"]["Ref"]]["Type"] == "AWS::ApiGateway::Deployment"


def check_api_deployment(resource: dict[str, Any], template: dict[str, Any]) -> None:
    assert resource["Properties"]["RestApiId"] == {"Ref": "RestAPI"}
    paths = template["Resources"]["RestAPI"]["Properties"]["Body"]["paths"]
    assert "/webhooks/stripe" in paths and "/admin/cases" in paths


def check_bucket_policy(resource: dict[str, Any], template: dict[str, Any]) -> None:
    [statement] = [s for s in resource["Properties"]["PolicyDocument"]["Statement"] if s.get("Sid") == "TlsOnly"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def check_distribution(resource: dict[str, Any], template: dict[str, Any]) -> None:
    config = resource["Properties"]["DistributionConfig"]
    assert config["Enabled"] is True
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] in ("redirect-to-https", "https-only")


# Types moto's CloudFormation does not create, each with the template check that stands in for it.
NOT_CREATED_BY_MOTO = {
    "AWS::ApiGateway::Stage": check_api_stage,
    "AWS::ApiGateway::Deployment": check_api_deployment,
    "AWS::S3::BucketPolicy": check_bucket_policy,
    "AWS::CloudFront::Distribution": check_distribution,
}


@pytest.fixture(scope="module")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`chalice package` once for the module, with the site resources merged when infra/ lacks them."""
    work = tmp_path_factory.mktemp("deploy")
    merge = infra.template()
    if not any(r.get("Type") == "AWS::CloudFront::Distribution" for r in merge["Resources"].values()):
        merge["Resources"].update(SITE_RESOURCES)
        merge["Outputs"].update({"SiteBucketName": {"Value": {"Ref": "SiteBucket"}},
                                 "SiteDistributionId": {"Value": {"Ref": "SiteDistribution"}}})
    (work / "resources.json").write_text(json.dumps(merge))
    stacks.package(STAGE, REGION, work / "out", work / "resources.json")
    return work / "out"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    # moto runs a function its queue's event source feeds: in docker, unless told not to (a stub answers).
    with mock_aws(config={"lambda": {"use_docker": False}}), moto_cloudformation(monkeypatch), \
            warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not supported by moto's CloudFormation")
        yield


def portal(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = cli.main(list(argv))
    return code, out.getvalue()


def deploy(package_dir: Path, site_url: str = SITE_URL) -> str:
    code, out = portal(*DEPLOY, "--site-url", site_url, "--package-dir", str(package_dir))
    assert code == 0, out
    return out


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def deployed_template() -> dict[str, Any]:
    template = stacks.template_of(client("cloudformation"), STACK)
    assert template is not None
    return template


def physical_ids() -> dict[str, str]:
    summaries = client("cloudformation").list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in summaries if r.get("LogicalResourceId")}


def outputs() -> dict[str, str]:
    [found] = client("cloudformation").describe_stacks(StackName=STACK)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in found["Outputs"]}


# --- the stack in moto ------------------------------------------------------------------------------

def test_every_resource_of_the_expanded_template_is_created_or_checked_in_the_template(aws, package_dir):
    deploy(package_dir)
    template, ids = deployed_template(), physical_ids()
    assert not any(r["Type"].startswith("AWS::Serverless::") for r in template["Resources"].values())
    skipped: dict[str, list[str]] = {}
    for logical_id, resource in template["Resources"].items():
        if supported(resource["Type"]):
            assert logical_id in ids, f"moto was to create {logical_id} ({resource['Type']})"
        else:
            skipped.setdefault(resource["Type"], []).append(logical_id)
    for resource_type, logical_ids in skipped.items():
        for logical_id in logical_ids:
            if resource_type in NOT_CREATED_BY_MOTO:
                NOT_CREATED_BY_MOTO[resource_type](template["Resources"][logical_id], template)
    # Any other type moto cannot create is checked against its schema by cfn-lint (the test below) only.
    unchecked = sorted(set(skipped) - set(NOT_CREATED_BY_MOTO))
    if unchecked:
        warnings.warn(f"moto cannot create {', '.join(unchecked)}: only cfn-lint checks them", stacklevel=1)
    assert {"AWS::ApiGateway::Stage", "AWS::S3::BucketPolicy"} <= set(skipped)  # what moto 5.2.5 lacks


def test_the_functions_run_with_the_stacks_resources_and_the_site_url_given(aws, package_dir):
    deploy(package_dir)
    ids, lam = physical_ids(), client("lambda")
    table = client("dynamodb").describe_table(TableName=ids["CasesTable"])["Table"]
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {
        i["IndexName"] for i in infra.table_definition()["GlobalSecondaryIndexes"]}
    api = lam.get_function_configuration(FunctionName=ids["APIHandler"])
    env = api["Environment"]["Variables"]
    assert env["TABLE_NAME"] == ids["CasesTable"] and env["SITE_URL"] == SITE_URL
    assert env["LINK_KEYS_SECRET_ID"] == ids["LinkKeysSecret"] == outputs()["LinkKeysSecretArn"]
    assert api["Role"].endswith(ids["ApiHandlerRole"])
    # moto makes a bucket from CloudFormation with its encryption only; CORS and Object Lock are read in the
    # template. The evidence bucket takes uploads from the page's origin: the SiteOrigin parameter deploy filled.
    encryption = client("s3").get_bucket_encryption(Bucket=ids["EvidenceBucket"])["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    [found] = client("cloudformation").describe_stacks(StackName=STACK)["Stacks"]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in found["Parameters"]}["SiteOrigin"] == SITE_URL
    resources = deployed_template()["Resources"]
    [rule] = resources["EvidenceBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == [{"Ref": "SiteOrigin"}]
    lock = resources["AnchorBucket"]["Properties"]["ObjectLockConfiguration"]
    assert lock["Rule"]["DefaultRetention"]["Mode"] == "COMPLIANCE"
    [mapping] = lam.list_event_source_mappings(FunctionName=ids["ReminderWorker"])["EventSourceMappings"]
    queue_arn = client("sqs").get_queue_attributes(QueueUrl=ids["ReminderQueue"], AttributeNames=["All"])["Attributes"]
    assert mapping["EventSourceArn"] == queue_arn["QueueArn"]
    dlq_arn = client("sqs").get_queue_attributes(QueueUrl=ids["ReminderDeadLetters"],
                                                 AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert json.loads(queue_arn["RedrivePolicy"])["deadLetterTargetArn"] == dlq_arn
    policy = json.loads(lam.get_policy(FunctionName=ids["APIHandler"])["Policy"])
    assert [s["Principal"] for s in policy["Statement"]] == [{"Service": "apigateway.amazonaws.com"}]
    rule = client("events").describe_rule(Name=ids["ReminderSweepReminderSweepEvent"])
    assert rule["ScheduleExpression"] == "rate(15 minutes)"


def test_the_expanded_template_lints_clean(aws, package_dir, tmp_path):
    deploy(package_dir)
    expanded = tmp_path / "expanded.json"
    expanded.write_text(json.dumps(deployed_template()))
    lint = subprocess.run([str(BIN / "cfn-lint"), str(expanded)], capture_output=True, text=True, timeout=300,
                          check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr


# --- portal deploy end to end -----------------------------------------------------------------------

def test_deploy_uploads_the_page_with_the_apis_url_and_initialises_the_keys_once(aws, package_dir):
    first = deploy(package_dir)
    assert "CREATE_COMPLETE" in first and "link keys: initialised" in first
    ids, s3 = physical_ids(), client("s3")
    site = s3.list_objects_v2(Bucket=ids["SiteBucket"])["Contents"]
    assert {o["Key"] for o in site} == {str(p.relative_to(ROOT / "site")) for p in (ROOT / "site").rglob("*")
                                        if p.is_file()} | {"config.json"}
    config = json.loads(s3.get_object(Bucket=ids["SiteBucket"], Key="config.json")["Body"].read())
    assert config == {"api_url": outputs()["EndpointURL"].rstrip("/")}
    assert s3.head_object(Bucket=ids["SiteBucket"], Key="pay.html")["ContentType"] == "text/html"
    secrets = client("secretsmanager")
    ring = json.loads(secrets.get_secret_value(SecretId=ids["LinkKeysSecret"])["SecretString"])
    assert ring["active"] and ring["keys"][ring["active"]]["status"] == "active"

    again = deploy(package_dir, site_url="https://pay2.acme.test")  # a change: the stack is updated
    assert "UPDATE_COMPLETE" in again and "link keys: kept" in again
    assert json.loads(secrets.get_secret_value(SecretId=ids["LinkKeysSecret"])["SecretString"]) == ring
    env = client("lambda").get_function_configuration(FunctionName=physical_ids()["APIHandler"])["Environment"]
    assert env["Variables"]["SITE_URL"] == "https://pay2.acme.test"



def test_a_deploy_with_nothing_new_changes_nothing(aws, package_dir):
    deploy(package_dir)
    assert "no changes" in deploy(package_dir)


def test_deploy_says_what_is_left_with_the_stacks_own_values(aws, package_dir):
    out = deploy(package_dir)
    api = outputs()["EndpointURL"].rstrip("/")
    assert f"{api}/webhooks/stripe" in out
    assert all(event in out for event in HANDLED)  # every event the webhook handles, from the code itself
    assert outputs()["StripeSecretArn"] in out
    assert "production access" in out and "SMS sandbox" in out and "portal broker create" in out
    assert "portal user invite you@your-domain" in out and f"{SITE_URL}/console" in out  # its first owner


def test_a_profile_file_gives_the_same_deploy(aws, package_dir, tmp_path):
    profile = tmp_path / "deploy.toml"
    profile.write_text(f'stage = "{STAGE}"\nregion = "{REGION}"\nsite_url = "{SITE_URL}"\n')
    code, out = portal("deploy", "--profile", str(profile), "--package-dir", str(package_dir))
    assert code == 0, out
    assert client("lambda").get_function_configuration(FunctionName=physical_ids()["APIHandler"])[
        "Environment"]["Variables"]["SITE_URL"] == SITE_URL


def test_bad_deploy_input_is_refused_naming_the_option(aws, package_dir, capsys):
    assert portal("deploy", "--stage", STAGE, "--region", REGION, "--site-url", "pay.acme.test")[0] == 1
    assert "--site-url" in capsys.readouterr().err
    assert portal("deploy", "--stage", STAGE, "--site-url", SITE_URL)[0] == 1
    assert "--region: required" in capsys.readouterr().err
    code, _ = portal(*DEPLOY, "--site-url", SITE_URL, "--package-dir", str(package_dir), "--parameter", "Nope=1")
    assert code == 1 and "no parameter Nope" in capsys.readouterr().err
    assert client("cloudformation").list_stacks()["StackSummaries"] == []  # nothing was deployed


def test_dry_run_prints_the_plan_and_creates_nothing(aws, package_dir):
    code, out = portal(*DEPLOY, "--site-url", SITE_URL, "--package-dir", str(package_dir), "--dry-run")
    assert code == 0, out
    assert STACK in out and f"SiteOrigin={SITE_URL}" in out and "LinkKeysSecret" in out
    assert "pay.html" in out and "config.json" in out
    assert client("cloudformation").list_stacks()["StackSummaries"] == []
    assert client("s3").list_buckets()["Buckets"] == []


def test_dry_run_packages_and_plans_without_any_aws_credentials(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"HOME": str(tmp_path), "AWS_CONFIG_FILE": str(tmp_path / "none"),
                "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_EC2_METADATA_DISABLED": "true"})
    done = subprocess.run([str(BIN / "portal"), *DEPLOY, "--site-url", SITE_URL, "--dry-run"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    for logical_id in ("CasesTable", "APIHandler", "ReminderWorker", "RestAPI", "LinkKeysSecret"):
        assert logical_id in done.stdout
    assert "DRY RUN" in done.stdout and "Traceback" not in done.stderr


# --- the operator commands on a deployed stage ------------------------------------------------------

def test_operator_commands_find_the_stage_by_its_stack(aws, package_dir):
    deploy(package_dir)
    ids = physical_ids()
    code, out = portal("broker", "create", "Acme Ltd", "--email", "ar@acme.test", "--json", *ON_STAGE)
    assert code == 0
    broker = json.loads(out)["broker_id"]
    item = client("dynamodb").get_item(TableName=ids["CasesTable"], Key={"PK": {"S": f"BROKER#{broker}"},
                                                                          "SK": {"S": "PROFILE"}})
    assert item.get("Item"), "the broker was not written to the stage's table"
    secrets = client("secretsmanager")
    before = json.loads(secrets.get_secret_value(SecretId=ids["LinkKeysSecret"])["SecretString"])["active"]
    assert portal("keys", "init", *ON_STAGE)[0] == 1  # deploy initialised the ring: init never replaces it
    assert portal("keys", "rotate", *ON_STAGE)[0] == 0
    ring = json.loads(secrets.get_secret_value(SecretId=ids["LinkKeysSecret"])["SecretString"])
    assert ring["active"] != before and before in ring["keys"]
    assert portal("keys", "retire", before, *ON_STAGE)[0] == 0
    retired = json.loads(secrets.get_secret_value(SecretId=ids["LinkKeysSecret"])["SecretString"])["keys"][before]
    assert retired["status"] == "retired"


def test_stripe_keys_fill_the_stages_stripe_secret_from_stdin(aws, package_dir, monkeypatch, capsys):
    deploy(package_dir)
    monkeypatch.setattr(sys, "stdin", io.StringIO("sk_test_abc\nwhsec_def\n"))
    assert portal("stripe-keys", *ON_STAGE)[0] == 0
    stored = client("secretsmanager").get_secret_value(SecretId=outputs()["StripeSecretArn"])["SecretString"]
    assert json.loads(stored) == {"secret_key": "sk_test_abc", "webhook_secret": "whsec_def"}
    monkeypatch.setattr(sys, "stdin", io.StringIO("whsec_def\nsk_test_abc\n"))
    assert portal("stripe-keys", *ON_STAGE)[0] == 1
    assert "secret_key" in capsys.readouterr().err
    assert json.loads(client("secretsmanager").get_secret_value(
        SecretId=outputs()["StripeSecretArn"])["SecretString"])["secret_key"] == "sk_test_abc"


def test_a_stage_that_was_never_deployed_is_named(aws, capsys):
    assert portal("keys", "rotate", "--stage", "nope", "--region", REGION)[0] == 1
    err = capsys.readouterr().err
    assert "no stack collections-portal-nope" in err and "portal deploy --stage nope" in err


def test_no_time_travel_against_a_stage(aws, package_dir, capsys):
    deploy(package_dir)
    assert portal("sweep", "--at", "2026-12-01T10:00:00Z", *ON_STAGE)[0] == 1
    assert "local demo only" in capsys.readouterr().err


def test_dlq_redrive_moves_every_dead_letter_back_to_the_queue(aws, package_dir):
    deploy(package_dir)
    ids, sqs = physical_ids(), client("sqs")
    # The worker paused, so the moved messages wait on the queue where the test reads them.
    [mapping] = client("lambda").list_event_source_mappings(FunctionName=ids["ReminderWorker"])["EventSourceMappings"]
    client("lambda").update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    bodies = {json.dumps({"broker_id": "b", "case_id": f"c{i}"}) for i in range(23)}
    for body in bodies:
        sqs.send_message(QueueUrl=ids["ReminderDeadLetters"], MessageBody=body)
    code, out = portal("dlq", "redrive", *ON_STAGE)
    assert code == 0 and "moved 23 message(s)" in out
    moved = set()
    while page := sqs.receive_message(QueueUrl=ids["ReminderQueue"], MaxNumberOfMessages=10).get("Messages"):
        moved |= {m["Body"] for m in page}
        sqs.delete_message_batch(QueueUrl=ids["ReminderQueue"], Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(page)])
    assert moved == bodies
    assert "Messages" not in sqs.receive_message(QueueUrl=ids["ReminderDeadLetters"])


def test_an_older_stack_gains_its_new_table_indexes_one_update_at_a_time(aws, package_dir):
    """CloudFormation adds one index per table in one update (moto does not enforce it: tests/unit/
    test_index_stages.py checks each staged template); here the staging runs against a stack made older."""
    deploy(package_dir)
    newest = deployed_template()
    console = ("by_attention", "by_due", "by_balance", "by_customer", "by_updated")
    older = json.loads(json.dumps(newest))
    table = older["Resources"]["CasesTable"]["Properties"]
    table["GlobalSecondaryIndexes"] = [i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] not in console]
    used = {k["AttributeName"] for i in [table, *table["GlobalSecondaryIndexes"]] for k in i["KeySchema"]}
    table["AttributeDefinitions"] = [a for a in table["AttributeDefinitions"] if a["AttributeName"] in used]
    cloudformation = client("cloudformation")
    [running] = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
    parameters = [{"ParameterKey": p["ParameterKey"], "ParameterValue": p["ParameterValue"]}
                  for p in running.get("Parameters", [])]
    cloudformation.update_stack(StackName=STACK, TemplateBody=json.dumps(older), Parameters=parameters,
                                Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"])
    cloudformation.get_waiter("stack_update_complete").wait(StackName=STACK, WaiterConfig={"Delay": 1})

    out = deploy(package_dir)
    steps = [line for line in out.splitlines() if "table indexes, step" in line]
    assert [line.split("step ")[1].split(" (")[0] for line in steps] == ["1 of 4", "2 of 4", "3 of 4", "4 of 4"]
    assert out.count("AWS::DynamoDB::Table") >= 5  # each step, and the new template, modify the table
    assert deployed_template()["Resources"]["CasesTable"] == newest["Resources"]["CasesTable"]
    assert "table indexes" not in deploy(package_dir)  # the next deploy has nothing to stage

"""The packaged stack's properties that neither moto nor the function runs can show: the site behind CloudFront,
one site origin for links, CORS and the CSP, the queues, logs, tracing, alarms, what survives a stack deletion,
and the Lambda package itself."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.templates import long_date, money
from chalicelib.domain.vocabulary import LOCALES
from portal import infra, packaging
from portal.site_server import SiteServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template(packaged_template: Path) -> dict[str, Any]:
    return dict(json.loads(packaged_template.read_text()))


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in template["Resources"].items() if r["Type"] == kind}


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: r["Properties"] for n, r in resources(template, "AWS::Serverless::Function").items()}


# --- the site --------------------------------------------------------------------------------------------

def test_the_site_bucket_is_private_and_only_the_distribution_reads_it(template):
    bucket = template["Resources"]["SiteBucket"]
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    [allow] = [s for s in template["Resources"]["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
               if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"} and allow["Action"] == "s3:GetObject"
    assert "${SiteDistribution}" in allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    config = template["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]
    [origin] = config["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    assert origin["DomainName"] == {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]}
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"


def test_cloudfront_maps_the_pay_paths_and_sends_the_pages_headers(template):
    behavior = template["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": "SiteHeaders"}
    [function] = behavior["FunctionAssociations"]
    assert function == {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": ["SitePaths", "FunctionARN"]}}
    routes = infra.site_routes()
    assert {p: routes[p] for p in ("/pay", "/pay/success", "/pay/cancel")} == dict.fromkeys(
        ("/pay", "/pay/success", "/pay/cancel"), "/pay.html")
    csp, origins = (template["Resources"]["SiteHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
                    ["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"])
    assert "connect-src 'self' ${ApiOrigin} ${UploadOrigin};" in csp and "unsafe-inline" not in csp
    # The console shows dispute evidence in place: PDFs framed and images from the bucket, and nothing else.
    assert "frame-src ${UploadOrigin};" in csp and "img-src 'self' data: ${UploadOrigin};" in csp
    assert origins["ApiOrigin"] == {"Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    # The presigned POSTs go to the bucket's global name (bucket.s3.amazonaws.com), whatever the region.
    assert origins["UploadOrigin"] == {"Fn::Sub": "https://${EvidenceBucket.DomainName}"}


def test_the_demo_serves_the_page_with_cloudfronts_paths_and_headers():
    server = SiteServer("127.0.0.1", 0, "http://127.0.0.1:9", upload_origin="http://127.0.0.1:7")
    server.start()
    try:
        for path in ("/pay", "/pay/success", "/pay/cancel"):
            with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}") as answer:
                assert answer.status == 200
                assert b"<html" in answer.read()[:300].lower()
                headers = dict(answer.headers)
        expected = infra.site_headers("http://127.0.0.1:9", "http://127.0.0.1:7")
        assert {k: headers[k] for k in expected} == expected
        assert "connect-src 'self' http://127.0.0.1:9 http://127.0.0.1:7;" in headers["Content-Security-Policy"]
    finally:
        server.stop()


def test_config_json_is_written_by_the_deploy_from_the_stacks_output(template):
    output = template["Outputs"]["SiteConfig"]["Value"]["Fn::Sub"]
    assert json.loads(output.replace("${RestAPI}", "abc").replace("${AWS::Region}", "eu-west-1")
                      .replace("${AWS::URLSuffix}", "amazonaws.com")) == {
        "api_url": "https://abc.execute-api.eu-west-1.amazonaws.com/api"}  # what site/app.js prefixes paths with
    assert template["Outputs"]["SiteBucketName"]["Value"] == {"Ref": "SiteBucket"}


def test_links_cors_and_the_distribution_share_one_site_origin(template):
    for name, props in functions(template).items():
        site = props.get("Environment", {}).get("Variables", {}).get("SITE_URL")
        assert site in (None, {"Ref": "SiteOrigin"}), name
    cors = template["Resources"]["EvidenceBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert [r["AllowedOrigins"] for r in cors] == [[{"Ref": "SiteOrigin"}]]
    aliases = template["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]["Aliases"]["Fn::If"][1]
    assert aliases == [{"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "SiteOrigin"}]}]}]
    assert "SiteOrigin" not in json.dumps(template["Parameters"]["SiteOrigin"].get("Default", ""))
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert "SITE_URL" not in json.dumps(config)  # no second, hard-coded answer


# --- queues -------------------------------------------------------------------------------------------------

def test_the_worker_reads_the_stacks_own_queue_in_capped_batches_reporting_failures_one_by_one(template):
    worker = functions(template)["ReminderWorker"]
    [source] = worker["Events"].values()
    props = source["Properties"]
    assert props["Queue"] == {"Fn::Sub": "${ReminderQueue.Arn}"}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "WorkerMaxConcurrency"}}
    assert template["Parameters"]["WorkerMaxConcurrency"]["MinValue"] == 2  # Lambda's smallest cap
    queue = template["Resources"]["ReminderQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]  # AWS's advice for SQS triggers
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["ReminderDeadLetters", "Arn"]}


def test_queue_names_are_the_stacks_so_two_stages_never_share_one(template):
    for name, queue in resources(template, "AWS::SQS::Queue").items():
        assert "QueueName" not in queue["Properties"], name  # CloudFormation names it after the stack


# --- logs, traces, alarms --------------------------------------------------------------------------------------

def test_every_function_logs_json_at_info_to_its_own_log_group_with_retention_and_is_traced(template):
    groups = resources(template, "AWS::Logs::LogGroup")
    for name, props in functions(template).items():
        logging_config = props["LoggingConfig"]
        assert (logging_config["LogFormat"], logging_config["ApplicationLogLevel"]) == ("JSON", "INFO"), name
        group = logging_config["LogGroup"]["Ref"]
        assert groups[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
        assert props["Tracing"] == "Active", name
        role = template["Resources"][props["Role"]["Fn::GetAtt"][0]]
        statements = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        assert {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": {"Fn::GetAtt": [group, "Arn"]}} in statements, name
        assert any("xray:PutTraceSegments" in s["Action"] for s in statements), name


def alarms(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [r["Properties"] for r in resources(template, "AWS::CloudWatch::Alarm").values()]


def test_errors_and_throttles_of_every_function_alarm_the_operators_topic(template):
    for name in functions(template):
        for metric in ("Errors", "Throttles"):
            [alarm] = [a for a in alarms(template) if a["MetricName"] == metric and a["Dimensions"] == [
                {"Name": "FunctionName", "Value": {"Ref": name}}]]
            assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert all(a["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms(template))
    subscription = template["Resources"]["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail" and subscription["Properties"]["Protocol"] == "email"


def test_every_dead_letter_queue_a_slow_sweep_and_ses_reputation_alarm(template):
    targets = [q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
               for q in resources(template, "AWS::SQS::Queue").values() if "RedrivePolicy" in q["Properties"]]
    assert {"ReminderDeadLetters", "WebhookDeadLetters", "ImportDeadLetters"} <= set(targets)
    for queue in targets:
        [dlq] = [a for a in alarms(template) if a["Namespace"] == "AWS/SQS" and a["Dimensions"] == [
            {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]]
        assert (dlq["MetricName"], dlq["Threshold"]) == ("ApproximateNumberOfMessagesVisible", 0), queue
    [duration] = [a for a in alarms(template) if a["MetricName"] == "Duration"]
    assert duration["Dimensions"][0]["Value"] == {"Ref": "ReminderSweep"}
    assert duration["Threshold"] == 0.8 * functions(template)["ReminderSweep"]["Timeout"] * 1000
    rates = {a["MetricName"]: a["Threshold"] for a in alarms(template) if a["Namespace"] == "AWS/SES"}
    # SES reviews an account at 5% bounces or 0.1% complaints, and may pause it at 10% or 0.5%.
    assert rates == {"Reputation.BounceRate": 0.05, "Reputation.ComplaintRate": 0.001}


# --- what a stack deletion keeps --------------------------------------------------------------------------------

def test_secrets_buckets_and_the_table_survive_a_stack_deletion(template):
    kept = ("AWS::SecretsManager::Secret", "AWS::S3::Bucket", "AWS::DynamoDB::Table")
    for name, resource in template["Resources"].items():
        if resource["Type"] in kept:
            assert (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")) == ("Retain", "Retain"), name


def test_old_versions_of_evidence_expire(template):
    rules = template["Resources"]["EvidenceBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    [expiry] = [r for r in rules if "NoncurrentVersionExpiration" in r]
    assert expiry["Status"] == "Enabled" and expiry["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30


# --- the Lambda package -----------------------------------------------------------------------------------------

def test_the_package_holds_only_what_the_functions_run(packaged_template):
    with zipfile.ZipFile(packaged_template.parent / "deployment.zip") as z:
        names = z.namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert not tops & {"moto", "playwright", "pytest", "cfn_lint", "mypy", "ruff", "hypothesis", "tests", "portal"}
    locales = {n.rsplit("/", 1)[1].removesuffix(".dat") for n in names if n.startswith("babel/locale-data/")}
    assert locales - {"", "LICENSE.unicode"} == {"root", *LOCALES}
    services = {n.split("/")[2] for n in names if n.startswith("botocore/data/") and n.count("/") > 3}
    assert services == packaging.BOTOCORE_SERVICES


def test_the_slimmed_package_imports_and_formats_money_in_every_locale(packaged_template, tmp_path):
    with zipfile.ZipFile(packaged_template.parent / "deployment.zip") as z:
        z.extractall(tmp_path)
    script = (
        "import app, boto3\n"
        "from chalicelib.adapters.templates import money, long_date\n"
        "import datetime\n"
        f"for locale in {list(LOCALES)!r}:\n"
        "    print(money(125000, 'EUR', locale), long_date(datetime.date(2026, 12, 5), locale))\n"
        f"for service in {sorted(packaging.BOTOCORE_SERVICES)!r}:\n"
        "    boto3.client(service, region_name='eu-west-1')\n"
        "import stripe, jinja2\n"
    )
    # -I -S: only the standard library and the unzipped package, as in Lambda.
    result = subprocess.run([sys.executable, "-I", "-S", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
                             + script], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    # The same words as with every locale Babel has (what the rest of the suite runs with).
    assert result.stdout.splitlines() == [f"{money(125000, 'EUR', loc)} {long_date(date(2026, 12, 5), loc)}"
                                          for loc in LOCALES]

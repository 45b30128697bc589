"""The head-hash anchor bucket as infra/ deploys it: nobody can take an anchor back, and the functions
that change cases may only add anchors (the API also lists them to verify)."""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib import bootstrap
from portal import infra

RESOURCES = infra.template()["Resources"]


def s3_actions(role: str) -> list[tuple[list[str], str]]:
    statements = RESOURCES[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    return [(s["Action"], str(s["Resource"])) for s in statements if "AnchorBucket" in str(s["Resource"])]


def test_anchors_are_locked_in_compliance_mode_and_the_bucket_is_kept():
    bucket = RESOURCES["AnchorBucket"]
    assert bucket["DeletionPolicy"] == "Retain"
    props = bucket["Properties"]
    assert props["ObjectLockEnabled"] is True and props["VersioningConfiguration"] == {"Status": "Enabled"}
    retention = props["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert retention["Mode"] == "COMPLIANCE" and retention["Years"] >= 7
    assert all(props["PublicAccessBlockConfiguration"].values())


def test_the_functions_that_change_cases_know_the_bucket_and_may_only_add_and_list_anchors():
    for function in ("APIHandler", "ReminderWorker"):
        assert RESOURCES[function]["Properties"]["Environment"]["Variables"]["ANCHOR_BUCKET"] == {"Ref": "AnchorBucket"}
    assert s3_actions("ApiHandlerRole") == [(["s3:PutObject"], "{'Fn::Sub': '${AnchorBucket.Arn}/anchors/*'}"),
                                            (["s3:ListBucket"], "{'Fn::GetAtt': ['AnchorBucket', 'Arn']}")]
    assert s3_actions("ReminderWorkerRole") == [(["s3:PutObject"], "{'Fn::Sub': '${AnchorBucket.Arn}/anchors/*'}")]


def test_the_local_bucket_refuses_to_delete_an_anchor(aws_env):
    s3 = boto3.client("s3")
    bucket = bootstrap.settings().require("anchor_bucket")
    bootstrap.anchors().record("b1", "c1", 1, "a" * 64)
    version = s3.list_object_versions(Bucket=bucket)["Versions"][0]
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    assert refused.value.response["Error"]["Code"] == "AccessDenied"

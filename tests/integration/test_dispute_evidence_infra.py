"""The dispute-evidence bucket as infra/ deploys it: encrypted, private, TLS only, uploads from the site only,
the API function can sign uploads and downloads under evidence/ and sign downloads of evidence packs under
packs/, and only the pack worker writes packs (and nothing else of the bucket)."""
from __future__ import annotations

from portal import infra

RESOURCES = infra.template()["Resources"]


def test_the_bucket_is_encrypted_private_and_kept():
    bucket = RESOURCES["EvidenceBucket"]
    assert bucket["Type"] == "AWS::S3::Bucket" and bucket["DeletionPolicy"] == "Retain"
    props = bucket["Properties"]
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert sse["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert all(props["PublicAccessBlockConfiguration"].values()) and len(props["PublicAccessBlockConfiguration"]) == 4
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_uploads_come_only_from_the_site_origin_and_only_over_tls():
    rules = RESOURCES["EvidenceBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert [(r["AllowedMethods"], r["AllowedOrigins"]) for r in rules] == [(["POST"], [{"Ref": "SiteOrigin"}])]
    deny = RESOURCES["EvidenceBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_api_function_knows_the_bucket_and_may_sign_for_evidence_and_pack_keys_only():
    variables = RESOURCES["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["EVIDENCE_BUCKET"] == {"Ref": "EvidenceBucket"}
    statements = RESOURCES["ApiHandlerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    s3 = [s for s in statements if any(a.startswith("s3:") for a in s["Action"]) and "EvidenceBucket" in str(s)]
    assert s3 == [{"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"],
                   "Resource": {"Fn::Sub": "${EvidenceBucket.Arn}/evidence/*"}},
                  # evidence packs: built by the pack worker, the API only signs their download links
                  {"Effect": "Allow", "Action": ["s3:GetObject"],
                   "Resource": {"Fn::Sub": "${EvidenceBucket.Arn}/packs/*"}}]
    worker = RESOURCES["EvidencePackWorkerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert [s["Action"] for s in worker if "EvidenceBucket" in str(s)] == [["s3:GetObject"],
                                                                           ["s3:PutObject", "s3:GetObject"]]
    # A pack is a copy of the history, built again on request: it is kept 30 days (a partner's link lasts 7).
    rules = RESOURCES["EvidenceBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert {"Id": "expire-evidence-packs", "Status": "Enabled", "Prefix": "packs/", "ExpirationInDays": 30} in rules
    # The API emails brokers and customers (disputes, payment notices) through SES v2: ses:SendEmail, raw or not.
    assert any("ses:SendEmail" in s["Action"] for s in statements)

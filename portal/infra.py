"""Create the deployed resources in moto from infra/resources.json, so tests and the demo cannot drift."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from chalicelib.adapters.secrets import initial_secret

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "resources.json"


def template() -> dict[str, Any]:
    return json.loads(TEMPLATE.read_text())


def table_definition() -> dict[str, Any]:
    return template()["Resources"]["CasesTable"]["Properties"]


def create_table(client: Any, name: str) -> None:
    props = table_definition()
    client.create_table(
        TableName=name,
        BillingMode=props["BillingMode"],
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
        SSESpecification={"Enabled": props["SSESpecification"]["SSEEnabled"]},
        DeletionProtectionEnabled=props["DeletionProtectionEnabled"],
    )
    client.get_waiter("table_exists").wait(TableName=name)
    client.update_continuous_backups(
        TableName=name,
        PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]},
    )
    ttl = props["TimeToLiveSpecification"]
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={
        "AttributeName": ttl["AttributeName"], "Enabled": ttl["Enabled"]})


def create_link_keys_secret(client: Any, name: str) -> str:
    return client.create_secret(Name=name, SecretString=initial_secret())["ARN"]


# CloudFormation names the deployed queues after the stack; the local stack names its own.
LOCAL_QUEUE, LOCAL_DEAD_LETTERS = "collections-reminders", "collections-reminders-dlq"


def create_reminder_queues(client: Any, suffix: str = "") -> tuple[str, str]:
    """The reminder queue and its dead-letter queue as infra/ defines them (redrive, timeouts): (url, dlq url)."""
    resources = template()["Resources"]
    dlq_props = resources["ReminderDeadLetters"]["Properties"]
    dlq_url = client.create_queue(QueueName=LOCAL_DEAD_LETTERS + suffix, Attributes={
        "MessageRetentionPeriod": str(dlq_props["MessageRetentionPeriod"])})["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    props = resources["ReminderQueue"]["Properties"]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(props["RedrivePolicy"]["maxReceiveCount"])}
    url = client.create_queue(QueueName=LOCAL_QUEUE + suffix, Attributes={
        "VisibilityTimeout": str(props["VisibilityTimeout"]), "RedrivePolicy": json.dumps(redrive)})["QueueUrl"]
    return url, dlq_url


def verify_sender(client: Any, identity: str) -> None:
    """Let SES (moto) send from `identity`, an address or a whole domain, as a verified identity would."""
    client.create_email_identity(EmailIdentity=identity)


def evidence_bucket_definition() -> dict[str, Any]:
    return template()["Resources"]["EvidenceBucket"]["Properties"]


def create_evidence_bucket(client: Any, name: str, site_origin: str, region: str) -> None:
    """The dispute-evidence bucket as infra/ defines it: encrypted, private, CORS for the site's origin."""
    props = evidence_bucket_definition()
    if region == "us-east-1":
        client.create_bucket(Bucket=name)
    else:
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    client.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
                   "BucketKeyEnabled": rule["BucketKeyEnabled"]}
                  for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]]})
    client.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        k: v for k, v in props["PublicAccessBlockConfiguration"].items()})
    allow_uploads_from(client, name, site_origin)


def allow_uploads_from(client: Any, name: str, site_origin: str) -> None:
    """The evidence bucket's CORS as infra/ defines it, with `site_origin` for the SiteOrigin parameter.

    The demo calls it again at every start: its site port may change between runs.
    """
    rules = []
    for rule in evidence_bucket_definition()["CorsConfiguration"]["CorsRules"]:
        origins = [site_origin if isinstance(o, dict) and o.get("Ref") == "SiteOrigin" else o
                   for o in rule["AllowedOrigins"]]
        rules.append({"AllowedMethods": rule["AllowedMethods"], "AllowedOrigins": origins,
                      "AllowedHeaders": rule["AllowedHeaders"], "MaxAgeSeconds": rule["MaxAge"]})
    client.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})


def create_anchor_bucket(client: Any, name: str, region: str) -> None:
    """The head-hash anchor bucket as infra/ defines it: Object Lock with its default retention mode."""
    props = template()["Resources"]["AnchorBucket"]["Properties"]
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=props["ObjectLockEnabled"], **location)
    lock = props["ObjectLockConfiguration"]
    client.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
        "ObjectLockEnabled": lock["ObjectLockEnabled"], "Rule": lock["Rule"]})
    client.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])


# --- the pay page: the headers and paths CloudFront serves it with (SiteHeaders, SitePaths in infra/) ---------

def site_headers(api_url: str, upload_origin: str | None) -> dict[str, str]:
    """The response headers of infra/'s SiteHeaders policy, with the demo's API and upload origins in the CSP."""
    config = template()["Resources"]["SiteHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    csp, _variables = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    csp = csp.replace("${ApiOrigin}", api_url).replace(" ${UploadOrigin}", f" {upload_origin}" if upload_origin else "")
    hsts = security["StrictTransportSecurity"]
    headers = {
        "Content-Security-Policy": csp,
        "Referrer-Policy": security["ReferrerPolicy"]["ReferrerPolicy"],
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": security["FrameOptions"]["FrameOption"],
        "Strict-Transport-Security": f"max-age={hsts['AccessControlMaxAgeSec']}"
                                     + ("; includeSubDomains" if hsts["IncludeSubdomains"] else ""),
    }
    headers.update({h["Header"]: h["Value"] for h in config["CustomHeadersConfig"]["Items"]})
    return headers


def site_routes() -> dict[str, str]:
    """The page's paths (path -> file), as infra/'s SitePaths CloudFront Function maps them."""
    code = template()["Resources"]["SitePaths"]["Properties"]["FunctionCode"]
    match = re.search(r"var routes = (\{[^}]*\});", code)
    assert match, "SitePaths must declare `var routes = {...};`"
    routes: dict[str, str] = json.loads(match.group(1))
    return routes


def create_webhook_queues(client: Any, name: str = "collections-webhooks") -> tuple[str, str]:
    """The webhook delivery queue and its dead-letter queue as infra/ defines them; (url, dlq url).

    infra/ leaves the names to CloudFormation (one pair per stack); moto needs one, given here."""
    resources = template()["Resources"]
    dlq_url = client.create_queue(QueueName=f"{name}-dlq", Attributes={
        "MessageRetentionPeriod": str(resources["WebhookDeadLetters"]["Properties"]["MessageRetentionPeriod"])},
    )["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    props = resources["WebhookQueue"]["Properties"]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(props["RedrivePolicy"]["maxReceiveCount"])}
    url = client.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": str(props["VisibilityTimeout"]), "RedrivePolicy": json.dumps(redrive)})["QueueUrl"]
    return url, dlq_url


def create_import_bucket(client: Any, name: str, region: str) -> None:
    """The bulk-import bucket as infra/ defines it: encrypted, private, files expire."""
    props = template()["Resources"]["ImportBucket"]["Properties"]
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    client.create_bucket(Bucket=name, **location)
    client.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
    client.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
        {"ID": rule["Id"], "Status": rule["Status"], "Filter": {"Prefix": ""},
         **({"Expiration": {"Days": rule["ExpirationInDays"]}} if "ExpirationInDays" in rule else {}),
         **({"AbortIncompleteMultipartUpload": rule["AbortIncompleteMultipartUpload"]}
            if "AbortIncompleteMultipartUpload" in rule else {})}
        for rule in props["LifecycleConfiguration"]["Rules"]]})


def create_function_queue(client: Any, resource: str, name: str) -> str:
    """A queue that feeds a function, as infra/'s `resource` (ImportQueue: an import from chunk to chunk;
    EvidencePackQueue: pack builds) defines its visibility timeout; its URL."""
    props = template()["Resources"][resource]["Properties"]
    return str(client.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": str(props["VisibilityTimeout"])})["QueueUrl"])


def create_staff_pool(client: Any, name: str) -> tuple[str, str]:
    """The staff user pool, its console app client and its role groups as infra/ defines them; (pool id, client id)."""
    resources = template()["Resources"]
    props = resources["StaffPool"]["Properties"]
    pool = client.create_user_pool(
        PoolName=name, UsernameAttributes=props["UsernameAttributes"],
        AutoVerifiedAttributes=props["AutoVerifiedAttributes"], MfaConfiguration=props["MfaConfiguration"],
        DeletionProtection=props["DeletionProtection"],
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"]},
        Policies=props["Policies"], AccountRecoverySetting=props["AccountRecoverySetting"],
        Schema=props["Schema"])["UserPool"]["Id"]
    app_client = resources["StaffConsoleClient"]["Properties"]
    client_id = client.create_user_pool_client(
        UserPoolId=pool, ClientName=f"{name}-console", GenerateSecret=app_client["GenerateSecret"],
        ExplicitAuthFlows=app_client["ExplicitAuthFlows"],
        PreventUserExistenceErrors=app_client["PreventUserExistenceErrors"],
        EnableTokenRevocation=app_client["EnableTokenRevocation"], ReadAttributes=app_client["ReadAttributes"],
        WriteAttributes=app_client["WriteAttributes"], IdTokenValidity=app_client["IdTokenValidity"],
        AccessTokenValidity=app_client["AccessTokenValidity"], RefreshTokenValidity=app_client["RefreshTokenValidity"],
        TokenValidityUnits=app_client["TokenValidityUnits"])["UserPoolClient"]["ClientId"]
    for group in (r["Properties"] for r in resources.values() if r.get("Type") == "AWS::Cognito::UserPoolGroup"):
        client.create_group(UserPoolId=pool, GroupName=group["GroupName"], Precedence=group["Precedence"],
                            Description=group["Description"])
    return pool, client_id

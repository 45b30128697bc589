"""What a function of the packaged template may reach: its environment and its role's statements, resolved
against the resources made in moto, and the AWS actions its calls need, recorded as botocore makes them.

The rules for naming a call's IAM action and resource follow the AWS Service Authorization Reference;
a call this module cannot name precisely is checked as `<service>:<Operation>` on "*".
"""
from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import boto3

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account
PSEUDO = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com",
          "AWS::StackName": "portal-test"}


# --- the template resolved against what moto holds ------------------------------------------------------

@dataclass
class Physical:
    """What Ref and Fn::GetAtt give for one resource made in moto."""
    ref: str
    attributes: dict[str, str] = field(default_factory=dict)


class Resolver:
    def __init__(self, parameters: dict[str, str], resources: dict[str, Physical]) -> None:
        self.parameters = parameters
        self.resources = resources

    def ref(self, name: str) -> str:
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            return self.parameters[name]
        if name not in self.resources:
            raise KeyError(f"{name} is referenced but the test made no such resource in moto")
        return self.resources[name].ref

    def get_att(self, name: str, attribute: str) -> str:
        try:
            return self.resources[name].attributes[attribute]
        except KeyError:
            raise KeyError(f"{name}.{attribute} is referenced but the test does not know it") from None

    def __call__(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self(n) for n in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Ref"}:
            return self.ref(node["Ref"])
        if set(node) == {"Fn::GetAtt"}:
            name, attribute = node["Fn::GetAtt"]
            return self.get_att(name, attribute)
        if set(node) == {"Fn::Sub"}:
            text, variables = (node["Fn::Sub"], {}) if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"]
            values = {k: self(v) for k, v in variables.items()}

            def sub(match: re.Match[str]) -> str:
                name = match.group(1)
                if name in values:
                    return str(values[name])
                if "." in name and name.split(".")[0] not in PSEUDO:
                    return self.get_att(*name.split(".", 1))
                return self.ref(name)
            return re.sub(r"\$\{([^}!]+)\}", sub, text)
        if set(node) == {"Fn::Join"}:
            separator, parts = node["Fn::Join"]
            return separator.join(str(self(p)) for p in parts)
        return {k: self(v) for k, v in node.items()}


def queue_arn(url: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{url.rstrip('/').rsplit('/', 1)[1]}"


def make_resource(name: str, resource: dict[str, Any], suffix: str) -> Physical | None:
    """One resource of the template in moto (those a function can reach); None for the others."""
    from portal import infra

    kind, physical_name = resource["Type"], f"{name.lower()}-{suffix}"
    if "BucketName" in resource.get("Properties", {}):  # a name of its own: what Ref gives and code is told
        physical_name = Resolver({}, {})(resource["Properties"]["BucketName"])
    if kind == "AWS::DynamoDB::Table":
        infra.create_table(boto3.client("dynamodb"), physical_name)
        arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{physical_name}"
        return Physical(physical_name, {"Arn": arn})
    if kind == "AWS::SecretsManager::Secret":
        arn = boto3.client("secretsmanager").create_secret(
            Name=physical_name, SecretString=resource["Properties"].get("SecretString", "{}"))["ARN"]
        return Physical(arn, {"Id": arn})
    if kind == "AWS::SQS::Queue":
        url = boto3.client("sqs").create_queue(QueueName=physical_name)["QueueUrl"]
        return Physical(url, {"Arn": queue_arn(url), "QueueName": physical_name, "QueueUrl": url})
    if kind == "AWS::S3::Bucket":
        if resource["Properties"].get("ObjectLockEnabled"):
            infra.create_anchor_bucket(boto3.client("s3"), physical_name, REGION)
        else:
            boto3.client("s3").create_bucket(Bucket=physical_name,
                                              CreateBucketConfiguration={"LocationConstraint": REGION})
        return Physical(physical_name, {"Arn": f"arn:aws:s3:::{physical_name}",
                                        "DomainName": f"{physical_name}.s3.amazonaws.com",
                                        "RegionalDomainName": f"{physical_name}.s3.{REGION}.amazonaws.com"})
    if kind == "AWS::Logs::LogGroup":
        return Physical(physical_name, {"Arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{physical_name}:*"})
    if kind == "AWS::SNS::Topic":
        arn = boto3.client("sns").create_topic(Name=physical_name)["TopicArn"]
        return Physical(arn, {"TopicArn": arn, "TopicName": physical_name})
    if kind == "AWS::SES::ConfigurationSet":
        boto3.client("sesv2").create_configuration_set(ConfigurationSetName=physical_name)
        return Physical(physical_name)
    if kind == "AWS::Cognito::UserPool":  # with its app client and groups, as infra/ defines them
        pool_id, client_id = infra.create_staff_pool(boto3.client("cognito-idp"), physical_name)
        STAFF_CLIENTS[physical_name] = client_id
        return Physical(pool_id, {"Arn": f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{pool_id}",
                                  "ProviderName": f"cognito-idp.{REGION}.amazonaws.com/{pool_id}"})
    if kind == "AWS::Cognito::UserPoolClient":
        return Physical(STAFF_CLIENTS[f"{resource['Properties']['UserPoolId']['Ref'].lower()}-{suffix}"])
    if kind == "AWS::Cognito::UserPoolGroup":
        return Physical(resource["Properties"]["GroupName"])
    return None


STAFF_CLIENTS: dict[str, str] = {}  # a pool's physical name -> the app client made with it


# --- the calls a function makes, as IAM names them ---------------------------------------------------------

@dataclass(frozen=True)
class Need:
    """One action on one resource that a call needs (`context`: the condition keys the call sets)."""
    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()
    call: str = ""


@dataclass
class Calls:
    made: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)  # (service, signing, op, params)
    paused: bool = False  # while someone else (the customer's browser) talks to moto

    def record(self, event_name: str, params: dict[str, Any], model: Any, context: dict[str, Any] | None = None,
               **_: Any) -> None:
        # A presigned POST is signed as CreateBucket with no key; what it needs is recorded with its key.
        presigned_post = bool((context or {}).get("is_presign_request")) and model.name == "CreateBucket"
        if self.paused or presigned_post:
            return
        service = model.service_model
        self.made.append((service.service_name, service.signing_name, model.name, dict(params)))

    def services(self) -> set[str]:
        return {service for service, *_ in self.made}


def needs(calls: Calls, secrets: dict[str, str]) -> Iterator[Need]:
    """What each recorded call needs. `secrets`: secret name -> ARN (a call may name a secret either way)."""
    for _service, signing, op, params in calls.made:
        label = f"{signing}:{op}"
        for action, resource, context in _needs(signing, op, params, secrets):
            yield Need(action, resource, tuple(sorted(context.items())), label)


def iam_actions(signing: str, op: str, params: dict[str, Any]) -> set[str]:
    """The IAM actions one call needs (a transaction needs its items' actions), resources left out."""
    return {action for action, _, _ in _needs(signing, op, params, {})}


def _table_arn(name: str, index: str | None = None) -> str:
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    return f"{arn}/index/{index}" if index else arn


# Cognito's operations that need no IAM permission (the API sends them unsigned).
COGNITO_PUBLIC = {"InitiateAuth", "RespondToAuthChallenge", "GetUser", "GlobalSignOut", "ForgotPassword",
                  "ConfirmForgotPassword", "AssociateSoftwareToken", "VerifySoftwareToken", "SetUserMFAPreference"}
TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                    "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
# S3 operations whose IAM action has another name (a multipart upload is authorised as s3:PutObject).
S3_ACTIONS = {"HeadObject": "GetObject", "CreateMultipartUpload": "PutObject", "UploadPart": "PutObject",
              "CompleteMultipartUpload": "PutObject"}


def _secret_arn(name_or_arn: str, secrets: dict[str, str]) -> str:
    """A secret's ARN: Secrets Manager appends six random characters to the name (shown as ??????)."""
    if name_or_arn.startswith("arn:"):
        return name_or_arn
    return secrets.get(name_or_arn) or f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name_or_arn}-??????"


def _needs(signing: str, op: str, p: dict[str, Any], secrets: dict[str, str]
           ) -> Iterator[tuple[str, str, dict[str, str]]]:
    if signing == "dynamodb" and op in ("TransactWriteItems", "TransactGetItems"):
        for item in p["TransactItems"]:
            [(kind, body)] = item.items()
            yield f"dynamodb:{TRANSACT_ACTIONS[kind]}", _table_arn(body["TableName"]), {}
    elif signing == "dynamodb" and op in ("BatchGetItem", "BatchWriteItem"):
        for table in p["RequestItems"]:  # unlike a transaction's items, authorised as the batch itself
            yield f"dynamodb:{op}", _table_arn(table), {}
    elif signing == "dynamodb" and "TableName" in p:
        yield f"dynamodb:{op}", _table_arn(p["TableName"], p.get("IndexName")), {}
    elif signing == "secretsmanager" and "SecretId" in p:
        yield f"secretsmanager:{op}", _secret_arn(p["SecretId"], secrets), {}
    elif signing == "secretsmanager" and op == "CreateSecret":
        yield "secretsmanager:CreateSecret", _secret_arn(p["Name"], secrets), {}
    elif signing == "sqs" and "QueueUrl" in p:
        action = "SendMessage" if op == "SendMessageBatch" else op
        yield f"sqs:{action}", queue_arn(p["QueueUrl"]), {}
    elif signing == "s3" and op in ("ListObjectsV2", "ListObjects"):
        yield "s3:ListBucket", f"arn:aws:s3:::{p['Bucket']}", {"s3:prefix": p.get("Prefix", "")}
    elif signing == "s3" and "Key" in p:
        action = S3_ACTIONS.get(op, op)
        yield f"s3:{action}", f"arn:aws:s3:::{p['Bucket']}/{p['Key']}", {}
    elif signing == "ses" and op in ("SendEmail", "SendBulkEmail"):
        sender = p.get("FromEmailAddress", "")
        address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
        # SES authorises the identity it sends as: the verified domain of the address.
        yield "ses:SendEmail", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{address.split('@', 1)[1]}", {}
        if p.get("ConfigurationSetName"):
            yield ("ses:SendEmail",
                   f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/{p['ConfigurationSetName']}", {})
    elif signing == "sns" and op == "Publish":
        yield "sns:Publish", p.get("TopicArn") or p.get("TargetArn") or "*", {}
    elif signing == "cognito-idp" and op in COGNITO_PUBLIC:
        return  # Cognito evaluates no IAM policy for these: the user's password or token is the credential
    elif signing == "cognito-idp" and "UserPoolId" in p:
        yield f"cognito-idp:{op}", f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{p['UserPoolId']}", {}
    else:
        yield f"{signing}:{op}", "*", {}


# --- a role's statements ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Statement:
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: dict[str, dict[str, Any]]
    index: int

    def allows(self, need: Need) -> bool:
        return (any(fnmatch.fnmatchcase(need.action.lower(), a.lower()) for a in self.actions)
                and any(fnmatch.fnmatchcase(need.resource, r) for r in self.resources)
                and self._conditions_hold(dict(need.context)))

    def _conditions_hold(self, context: dict[str, str]) -> bool:
        for operator, checks in self.conditions.items():
            for key, expected in checks.items():
                wanted = expected if isinstance(expected, list) else [expected]
                actual = context.get(key)
                if actual is None:
                    return False
                if operator == "StringLike" and not any(fnmatch.fnmatchcase(actual, w) for w in wanted):
                    return False
                if operator == "StringEquals" and actual not in wanted:
                    return False
                if operator not in ("StringLike", "StringEquals"):
                    raise AssertionError(f"the test cannot evaluate the condition {operator}")
        return True


def statements(role: dict[str, Any], resolve: Resolver) -> list[Statement]:
    found = []
    for policy in role["Properties"].get("Policies", []):
        for stmt in resolve(policy["PolicyDocument"])["Statement"]:
            assert stmt["Effect"] == "Allow", stmt
            actions = stmt["Action"] if isinstance(stmt["Action"], list) else [stmt["Action"]]
            resources = stmt["Resource"] if isinstance(stmt["Resource"], list) else [stmt["Resource"]]
            found.append(Statement(tuple(actions), tuple(resources), stmt.get("Condition", {}), len(found)))
    assert not role["Properties"].get("ManagedPolicyArns"), "managed policies grant more than the code reaches"
    return found


def denied(wanted: list[Need], allowed: list[Statement]) -> list[Need]:
    return sorted({n for n in wanted if not any(s.allows(n) for s in allowed)}, key=str)


def unused(wanted: list[Need], allowed: list[Statement], platform: set[str]) -> list[str]:
    """Actions a statement grants that no call needed (`platform`: what Lambda itself uses the role for)."""
    found = []
    for stmt in allowed:
        for action in stmt.actions:
            if action in platform:
                continue
            if not any(fnmatch.fnmatchcase(n.action.lower(), action.lower()) and stmt.allows(n) for n in wanted):
                found.append(f"statement {stmt.index}: {action} on {', '.join(stmt.resources)}")
    return found


# --- Lambda's JSON log format ----------------------------------------------------------------------------

# The fields Lambda's Python runtime leaves out of a JSON log line (awslambdaric's JsonFormatter); every
# other attribute of a record, which is what `extra=` adds, becomes a key of the line.
LAMBDA_RESERVED = {"name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info",
                   "exc_text", "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread",
                   "threadName", "processName", "process", "aws_request_id", "tenant_id", "_frame_type", "taskName",
                   "message", "asctime"}


def lambda_json_line(record: Any) -> str:
    """The line Lambda writes for a record in its JSON format (same encoder, same fields)."""
    line = {"level": record.levelname, "message": record.getMessage(), "logger": record.name}
    line.update((k, v) for k, v in record.__dict__.items() if k not in LAMBDA_RESERVED and k not in line)
    return json.JSONEncoder(ensure_ascii=False).encode(line)


def host_of(url: str) -> str:
    return urlparse(url).netloc

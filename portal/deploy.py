"""`portal deploy`: package the app, deploy its stack, publish the page, initialise the link keys, and say
what is left for the operator. `--dry-run` prints the same plan without touching AWS (no credentials needed).

What it deploys is read from the template (portal/stack.py); the plan is built offline, then carried out:
1. `chalice package` with infra/ merged; the Serverless resources expanded into plain CloudFormation;
2. the code and the template uploaded to a deployment bucket (created when missing);
3. one change set (create or update), executed and waited for;
4. site/ and its config.json (the API's URL) into the site bucket, when the template has one;
5. the link keys initialised when their secret holds none (the first deploy), never replaced.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import mimetypes
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from portal import stack as stacks
from portal.index_stages import index_stages
from portal.stack import ROOT, Stack, StackError
from portal.terminal import output, safe

SITE_DIR = ROOT / "site"
TEMPLATE = ROOT / "infra" / "resources.json"
CONFIG_FILE = "config.json"  # what the page fetches to find the API (site/app.js)
API_OUTPUT = "EndpointURL"  # Chalice's output for the REST API's URL
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
BUCKET_TYPE = "AWS::S3::Bucket"
DISTRIBUTION_TYPE = "AWS::CloudFront::Distribution"


class DeployError(RuntimeError):
    pass


# --- what to deploy ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Profile:
    stage: str
    region: str
    site_url: str
    stack: str
    deployment_bucket: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    package_dir: Path | None = None  # an existing `chalice package` output, instead of packaging again

    @property
    def site_origin(self) -> str:
        parts = urlsplit(self.site_url)
        return f"{parts.scheme}://{parts.netloc}"


def register(subparsers: Any) -> argparse.ArgumentParser:
    command = subparsers.add_parser(
        "deploy", help="deploy the portal to AWS: stack, page, link keys (--dry-run: the plan only)",
        description="Package the app, deploy its CloudFormation stack, upload the page with its config.json, "
                    "initialise the link keys on the first deploy, and print what is left to do by hand.")
    command.add_argument("--profile", type=Path, help="a TOML or JSON file with stage, region, site_url and "
                         "optionally stack_name, deployment_bucket, [parameters]; flags override it")
    command.add_argument("--stage", help="e.g. prod (a stage of .chalice/config.json)")
    command.add_argument("--region", help="the AWS region, e.g. eu-west-1")
    command.add_argument("--site-url", help="where customers open the pay page, e.g. https://pay.example.com")
    command.add_argument("--stack-name", help="default: <app>-<stage>, which the operator commands' --stage finds")
    command.add_argument("--deployment-bucket", help="where code and template are uploaded "
                         "(default: <app>-deploy-<account>-<region>, created when missing)")
    command.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE",
                         help="a template parameter (repeatable)")
    command.add_argument("--package-dir", type=Path, help="deploy this `chalice package` output instead of packaging")
    command.add_argument("--dry-run", action="store_true", help="print the plan; touch nothing in AWS")
    return command


def profile_from(args: argparse.Namespace) -> Profile:
    values: dict[str, Any] = {}
    if args.profile:
        try:
            text = args.profile.read_text()
            values = json.loads(text) if args.profile.suffix == ".json" else tomllib.loads(text)
        except (OSError, ValueError) as exc:
            raise DeployError(f"--profile: cannot read {args.profile}: {exc}") from exc
    parameters = {str(k): str(v) for k, v in (values.get("parameters") or {}).items()}
    for pair in args.parameter:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise DeployError(f"--parameter: expected KEY=VALUE, got {pair!r}")
        parameters[key] = value
    chosen = {name: getattr(args, name) or values.get(name)
              for name in ("stage", "region", "site_url", "stack_name", "deployment_bucket")}
    for name in ("stage", "region", "site_url"):
        if not chosen[name]:
            raise DeployError(f"--{name.replace('_', '-')}: required (or `{name}` in the --profile file)")
    stage, region, site_url = (str(chosen[name]) for name in ("stage", "region", "site_url"))
    site = urlsplit(site_url)
    if site.scheme not in ("https", "http") or not site.netloc or site.query or site.fragment:
        raise DeployError("--site-url: expected https://host[/path], e.g. https://pay.example.com")
    return Profile(stage=stage, region=region, site_url=site_url.rstrip("/"),
                   stack=chosen["stack_name"] or stacks.stack_name(stage),
                   deployment_bucket=chosen["deployment_bucket"], parameters=parameters,
                   package_dir=args.package_dir)


@dataclass(frozen=True)
class Plan:
    profile: Profile
    sam: dict[str, Any]  # the packaged template, code still local
    code: Path  # deployment.zip
    parameters: dict[str, str]
    site_url_pinned: list[str]  # functions whose SITE_URL the template fixes as a literal
    site_bucket: str | None  # logical ids, from the template
    distribution: str | None
    keys_secret: str | None

    @property
    def code_key(self) -> str:
        return f"{self.profile.stack}/{sha256(self.code.read_bytes())[:16]}.zip"

    def template(self, bucket: str) -> dict[str, Any]:
        """Plain CloudFormation with the code at s3://bucket/code_key (as `aws cloudformation package` does)."""
        sam = json.loads(json.dumps(self.sam))
        for resource in sam["Resources"].values():
            if resource.get("Type") == "AWS::Serverless::Function":
                resource["Properties"]["CodeUri"] = {"Bucket": bucket, "Key": self.code_key}
        return stacks.expand(sam, self.profile.region, self.parameters)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_plan(profile: Profile, work: Path) -> Plan:
    """Everything decided before AWS is touched: packaging, parameters, what the site and keys need."""
    package_dir = profile.package_dir or work
    sam_file = package_dir / "sam.json" if profile.package_dir else stacks.package(
        profile.stage, profile.region, work, TEMPLATE)
    sam = json.loads(sam_file.read_text())
    pinned = pin_site_url(sam, profile.site_url)
    parameters = fill_parameters(sam, profile)
    site_bucket, distribution = site_resources(sam)
    keys_secret = next((env["LINK_KEYS_SECRET_ID"]["Ref"] for env in stacks.functions(sam).values()
                        if isinstance(env.get("LINK_KEYS_SECRET_ID"), dict)), None)
    return Plan(profile, sam, package_dir / "deployment.zip", parameters, pinned, site_bucket, distribution,
                keys_secret)


def pin_site_url(sam: dict[str, Any], site_url: str) -> list[str]:
    """Functions whose SITE_URL is a literal (.chalice/config.json's) get the site URL being deployed:
    pay links must point where the page is. A SITE_URL taken from a parameter is left to the parameter."""
    pinned = []
    for logical_id, env in stacks.functions(sam).items():
        if isinstance(env.get("SITE_URL"), str):
            sam["Resources"][logical_id]["Properties"]["Environment"]["Variables"]["SITE_URL"] = site_url
            pinned.append(logical_id)
    return sorted(pinned)


def fill_parameters(sam: dict[str, Any], profile: Profile) -> dict[str, str]:
    """A value for each template parameter: the profile's own, else what the site URL or stage says, else
    the template's default; a parameter with none of these stops the deploy, naming it."""
    known = {"siteorigin": profile.site_origin, "siteurl": profile.site_url, "stage": profile.stage,
             "stagename": profile.stage}
    values = {}
    for name, spec in sam.get("Parameters", {}).items():
        if name in profile.parameters:
            values[name] = profile.parameters[name]
        elif name.lower() in known:
            values[name] = known[name.lower()]
        elif "Default" not in spec:
            raise DeployError(f"the template's parameter {name} has no value: pass --parameter {name}=... "
                              "(or set it under [parameters] in the profile)")
    unknown = set(profile.parameters) - set(sam.get("Parameters", {}))
    if unknown:
        raise DeployError(f"--parameter: the template has no parameter {', '.join(sorted(unknown))}")
    return values


def site_resources(template: dict[str, Any]) -> tuple[str | None, str | None]:
    """(site bucket, distribution) logical ids: the bucket a CloudFront distribution takes its origin from."""
    resources = template.get("Resources", {})
    for logical_id, resource in resources.items():
        if resource.get("Type") != DISTRIBUTION_TYPE:
            continue
        for target in referenced(resource.get("Properties", {})):
            if resources.get(target, {}).get("Type") == BUCKET_TYPE:
                return target, logical_id
        return None, logical_id
    return None, None


def referenced(node: Any) -> Iterator[str]:
    """Logical ids named by Ref or Fn::GetAtt anywhere inside `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                yield value
            elif key == "Fn::GetAtt":
                yield value[0] if isinstance(value, list) else str(value).split(".")[0]
            else:
                yield from referenced(value)
    elif isinstance(node, list):
        for item in node:
            yield from referenced(item)


def site_files() -> list[tuple[str, Path]]:
    return sorted((str(p.relative_to(SITE_DIR)), p) for p in SITE_DIR.rglob("*") if p.is_file())


def site_config(api_url: str) -> bytes:
    return json.dumps({"api_url": api_url.rstrip("/")}).encode()


# --- the plan, printed ------------------------------------------------------------------------------

def print_plan(plan: Plan, out: TextIO, *, dry_run: bool) -> None:
    def p(line: str = "") -> None:
        print(safe(line), file=out)

    profile = plan.profile
    p(f"portal deploy: {'DRY RUN, nothing is sent to AWS' if dry_run else 'plan'}")
    p(f"  stack       {profile.stack} in {profile.region} (created, or updated through a change set if it exists)")
    bucket = profile.deployment_bucket or f"{stacks.app_name()}-deploy-<account id>-{profile.region}"
    p(f"  upload      {plan.code.name} ({plan.code.stat().st_size / 1e6:.1f} MB) -> s3://{bucket}/{plan.code_key}")
    p(f"              and the template, to the deployment bucket {bucket} (created when missing)")
    p("  parameters  " + (", ".join(f"{k}={v}" for k, v in sorted(plan.parameters.items())) or "none"))
    if plan.site_url_pinned:
        p(f"  SITE_URL    {profile.site_url} (in {', '.join(plan.site_url_pinned)})")
    template = plan.template(bucket)
    resources = template["Resources"]
    p(f"  resources   {len(resources)}:")
    for logical_id, resource in sorted(resources.items(), key=lambda kv: (kv[1]["Type"], kv[0])):
        p(f"    {resource['Type']:<40} {logical_id}")
    files = site_files()
    if plan.site_bucket:
        where = f"the {plan.site_bucket} bucket"
        where += f", then invalidate {plan.distribution}" if plan.distribution else ""
        p(f"  site        {len(files)} files from site/ and {CONFIG_FILE} -> {where}:")
        for key, path in files:
            p(f"    {key} ({path.stat().st_size} bytes)")
        p(f"    {CONFIG_FILE} {site_config(f'<{API_OUTPUT} output>').decode()}")
    else:
        config = site_config(f"<{API_OUTPUT} output>").decode()
        p("  site        NOT UPLOADED: the template has no site bucket (an S3 bucket that a CloudFront distribution "
          f"serves). Serve site/ yourself, with /{CONFIG_FILE} holding {config}")
    if plan.keys_secret:
        p(f"  link keys   {plan.keys_secret}: a first signing key is written when it holds none (the first deploy);"
          " an existing key ring is never replaced")
    else:
        p("  link keys   the template gives no function LINK_KEYS_SECRET_ID: nothing to initialise")


# --- carrying it out --------------------------------------------------------------------------------

@dataclass
class Deployed:
    stack: Stack
    template: dict[str, Any]
    action: str  # "created", "updated", "unchanged"
    site_uploaded: list[str] = field(default_factory=list)
    keys: str = ""  # "initialised", "kept"


def run(plan: Plan, client: Callable[[str], Any], out: TextIO, wait_delay: int = 10) -> Deployed:
    def p(line: str) -> None:
        print(safe(line), file=out, flush=True)

    profile = plan.profile
    account = client("sts").get_caller_identity()["Account"]
    bucket = profile.deployment_bucket or f"{stacks.app_name()}-deploy-{account}-{profile.region}"
    s3 = client("s3")
    ensure_bucket(s3, bucket, profile.region, p)
    s3.put_object(Bucket=bucket, Key=plan.code_key, Body=plan.code.read_bytes())
    template = plan.template(bucket)

    def upload(body: dict[str, Any]) -> str:
        text = json.dumps(body).encode()
        key = f"{profile.stack}/{sha256(text)[:16]}.template.json"
        s3.put_object(Bucket=bucket, Key=key, Body=text)
        return f"https://{bucket}.s3.{profile.region}.amazonaws.com/{key}"

    template_url = upload(template)
    p(f"uploaded the code and the template to s3://{bucket}/{profile.stack}/")
    cloudformation = client("cloudformation")
    deployed_template = stacks.template_of(cloudformation, profile.stack)
    stages = index_stages(deployed_template, template) if deployed_template else []
    for n, stage in enumerate(stages, 1):  # CloudFormation adds one index per table in one update
        p(f"stack {profile.stack}: table indexes, step {n} of {len(stages)} (the deployed template, one more index)")
        declared = stage.get("Parameters", {})
        change_stack(cloudformation, profile.stack, upload(stage),
                     {k: v for k, v in plan.parameters.items() if k in declared}, p, wait_delay, suffix=f"-i{n}")
    action = change_stack(cloudformation, profile.stack, template_url, plan.parameters, p, wait_delay)
    deployed = stacks.describe(cloudformation, profile.stack, profile.region)
    if deployed is None:
        raise DeployError(f"stack {profile.stack} vanished after its change set")
    result = Deployed(deployed, template, action)
    result.site_uploaded = upload_site(plan, deployed, template, client, p)
    result.keys = initialise_keys(plan, deployed, template, client, p)
    return result


def ensure_bucket(s3: Any, bucket: str, region: str, p: Callable[[str], None]) -> None:
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
        return
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
            raise DeployError(f"--deployment-bucket: {bucket} is not usable ({exc.response['Error']['Code']})") from exc
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **location)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    p(f"created the deployment bucket {bucket}")


def change_stack(cloudformation: Any, name: str, template_url: str, parameters: dict[str, str],
                 p: Callable[[str], None], delay: int, suffix: str = "") -> str:
    """One change set: CREATE for a new stack, UPDATE otherwise. Returns created, updated or unchanged."""
    current = stacks.status(cloudformation, name)
    if current in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED"):
        raise DeployError(f"stack {name} is {current} after a failed first deploy: look at its events in the "
                          f"CloudFormation console, delete it (aws cloudformation delete-stack --stack-name {name}), "
                          "and deploy again")
    if current and current.endswith("_IN_PROGRESS") and current != "REVIEW_IN_PROGRESS":
        raise DeployError(f"stack {name} is {current}: wait for it to finish, then deploy again")
    kind = "CREATE" if current in (None, "REVIEW_IN_PROGRESS") else "UPDATE"
    change_set = f"portal-deploy-{time.strftime('%Y%m%d-%H%M%S')}{suffix}"
    cloudformation.create_change_set(
        StackName=name, ChangeSetName=change_set, ChangeSetType=kind, TemplateURL=template_url,
        Capabilities=CAPABILITIES, Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
    waiter_config = {"Delay": delay, "MaxAttempts": 360}
    from botocore.exceptions import WaiterError

    try:
        cloudformation.get_waiter("change_set_create_complete").wait(
            StackName=name, ChangeSetName=change_set, WaiterConfig=waiter_config)
    except WaiterError as exc:
        described = cloudformation.describe_change_set(StackName=name, ChangeSetName=change_set)
        reason = described.get("StatusReason", "")
        if any(text in reason for text in NO_CHANGES):
            cloudformation.delete_change_set(StackName=name, ChangeSetName=change_set)
            p(f"stack {name}: no changes")
            return "unchanged"
        raise DeployError(f"change set for {name} failed: {reason or exc}") from exc
    changes = cloudformation.describe_change_set(StackName=name, ChangeSetName=change_set).get("Changes", [])
    p(f"stack {name}: {kind.lower()} with {len(changes)} resource change(s)")
    for change in changes:
        c = change["ResourceChange"]
        p(f"  {c['Action']:<7} {c['ResourceType']:<40} {c['LogicalResourceId']}")
    cloudformation.execute_change_set(StackName=name, ChangeSetName=change_set)
    done = "stack_create_complete" if kind == "CREATE" else "stack_update_complete"
    try:
        cloudformation.get_waiter(done).wait(StackName=name, WaiterConfig=waiter_config)
    except WaiterError as exc:
        raise DeployError(f"stack {name} did not finish: {stacks.status(cloudformation, name)}; its events in the "
                          "CloudFormation console say which resource failed and why") from exc
    p(f"stack {name}: {stacks.status(cloudformation, name)}")
    return "created" if kind == "CREATE" else "updated"


def upload_site(plan: Plan, deployed: Stack, template: dict[str, Any], client: Callable[[str], Any],
                p: Callable[[str], None]) -> list[str]:
    api_url = deployed.outputs.get(API_OUTPUT, "")
    if not plan.site_bucket:
        p(f"site: NOT UPLOADED, the template has no site bucket. Serve site/ yourself with /{CONFIG_FILE}: "
          f"{site_config(api_url).decode()}")
        return []
    bucket = deployed.ref(template, plan.site_bucket)
    s3 = client("s3")
    uploaded = []
    for key, path in site_files():
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), CacheControl="no-cache",
                      ContentType=mimetypes.guess_type(key)[0] or "application/octet-stream")
        uploaded.append(key)
    s3.put_object(Bucket=bucket, Key=CONFIG_FILE, Body=site_config(api_url), CacheControl="no-cache",
                  ContentType="application/json")
    uploaded.append(CONFIG_FILE)
    p(f"site: {len(uploaded)} files uploaded to {bucket} ({CONFIG_FILE}: api_url {api_url.rstrip('/')})")
    distribution = deployed.resources.get(plan.distribution or "")
    if plan.distribution and not distribution:
        p(f"site: not invalidated, the stack has no {plan.distribution} (created by this CloudFormation?)")
    elif distribution:
        client("cloudfront").create_invalidation(DistributionId=distribution, InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": sha256(b"".join(
                s3.head_object(Bucket=bucket, Key=k)["ETag"].encode() for k in uploaded))[:32]})
        p(f"site: CloudFront distribution {distribution} invalidated")
    return uploaded


def initialise_keys(plan: Plan, deployed: Stack, template: dict[str, Any], client: Callable[[str], Any],
              p: Callable[[str], None]) -> str:
    if not plan.keys_secret:
        return ""
    from chalicelib.adapters.secrets import initial_secret

    secret = deployed.ref(template, plan.keys_secret)
    secrets = client("secretsmanager")
    active = active_key(secrets.get_secret_value(SecretId=secret)["SecretString"])
    if active:
        p(f"link keys: kept (active key {active}); rotate with `portal keys rotate --stage {plan.profile.stage}`")
        return "kept"
    value = initial_secret()
    secrets.put_secret_value(SecretId=secret, SecretString=value)
    p(f"link keys: initialised (active key {json.loads(value)['active']})")
    return "initialised"


def active_key(document: str) -> str | None:
    try:
        parsed = json.loads(document)
    except ValueError:
        return None
    return parsed.get("active") if isinstance(parsed, dict) else None


# --- the command ------------------------------------------------------------------------------------

def command(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = output(out)
    from portal import operator_todo

    try:
        profile = profile_from(args)
        with tempfile.TemporaryDirectory(prefix="portal-deploy-") as work:
            plan = make_plan(profile, Path(work))
            print_plan(plan, out, dry_run=args.dry_run)
            if args.dry_run:
                operator_todo.print_todo(out, profile, None, bool(plan.site_bucket))
                return 0
            import boto3

            session = boto3.session.Session(region_name=profile.region)
            deployed = run(plan, session.client, out)
        operator_todo.print_todo(out, profile, deployed, bool(plan.site_bucket))
    except (DeployError, StackError) as exc:
        print(safe(f"portal deploy: {exc}"), file=sys.stderr)
        return 1
    return 0

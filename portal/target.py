"""Which AWS the operator commands talk to: a running demo's moto by default, or real AWS when asked.

- default: the running demo of `--data-dir` (default .portal): the endpoint and resource names it
  wrote to `<data dir>/demo.json`. With no demo running there, the command stops and says so, rather
  than talk to whatever happens to listen on a default port;
- `--aws-endpoint URL`: another moto (or LocalStack) endpoint, with the demo's resource names;
- `--stage S` (with `--region` or AWS_REGION): the deployed stack of that stage (`portal deploy`), its
  table, secrets, queues and buckets read from the stack's outputs;
- `--aws-endpoint aws`, or PORTAL_AWS=1 in the environment: real AWS with the usual credential chain
  (AWS_PROFILE, ...); the table and secret then come from --table/--secret-id or TABLE_NAME and
  LINK_KEYS_SECRET_ID (the deployed stack's outputs), the anchor bucket from ANCHOR_BUCKET.
"""
from __future__ import annotations

import fcntl
import json
import os
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal.local_aws import REGION, LocalResources, clients

REAL_AWS = "aws"
DEMO_FILE = "demo.json"
LOCK_FILE = "lock"  # `portal demo` holds an exclusive flock on it while it runs


class TargetError(RuntimeError):
    pass


@dataclass(frozen=True)
class Target:
    client: Callable[[str], Any]
    table: str
    secret_id: str
    where: str  # for messages: the endpoint, or "AWS"
    data_dir: Path | None = None  # the running demo's, when that is the target
    anchor_bucket: str = ""  # the head-hash anchors (`portal verify`)
    demo_broker: str | None = None  # the running demo's broker, the default for commands about its cases
    environment: dict[str, str] = field(default_factory=dict)  # a deployed stack's: every function's variables
    stack: str = ""  # the deployed stack's name, with --stage

    def broker(self, chosen: str | None, command: str) -> str | None:
        """`--broker`, else the running demo's; None (said on stderr) when there is neither."""
        broker = chosen or self.demo_broker
        if not broker:
            print(f"portal {command}: pass --broker BROKER_ID (no demo broker to default to)", file=sys.stderr)
        return broker


def demo_running(data_dir: Path) -> bool:
    try:
        with open(data_dir / LOCK_FILE) as lock:
            fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except FileNotFoundError:
        return False
    except BlockingIOError:
        return True
    return False


def not_running(data_dir: Path) -> str:
    from portal.show import portal_command

    return (f"no portal demo is running with --data-dir {shlex.quote(str(data_dir))}. Start one in another "
            f"terminal with `make demo` or `{portal_command('demo', data_dir=data_dir)}`, "
            "or pass --aws-endpoint URL (another moto) or --aws-endpoint aws (real AWS)")


def resolve(data_dir: Path, aws_endpoint: str | None, table: str | None = None,
            secret_id: str | None = None) -> Target:
    if aws_endpoint == REAL_AWS or (aws_endpoint is None and os.environ.get("PORTAL_AWS") == "1"):
        table = table or os.environ.get("TABLE_NAME")
        secret_id = secret_id or os.environ.get("LINK_KEYS_SECRET_ID")
        if not table or not secret_id:
            raise TargetError("with real AWS, pass --table and --secret-id (or set TABLE_NAME and "
                              "LINK_KEYS_SECRET_ID)")
        return Target(clients(None), table, secret_id, "AWS", anchor_bucket=os.environ.get("ANCHOR_BUCKET", ""))
    demo_file = data_dir / DEMO_FILE
    if aws_endpoint is None and not (demo_running(data_dir) and demo_file.exists()):
        raise TargetError(not_running(data_dir))
    demo = json.loads(demo_file.read_text()) if demo_file.exists() else {}
    names = LocalResources.from_dict(demo.get("resources"))
    endpoint = aws_endpoint or demo["aws_endpoint"]
    return Target(clients(endpoint, demo.get("region", REGION)), table or names.table,
                  secret_id or names.link_keys_secret, endpoint, None if aws_endpoint else data_dir,
                  anchor_bucket=names.anchors, demo_broker=(demo.get("demo_broker") or {}).get("broker_id"))


def from_stack(stage: str, region: str | None) -> Target:
    """The deployed stack of `stage`: every name its functions are given, read from the stack (portal/stack.py)."""
    import boto3

    from portal import infra, stack

    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise TargetError("--region: required with --stage (or set AWS_REGION)")
    session = boto3.session.Session(region_name=region)
    name = stack.stack_name(stage)
    found = stack.describe(session.client("cloudformation"), name, region)
    if found is None:
        raise TargetError(f"--stage: no stack {name} in {region}; deploy it first with "
                          f"`portal deploy --stage {stage} --region {region} --site-url URL`")
    try:
        env = found.settings(infra.template())
    except stack.StackError as exc:
        raise TargetError(str(exc)) from exc
    return Target(session.client, env["TABLE_NAME"], env["LINK_KEYS_SECRET_ID"], f"stack {name}",
                  anchor_bucket=env.get("ANCHOR_BUCKET", ""), environment=env, stack=name)

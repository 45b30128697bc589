"""Which AWS the operator commands talk to: a running demo's moto by default, or real AWS when asked.

- default: the endpoint and resource names `portal demo` wrote to `<data dir>/demo.json`
  (falling back to http://127.0.0.1:5000 and the demo's default names);
- `--aws-endpoint URL`: another moto (or LocalStack) endpoint, same names;
- `--aws-endpoint aws`, or PORTAL_AWS=1 in the environment: real AWS with the usual credential chain
  (AWS_PROFILE, ...); the table and secret then come from --table/--secret-id or TABLE_NAME and
  LINK_KEYS_SECRET_ID (the deployed stack's outputs).
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portal.local_aws import REGION, LocalResources, clients

DEFAULT_ENDPOINT = "http://127.0.0.1:5000"
REAL_AWS = "aws"


class TargetError(RuntimeError):
    pass


@dataclass(frozen=True)
class Target:
    client: Callable[[str], Any]
    table: str
    secret_id: str
    where: str  # for messages: the endpoint, or "AWS"


def resolve(data_dir: Path, aws_endpoint: str | None, table: str | None = None,
            secret_id: str | None = None) -> Target:
    if aws_endpoint == REAL_AWS or (aws_endpoint is None and os.environ.get("PORTAL_AWS") == "1"):
        table = table or os.environ.get("TABLE_NAME")
        secret_id = secret_id or os.environ.get("LINK_KEYS_SECRET_ID")
        if not table or not secret_id:
            raise TargetError("with real AWS, pass --table and --secret-id (or set TABLE_NAME and "
                              "LINK_KEYS_SECRET_ID)")
        return Target(clients(None), table, secret_id, "AWS")
    demo_file = data_dir / "demo.json"
    demo = json.loads(demo_file.read_text()) if demo_file.exists() else {}
    names = LocalResources.from_dict(demo.get("resources"))
    endpoint = aws_endpoint or demo.get("aws_endpoint") or DEFAULT_ENDPOINT
    return Target(clients(endpoint, demo.get("region", REGION)), table or names.table,
                  secret_id or names.link_keys_secret, endpoint)

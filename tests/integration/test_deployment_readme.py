"""The README's Deployment section, every command in order, as a new user types it, against moto.

moto's server stands in for the AWS account (AWS_ENDPOINT_URL, as boto3 reads it). What moto cannot do is
said here: API Gateway does not serve the deployed API, so `API` is the same app served locally with the
environment CloudFormation gave the deployed API function (read back from Lambda); everything behind it is
the deployed stack's resources.
"""
from __future__ import annotations

import json
import os
import subprocess
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib import bootstrap
from portal import stack as stacks
from tests.moto_cloudformation import moto_cloudformation
from tests.moto_server import running_moto
from tests.readme import DEPLOYMENT, sections, shell_lines

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
STAGE = "prod"


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty "AWS account": moto's server in this process, with tests/moto_cloudformation.py's additions."""
    with moto_cloudformation(monkeypatch), warnings.catch_warnings(), running_moto() as endpoint:
        warnings.filterwarnings("ignore", message=".*not supported by moto's CloudFormation")
        yield endpoint
    bootstrap.reset()


def user_environment(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "STRIPE_SECRET_KEY": "sk_test_readme", "STRIPE_WEBHOOK_SECRET": "whsec_readme",
                "NO_PROXY": "127.0.0.1,localhost"})
    return env


@pytest.fixture
def servers() -> Iterator[list[Any]]:
    started: list[Any] = []
    yield started
    for server in started:
        server.stop()


def serve_deployed_api(endpoint: str, monkeypatch: pytest.MonkeyPatch, servers: list[Any]) -> str:
    """The app with the deployed API function's own environment; its URL stands for the EndpointURL."""
    from portal.api_server import ApiServer

    aws = boto3.session.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    cloudformation = aws.client("cloudformation", endpoint_url=endpoint)
    deployed = stacks.describe(cloudformation, stacks.stack_name(STAGE), REGION)
    assert deployed is not None
    function = aws.client("lambda", endpoint_url=endpoint).get_function_configuration(
        FunctionName=deployed.resources["APIHandler"])
    for name, value in {**function["Environment"]["Variables"], "AWS_ENDPOINT_URL": endpoint,
                        "AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    bootstrap.reset()
    server = ApiServer("127.0.0.1", 0)
    server.start()
    servers.append(server)
    return f"http://127.0.0.1:{server.port}"


def test_every_deployment_command_in_the_readme_runs_in_order(account, monkeypatch, servers):
    lines = shell_lines(sections()[DEPLOYMENT])
    assert any(line.startswith(".venv/bin/portal deploy ") for line in lines), lines
    env = user_environment(account)
    said: list[str] = []
    for line in lines:
        done = subprocess.run(["bash", "-c", line], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        said.append(done.stdout)
        if line.startswith(".venv/bin/portal deploy ") and "--dry-run" not in line:
            env["API"] = serve_deployed_api(account, monkeypatch, servers)
        if " broker create " in line:
            env["KEY"] = [word for word in done.stdout.split() if word.startswith("cpk_")][0]
    output = "\n".join(said)
    assert "DRY RUN" in output and "link keys: initialised" in output and "Stripe keys stored" in output
    # The case the last command opened is in the deployed stack's table, with the policy's sender.
    request = urllib.request.Request(f"{env['API']}/admin/cases", headers={"Authorization": f"Bearer {env['KEY']}"})
    with urllib.request.urlopen(request) as answer:  # noqa: S310
        cases = json.loads(answer.read())["items"]
    assert [c["invoice"]["number"] for c in cases] == ["INV-1"]
    request = urllib.request.Request(f"{env['API']}/admin/policy", headers={"Authorization": f"Bearer {env['KEY']}"})
    with urllib.request.urlopen(request) as answer:  # noqa: S310
        assert json.loads(answer.read())["policy"]["sender"]["from_email"] == "reminders@acme.example.com"

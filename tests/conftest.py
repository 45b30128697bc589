"""Shared fixtures: the real adapters on moto, built from infra/ like the deployed stack."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib import bootstrap
from chalicelib.services import brokers
from portal import infra, moto_cognito
from portal.moto_atomic import make_dynamodb_atomic
from portal.moto_ses_rate import NEW_ACCOUNT_RATE, SimulatedTime, limit_ses_send_rate

TABLE = "cases-test"
SECRET = "link-keys-test"
SITE = "http://site.test"
ANCHORS = "anchors-test"
IMPORTS = "imports-test"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "TABLE_NAME": TABLE, "SITE_URL": SITE, "LINK_KEYS_SECRET_ID": SECRET, "AUTH_CACHE_SECONDS": "0",
        "ANCHOR_BUCKET": ANCHORS, "IMPORT_BUCKET": IMPORTS,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    make_dynamodb_atomic()  # as the demo's moto server does: moto alone loses concurrent writes
    moto_cognito.install()
    # SES as a new account (14 sends a second), metered in real time; the worker's pacing waits cost none.
    sending_time = SimulatedTime(follow=time.monotonic)
    limit_ses_send_rate(NEW_ACCOUNT_RATE, sending_time.monotonic)
    monkeypatch.setattr(bootstrap, "monotonic", sending_time.monotonic)
    monkeypatch.setattr(bootstrap, "sleep", sending_time.sleep)
    with mock_aws():
        infra.create_table(boto3.client("dynamodb"), TABLE)
        infra.create_link_keys_secret(boto3.client("secretsmanager"), SECRET)
        infra.create_anchor_bucket(boto3.client("s3"), ANCHORS, "eu-west-1")
        infra.create_import_bucket(boto3.client("s3"), IMPORTS, "eu-west-1")
        monkeypatch.setenv("PACK_QUEUE_URL", infra.create_function_queue(boto3.client("sqs"), "EvidencePackQueue",
                                                                          "evidence-packs"))
        bootstrap.reset()
        yield
    bootstrap.reset()


@pytest.fixture
def broker(aws_env: None) -> tuple[str, str]:
    """(broker_id, api_key) of a fresh broker."""
    b, key = brokers.create_broker(bootstrap.store(), bootstrap.utc_now, "Acme Brokers", "ar@acme.test")
    return b.broker_id, key


@pytest.fixture
def other_broker(aws_env: None) -> tuple[str, str]:
    b, key = brokers.create_broker(bootstrap.store(), bootstrap.utc_now, "Other Ltd", "ar@other.test")
    return b.broker_id, key


@pytest.fixture
def client(aws_env: None) -> Iterator[Client]:
    from app import app

    with Client(app) as c:
        yield c


def case_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer": {"name": "Jane Customer", "email": "jane@example.test", "phone": "+14155550100",
                     "locale": "en", "timezone": "America/New_York"},
        "invoice": {"number": "INV-1001", "amount": 125000, "currency": "EUR", "issued_on": "2026-10-01",
                    "due_on": "2026-10-31", "description": "Consulting, October"},
    }
    for path, value in overrides.items():
        node = body
        *parents, leaf = path.split("__")
        for p in parents:
            node = node[p]
        node[leaf] = value
    return body


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def post(client: Client, path: str, key: str, body: Any, **headers: str) -> Any:
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.http.post(path, headers={**auth(key), **headers}, body=raw)


def now() -> datetime:
    return datetime.now(timezone.utc)


def get(client: Client, path: str, key: str, **headers: str) -> Any:
    """GET with `Authorization: Bearer <key>` (an API key or a pay token)."""
    return client.http.get(path, headers={"Authorization": f"Bearer {key}", **headers})


# --- payments: the Stripe secret in moto, and the local Stripe stand-in ---------------------

STRIPE_SECRET = "stripe-keys-test"
STRIPE_WEBHOOK_SECRET = "whsec_test_portal_suite"


@pytest.fixture
def stripe_keys(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """The Stripe secret in moto (the stand-in's test key and a webhook secret); returns the webhook secret."""
    from portal.payments_local import put_stripe_secret
    from portal.stripe_standin import DEFAULT_API_KEY

    put_stripe_secret(boto3.client("secretsmanager"), STRIPE_SECRET, DEFAULT_API_KEY, STRIPE_WEBHOOK_SECRET)
    monkeypatch.setenv("STRIPE_SECRET_ID", STRIPE_SECRET)
    bootstrap.reset()
    return STRIPE_WEBHOOK_SECRET


@pytest.fixture
def stripe_standin(stripe_keys: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The stand-in, with the API's Stripe client pointed at it (STRIPE_API_BASE); no webhook endpoint."""
    from portal.stripe_standin import StripeStandIn

    with StripeStandIn(webhook_secret=stripe_keys) as standin:
        monkeypatch.setenv("STRIPE_API_BASE", standin.url)
        bootstrap.reset()
        yield standin


def store_customer_name(db: Any, table: str, broker_id: str, case_id: str, name: str) -> None:
    """Write `name` straight into a stored case, as older data or a table edit may hold it (no validation)."""
    from chalicelib.adapters import keys

    key = {"PK": {"S": keys.case_pk(broker_id, case_id)}, "SK": {"S": keys.CASE_SK}}
    state = json.loads(db.get_item(TableName=table, Key=key)["Item"]["state"]["S"])
    state["customer"]["name"] = name
    db.update_item(TableName=table, Key=key, UpdateExpression="SET #s = :s", ExpressionAttributeNames={"#s": "state"},
                   ExpressionAttributeValues={":s": {"S": json.dumps(state)}})


# --- staff: the Cognito pool on moto and users with roles ---------------------------------------------

@pytest.fixture
def console_users(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The staff pool (infra/) on moto, the API pointed at it; `.token(broker_id, role)` is a bearer."""
    from tests.staff_kit import ConsoleUsers

    pool_id, client_id = infra.create_staff_pool(boto3.client("cognito-idp"), "staff-test")
    monkeypatch.setenv("USER_POOL_ID", pool_id)
    monkeypatch.setenv("USER_POOL_CLIENT_ID", client_id)
    bootstrap.reset()
    return ConsoleUsers(pool_id, client_id)

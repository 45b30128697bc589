"""Payments for the local stack: the Stripe stand-in, or the real Stripe in test mode.

    standin, env = start_stripe(api_url, data_dir, secrets_client)
    os.environ.update(env); bootstrap.reset()
    ...
    if standin: standin.stop()

The API reads its Stripe keys from Secrets Manager like in production; this writes them there (moto
locally) and returns the environment the API needs. With the stand-in, STRIPE_API_BASE points the real
stripe SDK at it; with `STRIPE_SECRET_KEY=sk_test_...` in the environment, the real Stripe is used and
STRIPE_WEBHOOK_SECRET must hold the secret `stripe listen --forward-to <api>/webhooks/stripe` prints.
"""
from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from portal.stripe_standin import DEFAULT_API_KEY, StripeStandIn

SECRET_ID = "collections-stripe-keys"
KEYS_FILE = "stripe-standin.json"


class StripeSetupError(RuntimeError):
    """Something the operator must fix before payments can work locally."""


def stripe_secret_value(secret_key: str, webhook_secret: str) -> str:
    return json.dumps({"secret_key": secret_key, "webhook_secret": webhook_secret})


def put_stripe_secret(client: Any, secret_id: str, secret_key: str, webhook_secret: str) -> None:
    """Create the secret, or give it a new value (a restored local stack may already have it)."""
    value = stripe_secret_value(secret_key, webhook_secret)
    try:
        client.create_secret(Name=secret_id, SecretString=value)
    except client.exceptions.ResourceExistsException:
        client.put_secret_value(SecretId=secret_id, SecretString=value)


def standin_webhook_secret(data_dir: Path | None) -> str:
    """A webhook secret for this installation's stand-in, kept across restarts in `data_dir`."""
    if data_dir is None:
        return "whsec_" + secrets.token_hex(24)
    path = data_dir / KEYS_FILE
    if path.exists():
        return str(json.loads(path.read_text())["webhook_secret"])
    value = "whsec_" + secrets.token_hex(24)
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        json.dump({"webhook_secret": value}, f)
    return value


def start_stripe(api_url: str, data_dir: Path | None, secrets_client: Any, *, secret_id: str = SECRET_ID,
                 host: str = "127.0.0.1", port: int = 0,
                 environ: Mapping[str, str] | None = None,
                 clock: Callable[[], float] = time.time) -> tuple[StripeStandIn | None, dict[str, str]]:
    """(the started stand-in or None for the real Stripe, the environment variables the API needs).

    `clock` dates the stand-in's objects (the demo clock); webhook signatures keep the real time, which
    the API's Stripe SDK checks them against."""
    environ = os.environ if environ is None else environ
    real_key = environ.get("STRIPE_SECRET_KEY", "")
    if real_key.startswith("sk_live_") or real_key.startswith("rk_live_"):
        raise StripeSetupError("the local stack only takes a test-mode key (sk_test_...), never a live one")
    if real_key.startswith(("sk_test_", "rk_test_")) and real_key != DEFAULT_API_KEY:
        webhook_secret = environ.get("STRIPE_WEBHOOK_SECRET", "")
        if not webhook_secret.startswith("whsec_"):
            raise StripeSetupError(
                "STRIPE_SECRET_KEY is a real test key: also set STRIPE_WEBHOOK_SECRET to the whsec_... that "
                f"`stripe listen --forward-to {api_url}/webhooks/stripe` prints")
        put_stripe_secret(secrets_client, secret_id, real_key, webhook_secret)
        return None, {"STRIPE_SECRET_ID": secret_id, "STRIPE_API_BASE": ""}  # "": Stripe's own address
    webhook_secret = standin_webhook_secret(data_dir)
    standin = StripeStandIn(host=host, port=port, webhook_url=f"{api_url.rstrip('/')}/webhooks/stripe",
                            webhook_secret=webhook_secret, clock=clock).start()
    put_stripe_secret(secrets_client, secret_id, standin.api_key, webhook_secret)
    return standin, {"STRIPE_SECRET_ID": secret_id, "STRIPE_API_BASE": standin.url}

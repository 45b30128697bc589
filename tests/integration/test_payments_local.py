"""portal/payments_local.py: the local stack's Stripe, the stand-in by default or the real test mode."""
from __future__ import annotations

import json

import boto3
import pytest
import stripe

from portal.payments_local import SECRET_ID, StripeSetupError, start_stripe


def secret(name: str = SECRET_ID) -> dict[str, str]:
    return json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"])


def test_the_stand_in_by_default_with_its_keys_in_secrets_manager(aws_env, tmp_path):
    standin, env = start_stripe("http://127.0.0.1:8000/", tmp_path, boto3.client("secretsmanager"), environ={})
    try:
        assert standin is not None
        assert env == {"STRIPE_SECRET_ID": SECRET_ID, "STRIPE_API_BASE": standin.url}
        assert standin.webhook_url == "http://127.0.0.1:8000/webhooks/stripe"
        keys = secret()
        assert keys["secret_key"] == standin.api_key and keys["webhook_secret"].startswith("whsec_")
        client = stripe.StripeClient(keys["secret_key"], base_addresses={"api": env["STRIPE_API_BASE"]},
                                     max_network_retries=0)
        assert client.v1.customers.create({"email": "jane@example.test"}).id.startswith("cus_")
    finally:
        if standin is not None:
            standin.stop()
    # A restart keeps this installation's webhook secret, and rewrites the secret that already exists.
    again, _ = start_stripe("http://127.0.0.1:8000", tmp_path, boto3.client("secretsmanager"), environ={})
    assert again is not None
    again.stop()
    assert secret()["webhook_secret"] == keys["webhook_secret"]


def test_a_real_test_key_uses_stripe_itself(aws_env, tmp_path):
    environ = {"STRIPE_SECRET_KEY": "sk_test_51RealKey", "STRIPE_WEBHOOK_SECRET": "whsec_from_stripe_listen"}

    standin, env = start_stripe("http://127.0.0.1:8000", tmp_path, boto3.client("secretsmanager"), environ=environ)

    assert standin is None
    assert env == {"STRIPE_SECRET_ID": SECRET_ID, "STRIPE_API_BASE": ""}
    assert secret() == {"secret_key": "sk_test_51RealKey", "webhook_secret": "whsec_from_stripe_listen"}


def test_a_real_test_key_needs_the_webhook_secret_of_stripe_listen(aws_env, tmp_path):
    with pytest.raises(StripeSetupError, match="stripe listen --forward-to http://127.0.0.1:8000/webhooks/stripe"):
        start_stripe("http://127.0.0.1:8000", tmp_path, boto3.client("secretsmanager"),
                     environ={"STRIPE_SECRET_KEY": "sk_test_51RealKey"})


def test_a_live_key_is_refused(aws_env, tmp_path):
    with pytest.raises(StripeSetupError, match="never a live one"):
        start_stripe("http://127.0.0.1:8000", tmp_path, boto3.client("secretsmanager"),
                     environ={"STRIPE_SECRET_KEY": "sk_live_fake", "STRIPE_WEBHOOK_SECRET": "whsec_x"})

"""The Stripe gateway's keys from Secrets Manager (moto) and its webhook verification, with the SDK's signer."""
from __future__ import annotations

import json
import time

import boto3
import pytest
import stripe

from chalicelib.adapters.stripe_gateway import StripeConfigError, StripeGateway
from chalicelib.domain.errors import InvalidInput

EVENT = json.dumps({"id": "evt_1", "type": "charge.refunded", "data": {"object": {"id": "ch_1"}}}).encode()


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def signed(secret: str, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(EVENT.decode(), secret, timestamp)


@pytest.fixture
def secrets(aws_env):
    return boto3.client("secretsmanager")


def gateway(secrets, value: dict, clock: Monotonic | None = None) -> StripeGateway:
    secrets.create_secret(Name="stripe", SecretString=json.dumps(value))
    return StripeGateway(secrets, "stripe", monotonic=clock or Monotonic())


def test_both_secrets_verify_while_the_endpoint_secret_is_rolled(secrets):
    keys = gateway(secrets, {"secret_key": "sk_test_x", "webhook_secrets": ["whsec_old", "whsec_new"]})

    assert keys.verify(EVENT, signed("whsec_old"))["id"] == "evt_1"
    assert keys.verify(EVENT, signed("whsec_new"))["id"] == "evt_1"
    with pytest.raises(InvalidInput):
        keys.verify(EVENT, signed("whsec_other"))


def test_a_rolled_secret_is_read_again_on_a_mismatch_at_most_once_a_minute(secrets):
    clock = Monotonic()
    keys = gateway(secrets, {"secret_key": "sk_test_x", "webhook_secret": "whsec_old"}, clock)
    keys.verify(EVENT, signed("whsec_old"))
    secrets.put_secret_value(SecretId="stripe", SecretString=json.dumps(
        {"secret_key": "sk_test_x", "webhook_secret": "whsec_new"}))

    clock.now += 30
    with pytest.raises(InvalidInput):  # too soon to read the secret again
        keys.verify(EVENT, signed("whsec_new"))
    clock.now += 31
    assert keys.verify(EVENT, signed("whsec_new"))["id"] == "evt_1"


def test_a_signature_older_than_five_minutes_is_refused(secrets):
    keys = gateway(secrets, {"secret_key": "sk_test_x", "webhook_secret": "whsec_1"})

    assert keys.verify(EVENT, signed("whsec_1", int(time.time()) - 290))["id"] == "evt_1"
    with pytest.raises(InvalidInput) as stale:
        keys.verify(EVENT, signed("whsec_1", int(time.time()) - 310))
    assert stale.value.field == "Stripe-Signature"


@pytest.mark.parametrize("value", [{"secret_key": None, "webhook_secret": None},  # as infra/ creates it
                                   {"secret_key": "sk_test_x"}, {"webhook_secret": "whsec_1"}])
def test_an_unset_secret_fails_closed(secrets, value):
    keys = gateway(secrets, value)

    with pytest.raises(StripeConfigError):
        keys.verify(EVENT, signed("whsec_1"))


def test_a_verified_event_reaches_the_service_in_our_words(secrets):
    """Stripe's event format stops at the adapter: the service gets the case and the payment facts."""
    keys = gateway(secrets, {"secret_key": "sk_test_x", "webhook_secret": "whsec_1"})
    paid = json.dumps({"id": "evt_2", "type": "payment_intent.succeeded", "data": {"object": {
        "id": "pi_1", "object": "payment_intent", "amount": 5000, "amount_received": 5000, "currency": "usd",
        "payment_method_types": ["card"], "metadata": {
            "portal": "collections-portal", "broker_id": "b1", "case_id": "c1", "kind": "full", "discount": "0"}}}})

    event = keys.receive(paid.encode(), stripe.WebhookSignature.generate_signature_header(paid, "whsec_1"))

    assert (event.event_id, event.kind, event.case) == ("evt_2", "payment_intent.succeeded", ("b1", "c1"))
    [fact] = event.facts
    assert (fact.reference, fact.payment.amount, fact.currency, fact.payment.method) == ("pi_1", 5000, "usd", "card")
    assert event.plan_payment is None
    refund = keys.receive(EVENT, signed("whsec_1"))  # a charge without our metadata: not ours
    assert (refund.event_id, refund.case, refund.facts) == ("evt_1", None, ())

"""Stripe-shaped objects, each started from Stripe's own example object in data/fixtures.json.

The examples (from Stripe's OpenAPI fixtures, MIT licensed: data/LICENSE) fill optional
sub-objects with placeholder values ("message", huge amounts); `_RESET` puts those back to what a
freshly created object of that kind carries, and the caller overrides the rest from the request.
"""

from __future__ import annotations

import copy
import functools
import json
import secrets
import string
from importlib import resources
from typing import Any

_ALPHABET = string.ascii_letters + string.digits

_RESET: dict[str, dict[str, Any]] = {
    "checkout.session": {
        "after_expiration": None, "adaptive_pricing": {"enabled": False}, "amount_subtotal": 0,
        "amount_total": 0, "automatic_tax": {"enabled": False, "liability": None, "status": None,
                                             "provider": None},
        "client_secret": None, "collected_information": None, "consent": None, "consent_collection": None,
        "currency_conversion": None, "custom_text": {"after_submit": None, "shipping_address": None,
                                                     "submit": None, "terms_of_service_acceptance": None},
        "customer_details": None, "invoice_creation": None, "managed_payments": {"enabled": False},
        "payment_intent": None, "payment_method_configuration_details": None,
        "permissions": None, "saved_payment_method_options": None, "shipping_address_collection": None,
        "shipping_cost": None, "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted", "wallet_options": None,
    },
    "payment_intent": {
        "amount_details": {"tip": {}}, "automatic_payment_methods": None, "canceled_at": None,
        "last_payment_error": None, "managed_payments": None, "next_action": None,
        "payment_method_configuration_details": None, "processing": None, "shipping": None,
        "transfer_data": None,
    },
    "setup_intent": {
        "automatic_payment_methods": None, "last_setup_error": None, "next_action": None,
        "payment_method_configuration_details": None,
    },
    "customer": {"address": None, "currency": None, "discount": None, "shipping": None},
    "payment_method": {
        "billing_details": {"address": {"city": None, "country": None, "line1": None, "line2": None,
                                        "postal_code": None, "state": None},
                            "email": None, "name": None, "phone": None, "tax_id": None},
        "metadata": {},
    },
    "charge": {
        "billing_details": {"address": {"city": None, "country": None, "line1": None, "line2": None,
                                        "postal_code": None, "state": None},
                            "email": None, "name": None, "phone": None, "tax_id": None},
        "captured": True, "description": None, "receipt_url": None, "shipping": None, "source": None,
        "transfer_data": None,
        "outcome": {"advice_code": None, "network_advice_code": None, "network_decline_code": None,
                    "network_status": "approved_by_network", "reason": None, "risk_level": "normal",
                    "seller_message": "Payment complete.", "type": "authorized"},
    },
    "refund": {},
    "dispute": {},
    "event": {"pending_webhooks": 0},
}

# Id prefixes as Stripe uses them in test mode.
PREFIXES = {
    "checkout.session": "cs_test_", "payment_intent": "pi_", "setup_intent": "seti_", "customer": "cus_",
    "payment_method": "pm_", "charge": "ch_", "refund": "re_", "dispute": "dp_", "event": "evt_",
}

_ID_LENGTHS = {"checkout.session": 58, "customer": 14}


@functools.cache
def _fixtures() -> dict[str, Any]:
    text = resources.files("portal.stripe_standin").joinpath("data/fixtures.json").read_text("utf-8")
    return json.loads(text)["resources"]


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def build(kind: str, now: int, **fields: Any) -> dict[str, Any]:
    """A new object of `kind`: Stripe's example, reset to a fresh state, with a new id and `fields`."""
    obj = copy.deepcopy(_fixtures()[kind])
    obj.update(copy.deepcopy(_RESET[kind]))
    obj["id"] = new_id(PREFIXES[kind], _ID_LENGTHS.get(kind, 24))
    obj["created"] = now
    obj["livemode"] = False
    if "metadata" in obj:
        obj["metadata"] = {}
    obj.update(fields)
    return obj


def dump(body: dict[str, Any]) -> bytes:
    """JSON as Stripe sends it: pretty-printed."""
    return json.dumps(body, indent=2).encode("utf-8") + b"\n"


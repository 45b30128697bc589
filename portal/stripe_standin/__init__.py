"""A local stand-in for the Stripe API, for tests and the local stack (never shipped to Lambda).

    from portal.stripe_standin import StripeStandIn
    with StripeStandIn(webhook_url="http://127.0.0.1:8000/stripe/webhook") as standin:
        client = stripe.StripeClient(standin.api_key, base_addresses={"api": standin.url})

Response bodies start from Stripe's own example objects (data/fixtures.json, MIT: data/LICENSE).
"""

from __future__ import annotations

from portal.stripe_standin.server import DEFAULT_API_KEY, DEFAULT_WEBHOOK_SECRET, StripeStandIn
from portal.stripe_standin.webhooks import Delivery, signature_header

__all__ = ["DEFAULT_API_KEY", "DEFAULT_WEBHOOK_SECRET", "Delivery", "StripeStandIn", "signature_header"]

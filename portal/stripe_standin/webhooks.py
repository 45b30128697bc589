"""Webhook delivery, signed as Stripe signs: `Stripe-Signature: t=<ts>,v1=<hex hmac-sha256>`.

The signed message is "<t>.<raw body>" keyed with the endpoint's `whsec_...` secret, which is what
`stripe.Webhook.construct_event` verifies. Delivery is synchronous and attempted once; the outcome of
every attempt is kept in `deliveries` so tests can see a handler that answered non-2xx.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
# Endpoints are local: never route a delivery through a proxy taken from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Delivery:
    event_id: str
    event_type: str
    url: str
    status: int | None  # None: no HTTP answer at all (see `error`)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def signature_header(payload: bytes, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class WebhookSender:
    def __init__(self, url: str | None, secret: str, enabled_events: Iterable[str] = ("*",),
                 timeout: float = 10.0) -> None:
        self.url = url
        self.secret = secret
        self.enabled_events = frozenset(enabled_events)
        self.timeout = timeout
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()

    def wants(self, event_type: str) -> bool:
        return "*" in self.enabled_events or event_type in self.enabled_events

    def deliver(self, event: dict[str, Any]) -> Delivery | None:
        """POST `event` to the endpoint and wait for its answer; None when nothing is to be sent."""
        if self.url is None or not self.wants(event["type"]):
            return None
        payload = json.dumps(event, indent=2).encode("utf-8")
        request = urllib.request.Request(self.url, data=payload, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Stripe-Signature": signature_header(payload, self.secret, int(time.time())),
        })
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                delivery = Delivery(event["id"], event["type"], self.url, response.status)
        except urllib.error.HTTPError as exc:
            exc.close()
            delivery = Delivery(event["id"], event["type"], self.url, exc.code, str(exc.reason))
        except OSError as exc:  # refused, timed out, unresolvable: no answer at all
            delivery = Delivery(event["id"], event["type"], self.url, None, str(exc))
        if not delivery.ok:
            logger.warning("webhook not accepted", extra={"event_id": delivery.event_id,
                                                          "event_type": delivery.event_type,
                                                          "status": delivery.status})
        with self._lock:
            self.deliveries.append(delivery)
        return delivery

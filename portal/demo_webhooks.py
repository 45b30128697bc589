"""The demo's webhooks: a local endpoint that receives and verifies deliveries, an endpoint registered for
the demo broker pointing at it, and the relay and delivery worker run in-process every second, so a
delivery arrives within seconds of the change (in AWS the relay runs every minute).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from chalicelib import bootstrap
from chalicelib.domain.webhooks import EVENT_TYPES
from portal.webhook_receiver import Inbox, WebhookReceiver

log = logging.getLogger(__name__)
RETRY_SCALE = "0.01"  # retries after 0.3 s, 0.6 s, 1.2 s ... and the 3-day window becomes 43 minutes
DEMO_ENDPOINT_DESCRIPTION = "the demo's local receiver"


def environment(queue_url: str) -> dict[str, str]:
    """What the app needs to deliver locally. WEBHOOK_ALLOW_LOOPBACK is the demo's alone: infra/ never sets it."""
    return {"WEBHOOK_QUEUE_URL": queue_url, "WEBHOOK_ALLOW_LOOPBACK": "1", "WEBHOOK_RETRY_SCALE": RETRY_SCALE,
            "WEBHOOK_SECRET_PREFIX": "portal-local/webhooks"}


def demo_secrets(client: Callable[[str], Any]) -> Callable[[], list[str]]:
    """The receiver checks signatures with every webhook secret of the demo (it plays each broker's system)."""
    def secrets() -> list[str]:
        sm = client("secretsmanager")
        prefix = bootstrap.settings().webhook_secret_prefix + "/"
        names = [s["Name"] for page in sm.get_paginator("list_secrets").paginate() for s in page["SecretList"]
                 if s["Name"].startswith(prefix)]
        return [sm.get_secret_value(SecretId=name)["SecretString"] for name in names]
    return secrets


def start_receiver(host: str, port: int, client: Callable[[str], Any]) -> WebhookReceiver:
    receiver = WebhookReceiver(host, port, Inbox(demo_secrets(client)))
    receiver.start()
    return receiver


def ensure_endpoint(broker_id: str, receiver_url: str) -> str:
    """The demo broker's endpoint at the local receiver, registered once (kept across restarts)."""
    service = bootstrap.webhooks_service()
    url = f"{receiver_url}/hooks"
    for endpoint in service.list_endpoints(broker_id):
        if endpoint["description"] == DEMO_ENDPOINT_DESCRIPTION:
            if endpoint["url"] != url:  # another port this time
                service.update(broker_id, endpoint["endpoint_id"], {"url": url})
            return str(endpoint["endpoint_id"])
    view, _ = service.create(broker_id, {"url": url, "event_types": list(EVENT_TYPES),
                                         "description": DEMO_ENDPOINT_DESCRIPTION})
    return str(view["endpoint_id"])


class DeliveryLoop:
    """The relay and the delivery worker, as their Lambdas would run, once a second on a thread."""

    def __init__(self, sqs: Any, queue_url: str, stop: threading.Event) -> None:
        self._sqs = sqs
        self._url = queue_url
        self._stop = stop
        self._thread = threading.Thread(target=self._run, name="webhook-delivery", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(timeout=1.0):
            try:
                self.once()
            except Exception:  # noqa: BLE001 - the demo keeps delivering; the next round retries
                log.exception("webhook delivery round failed")

    def once(self) -> None:
        bootstrap.webhook_relay().run()
        while messages := self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10,
                                                    VisibilityTimeout=30).get("Messages", []):
            outcomes = bootstrap.webhook_worker().handle_batch([m["Body"] for m in messages])
            for m, outcome in zip(messages, outcomes, strict=True):
                if not outcome.failed:
                    self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=m["ReceiptHandle"])

"""Moving webhook events from the outbox to the broker's endpoints, at least once each.

The relay turns each waiting event into one delivery per subscribed endpoint (recorded, then queued),
and only then removes it from the outbox; the worker POSTs a delivery, records the answer, and queues
the next attempt after a failure. A crash anywhere repeats a step rather than skipping one, so an
endpoint may see an event twice, always with the same id, and never an event of a change not stored.
"""
from __future__ import annotations

import html
import json
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.adapters import keys
from chalicelib.adapters.webhook_http import Answer
from chalicelib.adapters.webhook_secrets import WebhookSecrets
from chalicelib.adapters.webhook_store import DynamoWebhookStore
from chalicelib.domain.cases import iso, parse_iso
from chalicelib.domain.errors import NotFound
from chalicelib.domain.webhook_security import EVENT_ID_HEADER, SIGNATURE_HEADER, signature
from chalicelib.domain.webhooks import SQS_MAX_DELAY_SECONDS, Delivery, Endpoint, next_attempt
from chalicelib.ports import Clock, Email, Mailer

log = logging.getLogger(__name__)
EARLY = timedelta(seconds=1)  # SQS delays are whole seconds: a message this close to its time goes now


class DelayQueue(Protocol):
    def send(self, body: str, delay_seconds: int = 0) -> None: ...


class Sender(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer: ...


def message(delivery: Delivery) -> str:
    return json.dumps({"broker_id": delivery.broker_id, "endpoint_id": delivery.endpoint_id,
                       "created": delivery.created, "event_id": delivery.event_id}, separators=(",", ":"))


class Relay:
    def __init__(self, store: DynamoWebhookStore, queue: DelayQueue) -> None:
        self._store = store
        self._queue = queue

    def run(self) -> int:
        """Relay every waiting event; returns how many deliveries were queued."""
        queued = 0
        endpoints: dict[str, list[Endpoint]] = {}
        # A page of every shard at a time, oldest first: events leave roughly in the order they happened.
        while waiting := [item for shard in keys.outbox_shards() for item in self._store.outbox(shard)]:
            for event, only_endpoint, key in sorted(waiting, key=lambda item: (item[0]["created"], item[0]["id"])):
                broker = event["broker_id"]
                if broker not in endpoints:
                    endpoints[broker] = self._store.list_endpoints(broker)
                for endpoint in endpoints[broker]:
                    if endpoint.wants(event, only_endpoint):
                        queued += self._fan_out(event, endpoint)
                self._store.remove_from_outbox(key)  # only once every delivery is recorded and queued
        return queued

    def _fan_out(self, event: dict[str, Any], endpoint: Endpoint) -> int:
        delivery = self._store.start_delivery(Delivery(
            event["broker_id"], endpoint.endpoint_id, event["id"], event["type"], event["created"],
            json.dumps(event, separators=(",", ":"), ensure_ascii=False, sort_keys=True)))
        if delivery.status != "pending" or delivery.attempts:  # relayed before, and the worker has it
            return 0
        self._queue.send(message(delivery))
        return 1


@dataclass(frozen=True)
class Outcome:
    failed: bool  # the message should come back (SQS redelivers it)


class DeliveryWorker:
    def __init__(self, store: DynamoWebhookStore, secrets_: WebhookSecrets, sender: Sender, queue: DelayQueue,
                 clock: Clock, *, mailer: Mailer | None, sender_address: Callable[[str], tuple[str, str | None]],
                 retry_scale: float = 1.0, jitter: Callable[[], float] = random.random,
                 signing_time: Callable[[], float] = time.time) -> None:
        self._store = store
        self._secrets = secrets_
        self._sender = sender
        self._queue = queue
        self._clock = clock
        self._mailer = mailer
        self._sender_address = sender_address  # broker id -> (from address, the broker's own address)
        self._scale = retry_scale
        self._jitter = jitter
        self._signing_time = signing_time  # the receiver checks the timestamp against its real clock

    def handle_batch(self, bodies: Iterable[str]) -> list[Outcome]:
        outcomes = []
        for body in bodies:
            try:
                self.handle(json.loads(body))
                outcomes.append(Outcome(False))
            except Exception:  # noqa: BLE001 - one message's failure must not redeliver the others
                log.exception("webhook delivery failed", extra={"sqs_body": body[:200]})
                outcomes.append(Outcome(True))
        return outcomes

    def handle(self, msg: dict[str, str]) -> None:
        delivery = self._store.get_delivery(msg["broker_id"], msg["endpoint_id"], msg["created"], msg["event_id"])
        if delivery is None or delivery.status != "pending":
            return  # delivered, given up or cancelled already: a duplicate message
        now = self._clock()
        if delivery.next_attempt_at and parse_iso(delivery.next_attempt_at) - now > EARLY:
            self._queue.send(message(delivery), self._delay(parse_iso(delivery.next_attempt_at) - now))
            return  # a wait longer than SQS allows, chained
        try:
            endpoint = self._store.get_endpoint(delivery.broker_id, delivery.endpoint_id)
        except NotFound:
            endpoint = None
        if endpoint is None or not (endpoint.enabled or delivery.type == "webhook.test"):
            self._store.record_attempt(replace(delivery, status="cancelled", next_attempt_at=None,
                                               last_error="endpoint deleted or disabled"), delivery.attempts)
            return
        answer = self._post(endpoint, delivery)
        self._record(endpoint, delivery, answer, now)

    def _post(self, endpoint: Endpoint, delivery: Delivery) -> Answer:
        body = delivery.body.encode()
        secret = self._secrets.get(endpoint.broker_id, endpoint.endpoint_id)
        headers = {SIGNATURE_HEADER: signature(secret, int(self._signing_time()), body),
                   EVENT_ID_HEADER: delivery.event_id}
        return self._sender.post(endpoint.url, body, headers)

    def _record(self, endpoint: Endpoint, delivery: Delivery, answer: Answer, now: datetime) -> None:
        first = delivery.first_attempt_at or iso(now)
        attempts = delivery.attempts + 1
        tried = replace(delivery, attempts=attempts, first_attempt_at=first, last_attempt_at=iso(now),
                        last_response_code=answer.status, last_error=answer.error)
        extra = {"broker_id": delivery.broker_id, "endpoint_id": delivery.endpoint_id,
                 "event_id": delivery.event_id, "attempts": attempts, "status": answer.status}
        if answer.ok:
            tried = replace(tried, status="delivered", next_attempt_at=None, delivered_at=iso(now))
        else:
            retry_at = next_attempt(parse_iso(first), now, attempts, self._jitter(), self._scale)
            tried = replace(tried, status="pending" if retry_at else "failed",
                            next_attempt_at=iso(retry_at) if retry_at else None)
        if not self._store.record_attempt(tried, delivery.attempts):
            return  # another worker recorded this attempt first and carries on from there
        log.info("webhook attempt", extra={**extra, "outcome": tried.status})
        if tried.status == "pending" and tried.next_attempt_at:
            self._queue.send(message(tried), self._delay(parse_iso(tried.next_attempt_at) - now))
        elif tried.status == "failed":
            self._disable(endpoint, now)

    def _delay(self, wait: timedelta) -> int:
        return max(0, min(SQS_MAX_DELAY_SECONDS, int(wait.total_seconds())))

    def _disable(self, endpoint: Endpoint, now: datetime) -> None:
        """Retries ran out: switch the endpoint off, and tell the broker once (the one who switched it off)."""
        reason = f"deliveries failed for 3 days; disabled at {iso(now)}"
        if not self._store.replace_endpoint(replace(endpoint, enabled=False, disabled_reason=reason,
                                                    updated_at=iso(now)), only_if_enabled=True):
            return
        log.warning("webhook endpoint disabled", extra={"broker_id": endpoint.broker_id,
                                                        "endpoint_id": endpoint.endpoint_id})
        from_address, broker_address = self._sender_address(endpoint.broker_id)
        if self._mailer is None or not broker_address:
            return
        text = (f"Deliveries to your webhook endpoint {endpoint.endpoint_id} ({endpoint.url}) have failed "
                  "for 3 days, so it has been disabled. Events from now on are not sent to it.\n\n"
                  "Its delivery log (GET /admin/webhooks/{id}/deliveries) shows each attempt and the answer. "
                  "Fix the endpoint, then switch it on again with PATCH /admin/webhooks/{id} "
                '{"enabled": true}.\n').replace("{id}", endpoint.endpoint_id)
        self._mailer.send(Email(to=broker_address, from_email=from_address,
                                subject=f"Webhook endpoint {endpoint.endpoint_id} disabled", text=text,
                                html=f"<pre>{html.escape(text)}</pre>", tags=(("notice", "webhook_disabled"),)))

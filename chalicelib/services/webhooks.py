"""A broker's webhook endpoints (`/admin/webhooks`) and the events other code emits to them.

Case events reach the outbox in the case's own transaction (adapters/webhook_store.outbox_puts);
`emit_broker_event` is for what happens outside a case (an import finished).
"""
from __future__ import annotations

import secrets
import uuid
from dataclasses import asdict, replace
from datetime import timedelta
from typing import Any

from chalicelib.adapters.webhook_secrets import WebhookSecrets
from chalicelib.adapters.webhook_store import DynamoWebhookStore
from chalicelib.domain.cases import iso
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.webhook_security import parse_url
from chalicelib.domain.webhooks import BROKER_EVENT_TYPES, TEST_TYPE, Delivery, Endpoint, broker_event
from chalicelib.ports import Clock

MAX_ENDPOINTS = 16
EMITTED_KEPT = timedelta(days=30)  # how long a re-emitted broker event is still recognised


def endpoint_view(endpoint: Endpoint) -> dict[str, Any]:
    view = asdict(endpoint)
    view["event_types"] = list(endpoint.event_types)
    del view["broker_id"]
    return view


def delivery_view(delivery: Delivery) -> dict[str, Any]:
    view = asdict(delivery)
    for private in ("broker_id", "endpoint_id", "body"):
        del view[private]
    return view


class WebhookEndpoints:
    def __init__(self, store: DynamoWebhookStore, secrets_: WebhookSecrets, clock: Clock, *,
                 allow_loopback: bool) -> None:
        self._store = store
        self._secrets = secrets_
        self._clock = clock
        self._allow_loopback = allow_loopback

    def _check_url(self, url: str) -> None:
        try:
            parse_url(url, allow_loopback=self._allow_loopback)
        except ValueError as exc:
            raise InvalidInput(f"url {exc}", "url") from exc

    def create(self, broker_id: str, body: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """A new endpoint and its signing secret, which is shown this once."""
        self._check_url(body["url"])
        if len(self._store.list_endpoints(broker_id)) >= MAX_ENDPOINTS:
            raise InvalidInput(f"a broker has at most {MAX_ENDPOINTS} webhook endpoints", "url")
        now = iso(self._clock())
        endpoint = Endpoint(broker_id, "we_" + uuid.uuid4().hex[:20], body["url"], tuple(body["event_types"]),
                            body.get("enabled", True), now, now, body.get("description", ""))
        secret = "whsec_" + secrets.token_urlsafe(32)
        self._secrets.create(broker_id, endpoint.endpoint_id, secret)  # first: an endpoint never lacks one
        self._store.add_endpoint(endpoint)
        return endpoint_view(endpoint), secret

    def list_endpoints(self, broker_id: str) -> list[dict[str, Any]]:
        return [endpoint_view(e) for e in self._store.list_endpoints(broker_id)]

    def get(self, broker_id: str, endpoint_id: str) -> dict[str, Any]:
        return endpoint_view(self._store.get_endpoint(broker_id, endpoint_id))

    def update(self, broker_id: str, endpoint_id: str, body: dict[str, Any]) -> dict[str, Any]:
        if "url" in body:
            self._check_url(body["url"])
        endpoint = self._store.get_endpoint(broker_id, endpoint_id)
        changes: dict[str, Any] = {k: body[k] for k in ("url", "enabled", "description") if k in body}
        if "event_types" in body:
            changes["event_types"] = tuple(body["event_types"])
        if body.get("enabled"):
            changes["disabled_reason"] = None  # switched back on by the broker
        updated = replace(endpoint, **changes, updated_at=iso(self._clock()))
        self._store.replace_endpoint(updated)
        return endpoint_view(updated)

    def delete(self, broker_id: str, endpoint_id: str) -> None:
        self._store.delete_endpoint(broker_id, endpoint_id)
        self._secrets.delete(broker_id, endpoint_id)  # queued deliveries find no endpoint and are cancelled

    def deliveries(self, broker_id: str, endpoint_id: str, limit: int,
                   cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        self._store.get_endpoint(broker_id, endpoint_id)  # another broker's endpoint is a 404
        found, next_cursor = self._store.deliveries(broker_id, endpoint_id, limit, cursor)
        return [delivery_view(d) for d in found], next_cursor

    def send_test(self, broker_id: str, endpoint_id: str) -> dict[str, Any]:
        """A signed `webhook.test` event to this endpoint alone, through the same queue as every event."""
        self._store.get_endpoint(broker_id, endpoint_id)
        event = broker_event(broker_id, TEST_TYPE, {"endpoint_id": endpoint_id}, iso(self._clock()),
                             uuid.uuid4().hex)
        self._store.add_to_outbox(event, only_endpoint=endpoint_id)
        return {"event_id": event["id"], "type": TEST_TYPE}

    def emit_broker_event(self, broker_id: str, type_: str, data: dict[str, Any], key: str) -> str:
        """Emit a broker-level event (`import.finished`); `key` (the import id) makes a retried emit one event."""
        if type_ not in BROKER_EVENT_TYPES:
            raise ValueError(f"not a broker-level webhook event type: {type_}")
        now = self._clock()
        event = broker_event(broker_id, type_, data, iso(now), key)
        self._store.add_to_outbox(event, expires_epoch=int((now + EMITTED_KEPT).timestamp()))
        return str(event["id"])

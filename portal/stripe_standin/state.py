"""The stand-in's Stripe account: every object it created, its events, and what tests asked of it.

One lock guards the account. An operation (checkout.py, payments.py, reversals.py) runs under it and
may raise events; the server takes them with `take_pending()` and delivers them to the webhook only
after releasing the lock, so a webhook handler may call the API back without deadlocking.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from portal.stripe_standin import objects
from portal.stripe_standin.errors import invalid_request, no_such

API_VERSION = "2026-10-28.endive"  # what stripe==16.1.0 pins; events are rendered at this version

# Fields that hold an object's id and may be expanded into the object itself.
EXPANDABLE: dict[str, set[str]] = {
    "checkout.session": {"customer", "payment_intent", "setup_intent"},
    "payment_intent": {"customer", "latest_charge", "payment_method"},
    "setup_intent": {"customer", "payment_method"},
    "charge": {"customer", "payment_intent"},
    "refund": {"charge", "payment_intent"},
    "dispute": {"charge", "payment_intent"},
    "payment_method": {"customer"},
    "customer": set(),
    "event": set(),
}


class Account:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.lock = threading.RLock()
        self._clock = clock
        self.objects: dict[str, dict[str, Any]] = {}
        # What Stripe knows about an object but does not show in it (a session's line items, a test card's
        # scripted failure), keyed by object id.
        self.notes: dict[str, dict[str, Any]] = {}
        self.failures: dict[str, list[str]] = {}  # customer id -> failure codes for its next charges
        self.events: list[dict[str, Any]] = []
        self._pending: list[dict[str, Any]] = []
        self.request: dict[str, str | None] = {"id": None, "idempotency_key": None}
        self.pending_webhooks = 0
        self._created: list[str] = []

    def begin(self, request_id: str | None = None, idempotency_key: str | None = None) -> None:
        """Start an operation: events it raises name this request; `rollback()` undoes its creations."""
        self.request = {"id": request_id, "idempotency_key": idempotency_key}
        self._created = []

    def rollback(self) -> None:
        """Forget what the failed operation created (Stripe writes nothing for a rejected request)."""
        for object_id in self._created:
            self.objects.pop(object_id, None)
            self.notes.pop(object_id, None)
        created = set(self._created)
        self.events = [event for event in self.events if event["id"] not in created]
        self._pending = [event for event in self._pending if event["id"] not in created]
        self._created = []

    def now(self) -> int:
        return int(self._clock())

    def build(self, kind: str, **fields: Any) -> dict[str, Any]:
        return self.put(objects.build(kind, self.now(), **fields))

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["id"]] = obj
        self._created.append(obj["id"])
        return obj

    def sweep(self) -> None:
        """Expire open Checkout Sessions whose `expires_at` has passed, as Stripe does on its own."""
        now = self.now()
        for obj in list(self.objects.values()):
            if obj["object"] == "checkout.session" and obj["status"] == "open" and now >= obj["expires_at"]:
                obj.update(status="expired", url=None)
                self.emit("checkout.session.expired", obj)

    def note(self, object_id: str) -> dict[str, Any]:
        return self.notes.setdefault(object_id, {})

    def get(self, kind: str, object_id: str, param: str, label: str | None = None) -> dict[str, Any]:
        """The object, or Stripe's 404 "No such customer: 'cus_x'" naming `param`."""
        obj = self.objects.get(object_id)
        if obj is None or obj["object"] != kind:
            raise no_such(label or kind, object_id, param)
        return obj

    def emit(self, event_type: str, obj: dict[str, Any],
             previous_attributes: dict[str, Any] | None = None) -> dict[str, Any]:
        """Record an event carrying a snapshot of `obj`; it is delivered once the operation ends."""
        data: dict[str, Any] = {"object": copy.deepcopy(obj)}
        if previous_attributes is not None:
            data["previous_attributes"] = previous_attributes
        event = self.build("event", type=event_type, data=data, api_version=API_VERSION,
                           request=dict(self.request), pending_webhooks=self.pending_webhooks)
        self.events.append(event)
        self._pending.append(event)
        return event

    def take_pending(self) -> list[dict[str, Any]]:
        pending, self._pending = self._pending, []
        return pending

    def expand(self, obj: dict[str, Any], paths: Iterable[str]) -> dict[str, Any]:
        """A copy of `obj` with the `expand[]` paths (e.g. "payment_intent.latest_charge") replaced."""
        result = copy.deepcopy(obj)
        for path in paths:
            self._expand(result, path.split("."), path)
        return result

    def _expand(self, obj: dict[str, Any], segments: list[str], path: str) -> None:
        if obj.get("object") == "list" and segments[0] == "data":
            for item in obj["data"]:
                if len(segments) > 1:
                    self._expand(item, segments[1:], path)
            return
        name, rest = segments[0], segments[1:]
        if name not in EXPANDABLE.get(obj.get("object", ""), set()):
            raise invalid_request(f"This property cannot be expanded ({path}).", "expand")
        value = obj.get(name)
        if isinstance(value, str) and value in self.objects:
            obj[name] = copy.deepcopy(self.objects[value])
        if rest and isinstance(obj.get(name), dict):
            self._expand(obj[name], rest, path)

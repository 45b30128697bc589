"""StripeStandIn: a local HTTP server answering the Stripe API calls this project makes.

Point the real SDK at it; production code builds its client the same way with Stripe's address:

    standin = StripeStandIn(webhook_url="http://127.0.0.1:8000/stripe/webhook").start()
    client = stripe.StripeClient(standin.api_key, base_addresses={"api": standin.url})

Every operation runs under the account's lock; the events it raises are delivered to the webhook
afterwards, synchronously, before the HTTP answer (or the checkout page's redirect) goes out. So when
a call returns, or the browser lands on success_url, the webhook handler has already run.
"""

from __future__ import annotations

import base64
import binascii
import copy
import threading
import time
from collections.abc import Callable, Iterable
from http.server import ThreadingHTTPServer
from typing import Any, TypeVar

from portal.stripe_standin import api, checkout, reversals
from portal.stripe_standin.errors import StripeError, authentication
from portal.stripe_standin.handler import Handler
from portal.stripe_standin.idempotency import IdempotencyKeys, Saved
from portal.stripe_standin.objects import dump
from portal.stripe_standin.params import validate
from portal.stripe_standin.payments import FAILURES
from portal.stripe_standin.state import API_VERSION, Account
from portal.stripe_standin.webhooks import Delivery, WebhookSender

DEFAULT_API_KEY = "sk_test_standin_4eC39HqLyjWDarjtT1zdp7dc"
DEFAULT_WEBHOOK_SECRET = "whsec_standin_2b1f8a0c6d4e4f7a9b3c5d7e9f1a3b5c"

T = TypeVar("T")


class StripeStandIn:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, webhook_url: str | None = None,
                 webhook_secret: str = DEFAULT_WEBHOOK_SECRET, api_key: str = DEFAULT_API_KEY,
                 enabled_events: Iterable[str] = ("*",), clock: Callable[[], float] = time.time) -> None:
        if not api_key.startswith(("sk_test_", "rk_test_")):
            raise ValueError("the stand-in only accepts a test-mode secret key (sk_test_...)")
        self.host, self.port = host, port
        self.api_key = api_key
        self.account = Account(clock)
        self.webhooks = WebhookSender(None, webhook_secret, enabled_events)
        self.webhook_url = webhook_url
        self.idempotency = IdempotencyKeys()
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> StripeStandIn:
        server = ThreadingHTTPServer((self.host, self.port), Handler)
        server.daemon_threads = True
        server.standin = self  # type: ignore[attr-defined]
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="stripe-standin",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> StripeStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base address for `base_addresses={"api": ...}`, and of the checkout pages."""
        if self._server is None:
            raise RuntimeError("the stand-in is not started")
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self.port}"

    @property
    def webhook_url(self) -> str | None:
        return self.webhooks.url

    @webhook_url.setter
    def webhook_url(self, url: str | None) -> None:
        self.webhooks.url = url
        self.account.pending_webhooks = 1 if url else 0

    # -- what tests look at ------------------------------------------------------------------------

    @property
    def events(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.account.events)

    @property
    def deliveries(self) -> list[Delivery]:
        return list(self.webhooks.deliveries)

    def objects(self, kind: str) -> list[dict[str, Any]]:
        """Every object of `kind` ("checkout.session", "charge", ...) the stand-in holds, oldest first."""
        with self.account.lock:
            return [copy.deepcopy(obj) for obj in self.account.objects.values() if obj["object"] == kind]

    def get(self, object_id: str) -> dict[str, Any]:
        """Any object the stand-in holds, by id (a copy)."""
        with self.account.lock:
            return copy.deepcopy(self.account.objects[object_id])

    # -- test hooks: what a customer, a bank or Stripe itself would do ---------------------------------

    def complete_session(self, session_id: str) -> dict[str, Any]:
        """Pay on the checkout page: the session completes and `checkout.session.completed` is sent."""
        return self.run(lambda: checkout.complete_session(self.account, session_id))

    def decline_session(self, session_id: str) -> dict[str, Any]:
        """Decline on the checkout page: `payment_intent.payment_failed`; the session stays open."""
        return self.run(lambda: checkout.decline_session(self.account, session_id))

    def settle_session(self, session_id: str, succeeded: bool = True) -> dict[str, Any]:
        """A bank debit (us_bank_account, sepa_debit) paid on the checkout page settles, or fails:
        `checkout.session.async_payment_succeeded` or `_failed` (after the PaymentIntent's event)."""
        return self.run(lambda: checkout.settle_session(self.account, session_id, succeeded))

    def fail_next_charge(self, customer_id: str, code: str = "card_declined") -> None:
        """Make the customer's next off-session charge fail: card_declined, insufficient_funds,
        expired_card or authentication_required."""
        if code not in FAILURES:
            raise ValueError(f"unknown failure {code!r}; one of {sorted(FAILURES)}")
        with self.account.lock:
            self.account.get("customer", customer_id, "customer")
            self.account.failures.setdefault(customer_id, []).append(code)

    def dispute(self, charge_id: str, reason: str = "fraudulent") -> dict[str, Any]:
        """The card holder disputes the charge: `charge.dispute.created`."""
        return self.run(lambda: reversals.open_dispute(self.account, charge_id, reason))

    def close_dispute(self, dispute_id: str, status: str) -> dict[str, Any]:
        """The dispute ends "won" or "lost": `charge.dispute.closed`."""
        return self.run(lambda: reversals.close_dispute(self.account, dispute_id, status))

    def emit(self, event_type: str, data_object: dict[str, Any],
             previous_attributes: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send any event, signed, carrying `data_object` (e.g. a hand-made `charge.dispute.closed`)."""
        return self.run(lambda: self.account.emit(event_type, data_object, previous_attributes))

    # -- the machinery the HTTP handler uses ---------------------------------------------------------

    def run(self, operation: Callable[[], T]) -> T:
        """Run `operation` on the account, then deliver the events it raised; a copy of its result."""
        with self.account.lock:
            result, error, pending = self._execute(operation, None, None)
        self._deliver(pending)
        if error is not None:
            raise error
        return result

    def _execute(self, operation: Callable[[], T], request_id: str | None, idempotency_key: str | None,
                 ) -> tuple[Any, StripeError | None, list[dict[str, Any]]]:
        """With the lock held: (result, Stripe error, events to deliver once the lock is released)."""
        self.account.begin()
        self.account.sweep()
        self.account.begin(request_id, idempotency_key)
        try:
            return copy.deepcopy(operation()), None, self.account.take_pending()
        except StripeError as exc:
            if exc.status != 402:  # a declined card is a result; anything else writes nothing
                self.account.rollback()
            return None, exc, self.account.take_pending()
        except Exception:
            self.account.rollback()
            raise

    def _deliver(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            self.webhooks.deliver(event)

    def authenticate(self, authorization: str | None) -> None:
        key = _bearer_key(authorization)
        if not key:
            raise authentication(
                "You did not provide an API key. You need to provide your API key in the Authorization "
                "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
                "https://stripe.com/docs/api#authentication for details, or we can help at "
                "https://support.stripe.com/.")
        if key != self.api_key:
            raise authentication(f"Invalid API Key provided: {_redact(key)}")

    def call_api(self, method: str, path: str, params: dict[str, Any], idempotency_key: str | None,
                 request_id: str) -> tuple[int, bytes, dict[str, str]]:
        """Answer one /v1 request: (status, JSON body, extra headers)."""
        keyed = idempotency_key if method == "POST" else None
        headers = {"Idempotency-Key": keyed} if keyed else {}
        with self.account.lock:
            route, ids = api.find(method, path)
            saved = self.idempotency.replay(keyed, method, path, params) if keyed else None
            if saved is not None:
                return saved.status, saved.body, {**headers, "Idempotent-Replayed": "true",
                                                  "Original-Request": saved.request_id}
            checked = validate(params, route.schema)
            result, error, pending = self._execute(
                lambda: api.run(self.account, route, ids, checked, self.url), request_id, keyed)
            status, body = (error.status, dump(error.body)) if error else (200, dump(result))
            if keyed:
                self.idempotency.save(keyed, Saved(method, path, params, status, body, request_id))
        self._deliver(pending)
        return status, body, headers


def _bearer_key(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip() or None
    if scheme.lower() == "basic":  # curl -u sk_test_...: as Stripe allows
        try:
            return base64.b64decode(credentials).decode("utf-8").split(":", 1)[0] or None
        except (binascii.Error, UnicodeDecodeError):
            return None
    return None


def _redact(key: str) -> str:
    if len(key) <= 12:
        return "*" * len(key)
    return key[:8] + "*" * (len(key) - 12) + key[-4:]



__all__ = ["API_VERSION", "DEFAULT_API_KEY", "DEFAULT_WEBHOOK_SECRET", "StripeStandIn"]

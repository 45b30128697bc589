"""Stripe: Checkout Sessions, Customers, off-session PaymentIntents and webhooks, behind our own types.

Requests come in as the port's types (ports.py) and are written as the SDK's typed params here; events
are verified here and read into our words by stripe_events.py. Nothing outside the adapters knows
Stripe's formats.

`stripe` is imported here only, on first use, so a cold start of a route that never pays does not
load it. The keys live in Secrets Manager as JSON:

    {"secret_key": "sk_...", "webhook_secret": "whsec_..."}

(`webhook_secrets`: a list, while an endpoint secret is being rolled and both sign.) The client's API
address is Stripe's unless `api_base` is given: the local stack passes the stand-in's address there;
the code path is the same.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from chalicelib.adapters import stripe_events
from chalicelib.domain.errors import InvalidInput, UpstreamError
from chalicelib.domain.plans import ChargeResult
from chalicelib.ports import CheckoutPage, CheckoutRequest, NewCustomer, OffSessionCharge, PaymentEvent

if TYPE_CHECKING:  # the SDK's own request shapes, checked by mypy; nothing imported at run time
    from stripe.params import CustomerCreateParams, PaymentIntentCreateParams
    from stripe.params.checkout import SessionCreateParams

log = logging.getLogger(__name__)

SIGNATURE_TOLERANCE = 300  # seconds: Stripe's own default; older signed events are replays
REFRESH_AFTER_MISMATCH = 60  # seconds between re-reads of the secret caused by a bad signature
NETWORK_RETRIES = 2  # the SDK retries with the same idempotency key, so a retry never pays twice


class StripeConfigError(RuntimeError):
    """The Stripe secret is missing or malformed: an operator's fix, not a customer's error."""


@dataclass(frozen=True)
class StripeKeys:
    secret_key: str
    webhook_secrets: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> StripeKeys:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            raise StripeConfigError("the Stripe secret is not JSON") from None
        secret_key = doc.get("secret_key") if isinstance(doc, dict) else None
        listed = (doc.get("webhook_secrets") or [doc.get("webhook_secret")]) if isinstance(doc, dict) else []
        hooks = [h for h in listed if isinstance(h, str) and h] if isinstance(listed, list) else []
        if not isinstance(secret_key, str) or not secret_key or not hooks:
            raise StripeConfigError("the Stripe secret needs secret_key and webhook_secret")
        return cls(secret_key, tuple(hooks))


def signed_at(signature: str) -> int:
    """The `t=` timestamp of a Stripe-Signature header that has already verified."""
    for part in signature.split(","):
        name, _, value = part.partition("=")
        if name.strip() == "t":
            return int(value)
    raise InvalidInput("invalid Stripe signature", "Stripe-Signature")


P = TypeVar("P", "SessionCreateParams", "PaymentIntentCreateParams")


def session_params(request: CheckoutRequest) -> SessionCreateParams:
    metadata = stripe_events.metadata(request.tag)
    params: SessionCreateParams = {
        "mode": "payment",
        "line_items": [{"quantity": 1, "price_data": {
            "currency": request.currency.lower(), "unit_amount": request.amount,
            "product_data": {"name": request.label}}}],
        "client_reference_id": request.tag.case_id,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata, "description": request.description},
        "locale": request.locale,
        "success_url": request.success_url,
        "cancel_url": request.cancel_url,
    }
    if request.save_card:  # the card is saved on the Customer for installments charged without the customer
        params["payment_intent_data"]["setup_future_usage"] = "off_session"
    if request.customer:
        params["customer"] = request.customer
    elif request.customer_email:
        params["customer_email"] = request.customer_email
    return with_method_types(params, request.methods)


def charge_params(charge: OffSessionCharge) -> PaymentIntentCreateParams:
    params: PaymentIntentCreateParams = {
        "amount": charge.amount, "currency": charge.currency.lower(), "customer": charge.customer,
        "payment_method": charge.payment_method, "confirm": True, "off_session": True,
        "description": charge.description, "metadata": stripe_events.metadata(charge.tag)}
    return with_method_types(params, ("card",))


def with_method_types(params: P, methods: tuple[str, ...]) -> P:
    """`payment_method_types`, which the SDK's types for its pinned API version no longer list (they offer
    `allowed_payment_method_types`, a filter with other semantics); Stripe and the stand-in take it as sent."""
    return cast(P, {**params, "payment_method_types": list(methods)})


def customer_params(request: NewCustomer) -> CustomerCreateParams:
    return {"email": request.email, "name": request.name, "preferred_locales": [request.locale],
            "metadata": stripe_events.metadata(request.tag)}


class StripeGateway:
    def __init__(self, secrets_client: Any, secret_id: str, api_base: str | None = None,
                 cache_seconds: int = 300, monotonic: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self._secrets = secrets_client
        self._secret_id = secret_id
        self._api_base = api_base
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._wall_clock = wall_clock
        self._keys: StripeKeys | None = None
        self._loaded_at = 0.0
        self._client: Any = None
        self._client_key: str | None = None

    # --- keys and client ---------------------------------------------------------------------------

    def _current_keys(self, refresh: bool = False) -> StripeKeys:
        now = self._monotonic()
        if refresh or self._keys is None or now - self._loaded_at >= self._cache_seconds:
            value = self._secrets.get_secret_value(SecretId=self._secret_id)["SecretString"]
            self._keys, self._loaded_at = StripeKeys.parse(value), now
        return self._keys

    def _stripe(self) -> Any:
        keys = self._current_keys()
        if self._client is None or self._client_key != keys.secret_key:
            import stripe

            options: dict[str, Any] = {"max_network_retries": NETWORK_RETRIES}
            if self._api_base:
                options["base_addresses"] = {"api": self._api_base}
            self._client = stripe.StripeClient(keys.secret_key, **options)
            self._client_key = keys.secret_key
        return self._client

    # --- calls -------------------------------------------------------------------------------------

    def create_checkout(self, request: CheckoutRequest) -> CheckoutPage:
        import stripe

        try:
            session = self._stripe().v1.checkout.sessions.create(
                session_params(request), {"idempotency_key": request.idempotency_key})
        except stripe.StripeError as exc:
            raise self._translate(exc, "checkout") from exc
        return CheckoutPage(session.id, session.url)

    def payment_intent_metadata(self, intent_id: str) -> dict[str, str]:
        """The metadata we set on a PaymentIntent (disputes do not carry it themselves)."""
        import stripe

        try:
            intent = self._stripe().v1.payment_intents.retrieve(intent_id)
        except stripe.InvalidRequestError:
            return {}  # not one of ours (or not in this account): the event is ignored
        except stripe.StripeError as exc:
            raise self._translate(exc, "payment_intent") from exc
        return intent.metadata.to_dict() if intent.metadata else {}

    # --- installment plans ------------------------------------------------------------------------

    def create_customer(self, request: NewCustomer) -> str:
        """A Stripe Customer (for the card a plan saves); its id."""
        import stripe

        try:
            customer = self._stripe().v1.customers.create(customer_params(request),
                                                          {"idempotency_key": request.idempotency_key})
        except stripe.StripeError as exc:
            raise self._translate(exc, "customer") from exc
        return str(customer.id)

    def payment_method_of(self, intent_id: str) -> str | None:
        """The PaymentMethod a PaymentIntent was paid with (the card saved for later installments)."""
        import stripe

        try:
            intent = self._stripe().v1.payment_intents.retrieve(intent_id)
        except stripe.StripeError as exc:
            raise self._translate(exc, "payment_intent") from exc
        method = intent.payment_method
        return method if isinstance(method, str) or method is None else str(method.id)

    def charge_off_session(self, charge: OffSessionCharge) -> ChargeResult:
        """Create and confirm an off-session PaymentIntent. A refused charge is a result (its code, e.g.
        card_declined or authentication_required), not an error; an unreachable Stripe is UpstreamError, and
        so is a key reused with other parameters (the first request's outcome is still to be learnt)."""
        import stripe

        try:
            intent = self._stripe().v1.payment_intents.create(charge_params(charge),
                                                              {"idempotency_key": charge.idempotency_key})
        except stripe.CardError as exc:
            body = exc.json_body if isinstance(exc.json_body, dict) else {}
            error = body.get("error") or {}
            refused = error.get("payment_intent") or {}
            code = error.get("decline_code") if error.get("code") == "card_declined" else error.get("code")
            return ChargeResult(False, refused.get("id") if isinstance(refused, dict) else None,
                                str(code or exc.code or "card_declined"))
        except stripe.IdempotencyError as exc:
            raise self._translate(exc, "payment_intent") from exc
        except stripe.InvalidRequestError as exc:  # no usable card (detached, deleted customer): a failed try
            log.warning("off-session charge refused", extra={"code": exc.code, "request_id": exc.request_id})
            return ChargeResult(False, None, str(exc.code or "invalid_request"))
        except stripe.StripeError as exc:
            raise self._translate(exc, "payment_intent") from exc
        method = intent.payment_method
        method_id = method if isinstance(method, str) or method is None else str(method.id)
        if intent.status == "succeeded":
            return ChargeResult(True, str(intent.id), payment_method=method_id)
        code = "authentication_required" if intent.status == "requires_action" else str(intent.status)
        return ChargeResult(False, str(intent.id), code, method_id)

    @staticmethod
    def _translate(exc: Exception, what: str) -> UpstreamError:
        """The one place where Stripe's errors become the project's."""
        log.warning("stripe call failed", extra={"call": what, "stripe_error": type(exc).__name__,
                                                 "code": getattr(exc, "code", None),
                                                 "request_id": getattr(exc, "request_id", None)})
        return UpstreamError("the payment provider could not be reached; please try again", "payment")

    # --- webhooks ----------------------------------------------------------------------------------

    def receive(self, payload: bytes, signature: str) -> PaymentEvent:
        """A verified event in our words. A dispute carries no metadata of ours: its PaymentIntent's is read."""
        event = self.verify(payload, signature)
        obj = event["data"]["object"]
        metadata = obj.get("metadata") or {}
        if stripe_events.case_of(metadata) is None and event["type"] in stripe_events.NEEDS_INTENT_METADATA \
                and isinstance(obj.get("payment_intent"), str):
            metadata = self.payment_intent_metadata(obj["payment_intent"])
        return stripe_events.read(event, metadata)

    def verify(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        """The event in `payload` if `signature` is Stripe's for it (any of our endpoint secrets) and fresh.

        Always checked: there is no mode without verification. A failure is a 400 naming the header.
        """
        from stripe import SignatureVerificationError, WebhookSignature

        if not signature:
            raise InvalidInput("missing Stripe signature", "Stripe-Signature")
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("body is not UTF-8", "body") from None
        # An endpoint secret rolled in the dashboard reaches us through Secrets Manager: on a mismatch,
        # read the secret again, but at most once a minute whatever a caller sends.
        refresh = (False, True) if self._monotonic() - self._loaded_at >= REFRESH_AFTER_MISMATCH else (False,)
        for again in refresh:
            for secret in self._current_keys(refresh=again).webhook_secrets:
                try:
                    WebhookSignature.verify_header(text, signature, secret)  # no tolerance: checked below
                except SignatureVerificationError:
                    continue
                if signed_at(signature) < self._wall_clock() - SIGNATURE_TOLERANCE:
                    raise InvalidInput("signature timestamp is too old", "Stripe-Signature")
                return self._parse(text)
        raise InvalidInput("invalid Stripe signature", "Stripe-Signature")

    @staticmethod
    def _parse(text: str) -> dict[str, Any]:
        try:
            event = json.loads(text)
        except (ValueError, RecursionError):  # also endless integers and nesting past the recursion limit
            raise InvalidInput("body is not valid JSON", "body") from None
        if not (isinstance(event, dict) and isinstance(event.get("id"), str) and isinstance(event.get("type"), str)
                and isinstance(event.get("data"), dict) and isinstance(event["data"].get("object"), dict)):
            raise InvalidInput("not a Stripe event", "body")
        return event

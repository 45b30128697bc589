"""The /v1 endpoints the stand-in answers: which parameters each takes and which operation it runs."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from portal.stripe_standin import checkout, payments, reversals, schemas
from portal.stripe_standin.errors import unrecognized_url
from portal.stripe_standin.params import Param
from portal.stripe_standin.state import Account

# (account, validated params, ids from the path, the stand-in's base address) -> Stripe object
Handler = Callable[[Account, dict[str, Any], dict[str, str], str], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    schema: dict[str, Param]
    handler: Handler


def _retrieve(kind: str, param: str, label: str | None = None) -> Handler:
    return lambda account, params, ids, base: account.get(kind, ids["id"], param, label)


def _route(method: str, path: str, schema: dict[str, Param], handler: Handler) -> Route:
    pattern = re.compile("^" + path.replace("{id}", "(?P<id>[A-Za-z0-9_]+)") + "$")
    return Route(method, pattern, schema, handler)


ROUTES = [
    _route("POST", "/v1/checkout/sessions", schemas.CHECKOUT_SESSION_CREATE,
           lambda account, params, ids, base: checkout.create_session(account, params, base)),
    _route("GET", "/v1/checkout/sessions/{id}", schemas.RETRIEVE, _retrieve("checkout.session", "session")),
    _route("POST", "/v1/checkout/sessions/{id}/expire", schemas.RETRIEVE,
           lambda account, params, ids, base: checkout.expire_session(account, ids["id"])),
    _route("POST", "/v1/payment_intents", schemas.PAYMENT_INTENT_CREATE,
           lambda account, params, ids, base: payments.create_payment_intent(account, params)),
    _route("GET", "/v1/payment_intents/{id}", schemas.PAYMENT_INTENT_RETRIEVE,
           _retrieve("payment_intent", "intent")),
    _route("POST", "/v1/setup_intents", schemas.SETUP_INTENT_CREATE,
           lambda account, params, ids, base: payments.create_setup_intent(account, params)),
    _route("GET", "/v1/setup_intents/{id}", schemas.PAYMENT_INTENT_RETRIEVE, _retrieve("setup_intent", "intent")),
    _route("POST", "/v1/customers", schemas.CUSTOMER_CREATE,
           lambda account, params, ids, base: payments.create_customer(account, params)),
    _route("GET", "/v1/customers/{id}", schemas.RETRIEVE, _retrieve("customer", "id")),
    _route("GET", "/v1/customers/{id}/payment_methods", schemas.CUSTOMER_PAYMENT_METHOD_LIST,
           lambda account, params, ids, base: payments.list_payment_methods(
               account, ids["id"], params.get("limit"), f"/v1/customers/{ids['id']}/payment_methods")),
    _route("GET", "/v1/payment_methods", schemas.PAYMENT_METHOD_LIST,
           lambda account, params, ids, base: payments.list_payment_methods(
               account, params.get("customer"), params.get("limit"), "/v1/payment_methods")),
    _route("GET", "/v1/payment_methods/{id}", schemas.RETRIEVE,
           _retrieve("payment_method", "payment_method", "PaymentMethod")),
    _route("POST", "/v1/payment_methods/{id}/attach", schemas.PAYMENT_METHOD_ATTACH,
           lambda account, params, ids, base: payments.attach(
               account, payments.resolve_payment_method(account, ids["id"], "payment_method"),
               params["customer"])),
    _route("GET", "/v1/charges/{id}", schemas.RETRIEVE, _retrieve("charge", "charge")),
    _route("POST", "/v1/refunds", schemas.REFUND_CREATE,
           lambda account, params, ids, base: reversals.create_refund(account, params)),
    _route("GET", "/v1/refunds/{id}", schemas.RETRIEVE, _retrieve("refund", "refund")),
    _route("GET", "/v1/events/{id}", schemas.RETRIEVE, _retrieve("event", "id")),
]


def find(method: str, path: str) -> tuple[Route, dict[str, str]]:
    for route in ROUTES:
        match = route.pattern.match(path)
        if match and route.method == method:
            return route, match.groupdict()
    raise unrecognized_url(method, path)


def run(account: Account, route: Route, ids: dict[str, str], params: dict[str, Any],
        base_url: str) -> dict[str, Any]:
    """Run the route with already validated `params`; expand what `expand[]` asks for."""
    result = route.handler(account, params, ids, base_url)
    return account.expand(result, params.get("expand", []))

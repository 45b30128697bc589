"""Checkout Sessions: create, expire, and what the test checkout page's Pay and Decline buttons do."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from portal.stripe_standin import money
from portal.stripe_standin.errors import StripeError, invalid_request, missing_parameter, no_such
from portal.stripe_standin.payments import (
    charge_intent,
    create_customer,
    new_bank_account,
    new_card,
    new_payment_intent,
)
from portal.stripe_standin.state import Account

MIN_LIFETIME = 30 * 60
MAX_LIFETIME = 24 * 60 * 60
SESSION_ID_TEMPLATE = "{CHECKOUT_SESSION_ID}"
DEFAULT_EMAIL = "customer@example.com"


class SessionNotOpen(Exception):
    """Pay or Decline on a session that is already complete or expired."""

    def __init__(self, session: dict[str, Any]) -> None:
        super().__init__(session["status"])
        self.session = session


def create_session(account: Account, params: dict[str, Any], base_url: str) -> dict[str, Any]:
    mode = params["mode"]
    now = account.now()
    for name in ("success_url", "cancel_url"):
        if name in params:
            _check_url(params[name], name)
    _check_customer(account, params)
    items: list[dict[str, Any]] = []
    currency: str | None = None
    total: int | None = None
    if mode == "payment":
        items, currency, total = _line_items(params)
    else:
        for name in ("line_items", "payment_intent_data"):
            if name in params:
                raise invalid_request(f"You can not pass `{name}` in `setup` mode.", name)
        currency = params.get("currency")
    expires_at = params.get("expires_at", now + MAX_LIFETIME)
    if expires_at < now + MIN_LIFETIME:
        raise invalid_request("The `expires_at` timestamp must be at least 30 minutes from Checkout "
                              "Session creation.", "expires_at")
    if expires_at > now + MAX_LIFETIME:
        raise invalid_request("The `expires_at` timestamp must be less than 24 hours from Checkout "
                              "Session creation.", "expires_at")
    session = account.build(
        "checkout.session", mode=mode, status="open", expires_at=expires_at, currency=currency,
        amount_subtotal=total, amount_total=total,
        payment_status="unpaid" if mode == "payment" else "no_payment_required",
        customer=params.get("customer"), customer_email=params.get("customer_email"),
        customer_creation=params.get("customer_creation", None if params.get("customer") else "if_required"),
        client_reference_id=params.get("client_reference_id"), metadata=params.get("metadata", {}),
        locale=params.get("locale"), success_url=params.get("success_url"),
        cancel_url=params.get("cancel_url"), submit_type=params.get("submit_type"),
        payment_method_types=params.get("payment_method_types", ["card"]),
    )
    session["url"] = f"{base_url}/checkout/{session['id']}"
    account.note(session["id"]).update(
        line_items=items, payment_intent_data=params.get("payment_intent_data", {}),
        setup_intent_data=params.get("setup_intent_data", {}))
    return session


def _check_url(url: str, param: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid_request("Not a valid URL", param, "url_invalid")


def _check_customer(account: Account, params: dict[str, Any]) -> None:
    if "customer" not in params:
        return
    for other in ("customer_email", "customer_creation"):
        if other in params:
            raise invalid_request(f"You may only specify one of these parameters: customer, {other}.", other)
    account.get("customer", params["customer"], "customer")


def _line_items(params: dict[str, Any]) -> tuple[list[dict[str, Any]], str, int]:
    items = params.get("line_items")
    if not items:
        raise missing_parameter("line_items")
    currencies, total, described = set(), 0, []
    for index, item in enumerate(items):
        path = f"line_items[{index}]"
        if "price" in item:
            raise no_such("price", item["price"], f"{path}[price]")
        price = item.get("price_data")
        if price is None:
            raise invalid_request("You must specify either `price` or `price_data` in each line item.", path)
        if "quantity" not in item:
            raise missing_parameter(f"{path}[quantity]")
        if item["quantity"] < 1:
            raise invalid_request("This value must be greater than or equal to 1.", f"{path}[quantity]")
        if "unit_amount" not in price:
            raise missing_parameter(f"{path}[price_data][unit_amount]")
        if price["unit_amount"] < 0:
            raise invalid_request("This value must be greater than or equal to 0.",
                                  f"{path}[price_data][unit_amount]")
        if "product" in price:
            raise no_such("product", price["product"], f"{path}[price_data][product]")
        if "product_data" not in price:
            raise missing_parameter(f"{path}[price_data][product_data]")
        currencies.add(money.currency(price["currency"], f"{path}[price_data][currency]"))
        total += price["unit_amount"] * item["quantity"]
        described.append({"name": price["product_data"]["name"], "quantity": item["quantity"],
                          "unit_amount": price["unit_amount"]})
    if len(currencies) > 1:
        raise invalid_request("All line items must have the same currency.", "line_items")
    currency = currencies.pop()
    money.check_charge_amount(total, currency, "line_items")
    return described, currency, total


def expire_session(account: Account, session_id: str) -> dict[str, Any]:
    session = account.get("checkout.session", session_id, "session")
    if session["status"] != "open":
        raise invalid_request(f"This Checkout Session is not in an expirable state (status: "
                              f"{session['status']}). Only open sessions can be expired.", "session")
    _close(session, "expired")
    account.emit("checkout.session.expired", session)
    return session


def complete_session(account: Account, session_id: str) -> dict[str, Any]:
    """The customer paid (or, in setup mode, saved a card): what Pay on the checkout page does."""
    session = _open_session(account, session_id)
    note = account.note(session_id)
    saving = session["mode"] == "setup" or bool(note["payment_intent_data"].get("setup_future_usage"))
    if session["customer"] is None and (saving or session["customer_creation"] == "always"):
        session["customer"] = create_customer(account, {"email": _email(account, session)})["id"]
    kind = _method_type(session)
    method = new_card(account) if kind == "card" else new_bank_account(account, kind)
    method["billing_details"]["email"] = _email(account, session)
    if saving and session["customer"]:
        method["customer"] = session["customer"]
    if session["mode"] == "payment":
        intent = _payment_intent(account, session)
        if kind == "card":
            charge_intent(account, intent, method, off_session=False)
            session.update(payment_status="paid")
        else:  # a bank debit: the session completes unpaid; settle_session() later says how it went
            intent.update(status="processing", payment_method=method["id"])
            account.emit("payment_intent.processing", intent)
    else:
        intent = account.build("setup_intent", customer=session["customer"], payment_method=method["id"],
                               status="succeeded", usage="off_session",
                               metadata=note["setup_intent_data"].get("metadata", {}))
        session["setup_intent"] = intent["id"]
    session["customer_details"] = {
        "address": None, "email": _email(account, session), "name": None, "phone": None,
        "tax_exempt": "none", "tax_ids": [], "business_name": None, "individual_name": None}
    _close(session, "complete")
    account.emit("checkout.session.completed", session)
    return session


def settle_session(account: Account, session_id: str, succeeded: bool = True) -> dict[str, Any]:
    """A bank debit paid at checkout has settled (days later, at Stripe): succeeded, or failed.

    Stripe then sends `payment_intent.succeeded` and `checkout.session.async_payment_succeeded`, or
    `payment_intent.payment_failed` and `checkout.session.async_payment_failed`.
    """
    session = account.get("checkout.session", session_id, "session")
    if session["status"] != "complete" or session["payment_status"] != "unpaid" or not session["payment_intent"]:
        raise invalid_request("This Checkout Session has no payment waiting to settle.", "session")
    intent = account.objects[session["payment_intent"]]
    if intent["status"] != "processing":
        raise invalid_request("This Checkout Session's payment has already settled.", "session")
    method = account.objects[intent["payment_method"]]
    if succeeded:
        charge_intent(account, intent, method, off_session=False)
        session.update(payment_status="paid")
        account.emit("checkout.session.async_payment_succeeded", session)
        return session
    try:
        charge_intent(account, intent, method, off_session=False, failure="insufficient_funds")
    except StripeError:
        pass  # the merchant learns it from the events, as from Stripe
    account.emit("checkout.session.async_payment_failed", session)
    return session


def _method_type(session: dict[str, Any]) -> str:
    """What the customer pays with on the test page: a card when offered, else the first type offered."""
    types = session.get("payment_method_types") or ["card"]
    return "card" if "card" in types else types[0]


def decline_session(account: Account, session_id: str) -> dict[str, Any]:
    """The card was declined: the PaymentIntent fails, the session stays open for another try."""
    session = _open_session(account, session_id)
    if session["mode"] == "payment":
        method = new_card(account, "visa", "0002")
        try:
            charge_intent(account, _payment_intent(account, session), method, off_session=False,
                          failure="card_declined")
        except StripeError:
            pass  # on the hosted page a decline is shown to the customer, not raised to the merchant
    return session


def _open_session(account: Account, session_id: str) -> dict[str, Any]:
    session = account.get("checkout.session", session_id, "session")
    if session["status"] != "open":
        raise SessionNotOpen(session)
    return session


def _payment_intent(account: Account, session: dict[str, Any]) -> dict[str, Any]:
    """The session's PaymentIntent, made on its first payment attempt (and reused after a decline)."""
    if session["payment_intent"]:
        intent = account.objects[session["payment_intent"]]
        intent["customer"] = session["customer"]
        return intent
    data = account.note(session["id"])["payment_intent_data"]
    intent = new_payment_intent(
        account, session["amount_total"], session["currency"], customer=session["customer"],
        metadata=data.get("metadata", {}), description=data.get("description"),
        receipt_email=data.get("receipt_email"), setup_future_usage=data.get("setup_future_usage"),
        statement_descriptor_suffix=data.get("statement_descriptor_suffix"),
        payment_method_types=session["payment_method_types"], capture_method="automatic_async",
        status="requires_payment_method")
    session["payment_intent"] = intent["id"]
    return intent


def _email(account: Account, session: dict[str, Any]) -> str:
    if session["customer_email"]:
        return session["customer_email"]
    if session["customer"]:
        return account.objects[session["customer"]]["email"] or DEFAULT_EMAIL
    return DEFAULT_EMAIL


def _close(session: dict[str, Any], status: str) -> None:
    session.update(status=status, url=None)


def success_redirect(session: dict[str, Any]) -> str | None:
    url = session["success_url"]
    return url.replace(SESSION_ID_TEMPLATE, session["id"]) if url else None

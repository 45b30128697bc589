"""Customers, payment methods, PaymentIntents, SetupIntents and the charges they make.

Failures are scripted two ways, as in Stripe's test mode: a test card token such as
`pm_card_visa_chargeDeclined` (attaches, every charge declines), or `fail_next_charge(customer, code)`
which makes that customer's next charge fail whatever card it uses.
"""

from __future__ import annotations

from typing import Any

from portal.stripe_standin import money
from portal.stripe_standin.errors import StripeError, card_error, invalid_request, missing_parameter
from portal.stripe_standin.objects import new_id
from portal.stripe_standin.state import Account

# failure code -> (error code, decline code, message), as Stripe reports them.
FAILURES: dict[str, tuple[str, str | None, str]] = {
    "card_declined": ("card_declined", "generic_decline", "Your card was declined."),
    "insufficient_funds": ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "expired_card": ("expired_card", None, "Your card has expired."),
    "authentication_required": ("authentication_required", "authentication_required",
                                "Your card was declined. This transaction requires authentication."),
}

# Stripe's test PaymentMethod tokens: brand, last4, failure of every charge, and whether attaching fails.
TEST_CARDS: dict[str, tuple[str, str, str | None, bool]] = {
    "pm_card_visa": ("visa", "4242", None, False),
    "pm_card_mastercard": ("mastercard", "4444", None, False),
    "pm_card_amex": ("amex", "8431", None, False),
    "pm_card_visa_chargeDeclined": ("visa", "0341", "card_declined", False),
    "pm_card_authenticationRequired": ("visa", "3184", "authentication_required", False),
    "pm_card_chargeDeclined": ("visa", "0002", "card_declined", True),
    "pm_card_chargeDeclinedInsufficientFunds": ("visa", "9995", "insufficient_funds", True),
    "pm_card_chargeDeclinedExpiredCard": ("visa", "0069", "expired_card", True),
}


def create_customer(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    fields = {key: params[key] for key in ("email", "name", "phone", "description", "metadata",
                                           "preferred_locales") if key in params}
    method = None
    if "payment_method" in params:
        method = resolve_payment_method(account, params["payment_method"], "payment_method")
        refuse_declining_card(account, method)  # before the customer exists: a 402 writes no customer
    customer = account.build("customer", invoice_prefix=new_id("", 8).upper(), **fields)
    if method is not None:
        attach(account, method, customer["id"])
    default = params.get("invoice_settings", {}).get("default_payment_method")
    if default:
        method = account.get("payment_method", default, "invoice_settings[default_payment_method]",
                             "PaymentMethod")
        if method["customer"] != customer["id"]:
            raise invalid_request(f"The customer does not have a payment method with the ID {default}. The "
                                  "payment method must be attached to the customer.",
                                  "invoice_settings[default_payment_method]")
        customer["invoice_settings"]["default_payment_method"] = default
    return customer


def resolve_payment_method(account: Account, method_id: str, param: str) -> dict[str, Any]:
    """A stored PaymentMethod, or a new one made from a test token such as `pm_card_visa`."""
    if method_id in TEST_CARDS:
        brand, last4, failure, _ = TEST_CARDS[method_id]
        method = new_card(account, brand, last4)
        account.note(method["id"]).update(failure=failure, token=method_id)
        return method
    return account.get("payment_method", method_id, param, "PaymentMethod")


def new_card(account: Account, brand: str = "visa", last4: str = "4242") -> dict[str, Any]:
    method = account.build("payment_method", customer=None, allow_redisplay="unspecified")
    card = method["card"]
    card.update(brand=brand, display_brand=brand, last4=last4, generated_from=None, wallet=None,
                fingerprint=new_id("", 16), networks={"available": [brand], "preferred": None})
    return method


# What Stripe's test bank accounts show (the details of a bank debit PaymentMethod), per type.
BANK_DETAILS: dict[str, dict[str, Any]] = {
    "sepa_debit": {"bank_code": "37040044", "branch_code": "", "country": "DE", "last4": "3000",
                   "generated_from": {"charge": None, "setup_attempt": None}},
    "us_bank_account": {"account_holder_type": "individual", "account_type": "checking",
                        "bank_name": "STRIPE TEST BANK", "financial_connections_account": None, "last4": "6789",
                        "routing_number": "110000000", "networks": {"preferred": "ach", "supported": ["ach"]},
                        "status_details": None},
}


def new_bank_account(account: Account, kind: str) -> dict[str, Any]:
    """A bank debit PaymentMethod (sepa_debit, us_bank_account): it pays days later, not at once."""
    details = {**BANK_DETAILS[kind], "fingerprint": new_id("", 16)}
    return account.build("payment_method", type=kind, card=None, customer=None, allow_redisplay="unspecified",
                         **{kind: details})


def attach(account: Account, method: dict[str, Any], customer_id: str) -> dict[str, Any]:
    account.get("customer", customer_id, "customer")
    if method["customer"] not in (None, customer_id):
        raise invalid_request("The payment method you provided has already been attached to a customer.",
                              "payment_method")
    refuse_declining_card(account, method)
    method["customer"] = customer_id
    return method


def refuse_declining_card(account: Account, method: dict[str, Any]) -> None:
    """Test cards such as `pm_card_chargeDeclined` are declined when saved, not only when charged."""
    token = account.note(method["id"]).get("token")
    if token and TEST_CARDS[token][3]:
        code, decline, message = FAILURES[TEST_CARDS[token][2] or "card_declined"]
        raise card_error(code, decline, message)


def list_payment_methods(account: Account, customer_id: str | None, limit: int | None,
                         url: str) -> dict[str, Any]:
    if customer_id is None:
        raise missing_parameter("customer")
    account.get("customer", customer_id, "customer")
    if limit is not None and not 1 <= limit <= 100:
        raise invalid_request("This value must be between 1 and 100 (it currently is "
                              f"{limit}).", "limit")
    methods = [obj for obj in reversed(account.objects.values())  # newest first, as Stripe lists
               if obj["object"] == "payment_method" and obj["customer"] == customer_id]
    return {"object": "list", "data": methods[: limit or 10], "has_more": len(methods) > (limit or 10),
            "url": url}


def create_payment_intent(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    currency = money.currency(params["currency"], "currency")
    money.check_charge_amount(params["amount"], currency, "amount")
    customer_id = params.get("customer")
    if customer_id:
        account.get("customer", customer_id, "customer")
    if params.get("off_session") and not params.get("confirm"):
        raise invalid_request("You can only set `off_session` when `confirm` is true.", "off_session")
    method = None
    if "payment_method" in params:
        method = resolve_payment_method(account, params["payment_method"], "payment_method")
        if customer_id and method["customer"] not in (None, customer_id):
            raise invalid_request(f"The provided PaymentMethod {method['id']} does not belong to the "
                                  f"Customer {customer_id}.", "payment_method")
        if method["customer"] and not customer_id:
            raise invalid_request("The provided PaymentMethod was previously attached to a Customer. To use "
                                  "a PaymentMethod attached to a Customer, you must also provide the "
                                  "Customer ID.", "payment_method")
    elif params.get("confirm"):
        raise invalid_request("You cannot confirm this PaymentIntent because it's missing a payment method."
                              " Confirm it again with a payment method.", "payment_method",
                              "payment_intent_unexpected_state")
    intent = new_payment_intent(
        account, params["amount"], currency, customer=customer_id,
        metadata=params.get("metadata", {}), description=params.get("description"),
        receipt_email=params.get("receipt_email"), setup_future_usage=params.get("setup_future_usage"),
        capture_method=params.get("capture_method", "automatic_async"),
        payment_method_types=params.get("payment_method_types", ["card"]),
        statement_descriptor_suffix=params.get("statement_descriptor_suffix"),
        payment_method=method["id"] if method else None,
        status="requires_confirmation" if method else "requires_payment_method",
    )
    if params.get("confirm"):
        assert method is not None
        charge_intent(account, intent, method, off_session=bool(params.get("off_session")))
    return intent


def new_payment_intent(account: Account, amount: int, currency: str, **fields: Any) -> dict[str, Any]:
    intent = account.build("payment_intent", amount=amount, currency=currency, amount_received=0,
                           canceled_at=None, latest_charge=None, **fields)
    intent["client_secret"] = f"{intent['id']}_secret_{new_id('', 25)}"
    return intent


def charge_intent(account: Account, intent: dict[str, Any], method: dict[str, Any], *,
                  off_session: bool, failure: str | None = None) -> dict[str, Any]:
    """Confirm `intent` with `method`: succeed, or fail and raise Stripe's 402 card_error."""
    customer_id = intent["customer"]
    queued = account.failures.get(customer_id or "", []) if off_session else []
    failure = failure or (queued.pop(0) if queued else None) or account.note(method["id"]).get("failure")
    intent["payment_method"] = method["id"]
    if failure == "authentication_required" and not off_session:
        intent.update(status="requires_action", next_action={"type": "use_stripe_sdk", "use_stripe_sdk": {}})
        account.emit("payment_intent.requires_action", intent)
        return intent
    charge = new_charge(account, intent, method, failure)
    intent["latest_charge"] = charge["id"]
    if failure is None:
        intent.update(status="succeeded", amount_received=intent["amount"], last_payment_error=None,
                      next_action=None)
        if intent["setup_future_usage"] and customer_id and method["customer"] is None:
            method["customer"] = customer_id
        account.emit("payment_intent.succeeded", intent)
        return intent
    code, decline, message = FAILURES[failure]
    intent.update(status="requires_payment_method", payment_method=None, last_payment_error={
        "type": "card_error", "code": code, "decline_code": decline, "message": message,
        "charge": charge["id"], "payment_method": dict(method),
        "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
    })
    account.emit("payment_intent.payment_failed", intent)
    raise card_error(code, decline, message, charge=charge["id"], payment_intent=dict(intent),
                     payment_method=dict(method))


def new_charge(account: Account, intent: dict[str, Any], method: dict[str, Any],
               failure: str | None) -> dict[str, Any]:
    charge = account.build(
        "charge", amount=intent["amount"], currency=intent["currency"], customer=intent["customer"],
        payment_intent=intent["id"], payment_method=method["id"], metadata=dict(intent["metadata"]),
        description=intent["description"], receipt_email=intent["receipt_email"],
        balance_transaction=new_id("txn_"), amount_captured=intent["amount"] if failure is None else 0,
        captured=failure is None, paid=failure is None, status="succeeded" if failure is None else "failed",
    )
    charge["billing_details"]["email"] = method["billing_details"]["email"]
    if method["type"] != "card":
        kind = method["type"]
        charge["payment_method_details"] = {"type": kind, kind: {**method[kind]}}
        return _finish_charge(charge, failure)
    card = method["card"]
    charge["payment_method_details"]["card"].update(
        brand=card["brand"], last4=card["last4"], fingerprint=card["fingerprint"], network=card["brand"],
        exp_month=card["exp_month"], exp_year=card["exp_year"], installments=None, wallet=None,
        overcapture={"maximum_amount_capturable": intent["amount"], "status": "unavailable"})
    return _finish_charge(charge, failure)


def _finish_charge(charge: dict[str, Any], failure: str | None) -> dict[str, Any]:
    charge["refunds"] = {"object": "list", "data": [], "has_more": False, "total_count": 0,
                         "url": f"/v1/charges/{charge['id']}/refunds"}
    if failure is not None:
        code, decline, message = FAILURES[failure]
        charge.update(balance_transaction=None, failure_code=code, failure_message=message, outcome={
            **charge["outcome"], "network_status": "declined_by_network", "reason": decline,
            "seller_message": "The bank did not return any further details with this decline.",
            "type": "issuer_declined"})
    return charge


def create_setup_intent(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    customer_id = params.get("customer")
    if customer_id:
        account.get("customer", customer_id, "customer")
    method = None
    if "payment_method" in params:
        method = resolve_payment_method(account, params["payment_method"], "payment_method")
    elif params.get("confirm"):
        raise invalid_request("You cannot confirm this SetupIntent because it's missing a payment method.",
                              "payment_method", "setup_intent_unexpected_state")
    intent = account.build(
        "setup_intent", customer=customer_id, usage=params.get("usage", "off_session"),
        metadata=params.get("metadata", {}), description=params.get("description"),
        payment_method_types=params.get("payment_method_types", ["card"]),
        payment_method=method["id"] if method else None,
        status="requires_confirmation" if method else "requires_payment_method")
    intent["client_secret"] = f"{intent['id']}_secret_{new_id('', 25)}"
    if params.get("confirm") and method is not None:
        try:
            if customer_id:
                attach(account, method, customer_id)
        except StripeError as exc:
            intent.update(status="requires_payment_method", payment_method=None,
                          last_setup_error={**exc.error, "payment_method": dict(method)})
            account.emit("setup_intent.setup_failed", intent)
            exc.error["setup_intent"] = dict(intent)
            raise
        intent["status"] = "succeeded"
        account.emit("setup_intent.succeeded", intent)
    return intent

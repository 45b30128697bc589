"""The parameters each endpoint accepts: a subset of Stripe's, the ones this project sends.

A parameter Stripe knows but the stand-in does not model is rejected like a misspelt one, so that
code cannot come to depend on behaviour the stand-in would silently ignore. Add it here (and model
it) when the project needs it; the names and required flags follow the stripe SDK's typed params.
"""

from __future__ import annotations

from portal.stripe_standin.params import array, boolean, enum, integer, metadata, obj, string

EXPAND = array(string())
RETRIEVE = {"expand": EXPAND}

PRODUCT_DATA = obj({
    "name": string(required=True),
    "description": string(),
    "images": array(string()),
    "metadata": metadata(),
})

PRICE_DATA = obj({
    "currency": string(required=True),
    "unit_amount": integer(),
    "product": string(),
    "product_data": PRODUCT_DATA,
})

LINE_ITEM = obj({
    "price": string(),
    "price_data": PRICE_DATA,
    "quantity": integer(),
    "metadata": metadata(),
})

SETUP_FUTURE_USAGE = enum("off_session", "on_session")

# Bank debits settle days later: the session completes `unpaid`, then `settle_session` decides.
DELAYED_METHODS = ("us_bank_account", "sepa_debit")
METHOD_TYPES = array(enum("card", *DELAYED_METHODS))

CHECKOUT_SESSION_CREATE = {
    "mode": enum("payment", "setup", required=True),
    "line_items": array(LINE_ITEM),
    "currency": string(),
    "success_url": string(),
    "cancel_url": string(),
    "customer": string(),
    "customer_email": string(),
    "customer_creation": enum("always", "if_required"),
    "client_reference_id": string(),
    "metadata": metadata(),
    "locale": string(),
    "payment_method_types": METHOD_TYPES,
    "expires_at": integer(),
    "submit_type": enum("auto", "book", "donate", "pay", "subscribe"),
    "payment_intent_data": obj({
        "setup_future_usage": SETUP_FUTURE_USAGE,
        "metadata": metadata(),
        "description": string(),
        "receipt_email": string(),
        "statement_descriptor_suffix": string(),
    }),
    "setup_intent_data": obj({"metadata": metadata(), "description": string()}),
    "expand": EXPAND,
}

PAYMENT_INTENT_CREATE = {
    "amount": integer(required=True),
    "currency": string(required=True),
    "customer": string(),
    "payment_method": string(),
    "payment_method_types": array(enum("card")),
    "confirm": boolean(),
    "off_session": boolean(),
    "error_on_requires_action": boolean(),
    "setup_future_usage": SETUP_FUTURE_USAGE,
    "capture_method": enum("automatic", "automatic_async"),
    "description": string(),
    "receipt_email": string(),
    "statement_descriptor_suffix": string(),
    "metadata": metadata(),
    "expand": EXPAND,
}

PAYMENT_INTENT_RETRIEVE = {"client_secret": string(), "expand": EXPAND}

SETUP_INTENT_CREATE = {
    "customer": string(),
    "payment_method": string(),
    "payment_method_types": array(enum("card")),
    "confirm": boolean(),
    "usage": SETUP_FUTURE_USAGE,
    "description": string(),
    "metadata": metadata(),
    "expand": EXPAND,
}

CUSTOMER_CREATE = {
    "email": string(),
    "name": string(),
    "phone": string(),
    "description": string(),
    "preferred_locales": array(string()),
    "payment_method": string(),
    "invoice_settings": obj({"default_payment_method": string()}),
    "metadata": metadata(),
    "expand": EXPAND,
}

CARD_TYPE = enum("card")
PAYMENT_METHOD_LIST = {"customer": string(), "type": CARD_TYPE, "limit": integer(), "expand": EXPAND}
CUSTOMER_PAYMENT_METHOD_LIST = {"type": CARD_TYPE, "limit": integer(), "expand": EXPAND}
PAYMENT_METHOD_ATTACH = {"customer": string(required=True), "expand": EXPAND}

REFUND_CREATE = {
    "payment_intent": string(),
    "charge": string(),
    "amount": integer(),
    "reason": enum("duplicate", "fraudulent", "requested_by_customer"),
    "metadata": metadata(),
    "expand": EXPAND,
}

"""Request schemas (JSON Schema) that both validate input (chalicelib/validation.py) and publish /openapi.json.

One definition per body, so the document and the checks cannot disagree. Patterns are run by
fastjsonschema, where `$` is the end of the string (as in ECMA-262): "INV-1\\n" does not match.
"""
from __future__ import annotations

import functools
from typing import Any

from chalicelib.domain.case_query import ORDERS as CASE_ORDERS
from chalicelib.domain.case_query import SORTS as CASE_SORTS
from chalicelib.domain.money import EXPONENTS
from chalicelib.domain.vocabulary import BROKER_NOTICES, LOCALES, NOTE_KINDS, NOTICE_DELIVERIES, STATUSES

MAX_BODY_BYTES = 64 * 1024

_CONTROLS = r"\x00-\x1f\x7f-\x9f"  # C0, DEL and C1
EMAIL = rf"^[^@\s{_CONTROLS}]+@[^@\s{_CONTROLS}]+\.[^@\s{_CONTROLS}]+$"
PHONE = r"^\+[1-9][0-9]{6,14}$"  # E.164, as SNS wants it
INVOICE_NUMBER = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"
TIER = r"^[a-z0-9_]+$"
# A name reaches email subjects and terminals: no control characters, no bidirectional overrides.
NAME = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
# Free text may run over lines: newline and tab are its only control characters.
TEXT = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"
PATTERN_MESSAGES = {
    NAME: "must not contain control characters or bidirectional overrides",
    TEXT: "must not contain control characters other than line breaks and tabs",
}


@functools.cache
def components() -> dict[str, Any]:
    """Schemas referred to as `#/components/schemas/<name>`: built on first use (the zone list is a file)."""
    from importlib.resources import files

    zones = files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    return {
        "Currency": {"type": "string", "title": "ISO 4217 currency code", "examples": ["EUR"],
                     "enum": sorted(EXPONENTS), "description": "the currencies the portal knows the exponent of"},
        "TimeZone": {"type": "string", "title": "IANA time zone", "examples": ["Europe/Berlin"], "enum": sorted(zones),
                     "description": "a name from the IANA time zone database"},
    }


CURRENCY = {"$ref": "#/components/schemas/Currency"}
TIME_ZONE = {"$ref": "#/components/schemas/TimeZone"}


def _str(max_length: int, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length, **extra}


def name(max_length: int, **extra: Any) -> dict[str, Any]:
    """One line naming someone or something."""
    return _str(max_length, pattern=NAME, **extra)


def text(max_length: int, **extra: Any) -> dict[str, Any]:
    """Free text in someone's words, over several lines if they like."""
    return _str(max_length, pattern=TEXT, **extra)


CUSTOMER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "email"],
    "properties": {
        "name": name(200),
        "email": _str(254, pattern=EMAIL, format="email", title="email address", examples=["jane@example.com"]),
        "phone": _str(16, pattern=PHONE, title="E.164 phone number", examples=["+4915112345678"]),
        "locale": {"type": "string", "enum": list(LOCALES)},
        "timezone": TIME_ZONE,
        "tier": _str(40, pattern=TIER, title="tier name (lower-case letters, digits and _)",
                     examples=["key_account"]),
    },
}

# A broker as the operator creates one (`portal broker create`): its name goes into email From headers.
BROKER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {"name": name(100), "email": CUSTOMER["properties"]["email"],  # type: ignore[index]
                   "locale": {"enum": list(LOCALES)}},
}

INVOICE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["number", "amount", "currency", "issued_on", "due_on"],
    "properties": {
        "number": _str(64, pattern=INVOICE_NUMBER, title="invoice number (letters, digits and . _ / -)",
                       examples=["INV-1001"]),
        "amount": {"type": "integer", "minimum": 1, "maximum": 10**13, "description": "minor units"},
        "currency": CURRENCY,
        "issued_on": {"type": "string", "format": "date"},
        "due_on": {"type": "string", "format": "date", "description": "on or after issued_on"},
        "description": {"type": "string", "maxLength": 500, "pattern": NAME},
    },
}

CREATE_CASE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["customer", "invoice"],
    "properties": {"customer": CUSTOMER, "invoice": INVOICE},
}

ADD_NOTE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["kind", "text"],
    "properties": {"kind": {"type": "string", "enum": list(NOTE_KINDS)}, "text": text(4000)},
}

DEFAULT_LIMIT = 25

EMPTY = {"type": "object", "additionalProperties": False, "properties": {}}

LIST_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "status": {"type": "string", "enum": list(STATUSES)},
        "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": DEFAULT_LIMIT},
        "cursor": _str(2048, pattern=r"^[A-Za-z0-9_=-]+$", description="next_cursor of the page before"),
        # The console's search (any of these): sorted by `sort`, filtered by all that are given.
        "stage": {"type": "string", "enum": ["courtesy", "reminder", "formal", "late_fee", "final", "escalation",
                                             "none"], "description": "stage of the last step started"},
        "tier": _str(40, pattern=TIER, description="the customer's tier ('none': cases without one)"),
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "overdue_min": {"type": "integer", "minimum": 0, "maximum": 36500, "description": "days past due, at least"},
        "overdue_max": {"type": "integer", "minimum": 0, "maximum": 36500, "description": "days past due, at most"},
        "q": _str(100, description="case-insensitive part of the customer's name or email, or the invoice number"),
        "sort": {"type": "string", "enum": list(CASE_SORTS), "default": "due_date"},
        "order": {"type": "string", "enum": list(CASE_ORDERS), "default": "asc"},
    },
}


def bearer(header: str | None) -> str | None:
    """The credential of an `Authorization: Bearer ...` header, or None."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


# --- reminders --------------------------------------------------------------------------

PAUSE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "until": {"type": "string", "format": "date-time",
                  "description": "reminders resume by themselves then; omit to pause until resumed"},
        "reason": {"type": "string", "maxLength": 500, "pattern": TEXT},
    },
}

TIMELINE_QUERY = {  # other query parameters are ignored: they can never widen what a view shows
    "type": "object",
    "properties": {"before": {"type": "integer", "minimum": 1, "maximum": 9_999_999_999,
                              "description": "the older page: events before this sequence number "
                                             "(the view's events_before / timeline_before)"}},
}

POLICY_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"version": {"type": "integer", "minimum": 0, "maximum": 10**9, "description": "an older version"}},
}

# The sender's display name goes into a From header: none of < > " either.
SENDER_NAME = r'^[^<>"\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$'
PATTERN_MESSAGES[SENDER_NAME] = "must not contain < > \" control characters or bidirectional overrides"

_STEP = {
    "type": "object",
    "additionalProperties": False,
    "required": ["offset_days", "template", "stage"],
    "properties": {
        "offset_days": {"type": "integer", "minimum": -60, "maximum": 365,
                        "description": "days from the due date; negative = before it; increasing along the ladder"},
        "channels": {"type": "array", "items": {"type": "string", "enum": ["email", "sms"]}, "uniqueItems": True},
        "template": {"type": "string", "enum": ["courtesy", "due_today", "reminder", "formal", "late_fee", "final",
                                               "escalation"]},
        "stage": {"type": "string", "enum": ["courtesy", "reminder", "formal", "late_fee", "final", "escalation"]},
        "actions": {"type": "array", "uniqueItems": True, "items": {"type": "string", "enum": [
            "apply_late_fee", "start_interest", "mark_ready_for_collections", "notify_broker"]}},
    },
}
_LADDER = {"type": "array", "minItems": 1, "maxItems": 20, "items": _STEP,
           "description": "offsets increasing; at most one final step; escalation after the final"}
_HHMM = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "title": "time as HH:MM",
         "examples": ["08:00"]}

POLICY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["ladder"],
    "properties": {
        "ladder": _LADDER,
        "tiers": {"type": "array", "maxItems": 20, "description": "each tier once", "items": {
            "type": "object", "additionalProperties": False, "required": ["tier", "ladder"],
            "properties": {"tier": _str(40, pattern=TIER, title="tier name (lower-case letters, digits and _)",
                                        examples=["key_account"]), "ladder": _LADDER}}},
        "contact": {"type": "object", "additionalProperties": False, "properties": {
            "window_start": {**_HHMM, "default": "08:00"},
            "window_end": {**_HHMM, "default": "21:00", "description": "later than window_start"},
            "days": {"type": "array", "items": {"type": "string", "enum": [
                "mon", "tue", "wed", "thu", "fri", "sat", "sun"]}, "minItems": 1, "uniqueItems": True},
            "max_contacts": {"type": "integer", "minimum": 1, "maximum": 50, "default": 3},
            "per_days": {"type": "integer", "minimum": 1, "maximum": 31, "default": 7}}},
        "late_fee": {"type": ["object", "null"], "additionalProperties": False, "required": ["kind"], "properties": {
            "kind": {"type": "string", "enum": ["fixed", "percentage", "greater_of"]},
            "fixed_amount": {"type": "integer", "minimum": 0, "maximum": 10**13,
                             "description": "minor units of the invoice currency; fixed and greater_of only"},
            "rate_bp": {"type": "integer", "minimum": 0, "maximum": 10_000,
                        "description": "basis points of the principal; percentage and greater_of only"},
            "cap": {"type": ["integer", "null"], "minimum": 1, "maximum": 10**13,
                    "description": "minor units; at least fixed_amount"},
            "grace_days": {"type": "integer", "minimum": 0, "maximum": 365}}},
        "interest": {"type": "object", "additionalProperties": False, "properties": {
            "regime": {"type": "string", "enum": ["none", "contractual", "eu", "uk"]},
            "country": {"type": ["string", "null"], "pattern": "^[A-Z]{2}$", "title": "ISO 3166 country code",
                        "examples": ["DE"], "description": "for eu: a euro-area member state"},
            "rate_bp": {"type": ["integer", "null"], "minimum": 0, "maximum": 10000,
                        "description": "contractual only, and required there"},
            "carry_forward_rates": {"type": "boolean", "default": True}}},
        "discount": {"type": ["object", "null"], "additionalProperties": False, "required": ["rate_bp", "days"],
                     "properties": {"rate_bp": {"type": "integer", "minimum": 1, "maximum": 10000},
                                    "days": {"type": "integer", "minimum": 0, "maximum": 365}}},
        "sender": {"type": "object", "additionalProperties": False, "properties": {
            "from_email": _str(254, pattern=EMAIL, format="email", title="email address",
                               examples=["ar@example.com"]),
            "from_name": {"type": ["string", "null"], "minLength": 1, "maxLength": 100, "pattern": SENDER_NAME},
            "reply_to": {"type": ["string", "null"], "maxLength": 254, "pattern": EMAIL, "format": "email",
                         "title": "email address", "examples": ["help@example.com"]}}},
    },
}


# --- payments ---------------------------------------------------------------------------

CHECKOUT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "amount": {"type": "integer", "minimum": 1, "maximum": 10**13,
                   "description": "minor units; omit to pay everything due (on a payment plan with an installment "
                                  "that failed: that installment, see plan.pay_now). A part payment is at least 10% "
                                  "of the amount due (or the whole remainder if smaller)"},
    },
}

OFFLINE_PAYMENT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["amount", "method", "reference", "received_on"],
    "properties": {
        "amount": {"type": "integer", "minimum": 1, "maximum": 10**13, "description": "minor units"},
        "method": {"type": "string", "enum": ["bank_transfer", "cheque", "cash", "other"]},
        "reference": _str(100, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._/:#-]*$",
                          description="the bank's or cheque's reference: the same reference is the same payment"),
        "received_on": {"type": "string", "format": "date"},
    },
}


# --- self-service: disputes, promise to pay, "I already paid", fresh links ---------------
# The word lists repeat domain/customer_rules.py's (importing it here would load the ladder at cold
# start); tests/unit/test_dispute_promise_rules.py checks they agree.

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024

DISPUTE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["reason", "message"],
    "properties": {
        "reason": {"type": "string", "enum": ["not_received", "wrong_amount", "quality", "already_paid", "other"]},
        "message": text(4000, description="what happened, in the customer's words (the broker reads it)"),
        "amount": {"type": "integer", "minimum": 1, "maximum": 10**13,
                   "description": "minor units, at most the amount due; omit to dispute the whole balance"},
    },
}

DISPUTE_ATTACHMENT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["dispute_id", "content_type", "filename", "size"],
    "properties": {
        "dispute_id": _str(16, pattern=r"^d[0-9]{1,4}$", description="from the answer to POST /customer/dispute"),
        "content_type": {"type": "string", "enum": ["application/pdf", "image/png", "image/jpeg"]},
        "filename": name(255),
        "size": {"type": "integer", "minimum": 1, "maximum": EVIDENCE_MAX_BYTES, "description": "bytes, 10 MB at most"},
    },
}

PROMISE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["pay_by"],
    "properties": {"pay_by": {"type": "string", "format": "date",
                              "description": "the customer's own date: from today up to the broker's limit "
                                             "(14 days by default)"}},
}

ALREADY_PAID = {
    "type": "object",
    "additionalProperties": False,
    "required": ["paid_on", "method", "reference"],
    "properties": {
        "paid_on": {"type": "string", "format": "date", "description": "not in the future"},
        "method": {"type": "string", "enum": ["bank_transfer", "cheque", "cash", "other"]},
        "reference": name(200, description="the bank's reference, cheque number or receipt"),
    },
}

LINK_REFRESH = {
    "type": "object",
    "additionalProperties": False,
    "required": ["token"],
    "properties": {"token": _str(4096, description="the pay token of the link that stopped working "
                                                                 "(anything else gets the same answer)")},
}

RESOLVE_DISPUTE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["outcome", "message"],
    "properties": {
        "outcome": {"type": "string", "enum": ["upheld", "partially_upheld", "rejected", "mediation"]},
        "credit_amount": {"type": "integer", "minimum": 1, "maximum": 10**13,
                          "description": "minor units off the balance: required for partially_upheld; upheld "
                                         "defaults to what was disputed; none for rejected or mediation"},
        "message": text(4000, description="the answer, emailed to the customer"),
        "mediator": name(200, description="mediation only: who mediates"),
        "until": {"type": "string", "format": "date-time",
                  "description": "mediation only: reminders stay paused until then (at most a year ahead)"},
    },
}

POLICY["properties"]["self_service"] = {  # type: ignore[index]
    "type": "object", "additionalProperties": False, "properties": {
        "promise_max_days": {"type": "integer", "minimum": 1, "maximum": 90, "default": 14},
        "already_paid_pause_days": {"type": "integer", "minimum": 1, "maximum": 30, "default": 5},
        "dispute_reminder_days": {"type": "integer", "minimum": 1, "maximum": 60, "default": 7}}}


# --- installment plans ------------------------------------------------------------------
# The intervals repeat domain/policy.py's INTERVALS (importing it here would load the domain at cold start);
# tests/unit/test_plans.py checks they agree.
PLAN_INTERVALS = ["weekly", "biweekly", "monthly"]

CHOOSE_PLAN = {
    "type": "object",
    "additionalProperties": False,
    "required": ["offer_id"],
    "properties": {"offer_id": _str(40, pattern=r"^[ob][0-9a-f]{15}$",
                                    description="one of plan_offers[].offer_id from GET /customer/case")},
}

PLAN_OFFER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["installments", "interval"],
    "properties": {
        "installments": {"type": "integer", "minimum": 2, "maximum": 24},
        "interval": {"type": "string", "enum": PLAN_INTERVALS},
        "first_amount": {"type": "integer", "minimum": 1, "maximum": 10**13,
                         "description": "minor units: the least the first installment is (paid when the plan "
                                        "starts); omit for equal installments"},
    },
}

POLICY["properties"]["plans"] = {  # type: ignore[index]
    "type": "object", "additionalProperties": False, "properties": {
        "enabled": {"type": "boolean", "default": True},
        "max_installments": {"type": "integer", "minimum": 2, "maximum": 24, "default": 6},
        "interval": {"type": "string", "enum": PLAN_INTERVALS, "default": "monthly"},
        "min_installment_amount": {"type": "integer", "minimum": 1, "maximum": 10**13, "default": 1000,
                                   "description": "minor units of the invoice currency"},
        "min_first_percent": {"type": "integer", "minimum": 0, "maximum": 100, "default": 0},
        "max_days": {"type": "integer", "minimum": 7, "maximum": 730, "default": 180,
                     "description": "the last installment at most this many days after the first"},
        "min_due": {"type": "integer", "minimum": 0, "maximum": 10**13, "default": 0,
                    "description": "balances (minor units) from which plans are offered"},
        "max_due": {"type": ["integer", "null"], "minimum": 1, "maximum": 10**13,
                    "description": "and up to which (at least min_due); null: no limit"},
        "retry_days": {"type": "array", "maxItems": 5, "items": {"type": "integer", "minimum": 1, "maximum": 60},
                       "uniqueItems": True,
                       "default": [1, 3, 7], "description": "a failed installment is tried again these days "
                                                            "after its due date; then the plan defaults"}}}

IDEMPOTENCY_KEY = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": NAME,
                   "description": "the same key again answers with the case it created"}
STRIPE_SIGNATURE = {"type": "string", "minLength": 1, "description": "Stripe's signature over the exact body bytes: "
                    "t=<unix time>,v1=<HMAC-SHA256 with the endpoint secret>"}


# --- outbound webhooks -------------------------------------------------------------------------------
def _webhook_fields() -> dict[str, Any]:
    from chalicelib.domain.webhook_types import EVENT_TYPES

    return {
        "url": _str(2048, pattern=r"^https?://[^\s]+$",
                    description="https:// (the demo also takes http://127.0.0.1); never a private, loopback or "
                                "link-local address"),
        "event_types": {"type": "array", "minItems": 1, "maxItems": 32, "uniqueItems": True,
                        "items": {"type": "string", "enum": list(EVENT_TYPES)}},
        "enabled": {"type": "boolean", "default": True},
        "description": name(200),
    }


WEBHOOK_CREATE = {"type": "object", "additionalProperties": False, "required": ["url", "event_types"],
                  "properties": _webhook_fields()}
WEBHOOK_UPDATE = {"type": "object", "additionalProperties": False, "minProperties": 1,
                  "properties": _webhook_fields()}
DELIVERIES_QUERY = {"type": "object", "additionalProperties": False, "properties": {
    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": DEFAULT_LIMIT},
    "cursor": _str(2048, pattern=r"^[A-Za-z0-9_=-]+$", description="next_cursor of the page before")}}


# --- bulk imports ---------------------------------------------------------------------------------------

IMPORT_FIELDS = ["customer_name", "customer_email", "customer_phone", "locale", "timezone", "tier", "invoice_number",
                 "amount", "currency", "issued_on", "due_on", "description"]
_COLUMN = name(200, description="a column name in the file's header (matched ignoring case, spaces, . _ and *)")
IMPORT_MAPPING = {
    "type": "object",
    "additionalProperties": False,
    "description": "which column holds each field, how amounts and dates are written, defaults for absent fields",
    "properties": {
        "preset": {"type": "string", "enum": ["portal", "xero", "quickbooks"], "default": "portal",
                   "description": "column names (and number and date style) this mapping starts from"},
        "columns": {"type": "object", "additionalProperties": False, "properties": {
            f: {"oneOf": [_COLUMN, {"type": "array", "minItems": 1, "maxItems": 10, "items": _COLUMN}]}
            for f in IMPORT_FIELDS}},
        "decimal": {"type": "string", "enum": [".", ","], "description": "the decimal separator of amounts: "
                    "`1,250.00` or `1.250,00`"},
        "date_format": {"type": "string", "enum": ["YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY", "DD.MM.YYYY"]},
        "defaults": {"type": "object", "additionalProperties": False,
                     "description": "used where a row leaves the field empty (or the file has no such column)",
                     "properties": {"currency": CURRENCY, "locale": CUSTOMER["properties"]["locale"],  # type: ignore[index]
                                    "timezone": TIME_ZONE,
                                    "tier": CUSTOMER["properties"]["tier"]}},  # type: ignore[index]
    },
}
MAPPING_NAME = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[a-z0-9][a-z0-9_-]*$",
                "title": "mapping name (lower-case letters, digits, - and _)", "examples": ["my-erp"]}
START_IMPORT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "mapping": {"oneOf": [MAPPING_NAME, IMPORT_MAPPING],
                    "description": "a preset (portal, xero, quickbooks) or saved mapping by name, or a mapping"},
        "update": {"type": "boolean", "default": False,
                   "description": "rows whose invoice number has a case update its customer's contact details "
                                  "(name, email, phone, locale, time zone); never amounts, dates or currency"},
        "filename": name(255, description="shown back in the import's status"),
    },
}
IMPORT_QUERY = {  # the same choices as the body, for `POST /admin/imports?mapping=xero&update=true`
    "type": "object",
    "additionalProperties": False,
    "properties": {"mapping": MAPPING_NAME, "update": {"type": "string", "enum": ["true", "false"]}},
}
IMPORT_STATUS_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"after": {"type": "integer", "minimum": 0, "maximum": 9_999_999_999,
                             "description": "failures after this row (the answer's failures_after)"}},
}


# --- closing cases: partners, escalation, mediation, write-off, evidence packs ----------------------
# The kinds repeat domain/partners.py's KINDS (importing it here would load the domain at cold start);
# tests/api/test_partners.py checks they agree.
PARTNER_KINDS = ["collection_agency", "law_firm", "mediator"]

_PARTNER_FIELDS: dict[str, Any] = {
    "kind": {"type": "string", "enum": PARTNER_KINDS},
    "name": name(200),
    "email": CUSTOMER["properties"]["email"],  # type: ignore[index]
    "webhook_url": _str(2000, pattern=r"^https://[^\s\x00-\x1f\x7f-\x9f]+$", format="uri",
                        description="https only; outgoing webhooks to the partner (null removes it)"),
    "fee_bp": {"type": "integer", "minimum": 0, "maximum": 10_000,
               "description": "the partner's fee in basis points of what it collects (1500 = 15%)"},
    "min_balance": {"type": "object", "maxProperties": 50, "propertyNames": CURRENCY,
                    "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 10**13},
                    "description": "the smallest balance due the partner accepts, per currency in minor units "
                                   "(a currency not named: no minimum)"},
    "contact_customer": {"type": "boolean", "description": "whether the reminder ladder keeps contacting the "
                                                           "customer while the case is with the partner"},
}

PARTNER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["kind", "name", "email"],
    "properties": _PARTNER_FIELDS,
}

PARTNER_PATCH = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {**_PARTNER_FIELDS,
                   "webhook_url": {"anyOf": [_PARTNER_FIELDS["webhook_url"], {"type": "null"}]}},
}

PARTNER_ID = _str(20, pattern=r"^p[0-9a-f]{12}$")

ESCALATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["partner_id"],
    "properties": {"partner_id": PARTNER_ID,
                   "note": text(2000, description="for the partner (in its email) and the history")},
}

ESCALATION_OUTCOME = {
    "type": "object",
    "additionalProperties": False,
    "required": ["closed", "returned_to_broker"],  # every report says where the partner's file stands
    "properties": {
        "collected_amount": {"type": "integer", "minimum": 1, "maximum": 10**13,
                             "description": "minor units the partner collected: enters the ledger as a payment"},
        "collected_on": {"type": "string", "format": "date", "description": "with collected_amount; not in the future"},
        "partner_fee": {"type": "integer", "minimum": 0, "maximum": 10**13,
                        "description": "minor units; omit to use the partner's fee_bp of what was collected"},
        "closed": {"type": "boolean", "description": "the partner closed its file"},
        "returned_to_broker": {"type": "boolean", "description": "the case comes back: open again, the ladder "
                                                                 "resumes where it stood"},
        "note": text(2000),
    },
}

MEDIATION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["mediator_id", "hold_until"],
    "properties": {"mediator_id": PARTNER_ID,
                   "hold_until": {"type": "string", "format": "date-time",
                                  "description": "the ladder is held until then (at most a year ahead)"}},
}

WRITE_OFF = {
    "type": "object",
    "additionalProperties": False,
    "required": ["reason"],
    "properties": {
        "amount": {"type": "integer", "minimum": 1, "maximum": 10**13,
                   "description": "minor units; omit to write off everything due"},
        "reason": text(2000),
    },
}

PACK_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"locale": {"type": "string", "enum": list(LOCALES),
                              "description": "the statement's language (default: the broker's)"}},
}


# --- broker notifications ---------------------------------------------------------------------------

_ADDRESSES = {"type": "array", "maxItems": 10, "uniqueItems": True, "description": "email addresses of the team",
              "items": _str(254, pattern=EMAIL, format="email", title="email address", examples=["ar@example.com"])}
NOTIFICATIONS = {
    "type": "object",
    "additionalProperties": False,
    "description": "who hears about what, and when; anything left out takes its default",
    "properties": {
        "recipients": {**_ADDRESSES, "description": "where notices go unless one names its own; empty: the "
                                                    "broker's email"},
        "locale": {"type": "string", "enum": list(LOCALES), "default": "en"},
        "timezone": {**TIME_ZONE, "default": "UTC", "description": "decides when the broker's morning is"},
        "digest": {"type": "object", "additionalProperties": False, "properties": {
            "enabled": {"type": "boolean", "default": False},
            "hour": {"type": "integer", "minimum": 0, "maximum": 23, "default": 8,
                     "description": "local hour of the broker's morning, when the digest goes out"},
            "recipients": {**_ADDRESSES, "description": "empty: the notices' recipients"}}},
        "notices": {"type": "object", "additionalProperties": False, "properties": {
            notice: {"type": "object", "additionalProperties": False, "properties": {
                "delivery": {"type": "string", "enum": list(NOTICE_DELIVERIES), "default": "immediate",
                             "description": "digest needs the digest enabled"},
                "recipients": {**_ADDRESSES, "description": "empty: the preferences' recipients"}}}
            for notice in BROKER_NOTICES}},
        "large_payment": {"type": "object", "description": "currency -> the smallest payment (minor units) that "
                          "is a large payment; a currency left out: never", "additionalProperties": False,
                          "properties": {code: {"type": "integer", "minimum": 1, "maximum": 10**13}
                                         for code in sorted(EXPONENTS)}},
    },
}

NOTICE_LOG_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": DEFAULT_LIMIT},
        "cursor": _str(2048, pattern=r"^[A-Za-z0-9_=-]+$", description="next_cursor of the page before"),
    },
}


# --- staff: console sign-in, the team, API keys ---------------------------------------------------------
STAFF_ROLES = ["viewer", "collector", "owner"]
_EMAIL = {"type": "string", "minLength": 3, "maxLength": 128, "pattern": EMAIL}  # Cognito's username: 128 at most
# Cognito's own limits: a password is at most 256 characters; its policy (length, classes) is Cognito's check.
_PASSWORD = {"type": "string", "minLength": 1, "maxLength": 256, "writeOnly": True}
_NEW_PASSWORD = {**_PASSWORD, "minLength": 12, "description": "at least 12 characters, with upper and lower case "
                                                              "letters and a digit"}
_OTP = {"type": "string", "pattern": "^[0-9]{6}$", "description": "the 6-digit code of the authenticator app"}
_TOKEN = {"type": "string", "minLength": 1, "maxLength": 8192, "writeOnly": True}
CONSOLE_SIGN_IN = {"type": "object", "additionalProperties": False, "required": ["email", "password"],
                   "properties": {"email": _EMAIL, "password": _PASSWORD}}
CONSOLE_CHALLENGE = {"type": "object", "additionalProperties": False,
                     "required": ["email", "session", "challenge"], "properties": {
                         "email": _EMAIL, "session": {"type": "string", "minLength": 20, "maxLength": 2048},
                         "challenge": {"type": "string", "enum": ["SOFTWARE_TOKEN_MFA", "NEW_PASSWORD_REQUIRED"]},
                         "code": _OTP, "new_password": _NEW_PASSWORD}}
CONSOLE_REFRESH = {"type": "object", "additionalProperties": False, "required": ["refresh_token"],
                   "properties": {"refresh_token": _TOKEN}}
PASSWORD_FORGOT = {"type": "object", "additionalProperties": False, "required": ["email"],
                   "properties": {"email": _EMAIL}}
PASSWORD_RESET = {"type": "object", "additionalProperties": False, "required": ["email", "code", "new_password"],
                  "properties": {"email": _EMAIL, "code": {"type": "string", "pattern": "^[0-9]{4,10}$",
                                                           "description": "the code Cognito emailed"},
                                 "new_password": _NEW_PASSWORD}}
MFA_SETUP = {"type": "object", "additionalProperties": False, "required": ["access_token"],
             "properties": {"access_token": _TOKEN}}
MFA_VERIFY = {"type": "object", "additionalProperties": False, "required": ["access_token", "code"],
              "properties": {"access_token": _TOKEN, "code": _OTP}}
USER_INVITE = {"type": "object", "additionalProperties": False, "required": ["email", "name", "role"],
               "properties": {"email": _EMAIL, "name": name(100), "role": {"type": "string", "enum": STAFF_ROLES}}}
USER_ROLE = {"type": "object", "additionalProperties": False, "required": ["role"],
             "properties": {"role": {"type": "string", "enum": STAFF_ROLES}}}
API_KEY_CREATE = {"type": "object", "additionalProperties": False, "required": ["name"],
                  "properties": {"name": name(60, description="what the key is for, e.g. \"ERP sync\"")}}


# --- the console: policy preview, broker settings ----------------------------------------------------------

POLICY_PREVIEW = {
    "type": "object",
    "additionalProperties": False,
    "required": ["invoice"],
    "properties": {
        # Checked against POLICY on its own, so its errors name the same fields as PUT /admin/policy's.
        "policy": {"type": "object", "description": "a policy as PUT /admin/policy takes it; default: the current one"},
        "invoice": {
            "type": "object",
            "additionalProperties": False,
            "required": ["amount", "currency", "due_date", "timezone"],
            "properties": {
                "amount": INVOICE["properties"]["amount"],  # type: ignore[index]
                "currency": CURRENCY,
                "due_date": {"type": "string", "format": "date"},
                "timezone": TIME_ZONE,
                "language": {"type": "string", "enum": list(LOCALES)},
                "tier": CUSTOMER["properties"]["tier"],  # type: ignore[index]
            },
        },
    },
}

_CUSTOMER_FIELDS: dict[str, Any] = CUSTOMER["properties"]  # type: ignore[assignment]
BROKER_SETTINGS = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "email"],
    "properties": {
        "name": name(100, description="signs reminders; shown on the pay page"),
        "email": {**_CUSTOMER_FIELDS["email"], "description": "shown on the pay page; where broker notices go"},
        "phone": {**_CUSTOMER_FIELDS["phone"], "description": "shown on the pay page"},
        "reply_to": {**_CUSTOMER_FIELDS["email"], "description": "Reply-To of reminder emails (else email)"},
        "sender_name": name(100, description="From name of reminder emails (else name)"),
    },
}


# --- reports ---------------------------------------------------------------------------------------------

_DAY = {"type": "string", "format": "date", "maxLength": 10}
RECEIVABLES_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "as_of": {**_DAY, "description": "count days past due up to this date (default: today, broker's time zone)"},
        "currency": {"type": "string", "enum": sorted(EXPONENTS), "description": "only this currency"},
    },
}
PERFORMANCE_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "from": {**_DAY, "description": "first day (UTC) of the period (default: 29 days before `to`)"},
        "to": {**_DAY, "description": "last day (UTC), at most 366 days after `from` (default: today)"},
    },
}
FORECAST_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"days": {"type": "integer", "minimum": 1, "maximum": 31, "default": 7}},
}

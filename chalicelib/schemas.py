"""Request schemas (a small JSON Schema subset) used both to validate input and to publish OpenAPI.

One definition per body, so the document and the checks cannot disagree.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from chalicelib.domain.errors import InvalidInput, PayloadTooLarge
from chalicelib.domain.vocabulary import LOCALES, NOTE_KINDS, STATUSES

MAX_BODY_BYTES = 64 * 1024

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PHONE = r"^\+[1-9][0-9]{6,14}$"  # E.164, as SNS wants it
INVOICE_NUMBER = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"


def _str(max_length: int, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length, **extra}


CUSTOMER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "email"],
    "properties": {
        "name": _str(200),
        "email": _str(254, pattern=EMAIL, format="email"),
        "phone": _str(16, pattern=PHONE),
        "locale": {"type": "string", "enum": list(LOCALES)},
        "timezone": _str(64, format="timezone", description="IANA time zone, e.g. Europe/Berlin"),
        "tier": _str(40, pattern=r"^[a-z0-9_]+$"),
    },
}

INVOICE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["number", "amount", "currency", "issued_on", "due_on"],
    "properties": {
        "number": _str(64, pattern=INVOICE_NUMBER),
        "amount": {"type": "integer", "minimum": 1, "maximum": 10**13, "description": "minor units"},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217"},
        "issued_on": {"type": "string", "format": "date"},
        "due_on": {"type": "string", "format": "date"},
        "description": {"type": "string", "maxLength": 500},
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
    "properties": {"kind": {"type": "string", "enum": list(NOTE_KINDS)}, "text": _str(4000)},
}

EMPTY = {"type": "object", "additionalProperties": False, "properties": {}}

LIST_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "status": {"type": "string", "enum": list(STATUSES)},
        "limit": {"type": "string", "pattern": "^[0-9]{1,3}$", "description": "1 to 100, default 25"},
        "cursor": _str(2048),
    },
}


def parse_body(raw: bytes | None, schema: dict[str, Any]) -> dict[str, Any]:
    """Bytes -> validated dict. Size first, then JSON, then the schema; errors name the field."""
    raw = raw or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body is larger than {MAX_BODY_BYTES // 1024} KB", "body")
    if not raw.strip():
        body: Any = {}
    else:
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise InvalidInput("body is not valid JSON", "body") from None
    validate(body, schema)
    return body


def validate(value: Any, schema: dict[str, Any], path: str = "") -> None:
    name = path or "body"
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            raise InvalidInput("must be an object", name)
        props = schema.get("properties", {})
        for key in value:
            if key not in props and schema.get("additionalProperties") is False:
                raise InvalidInput("unknown field", _join(path, key))
        for key in schema.get("required", []):
            if key not in value or value[key] is None:
                raise InvalidInput("is required", _join(path, key))
        for key, sub in props.items():
            if key in value:
                validate(value[key], sub, _join(path, key))
        return
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput("must be an integer (money is in minor units)", name)
        if "minimum" in schema and value < schema["minimum"]:
            raise InvalidInput(f"must be at least {schema['minimum']}", name)
        if "maximum" in schema and value > schema["maximum"]:
            raise InvalidInput(f"must be at most {schema['maximum']}", name)
        return
    if kind == "string":
        _validate_string(value, schema, name)
        return
    raise ValueError(f"schema type {kind!r} is not supported")  # a bug in a schema, not bad input


def _validate_string(value: Any, schema: dict[str, Any], name: str) -> None:
    if not isinstance(value, str):
        raise InvalidInput("must be a string", name)
    if "enum" in schema and value not in schema["enum"]:
        raise InvalidInput(f"must be one of {', '.join(schema['enum'])}", name)
    if len(value) < schema.get("minLength", 0):
        raise InvalidInput("must not be empty", name)
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise InvalidInput(f"must be at most {schema['maxLength']} characters", name)
    if "pattern" in schema and not re.search(schema["pattern"], value):
        raise InvalidInput("has an invalid format", name)
    fmt = schema.get("format")
    if fmt == "date":
        try:
            date.fromisoformat(value)
            if len(value) != 10:
                raise ValueError
        except ValueError:
            raise InvalidInput("must be a date as YYYY-MM-DD", name) from None
    elif fmt == "date-time":
        try:
            if not datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo:
                raise ValueError
        except ValueError:
            raise InvalidInput("must be a date-time with a time zone, e.g. 2026-12-01T10:00:00Z", name) from None
    elif fmt == "timezone":
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # tz data is read only when a zone is checked

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput("must be an IANA time zone such as Europe/Berlin", name) from None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def bearer(header: str | None) -> str | None:
    """The credential of an `Authorization: Bearer ...` header, or None."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


# --- reminders (issue 3) --------------------------------------------------------------------------

PAUSE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "until": {"type": "string", "format": "date-time",
                  "description": "reminders resume by themselves then; omit to pause until resumed"},
        "reason": {"type": "string", "maxLength": 500},
    },
}

TIMELINE_QUERY = {  # other query parameters are ignored: they can never widen what a view shows
    "type": "object",
    "properties": {"before": {"type": "string", "pattern": "^[1-9][0-9]{0,9}$",
                              "description": "the older page: events before this sequence number "
                                             "(the view's events_before / timeline_before)"}},
}

POLICY_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"version": {"type": "string", "pattern": "^[0-9]{1,9}$", "description": "an older version"}},
}

# Any JSON object: the policy body is checked field by field by domain.policy.policy_from_dict, which
# names the field (`ladder[2].offset_days`); POLICY below is what the document publishes for it.
ANY_OBJECT: dict[str, Any] = {"type": "object"}

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
_LADDER = {"type": "array", "minItems": 1, "maxItems": 20, "items": _STEP}

POLICY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["ladder"],
    "properties": {
        "ladder": _LADDER,
        "tiers": {"type": "array", "maxItems": 20, "items": {
            "type": "object", "additionalProperties": False, "required": ["tier", "ladder"],
            "properties": {"tier": {"type": "string", "pattern": "^[a-z0-9_]{1,40}$"}, "ladder": _LADDER}}},
        "contact": {"type": "object", "additionalProperties": False, "properties": {
            "window_start": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "default": "08:00"},
            "window_end": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "default": "21:00"},
            "days": {"type": "array", "items": {"type": "string", "enum": [
                "mon", "tue", "wed", "thu", "fri", "sat", "sun"]}, "minItems": 1, "uniqueItems": True},
            "max_contacts": {"type": "integer", "minimum": 1, "maximum": 50, "default": 3},
            "per_days": {"type": "integer", "minimum": 1, "maximum": 31, "default": 7}}},
        "late_fee": {"type": ["object", "null"], "additionalProperties": False, "required": ["kind"], "properties": {
            "kind": {"type": "string", "enum": ["fixed", "percentage", "greater_of"]},
            "fixed_amount": {"type": "integer", "minimum": 0, "description": "minor units of the invoice currency"},
            "rate_bp": {"type": "integer", "minimum": 0, "description": "basis points of the principal"},
            "cap": {"type": ["integer", "null"], "minimum": 1},
            "grace_days": {"type": "integer", "minimum": 0, "maximum": 365}}},
        "interest": {"type": "object", "additionalProperties": False, "properties": {
            "regime": {"type": "string", "enum": ["none", "contractual", "eu", "uk"]},
            "country": {"type": ["string", "null"], "pattern": "^[A-Z]{2}$"},
            "rate_bp": {"type": ["integer", "null"], "minimum": 0, "maximum": 10000},
            "carry_forward_rates": {"type": "boolean", "default": True}}},
        "discount": {"type": ["object", "null"], "additionalProperties": False, "required": ["rate_bp", "days"],
                     "properties": {"rate_bp": {"type": "integer", "minimum": 1, "maximum": 10000},
                                    "days": {"type": "integer", "minimum": 0, "maximum": 365}}},
        "sender": {"type": "object", "additionalProperties": False, "properties": {
            "from_email": {"type": "string", "format": "email"},
            "from_name": {"type": ["string", "null"], "maxLength": 100},
            "reply_to": {"type": ["string", "null"], "format": "email"}}},
    },
}


# --- payments (issue 4) ---------------------------------------------------------------------------

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


# --- self-service (issue 5): disputes, promise to pay, "I already paid", fresh links ---------------
# The word lists repeat domain/customer_rules.py's (importing it here would load the ladder at cold
# start); tests/unit/test_dispute_promise_rules.py checks they agree.

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024

DISPUTE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["reason", "message"],
    "properties": {
        "reason": {"type": "string", "enum": ["not_received", "wrong_amount", "quality", "already_paid", "other"]},
        "message": _str(4000, description="what happened, in the customer's words (the broker reads it)"),
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
        "filename": _str(255),
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
        "reference": _str(200, description="the bank's reference, cheque number or receipt"),
    },
}

LINK_REFRESH = {
    "type": "object",
    "additionalProperties": False,
    "required": ["token"],
    "properties": {"token": _str(4096, description="the pay token of the link that stopped working")},
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
        "message": _str(4000, description="the answer, emailed to the customer"),
        "mediator": _str(200, description="mediation only: who mediates"),
        "until": {"type": "string", "format": "date-time",
                  "description": "mediation only: reminders stay paused until then (at most a year ahead)"},
    },
}

POLICY["properties"]["self_service"] = {  # type: ignore[index]
    "type": "object", "additionalProperties": False, "properties": {
        "promise_max_days": {"type": "integer", "minimum": 1, "maximum": 90, "default": 14},
        "already_paid_pause_days": {"type": "integer", "minimum": 1, "maximum": 30, "default": 5},
        "dispute_reminder_days": {"type": "integer", "minimum": 1, "maximum": 60, "default": 7}}}


# --- installment plans (issue 5) ------------------------------------------------------------------
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
        "min_installment_amount": {"type": "integer", "minimum": 1, "default": 1000,
                                   "description": "minor units of the invoice currency"},
        "min_first_percent": {"type": "integer", "minimum": 0, "maximum": 100, "default": 0},
        "max_days": {"type": "integer", "minimum": 7, "maximum": 730, "default": 180,
                     "description": "the last installment at most this many days after the first"},
        "min_due": {"type": "integer", "minimum": 0, "default": 0,
                    "description": "balances (minor units) from which plans are offered"},
        "max_due": {"type": ["integer", "null"], "minimum": 1, "description": "and up to which; null: no limit"},
        "retry_days": {"type": "array", "maxItems": 5, "items": {"type": "integer", "minimum": 1, "maximum": 60},
                       "default": [1, 3, 7], "description": "a failed installment is tried again these days "
                                                            "after its due date; then the plan defaults"}}}

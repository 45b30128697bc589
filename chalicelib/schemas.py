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
                   "description": "minor units; omit to pay everything due. A part payment is at least 10% of "
                                  "the amount due (or the whole remainder if smaller)"},
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

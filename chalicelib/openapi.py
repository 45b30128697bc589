"""The OpenAPI 3.1 document, built from the same schemas that validate requests."""
from __future__ import annotations

from typing import Any

from chalicelib import schemas
from chalicelib.domain.vocabulary import STATUSES

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "field"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": ["string", "null"]}}}},
}
BALANCE = {"type": "object", "properties": {k: {"type": "integer"} for k in (
    "principal", "fees", "interest", "discount", "paid", "due", "credit")} | {"currency": {"type": "string"}}}
EVENT = {"type": "object", "properties": {
    "seq": {"type": "integer"}, "type": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
    "actor": {"type": "string", "enum": ["broker", "customer", "system", "stripe"]}, "data": {"type": "object"}}}
CASE_SUMMARY = {"type": "object", "properties": {
    "case_id": {"type": "string"}, "status": {"type": "string", "enum": list(STATUSES)},
    "customer": {"type": "object"}, "invoice": {"type": "object"}, "balance": BALANCE,
    "next_action_at": {"type": ["string", "null"], "format": "date-time"},
    "created_at": {"type": "string"}, "updated_at": {"type": "string"}, "version": {"type": "integer"}}}
ADMIN_CASE = {"type": "object", "allOf": [CASE_SUMMARY], "properties": {
    "events": {"type": "array", "items": EVENT}, "link": {"type": "object"},
    "pay_url": {"type": "string", "format": "uri"}}}
CASE_LIST = {"type": "object", "properties": {
    "items": {"type": "array", "items": CASE_SUMMARY}, "next_cursor": {"type": ["string", "null"]}}}
LINK = {"type": "object", "properties": {
    "pay_url": {"type": "string"}, "link_id": {"type": "string"}, "link_version": {"type": "integer"},
    "expires_at": {"type": "string", "format": "date-time"}}}
CUSTOMER_CASE = {"type": "object", "properties": {
    "case_id": {"type": "string"}, "status": {"type": "string"}, "broker": {"type": "object"},
    "customer": {"type": "object"}, "invoice": {"type": "object"}, "balance": BALANCE,
    "link_expires_at": {"type": "string"}, "timeline": {"type": "array", "items": EVENT}}}

# (path, method) -> summary, security, request body schema, success status, response schema, query schema
ROUTES: dict[tuple[str, str], dict[str, Any]] = {
    ("/admin/cases", "POST"): {"summary": "Open a case for an overdue invoice", "security": "broker",
                               "request": schemas.CREATE_CASE, "status": 201, "response": ADMIN_CASE,
                               "headers": ["Idempotency-Key"]},
    ("/admin/cases", "GET"): {"summary": "List cases, newest first", "security": "broker",
                              "query": schemas.LIST_QUERY, "response": CASE_LIST},
    ("/admin/cases/{case_id}", "GET"): {"summary": "A case with its whole timeline", "security": "broker",
                                        "response": ADMIN_CASE},
    ("/admin/cases/{case_id}/notes", "POST"): {"summary": "Record a call, email, meeting or note",
                                               "security": "broker", "request": schemas.ADD_NOTE,
                                               "status": 201, "response": ADMIN_CASE},
    ("/admin/cases/{case_id}/links", "POST"): {"summary": "Issue a new pay link, revoking earlier ones",
                                               "security": "broker", "status": 201, "response": LINK},
    ("/customer/case", "GET"): {"summary": "The case a pay link reaches (customer view)",
                                "security": "pay_token", "response": CUSTOMER_CASE},
    ("/openapi.json", "GET"): {"summary": "This document", "security": None, "response": {"type": "object"}},
}


# --- reminders (issue 3) --------------------------------------------------------------------------
REMINDERS = {"type": "object", "description": "where the case stands on its reminder ladder", "properties": {
    "next_action_at": {"type": ["string", "null"], "format": "date-time"},
    "next_step": {"type": "object", "properties": {
        "step": {"type": ["object", "null"]}, "at": {"type": ["string", "null"], "format": "date-time"},
        "reason": {"type": "string"}, "skipped": {"type": "array", "items": {"type": "string"}}}},
    "policy_version": {"type": "integer"}, "last_step": {"type": ["string", "null"]},
    "final_sent": {"type": "boolean"}, "paused": {"type": ["object", "null"]},
    "halted": {"type": ["string", "null"]}, "sms_opted_out": {"type": "boolean"}}}
ADMIN_CASE["properties"]["reminders"] = REMINDERS  # type: ignore[index]
POLICY_VIEW = {"type": "object", "properties": {
    "version": {"type": "integer", "description": "0: the default policy, never changed"},
    "updated_at": {"type": ["string", "null"], "format": "date-time"},
    "updated_by": {"type": ["string", "null"]}, "is_default": {"type": "boolean"}, "policy": schemas.POLICY}}
ROUTES.update({
    ("/admin/policy", "GET"): {"summary": "The reminder policy in force (or an older version)", "security": "broker",
                               "query": schemas.POLICY_QUERY, "response": POLICY_VIEW},
    ("/admin/policy", "PUT"): {"summary": "Replace the reminder policy: stored as a new version, the old ones kept",
                               "security": "broker", "request": schemas.POLICY, "response": POLICY_VIEW},
    ("/admin/cases/{case_id}/pause", "POST"): {"summary": "Pause the case's reminders, until a time or until resumed",
                                               "security": "broker", "request": schemas.PAUSE,
                                               "response": ADMIN_CASE},
    ("/admin/cases/{case_id}/resume", "POST"): {"summary": "Resume reminders where the ladder stood",
                                                "security": "broker", "request": schemas.EMPTY,
                                                "response": ADMIN_CASE},
})



# --- payments (issue 4) ---------------------------------------------------------------------------
PAYMENT = {"type": "object", "properties": {
    "reference": {"type": "string", "description": "Stripe PaymentIntent id, or offline:<reference>"},
    "source": {"type": "string", "enum": ["stripe", "offline"]},
    "state": {"type": "string", "enum": ["", "pending", "failed", "succeeded"]},
    "amount": {"type": "integer"}, "refunded": {"type": "integer"}, "discount": {"type": "integer"},
    "counted": {"type": "integer", "description": "what the payment counts towards the balance now"},
    "method": {"type": ["string", "null"]}, "received_on": {"type": ["string", "null"], "format": "date"},
    "chargebacks": {"type": "array", "items": {"type": "object", "properties": {
        "dispute_id": {"type": "string"}, "amount": {"type": "integer"},
        "status": {"type": "string", "enum": ["open", "won", "lost"]}, "reason": {"type": ["string", "null"]}}}}}}
PAYMENTS = {"type": "object", "description": "every payment by its reference; flags such as an open chargeback",
            "properties": {"items": {"type": "array", "items": PAYMENT}, "pending": {"type": "integer"},
                           "flags": {"type": "array", "items": {"type": "string", "enum": ["chargeback"]}}}}
ADMIN_CASE["properties"]["payments"] = PAYMENTS  # type: ignore[index]
CHECKOUT_URL = {"type": "object", "required": ["checkout_url"], "properties": {
    "checkout_url": {"type": "string", "format": "uri", "description": "Stripe Checkout: send the browser there"}}}
WEBHOOK_RESULT = {"type": "object", "required": ["received"], "properties": {
    "received": {"type": "boolean"},
    "outcome": {"type": "string", "enum": ["recorded", "duplicate", "no_change", "ignored"]}}}
ROUTES.update({
    ("/customer/checkout", "POST"): {
        "summary": "Start paying: a Stripe Checkout for the whole amount due or a part of it (server-priced)",
        "security": "pay_token", "request": schemas.CHECKOUT, "response": CHECKOUT_URL},
    ("/webhooks/stripe", "POST"): {
        "summary": "Stripe's events, verified with the endpoint secret (Stripe-Signature) and acted on once",
        "security": None, "request": {"type": "object", "description": "a Stripe event, as Stripe signed it"},
        "response": WEBHOOK_RESULT, "headers": ["Stripe-Signature"]},
    ("/admin/cases/{case_id}/payments", "POST"): {
        "summary": "Record money received outside Stripe (idempotent on reference)", "security": "broker",
        "request": schemas.OFFLINE_PAYMENT, "status": 201, "response": ADMIN_CASE},
})

def _operation(path: str, spec: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": spec["summary"], "responses": {
        str(spec.get("status", 200)): {"description": "OK", "content": {
            "application/json": {"schema": spec["response"]}}},
    }}
    for status, text in (("400", "Bad input: the error names the field"), ("401", "Missing or bad credentials"),
                         ("404", "Not found (or another broker's)"), ("409", "Conflicts with the case's state"),
                         ("413", "Body over 64 KB")):
        op["responses"][status] = {"description": text, "content": {"application/json": {"schema": ERROR}}}
    if spec["security"]:
        op["security"] = [{spec["security"]: []}]
    params = [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "string"}}] \
        if "{case_id}" in path else []
    for name, schema in spec.get("query", {}).get("properties", {}).items():
        params.append({"name": name, "in": "query", "required": False, "schema": schema})
    params += [{"name": h, "in": "header", "required": False, "schema": {"type": "string", "maxLength": 255}}
               for h in spec.get("headers", [])]
    if params:
        op["parameters"] = params
    if "request" in spec:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": spec["request"]}}}
    return op


def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for (path, method), spec in ROUTES.items():
        paths.setdefault(path, {})[method.lower()] = _operation(path, spec)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Collections portal API", "version": "1.0.0"},
        "paths": paths,
        "components": {"securitySchemes": {
            "broker": {"type": "http", "scheme": "bearer", "description": "Broker API key (portal broker create)"},
            "pay_token": {"type": "http", "scheme": "bearer", "description": "Signed pay-link token"},
        }},
    }

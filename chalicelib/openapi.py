"""The OpenAPI 3.1 document, built from the same schemas that validate requests (chalicelib/validation.py)."""
from __future__ import annotations

from typing import Any

from chalicelib import schemas
from chalicelib.domain.vocabulary import STATUSES

ERROR = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {"error": {"type": "object", "required": ["code", "message", "field"], "additionalProperties": False,
                             "properties": {
        "code": {"type": "string", "description": "stable, for programs: invalid_input, unauthorized, not_found..."},
        "message": {"type": "string", "description": "for people"},
        "field": {"type": ["string", "null"], "description": "the field at fault, e.g. customer.email, "
                                                             "ladder[2].offset_days, body, Stripe-Signature"}}}},
}
BALANCE = {"type": "object", "properties": {k: {"type": "integer"} for k in (
    "principal", "fees", "interest", "discount", "paid", "due", "credit")} | {"currency": schemas.CURRENCY}}
EVENT = {"type": "object", "properties": {
    "seq": {"type": "integer"}, "type": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
    "actor": {"type": "string", "enum": ["broker", "customer", "system", "stripe"]}, "data": {"type": "object"}}}
CURRENCY_VIEW = {"type": "object", "required": ["code", "exponent"], "description": "how to show this case's amounts",
                 "properties": {"code": schemas.CURRENCY, "exponent": {
                     "type": "integer", "minimum": 0, "maximum": 3,
                     "description": "minor-unit digits, as Stripe counts them: amount / 10**exponent is the figure"}}}
CASE_SUMMARY = {"type": "object", "properties": {
    "case_id": {"type": "string"}, "status": {"type": "string", "enum": list(STATUSES)},
    "customer": {"type": "object"}, "invoice": {"type": "object"}, "balance": BALANCE, "currency": CURRENCY_VIEW,
    "next_action_at": {"type": ["string", "null"], "format": "date-time"},
    "created_at": {"type": "string"}, "updated_at": {"type": "string"}, "version": {"type": "integer"}}}
ADMIN_CASE = {"type": "object", "allOf": [CASE_SUMMARY], "properties": {
    "events": {"type": "array", "items": EVENT, "description": "the newest page of the timeline (at most 100)"},
    "events_before": {"type": ["integer", "null"], "description": "?before= for the older page; null: none"},
    "history_verified": {"type": "boolean", "description": "the events shown are intact (hash chain) and the "
                                                           "newest page ends at the case's head hash"},
    "link": {"type": "object"},
    "pay_url": {"type": "string", "format": "uri"}}}
CASE_LIST = {"type": "object", "properties": {
    "items": {"type": "array", "items": CASE_SUMMARY}, "next_cursor": {"type": ["string", "null"]}}}
LINK = {"type": "object", "properties": {
    "pay_url": {"type": "string"}, "link_id": {"type": "string"}, "link_version": {"type": "integer"},
    "expires_at": {"type": "string", "format": "date-time"}}}
CUSTOMER_CASE = {"type": "object", "properties": {
    "case_id": {"type": "string"}, "status": {"type": "string"}, "broker": {"type": "object"},
    "customer": {"type": "object"}, "invoice": {"type": "object"}, "balance": BALANCE,
    "link_expires_at": {"type": "string"}, "timeline": {"type": "array", "items": EVENT},
    "timeline_before": {"type": ["integer", "null"], "description": "?before= for the older page; null: none"},
    "currency": CURRENCY_VIEW,
    "pay": {"type": "object", "description": "what paying now charges, and why, before any click", "properties": {
        "currency": CURRENCY_VIEW,
        "payable_now": {"type": ["integer", "null"], "description": "minor units Checkout charges for everything "
                                                                    "(after any discount); null: nothing to pay"},
        "discount": {"type": ["object", "null"], "properties": {
            "amount": {"type": "integer"}, "until": {"type": "string", "format": "date"}}},
        "part": {"type": ["object", "null"], "description": "the part payments allowed; null: only the whole",
                 "properties": {"min": {"type": "integer"}, "max": {"type": "integer"}}},
        "minimum_charge": {"type": "integer", "description": "Stripe's smallest card payment in this currency"},
        "blocked": {"type": ["string", "null"], "enum": ["small_remainder", None],
                    "description": "small_remainder: less is left than a card can pay; the broker settles it"}}}}}

# (path, method) -> summary, security, request body schema, success status, response schema, query schema
ROUTES: dict[tuple[str, str], dict[str, Any]] = {
    ("/admin/cases", "POST"): {"summary": "Open a case for an overdue invoice", "security": "broker",
                               "request": schemas.CREATE_CASE, "status": 201, "response": ADMIN_CASE,
                               "headers": {"Idempotency-Key": schemas.IDEMPOTENCY_KEY}},
    ("/admin/cases", "GET"): {"summary": "List cases, newest first", "security": "broker",
                              "query": schemas.LIST_QUERY, "response": CASE_LIST},
    ("/admin/cases/{case_id}", "GET"): {"summary": "A case with the newest page of its timeline", "security": "broker",
                                        "query": schemas.TIMELINE_QUERY, "response": ADMIN_CASE},
    ("/admin/cases/{case_id}/verify", "GET"): {
        "summary": "Check the whole timeline against the anchored head hashes; names the first bad event",
        "security": "broker",
        "response": {"type": "object", "required": ["verified", "first_bad_event"], "properties": {
            "verified": {"type": "boolean"}, "version": {"type": "integer"}, "anchored_version": {"type": "integer"},
            "first_bad_event": {"type": ["object", "null"], "properties": {
                "seq": {"type": "integer"}, "problem": {"type": "string"}}}}}},
    ("/admin/cases/{case_id}/notes", "POST"): {"summary": "Record a call, email, meeting or note",
                                               "security": "broker", "request": schemas.ADD_NOTE,
                                               "status": 201, "response": ADMIN_CASE},
    ("/admin/cases/{case_id}/links", "POST"): {"summary": "Issue a new pay link, revoking earlier ones",
                                               "security": "broker", "status": 201, "response": LINK},
    ("/customer/case", "GET"): {"summary": "The case a pay link reaches (customer view)",
                                "security": "pay_token", "query": schemas.TIMELINE_QUERY, "response": CUSTOMER_CASE},
    ("/openapi.json", "GET"): {"summary": "This document", "security": None, "response": {"type": "object"},
                               "errors": []},
}


# --- reminders --------------------------------------------------------------------------
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



# --- payments ---------------------------------------------------------------------------
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
                           "flags": {"type": "array", "items": {"type": "string",
                                                                "enum": ["chargeback", "small_remainder"]}}}}
ADMIN_CASE["properties"]["payments"] = PAYMENTS  # type: ignore[index]
CHECKOUT_URL = {"type": "object", "required": ["checkout_url"], "properties": {
    "checkout_url": {"type": "string", "format": "uri", "description": "Stripe Checkout: send the browser there"}}}
WEBHOOK_RESULT = {"type": "object", "required": ["received"], "properties": {
    "received": {"type": "boolean"},
    "outcome": {"type": "string", "enum": ["recorded", "duplicate", "no_change", "ignored"]}}}
ROUTES.update({
    ("/customer/checkout", "POST"): {
        "summary": "Start paying: a Stripe Checkout for the whole amount due or a part of it (server-priced)",
        "security": "pay_token", "request": schemas.CHECKOUT, "response": CHECKOUT_URL,
        "errors": [400, 401, 409, 413, 502]},
    ("/webhooks/stripe", "POST"): {
        "summary": "Stripe's events, verified with the endpoint secret (Stripe-Signature) and acted on once",
        "security": None, "request": {"type": "object", "description": "a Stripe event, as Stripe signed it"},
        "response": WEBHOOK_RESULT, "headers": {"Stripe-Signature": schemas.STRIPE_SIGNATURE},
        "errors": [400, 409, 502], "body_required": True},
    ("/admin/cases/{case_id}/payments", "POST"): {
        "summary": "Record money received outside Stripe (idempotent on reference)", "security": "broker",
        "request": schemas.OFFLINE_PAYMENT, "status": 201, "also": [200], "response": ADMIN_CASE},
})

# --- self-service: disputes, promise to pay, "I already paid", fresh links ---------------
ATTACHMENT = {"type": "object", "properties": {
    "attachment_id": {"type": "string"}, "key": {"type": "string", "description": "the S3 object key"},
    "filename": {"type": "string"}, "content_type": {"type": "string"}, "size": {"type": "integer"},
    "added_at": {"type": "string", "format": "date-time"},
    "download_url": {"type": "string", "format": "uri", "description": "GET /admin/cases/{case_id} only"}}}
DISPUTE = {"type": "object", "properties": {
    "dispute_id": {"type": "string"}, "reason": {"type": "string"}, "message": {"type": "string"},
    "amount": {"type": ["integer", "null"], "description": "null: the whole balance"},
    "disputed": {"type": "integer"},
    "status": {"type": "string", "enum": ["open", "mediation", "mediation_ended", "upheld", "partially_upheld",
                                          "rejected"]},
    "opened_at": {"type": "string", "format": "date-time"}, "raised": {"type": "integer"},
    "attachments": {"type": "array", "items": ATTACHMENT}, "outcome_message": {"type": ["string", "null"]},
    "credit": {"type": "integer"}, "mediator": {"type": ["string", "null"]},
    "until": {"type": ["string", "null"], "format": "date-time"},
    "resolved_at": {"type": ["string", "null"], "format": "date-time"}}}
PROMISE = {"type": ["object", "null"], "properties": {
    "pay_by": {"type": "string", "format": "date"}, "status": {"type": "string", "enum": ["open", "missed",
                                                                                           "superseded"]}}}
ADMIN_CASE["properties"]["disputes"] = {"type": "array", "items": DISPUTE}  # type: ignore[index]
ADMIN_CASE["properties"]["promise"] = PROMISE  # type: ignore[index]
ADMIN_CASE["properties"]["payment_reports"] = {"type": "array", "items": {  # type: ignore[index]
    "type": "object", "properties": {k: {"type": "string"} for k in (
        "paid_on", "method", "reference", "reported_at", "pause_until")}}}
CUSTOMER_CASE["properties"]["dispute"] = {"type": ["object", "null"], "properties": {  # type: ignore[index]
    k: DISPUTE["properties"][k] for k in ("dispute_id", "reason", "amount", "status")} | {  # type: ignore[index]
    "files": {"type": "integer"}}}
CUSTOMER_CASE["properties"]["promise"] = PROMISE  # type: ignore[index]
DISPUTE_ANSWER = {"type": "object", "allOf": [CUSTOMER_CASE], "required": ["dispute_id"], "properties": {
    "dispute_id": {"type": "string", "description": "for POST /customer/dispute/attachments"}}}
UPLOAD_SLOT = {"type": "object", "required": ["url", "fields"], "properties": {
    "url": {"type": "string", "format": "uri"},
    "fields": {"type": "object", "description": "form fields to POST (multipart) before the file, sent last as "
                                                "`file`; S3 takes PDF, PNG or JPEG up to 10 MB",
               "additionalProperties": {"type": "string"}},
    "dispute_id": {"type": "string"}, "attachment_id": {"type": "string"}, "key": {"type": "string"},
    "max_bytes": {"type": "integer"}, "expires_in": {"type": "integer", "description": "seconds"}}}
REFRESH_ANSWER = {"type": "object", "required": ["status"], "properties": {
    "status": {"type": "string", "enum": ["sent if eligible"],
               "description": "the same answer whatever happened: a fresh link goes by email to the address on "
                              "file when the link had expired, was the current one, and the daily limit allows"}}}
ROUTES.update({
    ("/customer/dispute", "POST"): {
        "summary": "Dispute the whole balance or a part of it: reminders pause, the broker is told",
        "security": "pay_token", "request": schemas.DISPUTE, "status": 201, "also": [200],
        "response": DISPUTE_ANSWER},
    ("/customer/dispute/attachments", "POST"): {
        "summary": "An upload slot for one evidence file (S3 presigned POST), recorded on the dispute",
        "security": "pay_token", "request": schemas.DISPUTE_ATTACHMENT, "status": 201, "also": [200],
        "response": UPLOAD_SLOT, "errors": [400, 401, 404, 409, 413]},
    ("/customer/promise", "POST"): {
        "summary": "Promise to pay by a date: reminders pause until then, and resume if it is missed",
        "security": "pay_token", "request": schemas.PROMISE, "status": 201, "also": [200],
        "response": CUSTOMER_CASE},
    ("/customer/already-paid", "POST"): {
        "summary": "Report a payment made elsewhere: reminders pause while the broker checks it",
        "security": "pay_token", "request": schemas.ALREADY_PAID, "status": 201, "also": [200],
        "response": CUSTOMER_CASE},
    ("/customer/link-refresh", "POST"): {
        "summary": "Ask for a fresh link by email, with the token of one that expired (no Authorization header)",
        "security": None, "request": schemas.LINK_REFRESH, "status": 202, "response": REFRESH_ANSWER,
        "errors": [400, 413]},
    ("/admin/cases/{case_id}/disputes/{dispute_id}/resolve", "POST"): {
        "summary": "Answer a dispute: upheld or partially upheld (a credit), rejected, or mediation until a date",
        "security": "broker", "request": schemas.RESOLVE_DISPUTE, "status": 200, "response": ADMIN_CASE},
})

# --- installment plans ----------------------------------------------------------------------
SCHEDULE_ROW = {"type": "object", "properties": {
    "due_on": {"type": "string", "format": "date"}, "amount": {"type": "integer", "description": "minor units"}}}
PLAN_OFFER = {"type": "object", "properties": {
    "offer_id": {"type": "string", "description": "for POST /customer/plan"},
    "installments": {"type": "integer"}, "interval": {"type": "string", "enum": schemas.PLAN_INTERVALS},
    "first_amount": {"type": "integer", "description": "paid at checkout when the plan starts"},
    "currency": {"type": "string"}, "total": {"type": "integer"},
    "custom": {"type": "boolean", "description": "offered by the broker for this case"},
    "schedule": {"type": "array", "items": SCHEDULE_ROW}}}
PLAN = {"type": ["object", "null"], "description": "the case's installment plan (the current one, or the last that "
        "ended) with its schedule", "properties": {
    "plan_id": {"type": "string"}, "state": {"type": "string", "enum": ["active", "completed", "defaulted"]},
    "interval": {"type": "string"}, "currency": {"type": "string"}, "custom": {"type": "boolean"},
    "started_at": {"type": "string", "format": "date-time"},
    "ended_at": {"type": ["string", "null"], "format": "date-time"},
    "next_charge_at": {"type": ["string", "null"], "format": "date-time"},
    "installments": {"type": "integer"}, "paid": {"type": "integer"},
    "schedule": {"type": "array", "items": {"type": "object", "properties": {
        "number": {"type": "integer"}, "due_on": {"type": "string", "format": "date"},
        "amount": {"type": "integer", "description": "what was charged, once paid; else what is scheduled"},
        "scheduled": {"type": "integer", "description": "what the plan scheduled"},
        "status": {"type": "string", "enum": ["scheduled", "paid", "retrying", "action_required", "missed",
                                              "cancelled"]},
        "attempts": {"type": "integer"}, "retry_on": {"type": ["string", "null"], "format": "date"}}}},
    "pay_now": {"type": ["object", "null"], "description": "a failed installment POST /customer/checkout (no "
                "amount) pays", "properties": {"installment": {"type": "integer"}, "amount": {"type": "integer"}}}}}
CUSTOMER_CASE["properties"]["plan"] = PLAN  # type: ignore[index]
CUSTOMER_CASE["properties"]["plan_offers"] = {"type": "array", "items": PLAN_OFFER,  # type: ignore[index]
                                              "description": "empty when no plan may start"}
ADMIN_CASE["properties"]["plan"] = PLAN  # type: ignore[index]
ADMIN_CASE["properties"]["custom_plan_offers"] = {"type": "array", "items": {  # type: ignore[index]
    "type": "object", "properties": {"installments": {"type": "integer"}, "interval": {"type": "string"},
                                     "first_amount": {"type": ["integer", "null"]},
                                     "created_at": {"type": "string", "format": "date-time"}}}}
ROUTES.update({
    ("/customer/plan", "POST"): {
        "summary": "Choose a plan offer: Stripe Checkout for its first installment, saving the card for the rest",
        "security": "pay_token", "request": schemas.CHOOSE_PLAN, "response": CHECKOUT_URL,
        "errors": [400, 401, 409, 413, 502]},
    ("/admin/cases/{case_id}/plan-offers", "POST"): {
        "summary": "Offer this case a plan of its own (beside the policy's offers); the same offer again: 200",
        "security": "broker", "request": schemas.PLAN_OFFER, "status": 201, "also": [200],
        "response": {"type": "object", "allOf": [ADMIN_CASE], "properties": {"offer": PLAN_OFFER}}},
})


ERRORS = {400: "Bad input: the error names the field", 401: "Missing or bad credentials",
          404: "Not found (or another broker's)", 409: "Conflicts with the case's state (or a concurrent change)",
          413: "Body over 64 KB", 502: "The payment provider failed; nothing was changed"}


def _errors(path: str, method: str, spec: dict[str, Any]) -> list[int]:
    """The error statuses a route can answer, unless its spec lists them."""
    if "errors" in spec:
        return list(spec["errors"])
    statuses = [400] if "request" in spec or "query" in spec or "{" in path or spec.get("headers") else []
    statuses += [401] if spec["security"] else []
    statuses += [404] if "{" in path or "query" in spec else []
    statuses += [409, 413] if method != "GET" else []
    return statuses


def _operation(path: str, method: str, spec: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": spec["summary"], "responses": {
        str(spec.get("status", 200)): {"description": "OK", "content": {
            "application/json": {"schema": spec["response"]}}},
    }}
    for extra in spec.get("also", ()):  # e.g. 200 for a retried request that created nothing
        op["responses"][str(extra)] = {"description": "OK (a retry: the first answer again)", "content": {
            "application/json": {"schema": spec["response"]}}}
    for status in _errors(path, method, spec):
        op["responses"][str(status)] = {"description": ERRORS[status], "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    if spec["security"]:
        op["security"] = [{spec["security"]: []}]
    params = [{"name": seg[1:-1], "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
              for seg in path.split("/") if seg.startswith("{")]
    for name, schema in spec.get("query", {}).get("properties", {}).items():
        params.append({"name": name, "in": "query", "required": False, "schema": schema})
    params += [{"name": name, "in": "header", "required": name == "Stripe-Signature", "schema": schema}
               for name, schema in spec.get("headers", {}).items()]
    if params:
        op["parameters"] = params
    if "request" in spec:
        # Required when an empty body is refused; a body of optional fields only may be left out.
        needed = bool(spec["request"].get("required")) or spec.get("body_required", False)
        op["requestBody"] = {"required": needed, "content": {"application/json": {"schema": spec["request"]}}}
    return op


def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for (path, method), spec in ROUTES.items():
        paths.setdefault(path, {})[method.lower()] = _operation(path, method, spec)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Collections portal API", "version": "1.0.0", "description": (
            "Money is an integer in minor units of an ISO 4217 currency. Every error is JSON naming the field. "
            "Strings are Unicode text (I-JSON, RFC 7493: no lone surrogates); bodies nest at most 32 levels and "
            "are at most 64 KB.")},
        "paths": paths,
        "components": {
            "schemas": {**schemas.components(), "Error": ERROR},
            "securitySchemes": {
                "broker": {"type": "http", "scheme": "bearer", "description": "Broker API key (portal broker create)"},
                "pay_token": {"type": "http", "scheme": "bearer", "description": "Signed pay-link token"},
            }},
    }


# --- broker notifications ---------------------------------------------------------------------------
NOTIFICATIONS_VIEW = {"type": "object", "required": ["recipients", "locale", "timezone", "digest", "notices",
                                                     "large_payment", "updated_at"],
                      "additionalProperties": False, "properties": {
                          **schemas.NOTIFICATIONS["properties"],  # type: ignore[dict-item]
                          "updated_at": {"type": ["string", "null"], "format": "date-time",
                                         "description": "null: never set (the defaults)"}}}
ROUTES.update({
    ("/admin/notifications", "GET"): {"summary": "The broker's notification preferences (defaults filled in)",
                                      "security": "broker", "response": NOTIFICATIONS_VIEW},
    ("/admin/notifications", "PUT"): {"summary": "Replace the notification preferences", "security": "broker",
                                      "request": schemas.NOTIFICATIONS, "response": NOTIFICATIONS_VIEW},
})
NOTICE_LOG = {"type": "object", "required": ["items", "next_cursor"], "properties": {
    "items": {"type": "array", "items": {"type": "object", "required": ["at", "notice", "delivery"], "properties": {
        "at": {"type": "string", "format": "date-time"},
        "notice": {"type": "string", "description": "a notice type, or payment_received (kept for the digest)"},
        "delivery": {"type": "string", "enum": ["sent", "digest", "off", "failed", "recorded"]},
        "case_id": {"type": ["string", "null"]},
        "message_id": {"type": ["string", "null"], "description": "SES's message id of what was sent"}}}},
    "next_cursor": {"type": ["string", "null"]}}}
ROUTES[("/admin/notifications/log", "GET")] = {
    "summary": "The broker's notice log, newest first: each notice sent (with SES's message id), held for the "
               "digest, turned off or refused", "security": "broker", "query": schemas.NOTICE_LOG_QUERY,
    "response": NOTICE_LOG}

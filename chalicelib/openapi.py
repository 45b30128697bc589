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
    "actor": {"type": "string", "enum": ["broker", "customer", "system", "stripe"]}, "data": {"type": "object"},
    "by": {"type": "object", "required": ["kind", "id", "name"], "additionalProperties": False,
           "description": "the person (Cognito user) or API key that caused it; events from before staff sign-in "
                          "have none", "properties": {
               "kind": {"type": "string", "enum": ["user", "api_key"]}, "id": {"type": "string"},
               "name": {"type": "string"}}}}}
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
    "halted": {"type": ["string", "null"]}, "sms_opted_out": {"type": "boolean"},
    "email_suppressed": {"type": ["string", "null"], "enum": ["bounced", "complained", "suppressed", None],
                         "description": "why email to the customer stopped (SES bounce, complaint, or an address "
                                        "already suppressed for this broker); reminders go by SMS instead"}}}
ADMIN_CASE["properties"]["reminders"] = REMINDERS  # type: ignore[index]
POLICY_VIEW = {"type": "object", "properties": {
    "version": {"type": "integer", "description": "0: the default policy, never changed"},
    "updated_at": {"type": ["string", "null"], "format": "date-time"},
    "updated_by": {"oneOf": [{"type": "null"}, EVENT["properties"]["by"]],  # type: ignore[index]
                   "description": "who stored this version (null: the default policy)"},
    "is_default": {"type": "boolean"}, "policy": schemas.POLICY}}
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
    "download_url": {"type": "string", "format": "uri", "description": "GET /admin/cases/{case_id} only"},
    "view_url": {"type": "string", "format": "uri", "description": "GET /admin/cases/{case_id} only: the same "
                 "file served inline, for the console to show in a frame or an image"}}}
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

# --- bulk imports ----------------------------------------------------------------------------
IMPORT_STATUS = {"type": "object", "required": ["import_id", "status", "rows_total", "rows_done", "created", "updated",
                                                "skipped", "failed", "failures"], "properties": {
    "import_id": {"type": "string"},
    "status": {"type": "string", "enum": ["waiting_for_upload", "scanning", "importing", "finished", "failed"],
               "description": "scanning: the whole file is read once (header, encoding, row limit) before any case "
                              "is created"},
    "filename": {"type": "string"}, "update": {"type": "boolean"},
    "created_at": {"type": "string", "format": "date-time"},
    "finished_at": {"type": ["string", "null"], "format": "date-time"},
    "rows_total": {"type": ["integer", "null"], "description": "rows after the header; null until scanned"},
    "rows_done": {"type": "integer"}, "created": {"type": "integer"}, "updated": {"type": "integer"},
    "skipped": {"type": "integer", "description": "the invoice number already has a case"},
    "failed": {"type": "integer"},
    "message": {"type": ["string", "null"], "description": "why the whole import failed"},
    "failures": {"type": "array", "description": "failed rows in order, 100 at a time", "items": {
        "type": "object", "required": ["row", "field", "message"], "properties": {
            "row": {"type": "integer", "description": "the row number a spreadsheet shows (the header is 1)"},
            "field": {"type": "string", "description": "as the API names it: invoice.amount, customer.email"},
            "column": {"type": ["string", "null"], "description": "the file's column"},
            "message": {"type": "string", "description": "the API's message for the same value"}}}},
    "failures_after": {"type": ["integer", "null"], "description": "?after= for the next failures; null: none"}}}
# What the import.finished webhook carries: the import's status without its failed rows.
IMPORT_FINISHED = {"type": "object",
                   "required": ["import_id", "status", "rows_total", "rows_done", "created", "updated", "skipped",
                                "failed"],
                   "properties": {k: v for k, v in IMPORT_STATUS["properties"].items()  # type: ignore[attr-defined]
                                  if not k.startswith("failures")}}
IMPORT_SLOT = {"type": "object", "allOf": [IMPORT_STATUS], "required": ["upload"], "properties": {
    "upload": {"type": "object", "required": ["url", "fields"], "properties": {
        "url": {"type": "string", "format": "uri"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "form fields to POST (multipart) before the file, sent last as `file`"},
        "max_bytes": {"type": "integer"}, "expires_in": {"type": "integer", "description": "seconds"}}}}}
_MAPPING_VIEW = {"type": "object", "properties": {
    "columns": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    "decimal": {"type": "string"}, "date_format": {"type": "string"}, "defaults": {"type": "object"}}}
ROUTES.update({
    ("/admin/imports", "POST"): {
        "summary": "Start a bulk import of invoices from a CSV file: an upload slot (S3 presigned POST)",
        "security": "broker", "request": schemas.START_IMPORT, "query": schemas.IMPORT_QUERY, "status": 201,
        "response": IMPORT_SLOT, "errors": [400, 401, 413]},
    ("/admin/imports/{import_id}", "GET"): {
        "summary": "An import's progress and its failed rows", "security": "broker",
        "query": schemas.IMPORT_STATUS_QUERY, "response": IMPORT_STATUS},
    ("/admin/imports/{import_id}/failed.csv", "GET"): {
        "summary": "The failed rows as the file had them, with an error column: fix and upload again",
        "security": "broker", "content_type": "text/csv", "response": {"type": "string"}},
    ("/admin/import-mappings", "GET"): {
        "summary": "The built-in mappings (portal, xero, quickbooks) and the broker's saved ones", "security": "broker",
        "response": {"type": "object", "properties": {
            "presets": {"type": "object", "additionalProperties": _MAPPING_VIEW},
            "saved": {"type": "object", "additionalProperties": _MAPPING_VIEW}}}},
    ("/admin/import-mappings/{name}", "PUT"): {
        "summary": "Save a mapping under a name, for POST /admin/imports?mapping=name", "security": "broker",
        "request": schemas.IMPORT_MAPPING, "response": {"type": "object", "allOf": [_MAPPING_VIEW], "properties": {
            "name": {"type": "string"}}}, "errors": [400, 401, 413]},
})


# --- outbound webhooks ------------------------------------------------------------------------
WEBHOOK_ENDPOINT = {"type": "object", "required": ["endpoint_id", "url", "event_types", "enabled"], "properties": {
    "endpoint_id": {"type": "string"}, "url": {"type": "string"},
    "event_types": {"type": "array", "items": {"type": "string"}}, "enabled": {"type": "boolean"},
    "description": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
    "updated_at": {"type": "string", "format": "date-time"},
    "disabled_reason": {"type": ["string", "null"], "description": "set when the portal switched it off"}}}
WEBHOOK_CREATED = {"type": "object", "allOf": [WEBHOOK_ENDPOINT], "required": ["secret"], "properties": {
    "secret": {"type": "string", "description": "the signing secret (whsec_...): shown this once, keep it"}}}
WEBHOOK_DELIVERY = {"type": "object", "properties": {
    "event_id": {"type": "string"}, "type": {"type": "string"},
    "created": {"type": "string", "format": "date-time", "description": "when the event happened"},
    "status": {"type": "string", "enum": ["pending", "delivered", "failed", "cancelled"],
               "description": "failed: retries ran out after 3 days; cancelled: the endpoint was deleted or disabled"},
    "attempts": {"type": "integer"},
    "first_attempt_at": {"type": ["string", "null"], "format": "date-time"},
    "last_attempt_at": {"type": ["string", "null"], "format": "date-time"},
    "last_response_code": {"type": ["integer", "null"], "description": "null: no HTTP answer (see last_error)"},
    "last_error": {"type": ["string", "null"]},
    "next_attempt_at": {"type": ["string", "null"], "format": "date-time"},
    "delivered_at": {"type": ["string", "null"], "format": "date-time"}}}
ROUTES.update({
    ("/admin/webhooks", "POST"): {
        "summary": "Register a webhook endpoint; the answer carries its signing secret, shown once",
        "security": "broker", "request": schemas.WEBHOOK_CREATE, "status": 201, "response": WEBHOOK_CREATED},
    ("/admin/webhooks", "GET"): {"summary": "The broker's webhook endpoints", "security": "broker", "response": {
        "type": "object", "required": ["items"],
        "properties": {"items": {"type": "array", "items": WEBHOOK_ENDPOINT}}}},
    ("/admin/webhooks/{endpoint_id}", "GET"): {"summary": "One webhook endpoint", "security": "broker",
                                               "response": WEBHOOK_ENDPOINT},
    ("/admin/webhooks/{endpoint_id}", "PATCH"): {
        "summary": "Change an endpoint's URL, event types or description; enabled: true switches it back on",
        "security": "broker", "request": schemas.WEBHOOK_UPDATE, "response": WEBHOOK_ENDPOINT},
    ("/admin/webhooks/{endpoint_id}", "DELETE"): {
        "summary": "Delete an endpoint and its secret; queued deliveries to it are cancelled", "security": "broker",
        "response": {"type": "object", "properties": {"deleted": {"type": "boolean"},
                                                      "endpoint_id": {"type": "string"}}},
        "errors": [400, 401, 404]},
    ("/admin/webhooks/{endpoint_id}/deliveries", "GET"): {
        "summary": "The delivery log, newest first: status, attempts, last response code, next attempt",
        "security": "broker", "query": schemas.DELIVERIES_QUERY, "response": {
            "type": "object", "required": ["items", "next_cursor"], "properties": {
                "items": {"type": "array", "items": WEBHOOK_DELIVERY}, "next_cursor": {"type": ["string", "null"]}}}},
    ("/admin/webhooks/{endpoint_id}/test", "POST"): {
        "summary": "Send a signed webhook.test event to this endpoint (queued like any event)",
        "security": "broker", "request": schemas.EMPTY, "status": 202, "response": {
            "type": "object", "required": ["event_id"], "properties": {
                "event_id": {"type": "string"}, "type": {"type": "string", "enum": ["webhook.test"]}}}},
})


def webhooks_section() -> dict[str, Any]:
    """OpenAPI 3.1 `webhooks`: what the portal POSTs to a broker's endpoints, one entry per event type."""
    from chalicelib.domain.webhook_security import EVENT_ID_HEADER, SIGNATURE_HEADER, TOLERANCE_SECONDS
    from chalicelib.domain.webhooks import CASE_EVENT_TYPES, EVENT_TYPES, TEST_TYPE

    kinds: dict[str, list[str]] = {}
    for kind, type_ in CASE_EVENT_TYPES.items():
        kinds.setdefault(type_, []).append(f"`{kind}`")
    case_data = {"type": "object", "required": ["case_id", "invoice_number", "status", "balance", "event"],
                 "properties": {
        "case_id": {"type": "string"}, "invoice_number": {"type": "string"},
        "status": {"type": "string", "enum": list(STATUSES), "description": "as the change left the case"},
        "balance": {"type": "object", "properties": {"due": {"type": "integer"}, "paid": {"type": "integer"},
                                                     "currency": schemas.CURRENCY}},
        "event": {"type": "object", "description": "the case history's event, as GET /admin/cases/{case_id} shows it",
                  "properties": {"seq": {"type": "integer"}, "kind": {"type": "string"},
                                 "actor": {"type": "string"}, "data": {"type": "object"}}}}}
    headers = [
        {"name": SIGNATURE_HEADER, "in": "header", "required": True, "schema": {"type": "string"}, "description": (
            "t=<unix seconds>,v1=<hex HMAC-SHA256 of `t.body` with the endpoint's secret>; refuse it when t is "
            f"more than {TOLERANCE_SECONDS} s from your clock")},
        {"name": EVENT_ID_HEADER, "in": "header", "required": True, "schema": {"type": "string"},
         "description": "the event id again: the same event may arrive more than once, deduplicate on it"}]
    section = {}
    for type_ in (*EVENT_TYPES, TEST_TYPE):
        data = case_data if type_ in kinds else IMPORT_FINISHED if type_ == "import.finished" else {"type": "object"}
        about = f"a {' or '.join(kinds[type_])} event in a case's history" if type_ in kinds else (
            "an import of invoices finished" if type_ == "import.finished" else "sent by POST .../test")
        section[type_] = {"post": {
            "summary": f"{type_}: {about}", "parameters": headers,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["id", "type", "created", "broker_id", "data"], "properties": {
                    "id": {"type": "string", "description": "evt_...: the same for every delivery of this event"},
                    "type": {"type": "string", "const": type_},
                    "created": {"type": "string", "format": "date-time"},
                    "broker_id": {"type": "string"}, "data": data}}}}},
            "responses": {"2XX": {"description": "received; anything else (or no answer in 10 s) is retried with "
                                                 "backoff for 3 days, then the endpoint is disabled"}}}}
    return section


ERRORS = {400: "Bad input: the error names the field", 401: "Missing or bad credentials",
          403: "Signed in, but the role is too low (code forbidden)", 429: "Too many attempts; wait a few minutes",
          404: "Not found (or another broker's)", 409: "Conflicts with the case's state (or a concurrent change)",
          413: "Body over 64 KB", 502: "The payment provider failed; nothing was changed"}


def _errors(path: str, method: str, spec: dict[str, Any]) -> list[int]:
    """The error statuses a route can answer, unless its spec lists them."""
    if "errors" in spec:  # a staff route may always answer 403 (its role)
        return list(spec["errors"]) + ([403] if spec["security"] == "broker" and 403 not in spec["errors"] else [])
    statuses = [400] if "request" in spec or "query" in spec or "{" in path or spec.get("headers") else []
    statuses += [401] if spec["security"] else []
    statuses += [403] if spec["security"] == "broker" else []
    statuses += [404] if "{" in path or "query" in spec else []
    statuses += [409, 413] if method != "GET" else []
    return statuses


def _operation(path: str, method: str, spec: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": spec["summary"], "responses": {
        str(spec.get("status", 200)): {"description": "OK", "content": {
            spec.get("content_type", "application/json"): {"schema": spec["response"]}}}
        if spec.get("status") != 204 else {"description": "Done (no content)"},
    }}
    for extra in spec.get("also", ()):  # e.g. 200 for a retried request that created nothing
        op["responses"][str(extra)] = {"description": "OK (a retry: the first answer again)", "content": {
            "application/json": {"schema": spec["response"]}}}
    for status, schema in spec.get("answers", {}).items():  # another success with its own shape, e.g. 202
        op["responses"][str(status)] = {"description": "Accepted", "content": {"application/json": {"schema": schema}}}
    for status in _errors(path, method, spec):
        op["responses"][str(status)] = {"description": ERRORS[status], "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    if spec["security"]:
        op["security"] = [{spec["security"]: []}]
    # Every id the portal issues (and a mapping's name) is letters, digits, _ and -.
    params = [{"name": seg[1:-1], "in": "path", "required": True,
               "schema": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$"}}
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
        "webhooks": webhooks_section(),
        "components": {
            "schemas": {**schemas.components(), "Error": ERROR},
            "securitySchemes": {
                "broker": {"type": "http", "scheme": "bearer", "description": (
                    "Either a broker API key (servers; `portal broker create`, POST /admin/api-keys), which acts "
                    "as an owner, or a staff member's Cognito ID token (POST /console/session), which acts with "
                    "the member's role: viewer (reads), collector (works cases), owner (everything). Each "
                    "route's description names the least role it needs.")},
                "pay_token": {"type": "http", "scheme": "bearer", "description": "Signed pay-link token"},
            }},
    }


# --- closing cases: partners, escalation, mediation, write-off, evidence packs ----------------------
PARTNER_VIEW = {"type": "object", "required": ["partner_id", "kind", "name", "email", "fee_bp", "min_balance",
                                               "contact_customer"], "properties": {
    "partner_id": {"type": "string"}, "kind": {"type": "string", "enum": schemas.PARTNER_KINDS},
    "name": {"type": "string"}, "email": {"type": "string"}, "webhook_url": {"type": ["string", "null"]},
    "fee_bp": {"type": "integer", "description": "basis points of what the partner collects (1500 = 15%)"},
    "min_balance": {"type": "object", "additionalProperties": {"type": "integer"},
                    "description": "currency -> minor units"},
    "contact_customer": {"type": "boolean"}, "created_at": {"type": "string", "format": "date-time"},
    "updated_at": {"type": "string", "format": "date-time"}}}
PARTNER_LIST = {"type": "object", "required": ["items"], "properties": {"items": {"type": "array",
                                                                                  "items": PARTNER_VIEW}}}
ESCALATION_VIEW = {"type": ["object", "null"], "properties": {
    "partner_id": {"type": "string"}, "partner_kind": {"type": "string"}, "partner_name": {"type": "string"},
    "fee_bp": {"type": "integer"}, "contact_customer": {"type": "boolean"},
    "escalated_at": {"type": "string", "format": "date-time"}, "pack_key": {"type": "string"},
    "link_expires_at": {"type": "string", "format": "date-time"}, "collected": {"type": "integer"},
    "partner_fees": {"type": "integer"}, "outcomes": {"type": "integer"}, "closed": {"type": "boolean"}}}
ADMIN_CASE["properties"]["closing"] = {  # type: ignore[index]
    "type": "object", "description": "collections partner, mediation and write-off", "properties": {
        "ready_for_collections": {"type": "boolean", "description": "the ladder's escalation step marked the case; "
                                                                    "POST .../escalate confirms"},
        "escalations": {"type": "integer"}, "escalation": ESCALATION_VIEW,
        "mediation": {"type": ["object", "null"], "properties": {
            "mediator_id": {"type": "string"}, "mediator_name": {"type": "string"},
            "until": {"type": "string", "format": "date-time"},
            "started_at": {"type": "string", "format": "date-time"}}},
        "written_off": {"type": "integer", "description": "minor units written off (less what was recovered)"},
        "recovered": {"type": "integer", "description": "minor units received after a write-off"}}}
PAYMENT["properties"]["source"]["enum"].append("partner")  # type: ignore[index]  # collected by a partner
EVIDENCE_PACK = {"type": "object", "required": ["url", "expires_at", "manifest_sha256", "size"], "properties": {
    "case_id": {"type": "string"},
    "url": {"type": "string", "format": "uri", "description": "presigned S3 GET of the ZIP: statement.pdf, "
                                                               "timeline.json, attachments/, manifest.json"},
    "expires_at": {"type": "string", "format": "date-time", "description": "the link works for 15 minutes"},
    "key": {"type": "string"}, "manifest_sha256": {"type": "string"}, "size": {"type": "integer",
                                                                               "description": "bytes"},
    "version": {"type": "integer"}, "head_hash": {"type": "string"}, "locale": {"type": "string"},
    "files": {"type": "integer"}}}
# A pack's build (the route answers 202 while it runs): ready adds the link and EVIDENCE_PACK's fields.
EVIDENCE_PACK_STATUS = {"type": "object", "required": ["case_id", "pack_id", "status", "status_url", "version",
                                                       "locale"], "properties": {
    **EVIDENCE_PACK["properties"],  # type: ignore[dict-item]
    "pack_id": {"type": "string", "description": "the head's version and the locale, e.g. v12-en"},
    "status": {"type": "string", "enum": ["building", "ready", "failed"]},
    "status_url": {"type": "string", "description": "GET it until status is ready or failed"},
    "error": {"type": "string", "description": "failed: why (not_found: the case is gone; build_failed)"}},
    "if": {"properties": {"status": {"const": "ready"}}},
    "then": {"required": EVIDENCE_PACK["required"]}}
# The escalated case and its pack's build: the worker emails the partner the link once it is built.
ESCALATE_ANSWER = {"type": "object", "allOf": [ADMIN_CASE], "required": ["pack"],
                   "properties": {"pack": EVIDENCE_PACK_STATUS}}
_OWNER = " (owners only)"
ROUTES.update({
    ("/admin/partners", "POST"): {"summary": "Add a collections partner (agency, law firm or mediator)",
                                  "security": "broker", "request": schemas.PARTNER, "status": 201,
                                  "response": PARTNER_VIEW},
    ("/admin/partners", "GET"): {"summary": "The broker's partners", "security": "broker",
                                 "response": PARTNER_LIST, "errors": [401]},
    ("/admin/partners/{partner_id}", "GET"): {"summary": "One partner", "security": "broker",
                                              "response": PARTNER_VIEW},
    ("/admin/partners/{partner_id}", "PATCH"): {"summary": "Change a partner's fields", "security": "broker",
                                                "request": schemas.PARTNER_PATCH, "response": PARTNER_VIEW},
    ("/admin/partners/{partner_id}", "DELETE"): {
        "summary": "Remove a partner; cases with it keep the terms they were escalated with",
        "security": "broker", "response": PARTNER_VIEW, "errors": [400, 401, 404]},
    ("/admin/cases/{case_id}/escalate", "POST"): {
        "summary": "Hand the case to a partner: status escalated, the customer's formal notice; the partner's "
                   "evidence pack is queued (pack: its build) and emailed by a link that expires in 7 days once "
                   "built", "security": "broker",
        "request": schemas.ESCALATE, "status": 201, "response": ESCALATE_ANSWER},
    ("/admin/cases/{case_id}/escalation/outcome", "POST"): {
        "summary": "Record what the partner reports: money collected (a payment in the ledger), its fee, closed, "
                   "returned to the broker", "security": "broker", "request": schemas.ESCALATION_OUTCOME,
        "status": 201, "response": ADMIN_CASE},
    ("/admin/cases/{case_id}/mediation", "POST"): {
        "summary": "Start a mediation on an undisputed case: the ladder is held until hold_until",
        "security": "broker", "request": schemas.MEDIATION, "status": 201, "response": ADMIN_CASE},
    ("/admin/cases/{case_id}/write-off", "POST"): {
        "summary": "Write off everything due (the ladder stops) or a part of it" + _OWNER, "security": "broker",
        "request": schemas.WRITE_OFF, "status": 201, "response": ADMIN_CASE},
    ("/admin/cases/{case_id}/evidence-pack", "GET"): {
        "summary": "The evidence pack (ZIP) of the case's current head: 200 with a presigned link when it is built, "
                   "else 202: its build is queued (Location: where to ask)", "security": "broker",
        "query": schemas.PACK_QUERY, "response": EVIDENCE_PACK_STATUS, "answers": {202: EVIDENCE_PACK_STATUS}},
    ("/admin/cases/{case_id}/evidence-packs/{pack_id}", "GET"): {
        "summary": "Where an evidence pack's build is: building, ready (with a fresh presigned link) or failed",
        "security": "broker", "response": EVIDENCE_PACK_STATUS},
})


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


# --- staff: console sign-in, the team, API keys ----------------------------------------------------------
BY = EVENT["properties"]["by"]  # type: ignore[index]
USER = {"type": "object", "required": ["id", "name", "role", "kind"], "properties": {
    "id": {"type": "string", "description": "the Cognito user's sub (an API key: its key id)"},
    "email": {"type": "string"}, "name": {"type": "string"},
    "role": {"type": "string", "enum": schemas.STAFF_ROLES}, "kind": {"type": "string", "enum": ["user", "api_key"]},
    "mfa": {"type": "boolean", "description": "an authenticator app (TOTP) is required at sign-in"},
    "status": {"type": "string", "enum": ["invited", "active"],
               "description": "invited: has not yet signed in with the temporary password"}}}
TOKENS = {"type": "object", "required": ["id_token", "access_token", "expires_in"], "properties": {
    "id_token": {"type": "string", "description": "the bearer for /admin routes"},
    "access_token": {"type": "string", "description": "for DELETE /console/session, /console/mfa and /console/mfa/*"},
    "refresh_token": {"type": "string", "description": "for POST /console/session/refresh"},
    "expires_in": {"type": "integer", "description": "seconds the ID and access tokens stay valid"}}}
SESSION = {"type": "object", "oneOf": [
    {"type": "object", "required": ["tokens", "user"], "properties": {"tokens": TOKENS, "user": USER}},
    {"type": "object", "required": ["challenge", "session"], "properties": {
        "challenge": {"type": "string", "enum": ["SOFTWARE_TOKEN_MFA", "NEW_PASSWORD_REQUIRED"]},
        "session": {"type": "string", "description": "pass back to POST /console/session/challenge"}}}]}
NO_CONTENT = {"status": 204, "response": {}}
API_KEY = {"type": "object", "required": ["key_id", "name", "created_at", "hint"], "properties": {
    "key_id": {"type": "string"}, "name": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
    "last_used_at": {"type": "string", "format": "date-time"},
    "hint": {"type": "string", "description": "the key's last 4 characters (empty for keys made before hints)"}}}
ROUTES.update({
    ("/console/session", "POST"): {
        "summary": "Sign in with email and password: tokens, or the next challenge (TOTP code, new password)",
        "security": None, "request": schemas.CONSOLE_SIGN_IN, "response": SESSION, "errors": [400, 401, 413, 429]},
    ("/console/session/challenge", "POST"): {
        "summary": "Answer a sign-in challenge: the authenticator's code, or a new password after an invitation",
        "security": None, "request": schemas.CONSOLE_CHALLENGE, "response": SESSION,
        "errors": [400, 401, 413, 429]},
    ("/console/session/refresh", "POST"): {
        "summary": "New ID and access tokens from the refresh token", "security": None,
        "request": schemas.CONSOLE_REFRESH, "response": SESSION, "errors": [400, 401, 413, 429]},
    ("/console/session", "DELETE"): {
        "summary": "Sign out everywhere: the refresh token stops working (bearer: the access token)",
        "security": "broker", "errors": [401, 429], **NO_CONTENT},
    ("/console/password/forgot", "POST"): {
        "summary": "Email a reset code (the same answer whether or not the address has an account)",
        "security": None, "request": schemas.PASSWORD_FORGOT, "status": 202, "errors": [400, 413, 429],
        "response": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}}},
    ("/console/password/reset", "POST"): {
        "summary": "Set a new password with the emailed code", "security": None, "request": schemas.PASSWORD_RESET,
        "errors": [400, 413, 429], **NO_CONTENT},
    ("/console/mfa/setup", "POST"): {
        "summary": "Start TOTP: the secret for an authenticator app (and its otpauth:// URI for a QR code)",
        "security": None, "request": schemas.MFA_SETUP, "errors": [400, 401, 413, 429],
        "response": {"type": "object", "required": ["secret", "otpauth_uri"], "properties": {
            "secret": {"type": "string"}, "otpauth_uri": {"type": "string"}}}},
    ("/console/mfa/verify", "POST"): {
        "summary": "Confirm TOTP with a first code: from now on sign-in asks for one", "security": None,
        "request": schemas.MFA_VERIFY, "errors": [400, 401, 413, 429], **NO_CONTENT},
    ("/console/mfa", "DELETE"): {
        "summary": "Turn TOTP off: sign-in asks for the password alone (bearer: the access token)",
        "security": "broker", "errors": [401, 429], **NO_CONTENT},
    ("/admin/me", "GET"): {
        "summary": "Who is signed in, their broker, and what their role permits (viewer)", "security": "broker",
        "errors": [401], "response": {"type": "object", "required": ["user", "broker", "permissions"], "properties": {
            "user": USER, "broker": {"type": "object", "required": ["id", "name"], "properties": {
                "id": {"type": "string"}, "name": {"type": "string"}}},
            "permissions": {"type": "object", "required": ["write", "own"], "properties": {
                "write": {"type": "boolean", "description": "collector or owner: may work cases"},
                "own": {"type": "boolean", "description": "owner: policy, staff, keys, write-off, settings"}}}}}},
    ("/admin/users", "GET"): {
        "summary": "The broker's staff with role and status (owner)", "security": "broker", "errors": [401],
        "response": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array",
                                                                                        "items": USER}}}},
    ("/admin/users", "POST"): {
        "summary": "Invite someone: Cognito emails a temporary password (owner)", "security": "broker",
        "request": schemas.USER_INVITE, "status": 201, "response": USER, "errors": [400, 401, 409, 413]},
    ("/admin/users/{user_id}", "PATCH"): {
        "summary": "Change a member's role; the last owner keeps theirs (owner). Takes effect at the member's next "
                   "token refresh (at most 15 minutes)", "security": "broker", "request": schemas.USER_ROLE,
        "response": USER},
    ("/admin/users/{user_id}", "DELETE"): {
        "summary": "Remove a member (not yourself, not the last owner) (owner)", "security": "broker",
        "errors": [400, 401, 404, 409], **NO_CONTENT},
    ("/admin/users/{user_id}/mfa", "DELETE"): {
        "summary": "Reset a member's TOTP when they lost their authenticator: they sign in with their password "
                   "and may set up a new one (owner)", "security": "broker", "errors": [401, 404], "response": USER},
    ("/admin/api-keys", "GET"): {
        "summary": "The broker's API keys by name, never the keys themselves (owner)", "security": "broker",
        "errors": [401], "response": {"type": "object", "required": ["items"], "properties": {
            "items": {"type": "array", "items": API_KEY}}}},
    ("/admin/api-keys", "POST"): {
        "summary": "Make a named API key; the key is in this answer only (owner)", "security": "broker",
        "request": schemas.API_KEY_CREATE, "status": 201, "errors": [400, 401, 404, 413],
        "response": {"type": "object", "allOf": [API_KEY], "required": ["api_key"], "properties": {
            "api_key": {"type": "string"}}}},
    ("/admin/api-keys/{key_id}", "DELETE"): {
        "summary": "Revoke an API key (servers using it are refused within a minute) (owner)", "security": "broker",
        "errors": [400, 401, 404], **NO_CONTENT},
})


# --- the console's read models: case search, today, previews, settings -------------------------------------
LISTED_CASE = {"type": "object", "allOf": [CASE_SUMMARY], "required": ["days_overdue", "stage", "tier"], "properties": {
    "days_overdue": {"type": "integer", "minimum": 0, "description": "days past the due date (UTC), 0 before it"},
    "stage": {"type": ["string", "null"], "description": "stage of the last ladder step started; null: none yet"},
    "tier": {"type": ["string", "null"]}}}
CASE_LIST["properties"]["items"]["items"] = LISTED_CASE  # type: ignore[index]
ROUTES[("/admin/cases", "GET")]["summary"] = (
    "List cases: newest opened first; with any of stage, tier, currency, overdue_min, overdue_max, q, sort or "
    "order, the filtered, searched list in that order (default due_date asc)")
MONEY = {"type": "object", "required": ["amount", "currency"], "properties": {
    "amount": {"type": "integer", "description": "minor units"}, "currency": schemas.CURRENCY}}
_ATTENTION_KINDS = ["dispute", "already_paid", "email_bounced", "send_failed", "plan_defaulted", "promise_due",
                    "ready_for_collections"]
TODAY_VIEW = {"type": "object", "required": ["items", "counts"], "properties": {
    "items": {"type": "array", "items": {"type": "object", "required": [
        "kind", "case_id", "customer_name", "invoice_number", "balance", "since"], "properties": {
        "kind": {"type": "string", "enum": _ATTENTION_KINDS}, "case_id": {"type": "string"},
        "customer_name": {"type": "string"}, "invoice_number": {"type": "string"}, "balance": MONEY,
        "since": {"type": "string", "format": "date-time", "description": "when it started to need a person"},
        "detail": {"type": "string", "description": "dispute reason, payment method, bounced/complained, the send "
                                                    "error, or the promised date (promise_due)"}}}},
    "counts": {"type": "object", "required": _ATTENTION_KINDS,
               "properties": {k: {"type": "integer"} for k in _ATTENTION_KINDS}}}}
ROUTES[("/admin/today", "GET")] = {
    "summary": "What needs a person now, by kind, newest first: disputes awaiting a decision, payment claims to "
               "reconcile, bounced emails, failed sends, defaulted plans, promises due today (the broker's time "
               "zone), cases ready for escalation", "security": "broker", "response": TODAY_VIEW, "errors": [401]}
ACTOR = {"type": "object", "required": ["kind", "id", "name"], "properties": {
    "kind": {"type": "string", "enum": ["user", "api_key"]}, "id": {"type": "string"}, "name": {"type": "string"}}}
POLICY_VERSIONS = {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {
    "type": "object", "required": ["version", "updated_at", "updated_by", "changed"], "properties": {
        "version": {"type": "integer", "minimum": 1}, "updated_at": {"type": "string", "format": "date-time"},
        "updated_by": ACTOR,
        "changed": {"type": "array", "items": {"type": "string"},
                    "description": "top-level keys unlike the version before (the default policy, for the first)"}}}}}}
POLICY_PREVIEW_VIEW = {"type": "object", "required": ["contacts"], "properties": {"contacts": {
    "type": "array", "items": {"type": "object", "required": ["at", "local_time", "step", "stage", "channels"],
                               "properties": {
        "at": {"type": "string", "format": "date-time"},
        "local_time": {"type": "string", "description": "the same moment in the customer's time zone, with offset"},
        "step": {"type": "string", "description": "the step's offset from the due date, e.g. +10"},
        "stage": {"type": "string"}, "template": {"type": "string"},
        "channels": {"type": "array", "items": {"type": "string", "enum": ["email", "sms"]}},
        "notify_broker": {"type": "boolean", "description": "the broker is told too (escalation)"},
        "fee": {**MONEY, "description": "fees the step charges (late fee, fixed compensation)"}}}}}}
ROUTES.update({
    ("/admin/policy/preview", "POST"): {
        "summary": "Every contact a sample invoice would get, and when, under the posted policy (or the current one), "
                   "if nobody paid: the sweep's own ladder code. An invalid policy is PUT /admin/policy's 400",
        "security": "broker", "request": schemas.POLICY_PREVIEW, "response": POLICY_PREVIEW_VIEW,
        "errors": [400, 401, 413]},
    ("/admin/policy/versions", "GET"): {"summary": "The policy's versions, newest first: who stored each, when, and "
                                                   "what it changed", "security": "broker",
                                        "response": POLICY_VERSIONS, "errors": [401]},
})
NEXT_REMINDER = {"type": "object", "required": ["next"], "properties": {"next": {
    "type": ["object", "null"], "description": "null: no reminder ahead (paused, closed, ladder finished...)",
    "required": ["at", "local_time", "step", "stage", "channels", "language", "email", "sms"], "properties": {
        "at": {"type": "string", "format": "date-time"},
        "local_time": {"type": "string", "description": "the same moment in the customer's time zone, with offset"},
        "step": {"type": "string"}, "stage": {"type": "string"}, "template": {"type": "string"},
        "channels": {"type": "array", "items": {"type": "string", "enum": ["email", "sms"]}},
        "language": {"type": "string"},
        "email": {"type": ["object", "null"], "required": ["subject", "text", "html"], "properties": {
            "subject": {"type": "string"}, "text": {"type": "string"}, "html": {"type": "string"}}},
        "sms": {"type": ["object", "null"], "required": ["text"], "properties": {"text": {"type": "string"}}},
        "balance": {**MONEY, "description": "what the message will ask for (with any fee the step charges)"}}}}}
ROUTES[("/admin/cases/{case_id}/next-reminder", "GET")] = {
    "summary": "The case's next reminder: when, and the exact email and/or SMS its customer will get, rendered from "
               "the real templates in their language (the pay link is a placeholder, never a live token)",
    "security": "broker", "response": NEXT_REMINDER}
# As stored: what the request schema checked, described, not checked again (its patterns are not `format`'s).
SETTINGS_VIEW = {"type": "object", "required": ["name", "email", "phone", "reply_to", "sender_name"],
                 "additionalProperties": False, "properties": {
    k: {"type": "string" if k == "name" else ["string", "null"], "description": v["description"]}
    for k, v in schemas.BROKER_SETTINGS["properties"].items()}}  # type: ignore[attr-defined]
ROUTES.update({
    ("/admin/settings", "GET"): {"summary": "The broker's sender and contact details that reminders and the pay "
                                            "page use", "security": "broker", "response": SETTINGS_VIEW,
                                 "errors": [401]},
    ("/admin/settings", "PUT"): {"summary": "Replace them (optional ones left out are removed); cases opened from "
                                            "then on carry them" + _OWNER, "security": "broker",
                                 "request": schemas.BROKER_SETTINGS, "response": SETTINGS_VIEW},
})


# --- reports ----------------------------------------------------------------------------------------------
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
_CSV = {"security": "broker", "content_type": "text/csv", "response": {"type": "string"}}
RECEIVABLES = {"type": "object", "required": ["as_of", "timezone", "currencies", "by_status", "by_stage"],
               "properties": {
    "as_of": {"type": "string", "format": "date"},
    "timezone": {"type": "string", "description": "the broker's (notification settings): whole days count there"},
    "currencies": {"type": "array", "items": {"type": "object", "required": ["currency", "open", "cases", "buckets"],
                                              "properties": {
        "currency": schemas.CURRENCY, "open": {"type": "integer", "description": "minor units still due"},
        "cases": {"type": "integer"},
        "buckets": {"type": "array", "items": {"type": "object", "required": ["bucket", "amount", "cases"],
                                               "properties": {
            "bucket": {"type": "string", "enum": ["current", "1-30", "31-60", "61-90", "90+"],
                       "description": "current: not yet past due; else whole days past the due date"},
            "amount": {"type": "integer"}, "cases": {"type": "integer"}}}}}}},
    "by_status": {**_COUNTS, "description": "every case, by status"},
    "by_stage": {**_COUNTS, "description": "open cases by the stage of the last ladder step (not_started: none)"}}}
_NUMBER_OR_NULL = {"type": ["number", "null"]}
PERFORMANCE = {"type": "object", "required": ["from", "to", "currencies", "avg_days_to_pay", "promises_kept_percent",
                                              "disputes", "steps"], "properties": {
    "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
    "timezone": {"type": "string", "description": "days are UTC days"},
    "currencies": {"type": "array", "items": {"type": "object", "required": [
        "currency", "collected", "written_off", "recovered_by_partners", "dso_days", "cei_percent"], "properties": {
        "currency": schemas.CURRENCY, "collected": {"type": "integer", "description": "net of refunds"},
        "written_off": {"type": "integer"}, "recovered_by_partners": {"type": "integer"},
        "billed": {"type": "integer", "description": "invoices opened, fees and interest charged"},
        "open_at_start": {"type": "integer"}, "open_at_end": {"type": "integer"},
        "dso_days": {**_NUMBER_OR_NULL, "description": "countback over daily sales; null: beyond a year"},
        "cei_percent": {**_NUMBER_OR_NULL, "description": "Collection Effectiveness Index"}}}},
    "avg_days_to_pay": {**_NUMBER_OR_NULL, "description": "days after the due date cases were paid in full"},
    "payments_in_full": {"type": "integer"},
    "promises_kept_percent": _NUMBER_OR_NULL,
    "disputes": {"type": "array", "description": "disputes opened in the period, by reason and where they stand",
                 "items": {"type": "object", "required": ["reason", "outcome", "count"], "properties": {
                     "reason": {"type": "string"}, "outcome": {"type": "string"}, "count": {"type": "integer"}}}},
    "steps": {"type": "array", "items": {"type": "object", "required": [
        "step", "sent", "paid_via_link", "collected", "median_days_to_pay"], "properties": {
        "step": {"type": "string"}, "sent": {"type": "integer"}, "paid_via_link": {"type": "integer"},
        "collected": {"type": "array", "items": MONEY}, "median_days_to_pay": _NUMBER_OR_NULL}}}}}
FORECAST = {"type": "object", "required": ["days"], "properties": {"days": {"type": "array", "items": {
    "type": "object", "required": ["date", "contacts", "by_step"], "properties": {
        "date": {"type": "string", "format": "date"}, "contacts": {"type": "integer"}, "by_step": _COUNTS}}}}}
ROUTES.update({
    ("/admin/reports/receivables", "GET"): {
        "summary": "Open balance per currency in aging buckets, cases per status and stage", "security": "broker",
        "query": schemas.RECEIVABLES_QUERY, "response": RECEIVABLES},
    ("/admin/reports/receivables.csv", "GET"): {"summary": "The receivables report as CSV",
                                                "query": schemas.RECEIVABLES_QUERY, **_CSV},
    ("/admin/reports/performance", "GET"): {
        "summary": "Collected, DSO, CEI, days to pay, promises, disputes, write-offs, partners, per ladder step",
        "security": "broker", "query": schemas.PERFORMANCE_QUERY, "response": PERFORMANCE},
    ("/admin/reports/performance.csv", "GET"): {"summary": "The performance report as CSV, one figure a line",
                                                "query": schemas.PERFORMANCE_QUERY, **_CSV},
    ("/admin/reports/forecast", "GET"): {
        "summary": "What the reminder ladder will send in the next days, per day and step", "security": "broker",
        "query": schemas.FORECAST_QUERY, "response": FORECAST},
    ("/admin/cases.csv", "GET"): {"summary": "One page of the case list as CSV (the next page's cursor in "
                                             "X-Next-Cursor)", "query": schemas.LIST_QUERY, **_CSV},
})

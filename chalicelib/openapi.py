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

"""Chalice routes: parse the request, call one service, shape the answer. Errors map to HTTP here only."""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from chalice import Chalice, CORSConfig, Rate, Response
from chalice.app import Request

from chalicelib import bootstrap, schemas, validation, views
from chalicelib.domain.errors import PortalError
from chalicelib.domain.history import verify_history

# No handler of Chalice's own: its records reach the root logger, which Lambda formats as JSON (infra/).
app = Chalice(app_name="collections-portal", configure_logs=False)
app.log.setLevel(logging.INFO)

# Customers call from the static page on another origin; they send a bearer token, never cookies.
BODY_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain"]
CUSTOMER_CORS = CORSConfig(allow_origin="*", allow_headers=["Authorization", "Content-Type"], max_age=600)


def error_response(exc: PortalError) -> Response:
    body = {"error": {"code": exc.code, "message": exc.message, "field": exc.field}}
    headers: dict[str, str | list[str]] = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
    return Response(body=body, status_code=exc.status, headers=headers)


# The least role each admin route needs ("viewer" < "collector" < "owner"), declared beside the route.
ROUTE_ROLES: dict[tuple[str, str], str] = {}


def api(path: str, method: str = "GET", role: str | None = None,
        **options: Any) -> Callable[[Callable[..., Any]], Any]:
    """app.route plus the single mapping from the project's errors to JSON error responses."""
    def register(view: Callable[..., Any]) -> Any:
        if role is not None:
            ROUTE_ROLES[(path, method)] = role
        @functools.wraps(view)
        def handler(**params: Any) -> Any:
            try:
                answer = view(**params)
            except PortalError as exc:
                answer = error_response(exc)
            if not isinstance(answer, Response):
                answer = Response(body=answer)
            answer.headers.setdefault("Content-Type", "application/json")  # Chalice leaves it to API Gateway
            return answer
        if method != "GET":
            # Bodies are parsed by validation.parse_body whatever the label, so `curl -d` without a JSON
            # Content-Type gets our JSON error naming the problem, not Chalice's own 415 shape.
            options.setdefault("content_types", BODY_TYPES)
        return app.route(path, methods=[method], **options)(handler)
    return register


def request() -> Request:
    """The request being handled (Chalice sets it before calling a view; None only outside one)."""
    current = app.current_request
    assert current is not None
    return current


def raw_body() -> bytes:
    raw = request().raw_body
    return raw.encode() if isinstance(raw, str) else raw or b""


def body(schema: dict[str, Any]) -> dict[str, Any]:
    return validation.parse_body(raw_body(), schema)


def query(schema: dict[str, Any]) -> dict[str, Any]:
    return validation.parse_query(dict(request().query_params or {}), schema)


def broker_id() -> str:
    return bootstrap.broker_auth().authenticate(request().headers.get("authorization"))


def customer_token() -> str | None:
    return schemas.bearer(request().headers.get("authorization"))


# --- broker admin -------------------------------------------------------------------------------

@api("/admin/cases", "POST")
def create_case() -> Response:
    broker = broker_id()
    payload = body(schemas.CREATE_CASE)
    idempotency_key = request().headers.get("idempotency-key")
    if idempotency_key is not None:
        validation.validate(idempotency_key, schemas.IDEMPOTENCY_KEY, "Idempotency-Key")
    case, events = bootstrap.case_service().create(broker, payload, idempotency_key)
    view = views.admin_case(case, events, bootstrap.pay_links().url(case))
    return Response(body=view, status_code=201, headers={"Location": f"/admin/cases/{case.case_id}"})


@api("/admin/cases", "GET")
def list_cases() -> dict[str, Any]:
    broker = broker_id()
    params = query(schemas.LIST_QUERY)
    limit = params.get("limit", schemas.DEFAULT_LIMIT)
    cases, cursor = bootstrap.case_service().list_cases(broker, params.get("status"), limit, params.get("cursor"))
    return {"items": [views.case_summary(c) for c in cases], "next_cursor": cursor}


def timeline_before() -> int | None:
    """`?before=`: read the page of the timeline under this event (the view's events_before/timeline_before)."""
    before: int | None = query(schemas.TIMELINE_QUERY).get("before")
    return before


@api("/admin/cases/{case_id}", "GET")
def get_case(case_id: str) -> dict[str, Any]:
    broker = broker_id()
    before = timeline_before()
    case, events, older = bootstrap.case_service().get(broker, case_id, before)
    case, events = bootstrap.self_service().read_evidence(case, events)
    view = views.admin_case(case, events, older=older)
    view["reminders"] = bootstrap.reminder_control().describe(case)
    # The page shown is intact: no event in it edited, removed or reordered, and the newest page ends at the head.
    view["history_verified"] = verify_history(events, case.head_hash if before is None else None,
                                              segment=older is not None or before is not None).ok
    if any(d.attachments for d in case.self_service.disputes):  # evidence: download links for the broker
        evidence = bootstrap.self_service()
        view.update(views.self_service_view(case, evidence.evidence_links(case), evidence.evidence_links(case, True)))
    return view


@api("/admin/cases/{case_id}/verify", "GET")
def verify_case(case_id: str) -> dict[str, Any]:
    """The whole timeline from the genesis, checked against the head hashes anchored outside the table."""
    from chalicelib.services.audit import audit_view

    broker = broker_id()
    return audit_view(case_id, bootstrap.case_audit().verify(broker, case_id))


@api("/admin/cases/{case_id}/notes", "POST")
def add_note(case_id: str) -> Response:
    broker = broker_id()
    payload = body(schemas.ADD_NOTE)
    case, events = bootstrap.case_service().add_note(broker, case_id, payload["kind"], payload["text"])
    return Response(body=views.admin_case(case, events), status_code=201)


@api("/admin/cases/{case_id}/links", "POST")
def issue_link(case_id: str) -> Response:
    broker = broker_id()
    body(schemas.EMPTY)
    case, _ = bootstrap.case_service().issue_link(broker, case_id)
    links = bootstrap.pay_links()
    return Response(body={"pay_url": links.url(case), "link_id": case.link.link_id,
                          "link_version": case.link.version, "expires_at": case.link.expires_at},
                    status_code=201)


# --- reminders ------------------------------------------------------------------------

@api("/admin/policy", "GET")
def get_policy() -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.policy_service().get(broker, query(schemas.POLICY_QUERY).get("version"))


@api("/admin/policy", "PUT")
def put_policy() -> dict[str, Any]:
    broker = broker_id()
    payload = body(schemas.POLICY)  # rules across fields (offsets increasing...) are the domain's
    return bootstrap.policy_service().put(broker, payload, by=f"broker:{broker}")


@api("/admin/cases/{case_id}/pause", "POST")
def pause_reminders(case_id: str) -> dict[str, Any]:
    broker = broker_id()
    payload = body(schemas.PAUSE)
    control = bootstrap.reminder_control()
    case, events = control.pause(broker, case_id, payload.get("until"), payload.get("reason"))
    return {**views.admin_case(case, events), "reminders": control.describe(case)}


@api("/admin/cases/{case_id}/resume", "POST")
def resume_reminders(case_id: str) -> dict[str, Any]:
    broker = broker_id()
    body(schemas.EMPTY)
    control = bootstrap.reminder_control()
    case, events = control.resume(broker, case_id)
    return {**views.admin_case(case, events), "reminders": control.describe(case)}


# The sweep and its worker. Chalice needs a queue name to package the app; infra/resources.json replaces it
# with the ARN of the stack's own ReminderQueue (named per stack, so stages never share one).
REMINDER_QUEUE = "collections-reminders"


@app.schedule(Rate(15, unit=Rate.MINUTES), name="reminder_sweep")
def reminder_sweep(event: Any) -> None:
    context = getattr(event, "context", None)  # Lambda's: the sweep stops short of its timeout
    bootstrap.reminder_sweep().run(time_left_ms=context.get_remaining_time_in_millis if context else None)


@app.on_sqs_message(queue=REMINDER_QUEUE, batch_size=10, name="reminder_worker")
def reminder_worker(event: Any) -> dict[str, list[dict[str, str]]]:
    return batch_item_failures(event, bootstrap.reminder_worker().handle_batch)


# SES bounces and complaints: the configuration set publishes them to an SNS topic that infra/ creates
# and subscribes this function to (a plain function, so the topic's name is the stack's, not fixed here).
@app.lambda_function(name="ses_events")
def ses_events(event: dict[str, Any], context: Any) -> None:
    for record in event.get("Records", []):
        bootstrap.mail_feedback().receive(record["Sns"]["Message"])


# --- customer (pay token) -----------------------------------------------------------------------

@api("/customer/case", "GET", cors=CUSTOMER_CORS)
def customer_case() -> dict[str, Any]:
    token = customer_token()
    case, events, older = bootstrap.customer_service().open(token, timeline_before())
    case, events = bootstrap.self_service().read_evidence(case, events)
    view = views.customer_case(case, events, older)
    view["pay"] = bootstrap.payment_service().options(case)
    view["plan_offers"] = bootstrap.plan_service().offers(case)  # [] when no plan may start
    return view


# --- payments ------------------------------------------------------------------------------------

@api("/customer/checkout", "POST", cors=CUSTOMER_CORS)
def checkout() -> dict[str, Any]:
    token = customer_token()
    payload = body(schemas.CHECKOUT)
    return {"checkout_url": bootstrap.payment_service().checkout(token, payload.get("amount"))}


@api("/webhooks/stripe", "POST")
def stripe_webhook() -> dict[str, Any]:
    # No pay token and no API key: Stripe's signature over the exact body bytes is the credential.
    outcome = bootstrap.payment_service().webhook(raw_body(), request().headers.get("stripe-signature"))
    return {"received": True, "outcome": outcome}


@api("/admin/cases/{case_id}/payments", "POST")
def record_offline_payment(case_id: str) -> Response:
    broker = broker_id()
    payload = body(schemas.OFFLINE_PAYMENT)
    case, events, created = bootstrap.payment_service().record_offline(broker, case_id, payload)
    return Response(body=views.admin_case(case, events), status_code=201 if created else 200)


# --- self-service: disputes, promise to pay, "I already paid", fresh links -------------
# 201 for what a request creates, 200 when it is a retry that finds its own result already there.

@api("/customer/dispute", "POST", cors=CUSTOMER_CORS)
def open_dispute() -> Response:
    token = customer_token()
    payload = body(schemas.DISPUTE)
    case, events, dispute, created = bootstrap.self_service().open_dispute(token, payload)
    return Response(body={**views.customer_case(case, events), "dispute_id": dispute.dispute_id},
                    status_code=201 if created else 200)


@api("/customer/dispute/attachments", "POST", cors=CUSTOMER_CORS)
def dispute_attachment() -> Response:
    token = customer_token()
    payload = body(schemas.DISPUTE_ATTACHMENT)
    slot, created = bootstrap.self_service().dispute_attachment(token, payload)
    return Response(body=slot, status_code=201 if created else 200)


@api("/customer/promise", "POST", cors=CUSTOMER_CORS)
def promise_to_pay() -> Response:
    token = customer_token()
    payload = body(schemas.PROMISE)
    case, events, created = bootstrap.self_service().promise(token, payload)
    return Response(body=views.customer_case(case, events), status_code=201 if created else 200)


@api("/customer/already-paid", "POST", cors=CUSTOMER_CORS)
def already_paid() -> Response:
    token = customer_token()
    payload = body(schemas.ALREADY_PAID)
    case, events, created = bootstrap.self_service().already_paid(token, payload)
    return Response(body=views.customer_case(case, events), status_code=201 if created else 200)


@api("/customer/link-refresh", "POST", cors=CUSTOMER_CORS)
def link_refresh() -> Response:
    # The token rides in the body (the page has no working link to authorise with). One answer for
    # every outcome, so nobody learns whether a token, a case or an address exists.
    payload = body(schemas.LINK_REFRESH)
    bootstrap.self_service().refresh_link(payload["token"])
    return Response(body={"status": "sent if eligible"}, status_code=202)


@api("/admin/cases/{case_id}/disputes/{dispute_id}/resolve", "POST")
def resolve_dispute(case_id: str, dispute_id: str) -> dict[str, Any]:
    broker = broker_id()
    payload = body(schemas.RESOLVE_DISPUTE)
    case, events, _ = bootstrap.self_service().resolve(broker, case_id, dispute_id, payload)
    return {**views.admin_case(case, events), "reminders": bootstrap.reminder_control().describe(case)}


# --- installment plans -----------------------------------------------------------------------

@api("/customer/plan", "POST", cors=CUSTOMER_CORS)
def choose_plan() -> dict[str, Any]:
    token = customer_token()
    payload = body(schemas.CHOOSE_PLAN)
    return {"checkout_url": bootstrap.plan_service().choose(token, payload["offer_id"])}


@api("/admin/cases/{case_id}/plan-offers", "POST")
def add_plan_offer(case_id: str) -> Response:
    broker = broker_id()
    payload = body(schemas.PLAN_OFFER)
    case, events, offer, created = bootstrap.plan_service().add_offer(broker, case_id, payload)
    return Response(body={**views.admin_case(case, events), "offer": offer.as_dict(case.balance.currency)},
                    status_code=201 if created else 200)


# --- bulk imports -------------------------------------------------------------------------------------
# Both triggers are declared in infra/resources.json (SAM events): `chalice package` cannot package
# @app.on_s3_event, and there the bucket and the queue take stage-scoped names Chalice's decorators
# (which want a literal name) could not know. The functions get the events as AWS sends them.


@api("/admin/imports", "POST")
def start_import() -> Response:
    broker = broker_id()
    params = query(schemas.IMPORT_QUERY)
    payload = body(schemas.START_IMPORT)
    mapping = payload.get("mapping", params.get("mapping"))
    job, slot = bootstrap.import_service().start(
        broker, mapping if isinstance(mapping, str) else None, mapping if isinstance(mapping, dict) else None,
        payload.get("update", params.get("update") == "true"), payload.get("filename", ""))
    return Response(body={**job.view(), "failures": [], "failures_after": None, "upload": slot}, status_code=201,
                    headers={"Location": f"/admin/imports/{job.import_id}"})


@api("/admin/imports/{import_id}", "GET")
def get_import(import_id: str) -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.import_service().get(broker, import_id, query(schemas.IMPORT_STATUS_QUERY).get("after", 0))


@api("/admin/imports/{import_id}/failed.csv", "GET")
def failed_rows(import_id: str) -> Response:
    broker = broker_id()
    text = bootstrap.import_service().failed_csv(broker, import_id)
    return Response(body=text, headers={"Content-Type": "text/csv; charset=utf-8",
                                        "Content-Disposition": f'attachment; filename="{import_id}-failed.csv"'})


@api("/admin/import-mappings", "GET")
def import_mappings() -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.import_service().mappings(broker)


@api("/admin/import-mappings/{name}", "PUT")
def save_import_mapping(name: str) -> dict[str, Any]:
    broker = broker_id()
    validation.validate(name, schemas.MAPPING_NAME, "name")
    return bootstrap.import_service().save_mapping(broker, name, body(schemas.IMPORT_MAPPING))


@app.lambda_function(name="import_uploaded")
def import_uploaded(event: dict[str, Any], context: Any) -> None:
    # S3's event notification: one record per object created (keys arrive URL-encoded, spaces as +).
    from urllib.parse import unquote_plus

    for record in event.get("Records", []):
        bootstrap.import_service().uploaded(unquote_plus(record["s3"]["object"]["key"]))


@app.lambda_function(name="import_worker")
def import_worker(event: dict[str, Any], context: Any) -> None:
    # One chunk per message (batch size 1); an exception leaves the message to SQS, which redelivers it:
    # the chunk runs again from the stored checkpoint.
    for record in event.get("Records", []):
        bootstrap.import_service().continued(record["body"])


# --- broker notifications --------------------------------------------------------------------

@api("/admin/notifications", "GET")
def get_notifications() -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.broker_notices().view(broker)


@api("/admin/notifications", "PUT")
def put_notifications() -> dict[str, Any]:
    broker = broker_id()
    payload = body(schemas.NOTIFICATIONS)  # rules across fields (digest delivery needs the digest) are the domain's
    return bootstrap.broker_notices().put(broker, payload)


@api("/admin/notifications/log", "GET")
def notice_log() -> dict[str, Any]:
    broker = broker_id()
    params = query(schemas.NOTICE_LOG_QUERY)
    return bootstrap.broker_notices().log_view(broker, params.get("limit", schemas.DEFAULT_LIMIT), params.get("cursor"))


@app.schedule(Rate(1, unit=Rate.HOURS), name="broker_digest")
def broker_digest(event: Any) -> None:
    # Hourly: each run sends the digests of the brokers whose local morning hour it is.
    bootstrap.broker_digest().run()


# --- documentation ------------------------------------------------------------------------------

@api("/openapi.json", "GET", cors=True)
def openapi() -> dict[str, Any]:
    from chalicelib.openapi import openapi_document  # only this route needs the whole document

    return openapi_document()


# --- outbound webhooks to the broker's own systems --------------------------------------------------------

@api("/admin/webhooks", "POST")
def create_webhook() -> Response:
    broker = broker_id()
    payload = body(schemas.WEBHOOK_CREATE)
    view, secret = bootstrap.webhooks_service().create(broker, payload)
    return Response(body={**view, "secret": secret}, status_code=201,
                    headers={"Location": f"/admin/webhooks/{view['endpoint_id']}"})


@api("/admin/webhooks", "GET")
def list_webhooks() -> dict[str, Any]:
    broker = broker_id()
    return {"items": bootstrap.webhooks_service().list_endpoints(broker)}


@api("/admin/webhooks/{endpoint_id}", "GET")
def get_webhook(endpoint_id: str) -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.webhooks_service().get(broker, endpoint_id)


@api("/admin/webhooks/{endpoint_id}", "PATCH")
def update_webhook(endpoint_id: str) -> dict[str, Any]:
    broker = broker_id()
    payload = body(schemas.WEBHOOK_UPDATE)
    return bootstrap.webhooks_service().update(broker, endpoint_id, payload)


@api("/admin/webhooks/{endpoint_id}", "DELETE")
def delete_webhook(endpoint_id: str) -> dict[str, Any]:
    broker = broker_id()
    bootstrap.webhooks_service().delete(broker, endpoint_id)
    return {"deleted": True, "endpoint_id": endpoint_id}


@api("/admin/webhooks/{endpoint_id}/deliveries", "GET")
def webhook_deliveries(endpoint_id: str) -> dict[str, Any]:
    broker = broker_id()
    params = query(schemas.DELIVERIES_QUERY)
    items, cursor = bootstrap.webhooks_service().deliveries(
        broker, endpoint_id, params.get("limit", schemas.DEFAULT_LIMIT), params.get("cursor"))
    return {"items": items, "next_cursor": cursor}


@api("/admin/webhooks/{endpoint_id}/test", "POST")
def test_webhook(endpoint_id: str) -> Response:
    broker = broker_id()
    body(schemas.EMPTY)
    return Response(body=bootstrap.webhooks_service().send_test(broker, endpoint_id), status_code=202)


# The relay moves stored events to the delivery queue. infra/resources.json creates the queue, named by
# CloudFormation per stack (so per stage), and replaces this placeholder ARN with the queue's own.
WEBHOOK_QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:collections-webhooks"


@app.schedule(Rate(1, unit=Rate.MINUTES), name="webhook_relay")
def webhook_relay(event: Any) -> None:
    bootstrap.webhook_relay().run()


@app.on_sqs_message(queue_arn=WEBHOOK_QUEUE_ARN, batch_size=10, name="webhook_delivery")
def webhook_delivery(event: Any) -> dict[str, list[dict[str, str]]]:
    return batch_item_failures(event, bootstrap.webhook_worker().handle_batch)


def batch_item_failures(event: Any, handle_batch: Callable[[Any], Any]) -> dict[str, list[dict[str, str]]]:
    """ReportBatchItemFailures (infra/resources.json sets it on each event source): SQS redelivers only the
    messages named here and deletes the rest, so one bad message never holds up or repeats the others."""
    records = [record.to_dict() for record in event]
    outcomes = handle_batch(r["body"] for r in records)
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]}
                                  for r, outcome in zip(records, outcomes, strict=True) if outcome.failed]}


# --- closing cases: partners, escalation, mediation, write-off, evidence packs ------------------

@api("/admin/partners", "POST")
def add_partner() -> Response:
    broker = broker_id()
    partner = bootstrap.closing_service().add_partner(broker, body(schemas.PARTNER))
    return Response(body=partner.as_dict(), status_code=201,
                    headers={"Location": f"/admin/partners/{partner.partner_id}"})


@api("/admin/partners", "GET")
def list_partners() -> dict[str, Any]:
    broker = broker_id()
    return {"items": [p.as_dict() for p in bootstrap.closing_service().partners(broker)]}


@api("/admin/partners/{partner_id}", "GET")
def get_partner(partner_id: str) -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.closing_service().partner(broker, partner_id).as_dict()


@api("/admin/partners/{partner_id}", "PATCH")
def update_partner(partner_id: str) -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.closing_service().update_partner(broker, partner_id, body(schemas.PARTNER_PATCH)).as_dict()


@api("/admin/partners/{partner_id}", "DELETE")
def delete_partner(partner_id: str) -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.closing_service().delete_partner(broker, partner_id).as_dict()


def _closing_answer(case: Any, events: list[Any]) -> Response:
    return Response(body={**views.admin_case(case, events), "reminders": bootstrap.reminder_control().describe(case)},
                    status_code=201)


@api("/admin/cases/{case_id}/escalate", "POST")
def escalate_case(case_id: str) -> Response:
    broker = broker_id()
    return _closing_answer(*bootstrap.closing_service().escalate(broker, case_id, body(schemas.ESCALATE)))


@api("/admin/cases/{case_id}/escalation/outcome", "POST")
def escalation_outcome(case_id: str) -> Response:
    broker = broker_id()
    return _closing_answer(*bootstrap.closing_service().outcome(broker, case_id, body(schemas.ESCALATION_OUTCOME)))


@api("/admin/cases/{case_id}/mediation", "POST")
def start_mediation(case_id: str) -> Response:
    broker = broker_id()
    return _closing_answer(*bootstrap.closing_service().mediation(broker, case_id, body(schemas.MEDIATION)))


@api("/admin/cases/{case_id}/write-off", "POST")
def write_off(case_id: str) -> Response:
    broker = broker_id()  # owners only once roles exist; until then any of the broker's keys
    return _closing_answer(*bootstrap.closing_service().write_off(broker, case_id, body(schemas.WRITE_OFF)))


@api("/admin/cases/{case_id}/evidence-pack", "GET")
def evidence_pack(case_id: str) -> dict[str, Any]:
    broker = broker_id()
    locale = query(schemas.PACK_QUERY).get("locale")
    return bootstrap.evidence_packs().for_broker(broker, case_id, locale)

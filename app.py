"""Chalice routes: parse the request, call one service, shape the answer. Errors map to HTTP here only."""
from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator
from typing import Any

from chalice import Chalice, CORSConfig, Rate, Response
from chalice.app import Request

from chalicelib import bootstrap, cors, schemas, validation, views
from chalicelib.domain import report_csv
from chalicelib.domain.errors import PortalError, Unauthorized
from chalicelib.domain.history import verify_history
from chalicelib.domain.staff import ROLES, Principal
from chalicelib.services import acting
from chalicelib.services.brokers import BAD_KEY

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
# Staff routes answer CORS for the console's origin only (chalicelib/cors.py); their methods, by path.
STAFF_PATHS: dict[str, list[str]] = {}


def api(path: str, method: str = "GET", role: str | None = None,
        **options: Any) -> Callable[[Callable[..., Any]], Any]:
    """app.route plus the single mapping from the project's errors to JSON error responses.

    An /admin route must name its least role: the request's credentials are checked against it before
    the view runs (401 without valid ones, 403 when the role is too low), and the view's changes record
    who made them.
    """
    def register(view: Callable[..., Any]) -> Any:
        if path.startswith("/admin") and role not in ROLES:
            raise ValueError(f"{method} {path}: an admin route must declare role= one of {ROLES}")
        if role is not None:
            ROUTE_ROLES[(path, method)] = role
        staff = path.startswith(("/admin", "/console"))
        if staff:
            _allow_preflight(path, method)
        @functools.wraps(view)
        def handler(**params: Any) -> Any:
            try:
                with _acting(role):
                    answer = view(**params)
            except PortalError as exc:
                answer = error_response(exc)
            if not isinstance(answer, Response):
                answer = Response(body=answer)
            if answer.status_code != 204:
                answer.headers.setdefault("Content-Type", "application/json")  # Chalice leaves it to API Gateway
            if staff:
                answer.headers.update(cors.headers(bootstrap.settings().console_origin))
            return answer
        if method != "GET":
            # Bodies are parsed by validation.parse_body whatever the label, so `curl -d` without a JSON
            # Content-Type gets our JSON error naming the problem, not Chalice's own 415 shape.
            options.setdefault("content_types", BODY_TYPES)
        return app.route(path, methods=[method], **options)(handler)
    return register


@contextlib.contextmanager
def _acting(role: str | None) -> Iterator[None]:
    """For a route with a role: who sends the request, checked against the role, for the view's changes."""
    if role is None:
        yield
        return
    principal = bootstrap.staff_auth().authenticate(request().headers.get("authorization"))
    principal.require(role)
    with acting.acting_as(principal):
        yield


def _allow_preflight(path: str, method: str) -> None:
    """The first route of a staff path also registers its CORS preflight, answered by the function (so the
    allowed origin is the stage's, from its settings, not a value fixed in the packaged API)."""
    first = path not in STAFF_PATHS
    STAFF_PATHS.setdefault(path, []).append(method)
    if not first:
        return

    def preflight(**_: Any) -> Response:
        headers: dict[str, str | list[str]] = {**cors.preflight(bootstrap.settings().console_origin, STAFF_PATHS[path])}
        return Response(body="", status_code=204, headers=headers)
    preflight.__name__ = f"preflight_{len(STAFF_PATHS)}"
    app.route(path, methods=["OPTIONS"])(preflight)


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


def principal() -> Principal:
    """Who sends the request (an /admin route has checked it against its role before its view runs)."""
    current = acting.current()
    assert current is not None, "principal() outside a route with a role"
    return current


def broker_id() -> str:
    return principal().broker_id


def customer_token() -> str | None:
    return schemas.bearer(request().headers.get("authorization"))


# --- broker admin -------------------------------------------------------------------------------

@api("/admin/cases", "POST", role="collector")
def create_case() -> Response:
    broker = broker_id()
    payload = body(schemas.CREATE_CASE)
    idempotency_key = request().headers.get("idempotency-key")
    if idempotency_key is not None:
        validation.validate(idempotency_key, schemas.IDEMPOTENCY_KEY, "Idempotency-Key")
    case, events = bootstrap.case_service().create(broker, payload, idempotency_key)
    view = views.admin_case(case, events, bootstrap.pay_links().url(case))
    return Response(body=view, status_code=201, headers={"Location": f"/admin/cases/{case.case_id}"})


@api("/admin/cases", "GET", role="viewer")
def list_cases() -> dict[str, Any]:
    broker = broker_id()
    params = query(schemas.LIST_QUERY)
    limit = params.get("limit", schemas.DEFAULT_LIMIT)
    search = bootstrap.case_search()
    if search.wanted(params):
        return search.search(broker, params, limit, params.get("cursor"))
    cases, cursor = bootstrap.case_service().list_cases(broker, params.get("status"), limit, params.get("cursor"))
    return {"items": [search.listed(c) for c in cases], "next_cursor": cursor}


def timeline_before() -> int | None:
    """`?before=`: read the page of the timeline under this event (the view's events_before/timeline_before)."""
    before: int | None = query(schemas.TIMELINE_QUERY).get("before")
    return before


@api("/admin/cases/{case_id}", "GET", role="viewer")
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


@api("/admin/cases/{case_id}/verify", "GET", role="viewer")
def verify_case(case_id: str) -> dict[str, Any]:
    """The whole timeline from the genesis, checked against the head hashes anchored outside the table."""
    from chalicelib.services.audit import audit_view

    broker = broker_id()
    return audit_view(case_id, bootstrap.case_audit().verify(broker, case_id))


@api("/admin/cases/{case_id}/notes", "POST", role="collector")
def add_note(case_id: str) -> Response:
    broker = broker_id()
    payload = body(schemas.ADD_NOTE)
    case, events = bootstrap.case_service().add_note(broker, case_id, payload["kind"], payload["text"])
    return Response(body=views.admin_case(case, events), status_code=201)


@api("/admin/cases/{case_id}/links", "POST", role="collector")
def issue_link(case_id: str) -> Response:
    broker = broker_id()
    body(schemas.EMPTY)
    case, _ = bootstrap.case_service().issue_link(broker, case_id)
    links = bootstrap.pay_links()
    return Response(body={"pay_url": links.url(case), "link_id": case.link.link_id,
                          "link_version": case.link.version, "expires_at": case.link.expires_at},
                    status_code=201)


# --- reminders ------------------------------------------------------------------------

@api("/admin/policy", "GET", role="viewer")
def get_policy() -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.policy_service().get(broker, query(schemas.POLICY_QUERY).get("version"))


@api("/admin/policy", "PUT", role="owner")
def put_policy() -> dict[str, Any]:
    broker = broker_id()
    payload = body(schemas.POLICY)  # rules across fields (offsets increasing...) are the domain's
    return bootstrap.policy_service().put(broker, payload, by=principal().by)


@api("/admin/cases/{case_id}/pause", "POST", role="collector")
def pause_reminders(case_id: str) -> dict[str, Any]:
    broker = broker_id()
    payload = body(schemas.PAUSE)
    control = bootstrap.reminder_control()
    case, events = control.pause(broker, case_id, payload.get("until"), payload.get("reason"))
    return {**views.admin_case(case, events), "reminders": control.describe(case)}


@api("/admin/cases/{case_id}/resume", "POST", role="collector")
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


@api("/admin/cases/{case_id}/payments", "POST", role="collector")
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


@api("/admin/cases/{case_id}/disputes/{dispute_id}/resolve", "POST", role="collector")
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


@api("/admin/cases/{case_id}/plan-offers", "POST", role="collector")
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


@api("/admin/imports", "POST", role="owner")
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


@api("/admin/imports/{import_id}", "GET", role="viewer")
def get_import(import_id: str) -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.import_service().get(broker, import_id, query(schemas.IMPORT_STATUS_QUERY).get("after", 0))


@api("/admin/imports/{import_id}/failed.csv", "GET", role="viewer")
def failed_rows(import_id: str) -> Response:
    broker = broker_id()
    text = bootstrap.import_service().failed_csv(broker, import_id)
    return Response(body=text, headers={"Content-Type": "text/csv; charset=utf-8",
                                        "Content-Disposition": f'attachment; filename="{import_id}-failed.csv"'})


@api("/admin/import-mappings", "GET", role="viewer")
def import_mappings() -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.import_service().mappings(broker)


@api("/admin/import-mappings/{name}", "PUT", role="owner")
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

@api("/admin/notifications", "GET", role="viewer")
def get_notifications() -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.broker_notices().view(broker)


@api("/admin/notifications", "PUT", role="owner")
def put_notifications() -> dict[str, Any]:
    broker = broker_id()
    payload = body(schemas.NOTIFICATIONS)  # rules across fields (digest delivery needs the digest) are the domain's
    return bootstrap.broker_notices().put(broker, payload)


@api("/admin/notifications/log", "GET", role="viewer")
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

@api("/admin/webhooks", "POST", role="owner")
def create_webhook() -> Response:
    broker = broker_id()
    payload = body(schemas.WEBHOOK_CREATE)
    view, secret = bootstrap.webhooks_service().create(broker, payload)
    return Response(body={**view, "secret": secret}, status_code=201,
                    headers={"Location": f"/admin/webhooks/{view['endpoint_id']}"})


@api("/admin/webhooks", "GET", role="viewer")
def list_webhooks() -> dict[str, Any]:
    broker = broker_id()
    return {"items": bootstrap.webhooks_service().list_endpoints(broker)}


@api("/admin/webhooks/{endpoint_id}", "GET", role="viewer")
def get_webhook(endpoint_id: str) -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.webhooks_service().get(broker, endpoint_id)


@api("/admin/webhooks/{endpoint_id}", "PATCH", role="owner")
def update_webhook(endpoint_id: str) -> dict[str, Any]:
    broker = broker_id()
    payload = body(schemas.WEBHOOK_UPDATE)
    return bootstrap.webhooks_service().update(broker, endpoint_id, payload)


@api("/admin/webhooks/{endpoint_id}", "DELETE", role="owner")
def delete_webhook(endpoint_id: str) -> dict[str, Any]:
    broker = broker_id()
    bootstrap.webhooks_service().delete(broker, endpoint_id)
    return {"deleted": True, "endpoint_id": endpoint_id}


@api("/admin/webhooks/{endpoint_id}/deliveries", "GET", role="viewer")
def webhook_deliveries(endpoint_id: str) -> dict[str, Any]:
    broker = broker_id()
    params = query(schemas.DELIVERIES_QUERY)
    items, cursor = bootstrap.webhooks_service().deliveries(
        broker, endpoint_id, params.get("limit", schemas.DEFAULT_LIMIT), params.get("cursor"))
    return {"items": items, "next_cursor": cursor}


@api("/admin/webhooks/{endpoint_id}/test", "POST", role="owner")
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

@api("/admin/partners", "POST", role="owner")
def add_partner() -> Response:
    broker = broker_id()
    partner = bootstrap.closing_service().add_partner(broker, body(schemas.PARTNER))
    return Response(body=partner.as_dict(), status_code=201,
                    headers={"Location": f"/admin/partners/{partner.partner_id}"})


@api("/admin/partners", "GET", role="viewer")
def list_partners() -> dict[str, Any]:
    broker = broker_id()
    return {"items": [p.as_dict() for p in bootstrap.closing_service().partners(broker)]}


@api("/admin/partners/{partner_id}", "GET", role="viewer")
def get_partner(partner_id: str) -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.closing_service().partner(broker, partner_id).as_dict()


@api("/admin/partners/{partner_id}", "PATCH", role="owner")
def update_partner(partner_id: str) -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.closing_service().update_partner(broker, partner_id, body(schemas.PARTNER_PATCH)).as_dict()


@api("/admin/partners/{partner_id}", "DELETE", role="owner")
def delete_partner(partner_id: str) -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.closing_service().delete_partner(broker, partner_id).as_dict()


def _closing_answer(case: Any, events: list[Any]) -> Response:
    return Response(body={**views.admin_case(case, events), "reminders": bootstrap.reminder_control().describe(case)},
                    status_code=201)


@api("/admin/cases/{case_id}/escalate", "POST", role="collector")
def escalate_case(case_id: str) -> Response:
    broker = broker_id()
    case, events, pack = bootstrap.closing_service().escalate(broker, case_id, body(schemas.ESCALATE))
    answer = _closing_answer(case, events)
    answer.body["pack"] = pack  # building: the worker emails the partner once it is built
    return answer


@api("/admin/cases/{case_id}/escalation/outcome", "POST", role="collector")
def escalation_outcome(case_id: str) -> Response:
    broker = broker_id()
    return _closing_answer(*bootstrap.closing_service().outcome(broker, case_id, body(schemas.ESCALATION_OUTCOME)))


@api("/admin/cases/{case_id}/mediation", "POST", role="collector")
def start_mediation(case_id: str) -> Response:
    broker = broker_id()
    return _closing_answer(*bootstrap.closing_service().mediation(broker, case_id, body(schemas.MEDIATION)))


@api("/admin/cases/{case_id}/write-off", "POST", role="owner")
def write_off(case_id: str) -> Response:
    broker = broker_id()
    return _closing_answer(*bootstrap.closing_service().write_off(broker, case_id, body(schemas.WRITE_OFF)))


@api("/admin/cases/{case_id}/evidence-pack", "GET", role="viewer")
def evidence_pack(case_id: str) -> Response:
    broker = broker_id()
    locale = query(schemas.PACK_QUERY).get("locale")
    status, answer = bootstrap.pack_builds().request(broker, case_id, locale)
    return Response(body=answer, status_code=status,
                    headers={"Location": answer["status_url"]} if status == 202 else {})


@api("/admin/cases/{case_id}/evidence-packs/{pack_id}", "GET", role="viewer")
def evidence_pack_status(case_id: str, pack_id: str) -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.pack_builds().status(broker, case_id, pack_id)


@app.lambda_function(name="evidence_pack_worker")
def evidence_pack_worker(event: dict[str, Any], context: Any) -> None:
    # One pack per message (batch size 1); an exception leaves the message to SQS, which redelivers it.
    for record in event.get("Records", []):
        attempt = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
        bootstrap.pack_builds().build(record["body"], attempt)


# --- staff: console sign-in (through the API: the browser never talks to Cognito), the team, API keys -------

@api("/console/session", "POST")
def console_sign_in() -> dict[str, Any]:
    payload = body(schemas.CONSOLE_SIGN_IN)
    return bootstrap.console_sessions().start(payload["email"], payload["password"])


@api("/console/session/challenge", "POST")
def console_challenge() -> dict[str, Any]:
    p = body(schemas.CONSOLE_CHALLENGE)
    return bootstrap.console_sessions().challenge(p["email"], p["session"], p["challenge"], p.get("code"),
                                                  p.get("new_password"))


@api("/console/session/refresh", "POST")
def console_refresh() -> dict[str, Any]:
    return bootstrap.console_sessions().refresh(body(schemas.CONSOLE_REFRESH)["refresh_token"])


@api("/console/session", "DELETE")
def console_sign_out() -> Response:
    access_token = customer_token()  # the bearer: the session's access token
    if not access_token:
        raise Unauthorized(BAD_KEY)
    bootstrap.console_sessions().sign_out(access_token)
    return Response(body="", status_code=204)


@api("/console/password/forgot", "POST")
def console_forgot_password() -> Response:
    bootstrap.console_sessions().forgot(body(schemas.PASSWORD_FORGOT)["email"])
    return Response(body={"status": "sent if the address has an account"}, status_code=202)


@api("/console/password/reset", "POST")
def console_reset_password() -> Response:
    p = body(schemas.PASSWORD_RESET)
    bootstrap.console_sessions().reset(p["email"], p["code"], p["new_password"])
    return Response(body="", status_code=204)


@api("/console/mfa/setup", "POST")
def console_mfa_setup() -> dict[str, Any]:
    return bootstrap.console_sessions().mfa_setup(body(schemas.MFA_SETUP)["access_token"])


@api("/console/mfa/verify", "POST")
def console_mfa_verify() -> Response:
    p = body(schemas.MFA_VERIFY)
    bootstrap.console_sessions().mfa_verify(p["access_token"], p["code"])
    return Response(body="", status_code=204)


@api("/console/mfa", "DELETE")
def console_mfa_disable() -> Response:
    access_token = customer_token()  # the bearer: the session's access token, as for signing out
    if not access_token:
        raise Unauthorized(BAD_KEY)
    bootstrap.console_sessions().mfa_disable(access_token)
    return Response(body="", status_code=204)


@api("/admin/me", "GET", role="viewer")
def who_am_i() -> dict[str, Any]:
    from chalicelib.services.staff import user_view

    me = principal()
    broker = bootstrap.store().get_broker(me.broker_id)
    user = user_view(me, mfa=False) if me.kind == "api_key" else bootstrap.staff_directory().me(me)
    return {"user": user, "broker": {"id": broker.broker_id, "name": broker.name}, "permissions": me.permissions()}


@api("/admin/users", "GET", role="owner")
def list_users() -> dict[str, Any]:
    return {"items": bootstrap.staff_directory().list(broker_id())}


@api("/admin/users", "POST", role="owner")
def invite_user() -> Response:
    p = body(schemas.USER_INVITE)
    user = bootstrap.staff_directory().invite(broker_id(), p["email"], p["name"], p["role"])
    return Response(body=user, status_code=201, headers={"Location": f"/admin/users/{user['id']}"})


@api("/admin/users/{user_id}", "PATCH", role="owner")
def change_user_role(user_id: str) -> dict[str, Any]:
    return bootstrap.staff_directory().set_role(principal(), user_id, body(schemas.USER_ROLE)["role"])


@api("/admin/users/{user_id}", "DELETE", role="owner")
def remove_user(user_id: str) -> Response:
    bootstrap.staff_directory().remove(principal(), user_id)
    return Response(body="", status_code=204)


@api("/admin/users/{user_id}/mfa", "DELETE", role="owner")
def reset_user_mfa(user_id: str) -> dict[str, Any]:
    return bootstrap.staff_directory().reset_mfa(broker_id(), user_id)


@api("/admin/api-keys", "GET", role="owner")
def list_api_keys() -> dict[str, Any]:
    from chalicelib.services.brokers import key_view, named_keys

    return {"items": [key_view(k) for k in named_keys(bootstrap.store(), broker_id())]}


@api("/admin/api-keys", "POST", role="owner")
def create_api_key() -> Response:
    from chalicelib.services.brokers import create_key, key_view

    name = body(schemas.API_KEY_CREATE)["name"]
    stored, api_key = create_key(bootstrap.store(), bootstrap.utc_now, broker_id(), name)
    return Response(body={**key_view(stored), "api_key": api_key}, status_code=201)


@api("/admin/api-keys/{key_id}", "DELETE", role="owner")
def revoke_api_key(key_id: str) -> Response:
    from chalicelib.services.brokers import revoke_key_id

    revoke_key_id(bootstrap.store(), broker_id(), key_id)
    return Response(body="", status_code=204)


# --- the console's read models: today, case previews, policy preview and versions, settings ----------------

@api("/admin/today", "GET", role="viewer")
def today() -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.today().view(broker)


@api("/admin/policy/preview", "POST", role="viewer")
def preview_policy() -> dict[str, Any]:
    broker = broker_id()
    payload = body(schemas.POLICY_PREVIEW)
    if "policy" in payload:
        validation.validate(payload["policy"], schemas.POLICY)  # the very errors PUT /admin/policy gives
    return bootstrap.policy_console().preview(broker, payload)


@api("/admin/policy/versions", "GET", role="viewer")
def policy_versions() -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.policy_console().versions(broker)


@api("/admin/cases/{case_id}/next-reminder", "GET", role="viewer")
def next_reminder(case_id: str) -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.next_reminder().view(broker, case_id)


@api("/admin/settings", "GET", role="viewer")
def get_settings() -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.broker_settings().get(broker)


@api("/admin/settings", "PUT", role="owner")
def put_settings() -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.broker_settings().put(broker, body(schemas.BROKER_SETTINGS))


# --- reports ----------------------------------------------------------------------------------------------

def _csv(text: str, filename: str, headers: dict[str, str] | None = None) -> Response:
    return Response(body=text, headers={"Content-Type": "text/csv; charset=utf-8",
                                        "Content-Disposition": f'attachment; filename="{filename}"', **(headers or {})})


@api("/admin/reports/receivables", "GET", role="viewer")
def receivables_report() -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.report_service().receivables(broker, query(schemas.RECEIVABLES_QUERY))


@api("/admin/reports/receivables.csv", "GET", role="viewer")
def receivables_report_csv() -> Response:
    broker = broker_id()
    report = bootstrap.report_service().receivables(broker, query(schemas.RECEIVABLES_QUERY))
    return _csv(report_csv.receivables_csv(report), f"receivables-{report['as_of']}.csv")


@api("/admin/reports/performance", "GET", role="viewer")
def performance_report() -> dict[str, Any]:
    broker = broker_id()
    return bootstrap.report_service().performance(broker, query(schemas.PERFORMANCE_QUERY))


@api("/admin/reports/performance.csv", "GET", role="viewer")
def performance_report_csv() -> Response:
    broker = broker_id()
    report = bootstrap.report_service().performance(broker, query(schemas.PERFORMANCE_QUERY))
    return _csv(report_csv.performance_csv(report), f"performance-{report['from']}-{report['to']}.csv")


@api("/admin/reports/forecast", "GET", role="viewer")
def forecast_report() -> dict[str, Any]:
    broker = broker_id()
    days: int = query(schemas.FORECAST_QUERY).get("days", 7)
    return bootstrap.report_service().forecast(broker, days)


@api("/admin/cases.csv", "GET", role="viewer")
def cases_csv() -> Response:
    # The list route's own view answers (this route already checked who asks), so the CSV takes exactly its
    # filters, checks and page (cursor in a header).
    page: dict[str, Any] = list_cases.__wrapped__()
    cursor = page.get("next_cursor")
    return _csv(report_csv.items_csv(page["items"]), "cases.csv", {"X-Next-Cursor": cursor} if cursor else None)

"""One broker's key only ever reaches that broker's data; bad keys get one plain JSON 401."""
from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

import boto3
import pytest

from app import app
from chalicelib import bootstrap
from chalicelib.domain.errors import Forbidden, NotFound, Unauthorized
from chalicelib.domain.staff import RANK, ROLES
from chalicelib.services import brokers
from portal import infra
from portal.staff_users import seed_user
from tests.api.conftest import listing, open_case, read_case, token_of
from tests.conftest import SITE, auth, case_body, get
from tests.staff_kit import ConsoleUsers

# Every admin route with a request that would succeed for the case's own broker.
# `{case_id}` is filled with a case of the broker under test.
ADMIN_REQUESTS: dict[tuple[str, str], Any] = {
    ("/admin/cases", "POST"): case_body(invoice__number="INV-NEW"),
    ("/admin/cases", "GET"): None,
    ("/admin/cases/{case_id}", "GET"): None,
    ("/admin/cases/{case_id}/verify", "GET"): None,
    ("/admin/cases/{case_id}/notes", "POST"): {"kind": "call", "text": "Spoke to Jane"},
    ("/admin/cases/{case_id}/links", "POST"): {},
    ("/admin/cases/{case_id}/pause", "POST"): {"reason": "on holiday"},
    ("/admin/cases/{case_id}/resume", "POST"): {},
    ("/admin/policy", "GET"): None,
    ("/admin/policy", "PUT"): {"ladder": [{"offset_days": 3, "template": "reminder", "stage": "reminder"}]},
    ("/admin/cases/{case_id}/payments", "POST"): {"amount": 1000, "method": "bank_transfer", "reference": "BT-1",
                                                 "received_on": "2026-11-01"},
    ("/admin/cases/{case_id}/plan-offers", "POST"): {"installments": 3, "interval": "monthly"},
    ("/admin/cases/{case_id}/disputes/{dispute_id}/resolve", "POST"): {"outcome": "rejected",
                                                                      "message": "The delivery note is signed"},
    ("/admin/notifications", "GET"): None,
    ("/admin/notifications", "PUT"): {"recipients": ["ops@acme.test"], "locale": "de"},
    ("/admin/notifications/log", "GET"): None,
    ("/admin/webhooks", "POST"): {"url": "https://hooks.acme.test/new", "event_types": ["case.opened"]},
    ("/admin/webhooks", "GET"): None,
    ("/admin/webhooks/{endpoint_id}", "GET"): None,
    ("/admin/webhooks/{endpoint_id}", "PATCH"): {"enabled": False},
    ("/admin/webhooks/{endpoint_id}", "DELETE"): None,
    ("/admin/webhooks/{endpoint_id}/deliveries", "GET"): None,
    ("/admin/webhooks/{endpoint_id}/test", "POST"): {},
    ("/admin/imports", "POST"): {"filename": "invoices.csv"},
    ("/admin/imports/{import_id}", "GET"): None,
    ("/admin/imports/{import_id}/failed.csv", "GET"): None,
    ("/admin/import-mappings", "GET"): None,
    ("/admin/import-mappings/{name}", "PUT"): {"preset": "xero", "decimal": ","},
    ("/admin/partners", "POST"): {"kind": "law_firm", "name": "Lex & Co", "email": "files@lex.test"},
    ("/admin/partners", "GET"): None,
    ("/admin/partners/{partner_id}", "GET"): None,
    ("/admin/partners/{partner_id}", "PATCH"): {"fee_bp": 1200},
    ("/admin/partners/{partner_id}", "DELETE"): None,
    ("/admin/cases/{case_id}/escalate", "POST"): {"partner_id": "{partner_id}", "note": "please"},
    ("/admin/cases/{case_id}/escalation/outcome", "POST"): {"closed": True, "returned_to_broker": True},
    ("/admin/me", "GET"): None,
    ("/admin/users", "GET"): None,
    ("/admin/users", "POST"): {"email": "new.member@staff.test", "name": "New Member", "role": "viewer"},
    ("/admin/users/{user_id}", "PATCH"): {"role": "collector"},
    ("/admin/users/{user_id}", "DELETE"): None,
    ("/admin/users/{user_id}/mfa", "DELETE"): None,
    ("/admin/api-keys", "GET"): None,
    ("/admin/api-keys", "POST"): {"name": "ERP sync"},
    ("/admin/api-keys/{key_id}", "DELETE"): None,
    ("/admin/cases/{case_id}/mediation", "POST"): {"mediator_id": "{mediator_id}", "hold_until": "{in_a_month}"},
    ("/admin/cases/{case_id}/write-off", "POST"): {"reason": "insolvent"},
    ("/admin/cases/{case_id}/evidence-pack", "GET"): None,
    ("/admin/cases/{case_id}/evidence-packs/{pack_id}", "GET"): None,
    ("/admin/today", "GET"): None,
    ("/admin/policy/preview", "POST"): {"invoice": {"amount": 5000, "currency": "EUR", "due_date": "2026-11-30",
                                                    "timezone": "Europe/Paris"}},
    ("/admin/policy/versions", "GET"): None,
    ("/admin/cases/{case_id}/next-reminder", "GET"): None,
    ("/admin/settings", "GET"): None,
    ("/admin/settings", "PUT"): {"name": "Acme Receivables", "email": "ar@acme.test", "phone": "+442071234567"},
    ("/admin/reports/receivables", "GET"): None,
    ("/admin/reports/receivables.csv", "GET"): None,
    ("/admin/reports/performance", "GET"): None,
    ("/admin/reports/performance.csv", "GET"): None,
    ("/admin/reports/forecast", "GET"): None,
    ("/admin/cases.csv", "GET"): None,
}


@pytest.fixture(autouse=True)
def staff(console_users: ConsoleUsers) -> ConsoleUsers:
    """The staff pool: /admin/users reaches it, and staff tokens are bearers like keys."""
    return console_users


@pytest.fixture(autouse=True)
def evidence_bucket(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Packs (escalation, evidence-pack) are written to the evidence bucket, as the API is deployed with it."""
    monkeypatch.setenv("EVIDENCE_BUCKET", "evidence-tenants")
    infra.create_evidence_bucket(boto3.client("s3"), "evidence-tenants", SITE, "eu-west-1")
    bootstrap.reset()


CASE_ROUTES = [route for route in ADMIN_REQUESTS if "{case_id}" in route[0]]
BAD_KEY_BODY = {"error": {"code": "unauthorized", "message": brokers.BAD_KEY, "field": None}}


def send(client, route: tuple[str, str], case_id: str, headers: dict[str, str]) -> Any:
    path, method = route
    path = path.replace("{case_id}", case_id)
    if "{dispute_id}" in path:
        path = path.replace("{dispute_id}", _dispute_of(case_id, headers))
    if "{endpoint_id}" in path:
        path = path.replace("{endpoint_id}", _endpoint_of(headers))
    if "{import_id}" in path:  # an import of the key's broker, if the key is good (test_imports: other brokers)
        path = path.replace("{import_id}", _import_of(headers))
    if "{pack_id}" in path:
        path = path.replace("{pack_id}", _pack_of(case_id, headers))
    path = path.replace("{name}", "my-mapping")
    if "{user_id}" in path:
        path = path.replace("{user_id}", _member_of(headers))
    if "{key_id}" in path:
        path = path.replace("{key_id}", _spare_key_of(headers))
    if "{partner_id}" in path:
        path = path.replace("{partner_id}", _partner_of(headers, "collection_agency"))
    body = json.dumps(ADMIN_REQUESTS[route])
    if "{partner_id}" in body or "{mediator_id}" in body:
        in_a_month = (bootstrap.utc_now() + timedelta(days=30)).isoformat().replace("+00:00", "Z")
        body = body.replace("{partner_id}", _partner_of(headers, "collection_agency")).replace(
            "{mediator_id}", _partner_of(headers, "mediator")).replace("{in_a_month}", in_a_month)
    if path.endswith("/escalation/outcome"):
        _escalated(case_id, headers)
    if method == "GET":
        return client.http.get(path, headers=headers)
    return client.http.request(method, path, headers={**headers, "Content-Type": "application/json"}, body=body)


def _owner(headers: dict[str, str]) -> str | None:
    """The broker of the bearer (an API key or a staff member's token), None when it is refused."""
    try:
        return bootstrap.staff_auth().authenticate(headers.get("Authorization")).broker_id
    except (Unauthorized, Forbidden):
        return None


def _member_of(headers: dict[str, str]) -> str:
    """A staff member of the bearer's broker (another broker's members: test_staff.py)."""
    owner = _owner(headers)
    if owner is None:
        return "u-none"
    return seed_user(boto3.client("cognito-idp"), bootstrap.settings().require("user_pool_id"), owner,
                     f"member-{secrets.token_hex(3)}@staff.test", "A Member", "viewer")


def _spare_key_of(headers: dict[str, str]) -> str:
    owner = _owner(headers)
    if owner is None:
        return "k0000000000000000"
    return brokers.create_key(bootstrap.store(), bootstrap.utc_now, owner, "spare")[0].key_id


def _partner_of(headers: dict[str, str], kind: str) -> str:
    """A partner of the key's broker (tests of other brokers' partners: test_closing.py)."""
    owner = _owner(headers)
    if owner is None:
        return "p000000000000"
    return bootstrap.closing_service().add_partner(owner, {"kind": kind, "name": "Agency", "email": "a@agency.test"}
                                                   ).partner_id


def _escalated(case_id: str, headers: dict[str, str]) -> None:
    """An outcome needs a case with a partner: escalated when the key's broker owns the case."""
    owner = _owner(headers)
    try:
        if owner is not None and bootstrap.store().load(owner, case_id)[0].status != "escalated":
            bootstrap.closing_service().escalate(owner, case_id, {"partner_id": _partner_of(headers, "law_firm")})
    except NotFound:
        pass


def _import_of(headers: dict[str, str]) -> str:
    owner = _owner(headers)
    if owner is None:
        return "impunknown"
    job, _ = bootstrap.import_service().start(owner, None, None, False, "invoices.csv")
    return job.import_id


def _dispute_of(case_id: str, headers: dict[str, str]) -> str:
    """`d1`, the case's first dispute: opened by its customer only when `headers` carry the case's own
    broker's key, so a request with anyone else's key finds the case exactly as it was."""
    owner = _owner(headers)
    try:
        case, _ = bootstrap.store().load(owner or "b-none", case_id)
    except NotFound:
        return "d1"
    if case.self_service.current_dispute is None:
        bootstrap.self_service().open_dispute(bootstrap.pay_links().token(case),
                                              {"reason": "quality", "message": "It arrived broken"})
    return "d1"


def _pack_of(case_id: str, headers: dict[str, str]) -> str:
    """A pack of the case asked for by the key's broker, if the case is that broker's."""
    owner = _owner(headers)
    try:
        return str(bootstrap.pack_builds().request(owner, case_id, None)[1]["pack_id"]) if owner else "v1-en"
    except NotFound:
        return "v1-en"


def _endpoint_of(headers: dict[str, str]) -> str:
    """A webhook endpoint of the key's broker (tests of other brokers' endpoints: test_outbound_webhooks.py)."""
    owner = _owner(headers)
    if owner is None:
        return "we_none"
    return str(bootstrap.webhooks_service().create(owner, {"url": "https://hooks.acme.test/x",
                                                           "event_types": ["case.opened"]})[0]["endpoint_id"])


def test_the_table_above_covers_every_admin_route_of_the_app():
    in_app = {(path, method) for path, methods in app.routes.items() for method in methods
              if path.startswith("/admin") and method != "OPTIONS"}
    assert in_app == set(ADMIN_REQUESTS)


@pytest.mark.parametrize("route", sorted(ADMIN_REQUESTS), ids="{0[1]} {0[0]}".format)
def test_each_admin_request_in_the_table_works_for_the_owner(client, broker, route):
    _, key = broker
    case = open_case(client, key)
    answer = send(client, route, case["case_id"], auth(key))
    assert answer.status_code in (200, 201, 202, 204), answer.json_body


@pytest.mark.parametrize("route", CASE_ROUTES, ids="{0[1]} {0[0]}".format)
def test_another_brokers_key_on_this_brokers_case_is_a_404_and_changes_nothing(client, broker, other_broker,
                                                                                  route):
    _, key = broker
    _, other_key = other_broker
    case = open_case(client, key)
    before = read_case(client, key, case["case_id"])

    answer = send(client, route, case["case_id"], auth(other_key))
    unknown = send(client, route, "c0000000000000000", auth(other_key))

    assert answer.status_code == 404, answer.json_body
    # Exactly what a case that does not exist looks like: no hint that this one does.
    assert answer.json_body == unknown.json_body
    assert answer.json_body["error"]["code"] == "not_found"
    assert case["case_id"] not in str(answer.json_body)
    assert read_case(client, key, case["case_id"]) == before
    assert get(client, "/customer/case", token_of(case["pay_url"])).status_code == 200


def test_listings_never_show_another_brokers_cases(client, broker, other_broker):
    _, key = broker
    _, other_key = other_broker
    mine = {open_case(client, key, invoice__number=f"INV-{n}")["case_id"] for n in range(3)}
    # The same invoice numbers at the other broker: separate tenants, separate cases.
    theirs = {open_case(client, other_key, invoice__number=f"INV-{n}")["case_id"] for n in range(2)}

    assert set(listing(client, key)) == mine
    assert set(listing(client, other_key)) == theirs
    assert set(listing(client, key, "&status=open")) == mine
    assert set(listing(client, other_key, "&status=open")) == theirs
    for search in ("&sort=customer", "&q=inv-", "&currency=EUR&sort=balance&order=desc", "&overdue_min=0"):
        assert set(listing(client, key, search)) == mine
        assert set(listing(client, other_key, search)) == theirs


def test_settings_are_each_brokers_own(client, broker, other_broker):
    _, key = broker
    _, other_key = other_broker
    changed = client.http.put("/admin/settings", headers=auth(key), body=json.dumps(
        {"name": "Acme Receivables", "email": "ar@acme.test", "phone": "+442071234567"}))
    assert changed.status_code == 200
    assert get(client, "/admin/settings", other_key).json_body["name"] == "Other Ltd"
    assert get(client, "/admin/settings", other_key).json_body["phone"] is None


def test_today_never_shows_another_brokers_cases(client, broker, other_broker):
    _, key = broker
    _, other_key = other_broker
    case = open_case(client, key)
    bootstrap.self_service().open_dispute(token_of(case["pay_url"]), {"reason": "quality", "message": "Broken"})
    assert [i["case_id"] for i in get(client, "/admin/today", key).json_body["items"]] == [case["case_id"]]
    assert get(client, "/admin/today", other_key).json_body["items"] == []


def test_reports_count_only_the_brokers_own_cases(client, broker, other_broker):
    _, key = broker
    _, other_key = other_broker
    open_case(client, key, invoice__number="INV-1", invoice__amount=1000)
    open_case(client, other_key, invoice__number="INV-1", invoice__amount=2000, invoice__currency="USD")
    open_case(client, other_key, invoice__number="INV-2", invoice__amount=3000)

    mine = get(client, "/admin/reports/receivables", key).json_body
    theirs = get(client, "/admin/reports/receivables", other_key).json_body
    assert [(c["currency"], c["open"]) for c in mine["currencies"]] == [("EUR", 1000)]
    assert [(c["currency"], c["open"]) for c in theirs["currencies"]] == [("EUR", 3000), ("USD", 2000)]
    assert mine["by_status"] == {"open": 1} and theirs["by_status"] == {"open": 2}
    performance = get(client, "/admin/reports/performance", key).json_body
    assert {c["currency"]: c["billed"] for c in performance["currencies"]} == {"EUR": 1000}
    rows = get(client, "/admin/cases.csv", key).body.decode().splitlines()
    assert len(rows) == 2 and "2000" not in rows[1] and "3000" not in rows[1]


def _garbled(broker_id: str, key: str, other_id: str) -> dict[str, dict[str, str]]:
    secret = key.rsplit("_", 1)[1]
    return {
        "missing": {},
        "empty bearer": {"Authorization": "Bearer "},
        "basic scheme": {"Authorization": f"Basic {key}"},
        "key without scheme": {"Authorization": key},
        "wrong secret": {"Authorization": f"Bearer cpk_{broker_id}_{'0' * 48}"},
        "truncated": {"Authorization": f"Bearer {key[:-1]}"},
        "no broker part": {"Authorization": f"Bearer cpk__{secret}"},
        "wrong prefix": {"Authorization": f"Bearer xyz_{broker_id}_{secret}"},
        "extra part": {"Authorization": f"Bearer {key}_x"},
        "my secret under another broker": {"Authorization": f"Bearer cpk_{other_id}_{secret}"},
        "garbage": {"Authorization": "Bearer \u00e9\u00e9\u00e9"},
    }


@pytest.mark.parametrize("route", sorted(ADMIN_REQUESTS), ids="{0[1]} {0[0]}".format)
def test_missing_or_garbled_keys_get_the_same_json_401_on_every_admin_route(client, broker, other_broker, route):
    broker_id, key = broker
    other_id, _ = other_broker
    case = open_case(client, key)
    before = read_case(client, key, case["case_id"])

    for name, headers in _garbled(broker_id, key, other_id).items():
        answer = send(client, route, case["case_id"], headers)
        assert answer.status_code == 401, name
        assert answer.json_body == BAD_KEY_BODY, name
        assert answer.headers.get("WWW-Authenticate") == "Bearer", name

    assert read_case(client, key, case["case_id"]) == before
    assert listing(client, key) == [case["case_id"]]


@pytest.mark.parametrize("route", sorted(ADMIN_REQUESTS), ids="{0[1]} {0[0]}".format)
def test_a_revoked_key_gets_a_401_while_the_brokers_other_key_keeps_working(client, broker, route):
    broker_id, key = broker
    case = open_case(client, key)
    spare = brokers.add_key(bootstrap.store(), bootstrap.utc_now, broker_id)
    assert brokers.revoke_key(bootstrap.store(), key)

    answer = send(client, route, case["case_id"], auth(key))
    assert answer.status_code == 401
    assert answer.json_body == BAD_KEY_BODY
    assert listing(client, spare) == [case["case_id"]]
    assert len(read_case(client, spare, case["case_id"])["events"]) == 2


def test_a_pay_token_is_not_an_api_key(client, broker):
    _, key = broker
    case = open_case(client, key)
    answer = get(client, "/admin/cases", token_of(case["pay_url"]))
    assert answer.status_code == 401
    assert answer.json_body == BAD_KEY_BODY


def test_an_api_key_is_not_a_pay_token(client, broker):
    _, key = broker
    open_case(client, key)
    answer = get(client, "/customer/case", key)
    assert answer.status_code == 401
    assert answer.json_body["error"]["code"] == "invalid_link"
    assert "INV-1001" not in str(answer.json_body)


def test_the_bearer_scheme_is_case_insensitive(client, broker):
    _, key = broker
    answer = client.http.get("/admin/cases", headers={"Authorization": f"bearer {key}"})
    assert answer.status_code == 200


# --- roles: every admin route as a viewer, a collector and an owner --------------------------------------

FORBIDDEN = {"error": {"code": "forbidden", "field": None}}


def test_every_admin_route_declares_the_least_role_it_needs():
    from app import ROUTE_ROLES, api

    in_app = {(path, method) for path, methods in app.routes.items() for method in methods
              if path.startswith("/admin") and method != "OPTIONS"}
    assert in_app == set(ROUTE_ROLES) and set(ROUTE_ROLES.values()) <= set(ROLES)
    with pytest.raises(ValueError, match="must declare role="):
        api("/admin/undeclared", "GET")(lambda: {})


@pytest.mark.parametrize("route", sorted(ADMIN_REQUESTS), ids="{0[1]} {0[0]}".format)
def test_each_role_may_use_exactly_the_admin_routes_its_rank_allows(client, staff, route):
    from app import ROUTE_ROLES

    for role in ROLES:  # a broker of its own for each, so one role's request cannot spoil the next one's
        b, key = brokers.create_broker(bootstrap.store(), bootstrap.utc_now, f"Brokers of {role}s")
        case = open_case(client, key)
        staff_token = staff.token(b.broker_id, role)
        answer = send(client, route, case["case_id"], auth(staff_token))
        if RANK[role] < RANK[ROUTE_ROLES[route]]:
            assert answer.status_code == 403, (role, answer.json_body)
            error = answer.json_body["error"]
            assert {"code": error["code"], "field": error["field"]} == FORBIDDEN["error"]
            assert ROUTE_ROLES[route] in error["message"]
        else:
            assert answer.status_code in (200, 201, 202, 204), (role, answer.json_body)


def test_a_refused_role_changes_nothing(client, broker, staff):
    broker_id, key = broker
    case = open_case(client, key)
    before = read_case(client, key, case["case_id"])
    viewer = auth(staff.token(broker_id, "viewer"))
    collector = auth(staff.token(broker_id, "collector"))

    assert send(client, ("/admin/cases/{case_id}/notes", "POST"), case["case_id"], viewer).status_code == 403
    assert send(client, ("/admin/cases/{case_id}/write-off", "POST"), case["case_id"], collector).status_code == 403
    assert read_case(client, key, case["case_id"]) == before

"""Staff sign in to the console through the API (Cognito behind it); their ID token is checked like a key:
signature against the pool's keys, issuer, client, expiry, token use. Anything else is today's one 401."""
from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from chalicelib import bootstrap
from chalicelib.domain.cases import iso
from chalicelib.services import brokers
from portal import infra
from tests.conftest import SITE, auth, get, post
from tests.staff_kit import totp

BAD_KEY_BODY = {"error": {"code": "unauthorized", "message": brokers.BAD_KEY, "field": None}}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _claims(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def sign_in(client, email: str, password: str):
    return post(client, "/console/session", "", {"email": email, "password": password})


# --- signing in -------------------------------------------------------------------------------------

def test_a_collector_signs_in_and_reads_their_brokers_cases_with_the_id_token(client, broker, console_users):
    broker_id, key = broker
    collector = console_users.create(broker_id, "collector", email="cara@acme.test", name="Cara Collector")
    post(client, "/admin/cases", key, {
        "customer": {"name": "Jane", "email": "jane@example.test"},
        "invoice": {"number": "INV-1", "amount": 1000, "currency": "EUR", "issued_on": "2026-10-01",
                    "due_on": "2026-10-31"}})

    signed_in = sign_in(client, "cara@acme.test", collector.password)

    assert signed_in.status_code == 200, signed_in.json_body
    assert signed_in.json_body["user"] == {"id": collector.id, "email": "cara@acme.test", "name": "Cara Collector",
                                           "role": "collector", "kind": "user", "mfa": False}
    tokens = signed_in.json_body["tokens"]
    assert {"id_token", "access_token", "refresh_token", "expires_in"} <= set(tokens)
    cases = get(client, "/admin/cases", tokens["id_token"])
    assert cases.status_code == 200 and [c["invoice"]["number"] for c in cases.json_body["items"]] == ["INV-1"]
    me = get(client, "/admin/me", tokens["id_token"]).json_body
    assert me == {"user": signed_in.json_body["user"], "broker": {"id": broker_id, "name": "Acme Brokers"},
                  "permissions": {"write": True, "own": False}}


def test_a_wrong_password_and_an_unknown_email_get_the_same_401(client, broker, console_users):
    broker_id, _ = broker
    console_users.create(broker_id, "owner", email="olga@acme.test")

    wrong = sign_in(client, "olga@acme.test", "Not-the-password-1")
    unknown = sign_in(client, "nobody@acme.test", "Not-the-password-1")

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json_body == unknown.json_body
    assert wrong.json_body["error"]["code"] == "bad_credentials"


def test_an_invited_member_sets_a_new_password_then_is_signed_in(client, broker, console_users):
    broker_id, _ = broker
    owner = console_users.token(broker_id, "owner")
    console_users.cognito.admin_create_user(
        UserPoolId=console_users.pool_id, Username="neil@acme.test", MessageAction="SUPPRESS",
        TemporaryPassword="Temporary-pass-1", UserAttributes=[
            {"Name": "email", "Value": "neil@acme.test"}, {"Name": "name", "Value": "Neil New"},
            {"Name": "custom:broker_id", "Value": broker_id}])
    sub = console_users.cognito.admin_get_user(UserPoolId=console_users.pool_id, Username="neil@acme.test")
    console_users.cognito.admin_add_user_to_group(UserPoolId=console_users.pool_id, Username=sub["Username"],
                                                  GroupName="viewer")

    first = sign_in(client, "neil@acme.test", "Temporary-pass-1").json_body
    assert first["challenge"] == "NEW_PASSWORD_REQUIRED" and first["session"]
    done = post(client, "/console/session/challenge", "", {
        "email": "neil@acme.test", "session": first["session"], "challenge": "NEW_PASSWORD_REQUIRED",
        "new_password": "My-own-password-2"})

    assert done.status_code == 200, done.json_body
    assert done.json_body["user"]["role"] == "viewer"
    listed = {u["email"]: u["status"] for u in get(client, "/admin/users", owner).json_body["items"]}
    assert listed["neil@acme.test"] == "active"


def test_refresh_gives_new_tokens_until_sign_out_ends_the_session(client, broker, console_users):
    broker_id, _ = broker
    user = console_users.create(broker_id, "viewer")
    tokens = sign_in(client, user.email, user.password).json_body["tokens"]

    refreshed = post(client, "/console/session/refresh", "", {"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    assert "refresh_token" not in refreshed.json_body["tokens"]
    assert get(client, "/admin/me", refreshed.json_body["tokens"]["id_token"]).status_code == 200

    out = client.http.request("DELETE", "/console/session",
                              headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert out.status_code == 204
    again = post(client, "/console/session/refresh", "", {"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401


def test_forgotten_password_answers_the_same_whether_or_not_the_address_exists(client, broker, console_users):
    broker_id, _ = broker
    user = console_users.create(broker_id, "viewer")
    known = post(client, "/console/password/forgot", "", {"email": user.email})
    unknown = post(client, "/console/password/forgot", "", {"email": "nobody@acme.test"})
    assert known.status_code == unknown.status_code == 202
    assert known.json_body == unknown.json_body


def test_mfa_setup_gives_a_secret_for_an_authenticator_app(client, broker, console_users):
    broker_id, _ = broker
    user = console_users.create(broker_id, "owner", email="otto@acme.test")
    access = sign_in(client, user.email, user.password).json_body["tokens"]["access_token"]

    setup = post(client, "/console/mfa/setup", "", {"access_token": access})

    assert setup.status_code == 200, setup.json_body
    secret = setup.json_body["secret"]
    assert setup.json_body["otpauth_uri"].startswith("otpauth://totp/")
    assert f"secret={secret}" in setup.json_body["otpauth_uri"] and "otto%40acme.test" in setup.json_body["otpauth_uri"]


def test_sign_in_bodies_are_validated_and_no_password_is_echoed(client, console_users):
    answer = sign_in(client, "not-an-email", "Hunter-2-secret")
    assert answer.status_code == 400 and answer.json_body["error"]["field"] == "email"
    assert "Hunter-2-secret" not in json.dumps(answer.json_body)


# --- tokens that are not this pool's ID token ------------------------------------------------------

def test_foreign_expired_tampered_or_wrong_kind_of_token_get_todays_401(client, broker, console_users, monkeypatch):
    broker_id, _ = broker
    user = console_users.create(broker_id, "owner")
    result = console_users.sign_in(user)
    good = result["IdToken"]
    header, payload, signature = good.split(".")
    claims = _claims(good)

    # Another pool (same region; moto even signs it with the same key): its issuer is not ours.
    other_pool, other_client = infra.create_staff_pool(boto3.client("cognito-idp"), "other-stage")
    from portal.staff_users import seed_user

    seed_user(boto3.client("cognito-idp"), other_pool, broker_id, "mallory@evil.test", "Mallory", "owner")
    foreign = boto3.client("cognito-idp").initiate_auth(
        ClientId=other_client, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "mallory@evil.test", "PASSWORD": user.password})["AuthenticationResult"]["IdToken"]
    refused = {
        "another pool": foreign,
        "access token": result["AccessToken"],
        "another broker written in": f"{header}.{_b64({**claims, 'custom:broker_id': 'bother'})}.{signature}",
        "made an owner": f"{header}.{_b64({**claims, 'cognito:groups': ['owner', 'x']})}.{signature}",
        "signature cut": f"{header}.{payload}.{signature[:-4]}",
        "alg none": f"{_b64({'alg': 'none', 'kid': 'dummy'})}.{payload}.",
        "HS256": f"{_b64({'alg': 'HS256', 'kid': 'dummy'})}.{payload}.{signature}",
        "not a JWT": "a.b.c",
    }
    assert get(client, "/admin/cases", good).status_code == 200
    for name, token in refused.items():
        answer = get(client, "/admin/cases", token)
        assert (answer.status_code, answer.json_body) == (401, BAD_KEY_BODY), name

    later = time.time() + 3601  # moto's ID tokens live an hour (Cognito's 15 minutes)
    monkeypatch.setattr(bootstrap, "wall_clock", lambda: later)
    expired = get(client, "/admin/cases", good)
    assert (expired.status_code, expired.json_body) == (401, BAD_KEY_BODY)


def test_a_member_without_a_role_is_forbidden_not_signed_in_as_anyone(client, broker, console_users):
    broker_id, _ = broker
    user = console_users.create(broker_id, "viewer")
    console_users.cognito.admin_remove_user_from_group(UserPoolId=console_users.pool_id, Username=user.id,
                                                       GroupName="viewer")
    answer = get(client, "/admin/me", console_users.id_token(user))
    assert answer.status_code == 403 and answer.json_body["error"]["code"] == "forbidden"


def test_the_signing_keys_are_read_once_per_container(client, broker, console_users, monkeypatch):
    import requests

    broker_id, _ = broker
    reads = []
    real_get = requests.get
    monkeypatch.setattr(requests, "get", lambda url, **kw: reads.append(url) or real_get(url, **kw))
    for role in ("viewer", "collector", "owner"):
        assert get(client, "/admin/me", console_users.token(broker_id, role)).status_code == 200
    assert reads == [f"https://cognito-idp.eu-west-1.amazonaws.com/{console_users.pool_id}/.well-known/jwks.json"]


# --- API keys act as owners, with names --------------------------------------------------------------

def test_an_api_key_is_an_owner_named_by_its_id_and_name(client, broker):
    _, key = broker
    me = get(client, "/admin/me", key).json_body
    [listed] = get(client, "/admin/api-keys", key).json_body["items"]
    assert me["user"] == {"id": listed["key_id"], "name": "key 1", "kind": "api_key", "role": "owner"}
    assert me["permissions"] == {"write": True, "own": True}
    assert listed["hint"] == key[-4:]


def test_owners_make_named_keys_shown_once_and_revoke_them(client, broker):
    _, key = broker
    made = post(client, "/admin/api-keys", key, {"name": "ERP sync"})
    assert made.status_code == 201
    new_key = made.json_body["api_key"]
    assert get(client, "/admin/me", new_key).json_body["user"]["name"] == "ERP sync"
    listed = get(client, "/admin/api-keys", key).json_body["items"]
    assert [k["name"] for k in listed] == ["key 1", "ERP sync"]
    assert new_key not in json.dumps(listed)

    gone = client.http.request("DELETE", f"/admin/api-keys/{made.json_body['key_id']}", headers=auth(key))
    assert gone.status_code == 204
    assert get(client, "/admin/me", new_key).status_code == 401
    missing = client.http.request("DELETE", f"/admin/api-keys/{made.json_body['key_id']}", headers=auth(key))
    assert missing.status_code == 404


def test_the_keys_list_says_when_each_key_was_last_used(client, broker):
    _, key = broker
    start = iso(datetime.now(timezone.utc))
    post(client, "/admin/api-keys", key, {"name": "Forgotten"})
    listed = {k["name"]: k for k in get(client, "/admin/api-keys", key).json_body["items"]}
    assert start <= listed["key 1"]["last_used_at"] <= iso(datetime.now(timezone.utc))
    assert "last_used_at" not in listed["Forgotten"]  # the console shows "Never"


def test_a_key_s_use_is_written_once_an_hour_and_never_revives_a_revoked_key(broker):
    broker_id, key = broker
    store = bootstrap.store()
    moments = iter(datetime(2031, 5, 1, 9, 0, tzinfo=timezone.utc) + timedelta(minutes=m) for m in (0, 59, 61))
    when = {"now": next(moments)}
    auth_ = brokers.BrokerAuth(store, cache_seconds=0, clock=lambda: when["now"])

    def last_used() -> str | None:
        return store.api_key(broker_id, brokers.hash_key(key)).last_used_at  # type: ignore[union-attr]

    auth_.identify(f"Bearer {key}")
    assert last_used() == "2031-05-01T09:00:00.000Z"
    when["now"] = next(moments)
    auth_.identify(f"Bearer {key}")
    assert last_used() == "2031-05-01T09:00:00.000Z"  # within the hour: no write
    when["now"] = next(moments)
    auth_.identify(f"Bearer {key}")
    assert last_used() == "2031-05-01T10:01:00.000Z"

    stale = store.api_key(broker_id, brokers.hash_key(key))
    assert brokers.revoke_key(store, key)
    store.note_api_key_use(broker_id, stale.key_hash, "2031-05-01T12:00:00.000Z", "2031-05-01T11:00:00.000Z")
    assert store.api_key(broker_id, stale.key_hash) is None


def test_keys_made_before_names_are_named_by_their_place(client, broker):
    broker_id, key = broker
    store = bootstrap.store()
    spare = brokers.new_api_key(broker_id)
    store.add_api_key(broker_id, brokers.hash_key(spare), "2030-01-01T00:00:00.000Z")  # as older code stored it
    assert get(client, "/admin/me", spare).json_body["user"]["name"] == "key 2"


# --- the team --------------------------------------------------------------------------------------

def test_an_owner_invites_changes_the_role_of_and_removes_a_member(client, broker, console_users):
    broker_id, _ = broker
    owner_user = console_users.create(broker_id, "owner", email="olga@acme.test", name="Olga Owner")
    owner = console_users.id_token(owner_user)

    invited = post(client, "/admin/users", owner, {"email": "vic@acme.test", "name": "Vic", "role": "viewer"})
    assert invited.status_code == 201, invited.json_body
    assert invited.json_body | {"id": "-"} == {"id": "-", "email": "vic@acme.test", "name": "Vic", "role": "viewer",
                                              "kind": "user", "mfa": False, "status": "invited"}
    member = invited.json_body["id"]
    again = post(client, "/admin/users", owner, {"email": "vic@acme.test", "name": "Vic", "role": "viewer"})
    assert again.status_code == 409

    changed = client.http.request("PATCH", f"/admin/users/{member}", headers=auth(owner),
                                  body=json.dumps({"role": "collector"}))
    assert changed.json_body["role"] == "collector"
    listed = {u["email"]: u["role"] for u in get(client, "/admin/users", owner).json_body["items"]}
    assert listed == {"olga@acme.test": "owner", "vic@acme.test": "collector"}

    removed = client.http.request("DELETE", f"/admin/users/{member}", headers=auth(owner))
    assert removed.status_code == 204
    assert [u["email"] for u in get(client, "/admin/users", owner).json_body["items"]] == ["olga@acme.test"]


def test_an_owner_cannot_remove_themself_nor_demote_the_last_owner(client, broker, console_users):
    broker_id, _ = broker
    owner_user = console_users.create(broker_id, "owner")
    owner = console_users.id_token(owner_user)

    self_removal = client.http.request("DELETE", f"/admin/users/{owner_user.id}", headers=auth(owner))
    demotion = client.http.request("PATCH", f"/admin/users/{owner_user.id}", headers=auth(owner),
                                   body=json.dumps({"role": "viewer"}))

    assert (self_removal.status_code, demotion.status_code) == (409, 409)
    assert demotion.json_body["error"]["code"] == "last_owner"


def test_another_brokers_member_is_not_found(client, broker, other_broker, console_users):
    broker_id, _ = broker
    other_id, _ = other_broker
    owner = console_users.token(broker_id, "owner")
    theirs = console_users.create(other_id, "viewer")
    for method, body in (("PATCH", json.dumps({"role": "owner"})), ("DELETE", "")):
        answer = client.http.request(method, f"/admin/users/{theirs.id}", headers=auth(owner), body=body)
        assert answer.status_code == 404, method
    assert theirs.email not in json.dumps(get(client, "/admin/users", owner).json_body)


# --- CORS: the console's origin only -------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/admin/cases", "/admin/me", "/console/session"])
def test_staff_routes_answer_cors_for_the_console_origin_only(client, broker, console_users, path):
    _, key = broker
    preflight = client.http.request("OPTIONS", path, headers={
        "Origin": SITE, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    answer = get(client, path if path != "/console/session" else "/admin/me", key, Origin="https://evil.test")

    assert preflight.status_code in (200, 204)
    assert preflight.headers["Access-Control-Allow-Origin"] == SITE
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert answer.headers["Access-Control-Allow-Origin"] == SITE  # never the asker's, never *


def totp_on(client, user, monkeypatch) -> tuple[str, int]:
    """Turn `user`'s TOTP on through the API: the app's secret, and the moment moto's clock is held at."""
    import time
    from types import SimpleNamespace

    import moto.cognitoidp.utils

    monkeypatch.setenv("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")  # moto checks the codes
    # moto checks a code against its own clock's 30-second step: held mid-step, a code cannot go stale.
    now = (int(time.time()) // 30) * 30 + 15
    monkeypatch.setattr(moto.cognitoidp.utils, "time", SimpleNamespace(time=lambda: now))
    access = sign_in(client, user.email, user.password).json_body["tokens"]["access_token"]
    secret = post(client, "/console/mfa/setup", "", {"access_token": access}).json_body["secret"]

    wrong = post(client, "/console/mfa/verify", "", {"access_token": access, "code": "000000"})
    assert wrong.status_code == 400 and wrong.json_body["error"]["field"] == "code"
    on = post(client, "/console/mfa/verify", "", {"access_token": access, "code": totp(secret, now)})
    assert on.status_code == 204, on.json_body
    return secret, now


def signs_in_with_password_alone(client, user) -> bool:
    answer = sign_in(client, user.email, user.password).json_body
    return "tokens" in answer and answer["user"]["mfa"] is False


def test_with_totp_on_sign_in_asks_for_the_apps_code_until_the_member_turns_it_off(
        client, broker, console_users, monkeypatch):
    broker_id, _ = broker
    user = console_users.create(broker_id, "owner", email="otto@acme.test")
    secret, now = totp_on(client, user, monkeypatch)

    asked = sign_in(client, user.email, user.password).json_body
    assert asked["challenge"] == "SOFTWARE_TOKEN_MFA"
    done = post(client, "/console/session/challenge", "", {
        "email": user.email, "session": asked["session"], "challenge": "SOFTWARE_TOKEN_MFA",
        "code": totp(secret, now)})
    assert done.status_code == 200, done.json_body
    assert done.json_body["user"]["mfa"] is True
    assert get(client, "/admin/me", done.json_body["tokens"]["id_token"]).json_body["user"]["mfa"] is True

    refused = client.http.request("DELETE", "/console/mfa", headers=auth("not-a-session"))
    assert refused.status_code == 401
    assert sign_in(client, user.email, user.password).json_body["challenge"] == "SOFTWARE_TOKEN_MFA"
    off = client.http.request("DELETE", "/console/mfa", headers=auth(done.json_body["tokens"]["access_token"]))
    assert off.status_code == 204
    assert signs_in_with_password_alone(client, user)


def test_an_owner_resets_the_authenticator_of_a_member_who_lost_it(
        client, broker, other_broker, console_users, monkeypatch):
    broker_id, _ = broker
    member = console_users.create(broker_id, "collector", email="lost.phone@acme.test")
    totp_on(client, member, monkeypatch)
    assert sign_in(client, member.email, member.password).json_body["challenge"] == "SOFTWARE_TOKEN_MFA"

    path = f"/admin/users/{member.id}/mfa"
    collector = console_users.token(broker_id, "collector")
    assert client.http.request("DELETE", path, headers=auth(collector)).status_code == 403
    stranger = console_users.token(other_broker[0], "owner")
    assert client.http.request("DELETE", path, headers=auth(stranger)).status_code == 404
    assert sign_in(client, member.email, member.password).json_body["challenge"] == "SOFTWARE_TOKEN_MFA"

    owner = console_users.token(broker_id, "owner")
    reset = client.http.request("DELETE", path, headers=auth(owner))
    assert reset.status_code == 200, reset.body
    assert json.loads(reset.body) | {"id": "-"} == {
        "id": "-", "email": member.email, "name": member.name, "role": "collector", "kind": "user", "mfa": False,
        "status": "active"}
    assert signs_in_with_password_alone(client, member)


def test_tokens_keep_working_when_the_demo_clock_is_moved_ahead(client, broker, console_users, clock):
    """Cognito stamps expiry with the real time: `portal sweep --at <tomorrow>` must not sign anyone out."""
    broker_id, _ = broker
    token = console_users.token(broker_id, "viewer")
    clock.advance(days=1)
    assert get(client, "/admin/me", token).status_code == 200

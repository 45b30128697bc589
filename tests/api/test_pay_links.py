"""Pay-link tokens on GET /customer/case: one case only, and every failure looks exactly the same."""
from __future__ import annotations

import json
import secrets
import zlib
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from itsdangerous import URLSafeSerializer
from itsdangerous.encoding import base64_decode

from chalicelib import bootstrap
from chalicelib.domain.cases import iso, parse_iso
from chalicelib.services.links import INVALID_LINK, SALT
from tests.api.conftest import event_types, open_case, read_case, token_of
from tests.conftest import get, post

INVALID = {"error": {"code": "invalid_link", "message": INVALID_LINK, "field": None}}


def open_link(client, token: str) -> Any:
    return get(client, "/customer/case", token)


def assert_rejected(answer: Any, case: dict[str, Any], why: str = "") -> None:
    """401, the one error body every failure shares, the same header, and nothing of the case."""
    assert answer.status_code == 401, (why, answer.json_body)
    assert answer.json_body == INVALID, why
    assert answer.headers.get("WWW-Authenticate") == "Bearer", why
    raw = json.dumps(answer.json_body)
    for leak in (case["case_id"], case["invoice"]["number"], case["customer"]["name"], "Acme"):
        assert leak not in raw, why


def split(token: str) -> tuple[str, str, str]:
    """key id, payload (a leading dot marks a compressed one), signature."""
    kid, signed = token.split(".", 1)
    payload, signature = signed.rsplit(".", 1)
    return kid, payload, signature


def flip(text: str, index: int) -> str:
    """Change one character in the middle of base64 text (all six bits of it are used there)."""
    return text[:index] + ("B" if text[index] != "B" else "C") + text[index + 1:]


def claims_of(token: str) -> dict[str, Any]:
    payload = split(token)[1]
    raw = base64_decode(payload.lstrip("."))
    return json.loads(zlib.decompress(raw) if payload.startswith(".") else raw)


def sign(kid: str, payload: dict[str, Any], secret: bytes, salt: str = SALT) -> str:
    return f"{kid}.{URLSafeSerializer(secret, salt=salt).dumps(payload)}"


def test_a_valid_token_shows_the_customer_view_of_its_case(client, broker):
    _, key = broker
    case = open_case(client, key)
    post(client, f"/admin/cases/{case['case_id']}/notes", key, {"kind": "note", "text": "INTERNAL: low priority"})

    seen = open_link(client, token_of(case["pay_url"]))

    assert seen.status_code == 200, seen.json_body
    view = seen.json_body
    assert view["case_id"] == case["case_id"]
    assert view["status"] == "open"
    assert view["broker"]["name"] == "Acme Brokers"
    assert view["broker"]["email"] == "ar@acme.test"
    assert view["invoice"] == case["invoice"]
    assert view["balance"]["due"] == 125000
    assert view["link_expires_at"] == case["link"]["expires_at"]
    assert [e["type"] for e in view["timeline"]] == ["case_opened"]
    assert view["timeline"][0]["data"] == {"invoice_number": "INV-1001", "amount": 125000, "currency": "EUR",
                                           "due_on": "2026-10-31"}
    text = json.dumps(view)
    assert "INTERNAL" not in text and "note_added" not in text


def test_a_link_is_valid_for_30_days(client, broker):
    _, key = broker
    case = open_case(client, key)
    created = parse_iso(case["events"][0]["at"])
    assert parse_iso(case["link"]["expires_at"]) - created == timedelta(days=30)


def test_the_token_carries_broker_case_link_version_and_expiry(client, broker):
    broker_id, key = broker
    case = open_case(client, key)
    kid, _, _ = split(token_of(case["pay_url"]))
    claims = claims_of(token_of(case["pay_url"]))
    assert kid == bootstrap.keyring().signing_key()[0]
    assert (claims["b"], claims["c"], claims["l"], claims["v"]) == (
        broker_id, case["case_id"], case["link"]["link_id"], 1)
    assert claims["e"] == int(parse_iso(case["link"]["expires_at"]).timestamp())


def _forgeries(token: str, other_case: dict[str, Any], other_broker_id: str) -> dict[str, str]:
    kid, payload, signature = split(token)
    claims = claims_of(token)
    real_kid, real_secret = bootstrap.keyring().signing_key()
    random_key = secrets.token_bytes(32)
    other_claims = claims_of(token_of(other_case["pay_url"]))
    return {
        "payload char flipped": f"{kid}.{flip(payload, len(payload) // 2)}.{signature}",
        "signature char flipped": f"{kid}.{payload}.{flip(signature, len(signature) // 2)}",
        "signature dropped": f"{kid}.{payload}",
        "signature empty": f"{kid}.{payload}.",
        "last char cut": token[:-1],
        "cut in half": token[: len(token) // 2],
        "key id only": kid,
        "key id and dot": f"{kid}.",
        "no key id": f"{payload}.{signature}",
        "unknown key id": f"k00000000.{payload}.{signature}",
        "empty key id": f".{payload}.{signature}",
        "signed with a random key": sign(real_kid, claims, random_key),
        "other case's id, signed with a wrong key": sign(real_kid, {**claims, "c": other_case["case_id"]},
                                                         random_key),
        "right key, wrong salt": sign(real_kid, claims, real_secret, salt="something-else"),
        # Even a correctly signed token only reaches the one case whose live link it names.
        "right key, other case with this link": sign(real_kid, {**claims, "c": other_case["case_id"]},
                                                     real_secret),
        "right key, this case with the other link": sign(real_kid, {**claims, "l": other_claims["l"]},
                                                         real_secret),
        "right key, other broker": sign(real_kid, {**claims, "b": other_broker_id}, real_secret),
        "right key, missing fields": sign(real_kid, {"b": claims["b"], "c": claims["c"]}, real_secret),
        "right key, version not a number": sign(real_kid, {**claims, "v": "one"}, real_secret),
        "garbage": "not-a-token",
        "empty": "",
    }


FORGERIES = [
    "payload char flipped", "signature char flipped", "signature dropped", "signature empty", "last char cut",
    "cut in half", "key id only", "key id and dot", "no key id", "unknown key id", "empty key id",
    "signed with a random key", "other case's id, signed with a wrong key", "right key, wrong salt",
    "right key, other case with this link", "right key, this case with the other link", "right key, other broker",
    "right key, missing fields", "right key, version not a number", "garbage", "empty",
]


@pytest.mark.parametrize("kind", FORGERIES)
def test_a_tampered_truncated_or_foreign_token_is_a_401_with_no_case_data(client, broker, other_broker, kind):
    broker_id, key = broker
    other_broker_id, _ = other_broker
    case = open_case(client, key)
    other = open_case(client, key, invoice__number="INV-2002")
    forged = _forgeries(token_of(case["pay_url"]), other, other_broker_id)
    assert set(forged) == set(FORGERIES)

    assert_rejected(open_link(client, forged[kind]), case, kind)
    # Nothing was recorded on either case, and the real links still work.
    assert "link_opened" not in event_types(client, key, case["case_id"])
    assert "link_opened" not in event_types(client, key, other["case_id"])
    assert open_link(client, token_of(case["pay_url"])).status_code == 200


def test_no_token_at_all_gets_the_same_401(client, broker):
    _, key = broker
    case = open_case(client, key)
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": token_of(case["pay_url"])}):
        assert_rejected(client.http.get("/customer/case", headers=headers), case, str(headers))


def test_issuing_a_new_link_revokes_every_earlier_one(client, broker):
    _, key = broker
    case = open_case(client, key)
    tokens = [token_of(case["pay_url"])]
    for version in (2, 3):
        issued = post(client, f"/admin/cases/{case['case_id']}/links", key, {})
        assert issued.status_code == 201, issued.json_body
        assert issued.json_body["link_version"] == version
        assert issued.json_body["pay_url"].startswith("http://site.test/pay#")
        tokens.append(token_of(issued.json_body["pay_url"]))

    for old in tokens[:-1]:
        assert_rejected(open_link(client, old), case, "revoked")
    assert open_link(client, tokens[-1]).status_code == 200

    admin = read_case(client, key, case["case_id"])
    assert admin["link"]["version"] == 3
    issued_events = [e["data"] for e in admin["events"] if e["type"] == "link_issued"]
    assert [e["link_version"] for e in issued_events] == [1, 2, 3]
    assert [e.get("revoked_version") for e in issued_events] == [None, 1, 2]


def test_a_link_issued_with_an_empty_body_works_too(client, broker):
    _, key = broker
    case = open_case(client, key)
    issued = client.http.post(f"/admin/cases/{case['case_id']}/links", headers={"Authorization": f"Bearer {key}"})
    assert issued.status_code == 201, issued.json_body
    assert open_link(client, token_of(issued.json_body["pay_url"])).status_code == 200


def test_a_token_expires_after_30_days(client, broker, clock):
    _, key = broker
    case = open_case(client, key)
    token = token_of(case["pay_url"])

    clock.advance(days=29, hours=23, minutes=59)
    assert open_link(client, token).status_code == 200
    clock.advance(minutes=1)
    assert_rejected(open_link(client, token), case, "expired")

    # A fresh link from the broker works again.
    issued = post(client, f"/admin/cases/{case['case_id']}/links", key, {})
    assert open_link(client, token_of(issued.json_body["pay_url"])).status_code == 200


def test_a_correctly_signed_token_past_its_expiry_is_rejected(client, broker):
    broker_id, key = broker
    case = open_case(client, key)
    stored, _ = bootstrap.store().load(broker_id, case["case_id"])
    past = iso(bootstrap.utc_now() - timedelta(seconds=1))
    expired = bootstrap.pay_links().token(replace(stored, link=replace(stored.link, expires_at=past)))

    assert_rejected(open_link(client, expired), case, "expired")
    assert open_link(client, token_of(case["pay_url"])).status_code == 200


def test_rotation_keeps_old_tokens_working_until_the_old_key_is_retired(client, broker):
    _, key = broker
    before = open_case(client, key, invoice__number="INV-OLD")
    old_token = token_of(before["pay_url"])
    old_kid = split(old_token)[0]

    new_kid = bootstrap.keyring().rotate()
    assert new_kid != old_kid
    after = open_case(client, key, invoice__number="INV-NEW")
    new_token = token_of(after["pay_url"])
    assert split(new_token)[0] == new_kid
    assert open_link(client, old_token).status_code == 200
    assert open_link(client, new_token).status_code == 200
    # The old key's signature under the new key's id does not verify.
    assert_rejected(open_link(client, f"{new_kid}.{old_token.split('.', 1)[1]}"), before, "kid swapped")

    bootstrap.keyring().retire(old_kid)
    assert_rejected(open_link(client, old_token), before, "retired")
    assert open_link(client, new_token).status_code == 200

    reissued = post(client, f"/admin/cases/{before['case_id']}/links", key, {})
    assert split(token_of(reissued.json_body["pay_url"]))[0] == new_kid
    assert open_link(client, token_of(reissued.json_body["pay_url"])).status_code == 200


def test_rotation_is_seen_by_a_freshly_started_container(client, broker):
    """Another Lambda container reads the key ring from Secrets Manager, not from this one's memory."""
    _, key = broker
    case = open_case(client, key)
    old_kid = split(token_of(case["pay_url"]))[0]
    bootstrap.keyring().rotate()
    bootstrap.keyring().retire(old_kid)
    bootstrap.reset()
    assert_rejected(open_link(client, token_of(case["pay_url"])), case, "retired, new container")


def test_opening_records_link_opened_at_most_once_an_hour_per_link(client, broker, clock):
    _, key = broker
    case = open_case(client, key)
    token = token_of(case["pay_url"])

    def opened() -> list[dict[str, Any]]:
        return [e for e in read_case(client, key, case["case_id"])["events"] if e["type"] == "link_opened"]

    assert open_link(client, token).status_code == 200
    first_at = clock.now
    assert len(opened()) == 1
    assert opened()[0]["actor"] == "customer"
    assert read_case(client, key, case["case_id"])["link"]["opened_at"] == iso(first_at)

    clock.advance(minutes=59)
    assert open_link(client, token).status_code == 200
    assert open_link(client, token).status_code == 200
    assert len(opened()) == 1

    clock.advance(minutes=2)
    assert open_link(client, token).status_code == 200
    assert [parse_iso(e["at"]) for e in opened()] == [first_at, first_at + timedelta(minutes=61)]

    # A new link is a new link: its first open is recorded even within that hour.
    clock.advance(minutes=1)
    issued = post(client, f"/admin/cases/{case['case_id']}/links", key, {})
    clock.advance(minutes=1)
    assert open_link(client, token_of(issued.json_body["pay_url"])).status_code == 200
    assert len(opened()) == 3
    assert opened()[-1]["data"]["link_id"] == issued.json_body["link_id"]
    # link_opened is for the broker's eyes: the customer's timeline does not show it.
    view = open_link(client, token_of(issued.json_body["pay_url"])).json_body
    assert "link_opened" not in [e["type"] for e in view["timeline"]]

"""POST /customer/link-refresh: an expired link of ours, still the current one, gets a fresh link by email.
Every other token gets the very same answer and nothing is sent; a case gets at most three a day."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from itsdangerous import URLSafeSerializer

from app import app
from chalicelib import bootstrap
from tests.api.self_service_kit import CUSTOMER, World, link_in

SAME = (202, {"status": "sent if eligible"})


@pytest.fixture
def world(client, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield World(client, monkeypatch)


def refresh(world: World, token: object) -> tuple[int, dict]:
    # As the page sends it: no Authorization header, the token in the body.
    answer = world.client.http.post("/customer/link-refresh", headers={"Content-Type": "application/json"},
                                    body=json.dumps({"token": token}))
    return answer.status_code, answer.json_body


def case_view(world: World, token: str) -> int:
    return world.client.http.get("/customer/case", headers={"Authorization": f"Bearer {token}"}).status_code


def expire(world: World) -> None:
    """Time passes without reminders (their emails would renew the link): the 30-day link runs out."""
    world.stack.clock.now = datetime.fromisoformat("2026-11-05T10:00:00+00:00")


def test_an_expired_link_gets_a_fresh_one_by_email_and_the_old_one_stops_working(world):
    case_id, old = world.open_case()
    expire(world)
    assert case_view(world, old) == 401

    assert refresh(world, old) == SAME
    emails = world.emails(CUSTOMER)
    assert [m.subject for m in emails] == ["Your new link for invoice INV-1"]
    assert "December 5, 2026" in emails[0].text  # valid for another 30 days
    fresh = link_in(emails[0].text)
    assert case_view(world, fresh) == 200
    issued = world.events(case_id, "link_issued")[-1]
    assert (issued.actor, issued.data["link_version"], issued.data["revoked_version"], issued.data["reason"]) == (
        "customer", 2, 1, "expired link refreshed")

    assert refresh(world, old) == SAME  # the same request again: that link is now revoked
    assert len(world.emails(CUSTOMER)) == 1


def test_a_revoked_link_gets_the_same_answer_and_nothing_is_sent(world):
    case_id, old = world.open_case()
    issued = world.broker(f"/admin/cases/{case_id}/links", {})
    assert issued.status_code == 201
    assert refresh(world, old) == SAME  # revoked, still in date
    expire(world)
    assert refresh(world, old) == SAME  # revoked and expired
    assert world.emails(CUSTOMER) == []
    assert world.events(case_id, "link_issued")[-1].actor == "broker"


@pytest.mark.parametrize("forged", [
    "tampered", "no key id", "unknown key id", "garbage", "another secret",
])
def test_forged_tokens_get_the_same_answer_and_nothing_is_sent(world, forged):
    case_id, genuine = world.open_case()
    expire(world)
    kid, _, signed = genuine.partition(".")
    token = {
        # A middle character of the signature: the last may carry only base64 padding bits.
        "tampered": genuine[:-10] + ("A" if genuine[-10] != "A" else "B") + genuine[-9:],
        "no key id": signed,
        "unknown key id": "k999." + signed,
        "garbage": "\u00e9" * 40,
        "another secret": kid + "." + URLSafeSerializer("wrong").dumps({
            "b": world.stack.broker_id, "c": case_id, "l": "l1", "v": 1, "e": 0}),
    }[forged]
    assert refresh(world, token) == SAME
    assert world.emails(CUSTOMER) == []
    assert world.events(case_id, "link_issued")[-1].actor == "broker"  # only the one from opening the case


def test_a_link_still_in_date_gets_the_same_answer_and_nothing_is_sent(world):
    _, token = world.open_case()
    assert refresh(world, token) == SAME
    assert world.emails(CUSTOMER) == []
    assert case_view(world, token) == 200  # and it keeps working


def test_at_most_three_fresh_links_a_day_for_a_case(world, monkeypatch):
    monkeypatch.setenv("LINK_TTL_DAYS", "0")  # every link is born expired: each refresh is eligible again
    bootstrap.reset()
    _, token = world.open_case()
    world.stack.clock.now += timedelta(minutes=1)
    for _ in range(5):
        assert refresh(world, token) == SAME
        emails = world.emails(CUSTOMER)
        token = link_in(emails[-1].text) if emails else token
        world.stack.clock.now += timedelta(minutes=1)
    assert len(world.emails(CUSTOMER)) == 3
    world.stack.clock.now += timedelta(days=1)
    assert refresh(world, token) == SAME
    assert len(world.emails(CUSTOMER)) == 4  # a new day


def test_the_answer_is_the_same_for_a_case_that_is_gone_and_a_paid_case_may_still_see_its_receipt(world):
    case_id, token = world.open_case()
    case = world.stack.case(case_id)[0]
    gone = bootstrap.pay_links().token(replace(case, case_id="c0000000000000000"))  # signed by us, no such case
    world.broker(f"/admin/cases/{case_id}/payments", {"amount": 125000, "method": "cash", "reference": "C-1",
                                                       "received_on": "2026-10-01"})
    expire(world)
    sent = len(world.emails(CUSTOMER))
    assert refresh(world, gone) == SAME
    assert len(world.emails(CUSTOMER)) == sent
    assert refresh(world, token) == SAME
    assert world.emails(CUSTOMER)[-1].subject == "Your new link for invoice INV-1"


@pytest.mark.parametrize(("body", "field"), [({}, "token"), ({"token": 5}, "token"), ({"token": ""}, "token"),
                                             ({"token": "t", "email": "x@example.test"}, "email")])
def test_a_request_without_a_token_string_is_a_400_naming_the_field(world, body, field):
    answer = world.client.http.post("/customer/link-refresh", headers={"Content-Type": "application/json"},
                                    body=json.dumps(body))
    assert answer.status_code == 400 and answer.json_body["error"]["field"] == field


def test_the_page_may_call_it_from_its_own_origin_and_every_self_service_route_too(world):
    for path in ("/customer/link-refresh", "/customer/dispute", "/customer/dispute/attachments",
                 "/customer/promise", "/customer/already-paid"):
        cors = app.routes[path]["POST"].cors
        assert cors.allow_origin == "*" and "Content-Type" in cors.allow_headers, path
    answer = world.client.http.post("/customer/link-refresh", headers={
        "Content-Type": "application/json", "Origin": "http://site.test"}, body=json.dumps({"token": "x"}))
    assert answer.headers["Access-Control-Allow-Origin"] == "*"

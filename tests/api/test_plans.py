"""Installment plans through the API: the offers on the page, the broker's own offers, choosing one, and every
409 rule. The end-to-end runs (charges, retries, default) are in tests/integration/test_plan_flow.py."""
from __future__ import annotations

import json
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import pytest
import stripe

from chalicelib import bootstrap
from chalicelib.domain import cases as domain
from tests.api.conftest import open_case, read_case, token_of
from tests.conftest import STRIPE_WEBHOOK_SECRET, auth, get, post

DUE = 125000
LADDER = [{"offset_days": 0, "template": "due_today", "stage": "reminder"}]


def page(client, case: dict[str, Any]) -> dict[str, Any]:
    answer = get(client, "/customer/case", token_of(case["pay_url"]))
    assert answer.status_code == 200, answer.json_body
    return answer.json_body


def choose(client, case: dict[str, Any], body: Any) -> Any:
    return client.http.post("/customer/plan", body=body if isinstance(body, str) else json.dumps(body), headers={
        "Authorization": f"Bearer {token_of(case['pay_url'])}", "Content-Type": "application/json"})


def offer_plan(client, key: str, case_id: str, body: Any) -> Any:
    return post(client, f"/admin/cases/{case_id}/plan-offers", key, body)


def put_policy(client, key: str, plans: dict[str, Any]) -> Any:
    return client.http.put("/admin/policy", headers=auth(key), body=json.dumps({"ladder": LADDER, "plans": plans}))


def stripe_calls(standin, path: str) -> list[dict[str, Any]]:
    return [params for method, p, params in standin.requests if (method, p) == ("POST", path)]


def set_status(broker_id: str, case_id: str, status: str) -> None:
    """What a dispute or a write-off does to the case's status (a guarded transition, on the record)."""
    def command(case: domain.Case) -> domain.Change:
        new = domain.transition(case, status)
        return domain.record(case, bootstrap.utc_now(), "broker",
                             [("status_changed", {"status": new, "from": case.status})], status=new)
    bootstrap.case_service().change(broker_id, case_id, command)


def start_plan(client, case: dict[str, Any], standin, installments: int = 3) -> None:
    offer = next(o for o in page(client, case)["plan_offers"] if o["installments"] == installments)
    answer = choose(client, case, {"offer_id": offer["offer_id"]})
    assert answer.status_code == 200, answer.json_body
    seen = len(standin.events)
    standin.complete_session(answer.json_body["checkout_url"].rsplit("/", 1)[1])
    for event in standin.events[seen:]:
        payload = json.dumps(event)
        client.http.post("/webhooks/stripe", body=payload, headers={
            "Content-Type": "application/json",
            "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(payload, STRIPE_WEBHOOK_SECRET)})


@pytest.fixture
def case(client, broker, stripe_standin, clock) -> dict[str, Any]:
    return open_case(client, broker[1])


# --- offers -------------------------------------------------------------------------------------------

def test_the_page_offers_the_policys_plans_with_their_schedules(client, case, clock):
    view = page(client, case)

    today = clock.now.date()
    assert view["plan"] is None
    offers = view["plan_offers"]
    assert [o["installments"] for o in offers] == [2, 3, 4, 5, 6]
    for offer in offers:
        amounts = [s["amount"] for s in offer["schedule"]]
        assert sum(amounts) == offer["total"] == DUE and offer["first_amount"] == amounts[0] == max(amounts)
        assert offer["interval"] == "monthly" and not offer["custom"]
    customer_today = date.fromisoformat(offers[0]["schedule"][0]["due_on"])
    assert abs((customer_today - today).days) <= 1  # the customer's own date (New York)
    assert [s["amount"] for s in offers[1]["schedule"]] == [41668, 41666, 41666]


def test_the_policy_decides_the_offers(client, broker, case):
    answer = put_policy(client, broker[1], {"max_installments": 4, "interval": "weekly", "min_first_percent": 50,
                                            "min_installment_amount": 30000})
    assert answer.status_code == 200, answer.json_body
    assert answer.json_body["policy"]["plans"]["retry_days"] == [1, 3, 7]

    offers = page(client, case)["plan_offers"]

    assert [[s["amount"] for s in o["schedule"]] for o in offers] == [[62500, 62500], [62500, 31250, 31250]]
    days = [date.fromisoformat(s["due_on"]) for s in offers[1]["schedule"]]
    assert [(b - a).days for a, b in pairwise(days)] == [7, 7]


@pytest.mark.parametrize("plans", [{"enabled": False}, {"max_due": DUE - 1}, {"min_due": DUE + 1},
                                   {"min_installment_amount": DUE}, {"max_days": 7}])
def test_a_balance_the_policy_does_not_cover_gets_no_offers(client, broker, case, plans):
    assert put_policy(client, broker[1], plans).status_code == 200

    assert page(client, case)["plan_offers"] == []


@pytest.mark.parametrize(("plans", "field"), [
    ({"max_installments": 1}, "plans.max_installments"),
    ({"interval": "daily"}, "plans.interval"),
    ({"min_first_percent": 101}, "plans.min_first_percent"),
    ({"min_installment_amount": 0}, "plans.min_installment_amount"),
    ({"max_days": 3}, "plans.max_days"),
    ({"min_due": 500, "max_due": 100}, "plans.max_due"),
    ({"retry_days": [3, 1]}, "plans.retry_days[1]"),
    ({"retry_days": [1, 2, 3, 4, 5, 6]}, "plans.retry_days"),
    ({"enabled": "yes"}, "plans.enabled"),
    ({"weekly": True}, "plans.weekly"),
])
def test_bad_plan_limits_are_400s_naming_the_field(client, broker, plans, field):
    answer = put_policy(client, broker[1], plans)

    assert answer.status_code == 400, answer.json_body
    assert answer.json_body["error"]["field"] == field
    assert client.http.get("/admin/policy", headers=auth(broker[1])).json_body["version"] == 0


# --- choosing an offer --------------------------------------------------------------------------------

def test_choosing_twice_is_one_checkout_one_stripe_customer_and_one_choice_on_record(client, broker, case,
                                                                                      stripe_standin):
    offer = page(client, case)["plan_offers"][0]

    first, second = (choose(client, case, {"offer_id": offer["offer_id"]}) for _ in range(2))

    assert first.status_code == second.status_code == 200, first.json_body
    assert first.json_body == second.json_body
    assert len(stripe_standin.objects("checkout.session")) == 1
    [customer] = stripe_standin.objects("customer")
    assert (customer["email"], customer["name"]) == ("jane@example.test", "Jane Customer")
    assert customer["metadata"] == {"portal": "collections-portal", "broker_id": broker[0],
                                    "case_id": case["case_id"], "kind": "customer"}
    [sent] = {json.dumps(p, sort_keys=True) for p in stripe_calls(stripe_standin, "/v1/checkout/sessions")}
    sent = json.loads(sent)
    assert (sent["mode"], sent["customer"], sent["payment_method_types"]) == ("payment", customer["id"], ["card"])
    assert sent["payment_intent_data"]["setup_future_usage"] == "off_session"
    assert sent["metadata"]["kind"] == "plan" and sent["metadata"]["plan_id"].startswith(offer["offer_id"])
    assert sent["line_items"][0]["price_data"]["unit_amount"] == str(offer["first_amount"])
    assert token_of(case["pay_url"]) not in json.dumps(sent)
    chosen = [e for e in read_case(client, broker[1], case["case_id"])["events"] if e["type"] == "plan_chosen"]
    assert [(e["actor"], e["data"]["installments"]) for e in chosen] == [("customer", 2)]


@pytest.mark.parametrize(("body", "field"), [
    ({}, "offer_id"),
    ({"offer_id": 5}, "offer_id"),
    ({"offer_id": "not-an-offer"}, "offer_id"),
    ({"offer_id": "o" + "0" * 15}, "offer_id"),  # well formed, but not one of this case's offers
    ({"offer_id": "o" + "0" * 15, "installments": 12}, "installments"),
    ("not json", "body"),
])
def test_a_bad_choice_is_a_400_naming_the_field_and_reaches_no_stripe(client, case, stripe_standin, body, field):
    answer = choose(client, case, body)

    assert answer.status_code == 400, answer.json_body
    assert answer.json_body["error"]["field"] == field
    assert stripe_standin.requests == []


def test_an_offer_from_another_case_is_no_offer_here(client, broker, case, stripe_standin):
    other = open_case(client, broker[1], invoice__number="INV-2")
    foreign = page(client, other)["plan_offers"][0]["offer_id"]

    answer = choose(client, case, {"offer_id": foreign})

    assert answer.status_code == 400 and answer.json_body["error"]["field"] == "offer_id"


def test_a_bad_token_chooses_nothing(client, case, stripe_standin):
    offer = page(client, case)["plan_offers"][0]
    answer = client.http.post("/customer/plan", body=json.dumps({"offer_id": offer["offer_id"]}), headers={
        "Authorization": f"Bearer {token_of(case['pay_url'])[:-2]}xx", "Content-Type": "application/json"})

    assert answer.status_code == 401
    assert stripe_standin.requests == []


# --- every 409 ----------------------------------------------------------------------------------------

def paid_in_full(client, broker, case, stripe_standin) -> None:
    assert post(client, f"/admin/cases/{case['case_id']}/payments", broker[1], {
        "amount": DUE, "method": "bank_transfer", "reference": "BT-9", "received_on": "2026-11-01"}).status_code == 201


def on_plan(client, broker, case, stripe_standin) -> None:
    start_plan(client, case, stripe_standin)


def disputed(client, broker, case, stripe_standin) -> None:
    set_status(broker[0], case["case_id"], "disputed")


def written_off(client, broker, case, stripe_standin) -> None:
    set_status(broker[0], case["case_id"], "written_off")


def plans_switched_off(client, broker, case, stripe_standin) -> None:
    assert put_policy(client, broker[1], {"enabled": False}).status_code == 200


@pytest.mark.parametrize(("make", "code"), [
    (paid_in_full, "nothing_due"), (on_plan, "plan_active"), (disputed, "disputed"), (written_off, "closed"),
    (plans_switched_off, "plans_unavailable"),
])
def test_choosing_a_plan_where_it_makes_no_sense_is_a_409(client, broker, case, stripe_standin, make, code):
    offer_id = page(client, case)["plan_offers"][0]["offer_id"]
    make(client, broker, case, stripe_standin)
    before = read_case(client, broker[1], case["case_id"])
    sessions = len(stripe_calls(stripe_standin, "/v1/checkout/sessions"))

    answer = choose(client, case, {"offer_id": offer_id})

    assert answer.status_code == 409, answer.json_body
    assert answer.json_body["error"]["code"] == code and answer.json_body["error"]["message"]
    assert page(client, case)["plan_offers"] == []
    assert len(stripe_calls(stripe_standin, "/v1/checkout/sessions")) == sessions
    after = read_case(client, broker[1], case["case_id"])
    assert [e for e in after["events"] if e["type"] != "link_opened"] == \
        [e for e in before["events"] if e["type"] != "link_opened"]


@pytest.mark.parametrize(("make", "code"), [
    (paid_in_full, "nothing_due"), (on_plan, "plan_active"), (disputed, "disputed"), (written_off, "closed"),
])
def test_a_custom_offer_where_it_makes_no_sense_is_a_409(client, broker, case, stripe_standin, make, code):
    make(client, broker, case, stripe_standin)
    before = read_case(client, broker[1], case["case_id"])

    answer = offer_plan(client, broker[1], case["case_id"], {"installments": 3, "interval": "monthly"})

    assert answer.status_code == 409, answer.json_body
    assert answer.json_body["error"]["code"] == code
    assert read_case(client, broker[1], case["case_id"])["version"] == before["version"]


# --- the broker's own offers -----------------------------------------------------------------------------

def test_a_custom_offer_comes_first_on_the_page_and_twice_is_once(client, broker, case):
    plans_switched_off(client, broker, case, None)  # the broker's offer stands whatever the policy says
    body = {"installments": 10, "interval": "biweekly", "first_amount": 35000}

    created = offer_plan(client, broker[1], case["case_id"], body)
    again = offer_plan(client, broker[1], case["case_id"], body)

    assert (created.status_code, again.status_code) == (201, 200), created.json_body
    offer = created.json_body["offer"]
    assert [s["amount"] for s in offer["schedule"]] == [35000] + [10000] * 9
    days = [date.fromisoformat(s["due_on"]) for s in offer["schedule"]]
    assert {(b - a).days for a, b in pairwise(days)} == {14}
    assert created.json_body["custom_plan_offers"] == again.json_body["custom_plan_offers"]
    assert [e["type"] for e in again.json_body["events"]].count("plan_offer_added") == 1
    shown = page(client, case)["plan_offers"]
    assert [(o["offer_id"], o["custom"]) for o in shown] == [(offer["offer_id"], True)]


def test_a_custom_offers_remainder_goes_in_its_first_installment(client, broker, case):
    answer = offer_plan(client, broker[1], case["case_id"], {"installments": 7, "interval": "weekly"})

    assert [s["amount"] for s in answer.json_body["offer"]["schedule"]] == [17858] + [17857] * 6
    assert page(client, case)["plan_offers"][0]["custom"] is True


@pytest.mark.parametrize(("body", "field"), [
    ({"interval": "monthly"}, "installments"),
    ({"installments": 1, "interval": "monthly"}, "installments"),
    ({"installments": 25, "interval": "monthly"}, "installments"),
    ({"installments": 3}, "interval"),
    ({"installments": 3, "interval": "daily"}, "interval"),
    ({"installments": 3, "interval": "monthly", "first_amount": DUE}, "first_amount"),
    ({"installments": 3, "interval": "monthly", "first_amount": 0}, "first_amount"),
    ({"installments": 3, "interval": "monthly", "first_amount": "100"}, "first_amount"),
    ({"installments": 24, "interval": "weekly", "first_amount": DUE - 23 * 40}, "installments"),  # parts below 0.50
    ({"installments": 3, "interval": "monthly", "schedule": []}, "schedule"),
])
def test_a_bad_custom_offer_is_a_400_naming_the_field(client, broker, case, body, field):
    answer = offer_plan(client, broker[1], case["case_id"], body)

    assert answer.status_code == 400, answer.json_body
    assert answer.json_body["error"]["field"] == field
    assert read_case(client, broker[1], case["case_id"])["custom_plan_offers"] == []


def test_a_case_has_at_most_five_custom_offers(client, broker, case):
    for n in range(2, 7):
        assert offer_plan(client, broker[1], case["case_id"], {"installments": n, "interval": "monthly"}
                          ).status_code == 201

    answer = offer_plan(client, broker[1], case["case_id"], {"installments": 7, "interval": "monthly"})

    assert answer.status_code == 409 and answer.json_body["error"]["code"] == "too_many_offers"


def test_the_admin_view_shows_the_plan_and_its_schedule(client, broker, case, stripe_standin, clock):
    start_plan(client, case, stripe_standin, installments=2)

    view = read_case(client, broker[1], case["case_id"])

    plan = view["plan"]
    assert (view["status"], plan["state"], plan["paid"], plan["installments"]) == ("on_plan", "active", 1, 2)
    first, second = plan["schedule"]
    assert (first["status"], first["reference"].startswith("pi_")) == ("paid", True)
    assert (second["status"], second["amount"]) == ("scheduled", 62500)
    assert date.fromisoformat(second["due_on"]) - date.fromisoformat(first["due_on"]) in (
        timedelta(days=d) for d in (28, 29, 30, 31))
    assert view["next_action_at"] == plan["next_charge_at"]

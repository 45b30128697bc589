"""POST /customer/checkout against the Stripe stand-in: what Stripe receives is priced by the server."""
from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from chalicelib import bootstrap
from tests.api.conftest import open_case, token_of
from tests.api.test_webhooks import deliver_all
from tests.conftest import auth, post

DEFAULT_LADDER = [{"offset_days": 0, "template": "due_today", "stage": "reminder"}]


def checkout(client, token: str, body: Any = None) -> Any:
    raw = "" if body is None else (body if isinstance(body, str) else json.dumps(body))
    return client.http.post("/customer/checkout", body=raw,
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})


def session_requests(standin) -> list[dict[str, Any]]:
    return [params for method, path, params in standin.requests if (method, path) == ("POST", "/v1/checkout/sessions")]


@pytest.fixture
def case(client, broker, stripe_standin) -> dict[str, Any]:
    return open_case(client, broker[1], customer__locale="de")


def test_paying_everything_sends_stripe_the_amount_due_and_the_case(client, broker, case, stripe_standin):
    answer = checkout(client, token_of(case["pay_url"]))

    assert answer.status_code == 200, answer.json_body
    [session] = stripe_standin.objects("checkout.session")
    assert answer.json_body == {"checkout_url": session["url"]}
    assert session["url"].startswith(stripe_standin.url + "/checkout/cs_test_")
    [sent] = session_requests(stripe_standin)
    assert sent["mode"] == "payment"
    assert sent["line_items"] == [{"quantity": "1", "price_data": {
        "currency": "eur", "unit_amount": "125000", "product_data": {"name": "Invoice INV-1001"}}}]
    assert sent["client_reference_id"] == case["case_id"]
    metadata = {"portal": "collections-portal", "broker_id": broker[0], "case_id": case["case_id"],
                "link_id": case["link"]["link_id"], "link_version": "1", "case_version": str(case["version"]),
                "discount": "0", "kind": "full"}
    assert sent["metadata"] == metadata
    assert sent["payment_intent_data"] == {"metadata": metadata, "description": "Invoice INV-1001"}
    assert (sent["customer_email"], sent["locale"]) == ("jane@example.test", "de")
    assert sent["payment_method_types"] == ["card"]
    site = case["pay_url"].split("/pay#", 1)[0]  # back to the pay page, without the token
    assert (sent["success_url"], sent["cancel_url"]) == (f"{site}/pay/success", f"{site}/pay/cancel")
    assert token_of(case["pay_url"]) not in json.dumps(sent)


def test_a_part_payment_charges_exactly_the_part(client, case, stripe_standin):
    answer = checkout(client, token_of(case["pay_url"]), {"amount": 20000})

    assert answer.status_code == 200, answer.json_body
    [sent] = session_requests(stripe_standin)
    assert sent["line_items"][0]["price_data"]["unit_amount"] == "20000"
    assert sent["line_items"][0]["price_data"]["product_data"]["name"] == "Invoice INV-1001 (part payment)"
    assert sent["metadata"]["kind"] == "partial"


def test_a_part_payment_below_ten_percent_is_refused_before_stripe_is_called(client, case, stripe_standin):
    answer = checkout(client, token_of(case["pay_url"]), {"amount": 12499})

    assert answer.status_code == 400
    assert answer.json_body["error"]["field"] == "amount"
    assert "12500" in answer.json_body["error"]["message"]
    assert stripe_standin.requests == []


@pytest.mark.parametrize(("body", "field"), [
    ({"amount": 125001}, "amount"),
    ({"amount": 0}, "amount"),
    ({"amount": 100.5}, "amount"),
    ({"amount": "125000"}, "amount"),
    ({"amount": 1000, "unit_amount": 1}, "unit_amount"),
    ({"currency": "usd"}, "currency"),
    ({"discount": 125000}, "discount"),
])
def test_nothing_the_browser_sends_sets_a_price(client, case, stripe_standin, body, field):
    answer = checkout(client, token_of(case["pay_url"]), body)

    assert answer.status_code == 400, answer.json_body
    assert answer.json_body["error"]["field"] == field
    assert stripe_standin.requests == []


def test_a_double_click_makes_one_session(client, case, stripe_standin):
    token = token_of(case["pay_url"])
    first, second = checkout(client, token), checkout(client, token)

    assert first.status_code == second.status_code == 200
    assert first.json_body == second.json_body
    assert len(session_requests(stripe_standin)) == 2  # both reached Stripe, with the same idempotency key
    assert len(stripe_standin.objects("checkout.session")) == 1


def test_another_amount_is_another_session(client, case, stripe_standin):
    token = token_of(case["pay_url"])
    full, part = checkout(client, token), checkout(client, token, {"amount": 50000})

    assert full.json_body != part.json_body
    assert len(stripe_standin.objects("checkout.session")) == 2


def test_a_bad_token_reaches_no_case_and_no_stripe(client, case, stripe_standin):
    answer = checkout(client, token_of(case["pay_url"])[:-2] + "xx")

    assert answer.status_code == 401
    assert stripe_standin.requests == []


def test_a_paid_case_has_nothing_to_pay(client, broker, case, stripe_standin):
    paid = post(client, f"/admin/cases/{case['case_id']}/payments", broker[1], {
        "amount": 125000, "method": "bank_transfer", "reference": "BT-1", "received_on": "2026-11-01"})
    assert paid.status_code == 201, paid.json_body

    answer = checkout(client, token_of(case["pay_url"]))

    assert answer.status_code == 409
    assert answer.json_body["error"]["code"] == "nothing_due"
    assert stripe_standin.requests == []


def test_after_a_part_paid_offline_checkout_charges_the_rest(client, broker, case, stripe_standin):
    post(client, f"/admin/cases/{case['case_id']}/payments", broker[1], {
        "amount": 25000, "method": "cheque", "reference": "CHQ-7", "received_on": "2026-11-01"})

    checkout(client, token_of(case["pay_url"]))

    [sent] = session_requests(stripe_standin)
    assert sent["line_items"][0]["price_data"]["unit_amount"] == "100000"


def test_an_early_payment_discount_from_the_policy_lowers_the_price(client, broker, stripe_standin):
    policy = client.http.put("/admin/policy", headers=auth(broker[1]), body=json.dumps(
        {"ladder": DEFAULT_LADDER, "late_fee": None, "discount": {"rate_bp": 200, "days": 10}}))
    assert policy.status_code == 200, policy.json_body
    issued = date.today() - timedelta(days=5)  # paying within 10 days of the invoice earns 2%
    case = open_case(client, broker[1], invoice__issued_on=issued.isoformat(),
                     invoice__due_on=(issued + timedelta(days=30)).isoformat())

    answer = checkout(client, token_of(case["pay_url"]))

    assert answer.status_code == 200, answer.json_body
    [sent] = session_requests(stripe_standin)
    assert sent["line_items"][0]["price_data"]["unit_amount"] == "122500"  # 125000 less 2%
    assert (sent["metadata"]["discount"], sent["metadata"]["kind"]) == ("2500", "full")


def test_the_case_view_shows_the_discounted_price_checkout_will_charge_before_any_click(client, broker,
                                                                                        stripe_standin):
    policy = client.http.put("/admin/policy", headers=auth(broker[1]), body=json.dumps(
        {"ladder": DEFAULT_LADDER, "late_fee": None, "discount": {"rate_bp": 200, "days": 10}}))
    assert policy.status_code == 200, policy.json_body
    issued = date.today() - timedelta(days=5)
    case = open_case(client, broker[1], invoice__issued_on=issued.isoformat(),
                     invoice__due_on=(issued + timedelta(days=30)).isoformat())
    token = token_of(case["pay_url"])

    view = client.http.get("/customer/case", headers={"Authorization": f"Bearer {token}"}).json_body
    checkout(client, token)

    assert view["balance"]["due"] == 125000 and view["currency"] == {"code": "EUR", "exponent": 2}
    assert view["pay"]["payable_now"] == 122500
    assert view["pay"]["discount"] == {"amount": 2500, "until": (issued + timedelta(days=10)).isoformat()}
    [sent] = session_requests(stripe_standin)
    assert sent["line_items"][0]["price_data"]["unit_amount"] == str(view["pay"]["payable_now"])


def test_a_part_payment_leaving_less_than_one_card_payment_is_refused(client, case, stripe_standin):
    token = token_of(case["pay_url"])
    view = client.http.get("/customer/case", headers={"Authorization": f"Bearer {token}"}).json_body
    assert view["pay"]["part"] == {"min": 12500, "max": 124950}

    answer = checkout(client, token, {"amount": 124999})  # would leave 0.01 EUR: no card can pay that

    assert answer.status_code == 400
    assert answer.json_body["error"]["field"] == "amount"
    assert "at most 124950" in answer.json_body["error"]["message"]
    assert stripe_standin.requests == []


def test_stripe_unreachable_is_a_502_and_changes_nothing(client, broker, case, stripe_standin):
    stripe_standin.stop()

    answer = checkout(client, token_of(case["pay_url"]))

    assert answer.status_code == 502
    assert answer.json_body["error"]["code"] == "upstream_error"
    version = client.http.get(f"/admin/cases/{case['case_id']}", headers=auth(broker[1])).json_body["version"]
    assert version == case["version"]


def test_a_payment_through_a_reminders_link_names_that_reminder(client, broker, case, stripe_standin):
    # The link a reminder carries is the case's live link signed with the reminder's claim.
    stored, _ = bootstrap.store().load(broker[0], case["case_id"])
    reminder_token = bootstrap.pay_links().token(stored, ref="r-step3")

    answer = checkout(client, reminder_token)
    assert answer.status_code == 200, answer.json_body
    [sent] = session_requests(stripe_standin)
    assert sent["metadata"]["reminder"] == "r-step3"
    assert sent["payment_intent_data"]["metadata"]["reminder"] == "r-step3"

    [session] = stripe_standin.objects("checkout.session")
    stripe_standin.complete_session(session["id"])
    deliver_all(client, stripe_standin.events)  # signed with the SDK's helper, as Stripe would send them
    _, events = bootstrap.store().load(broker[0], case["case_id"])
    [received] = [e for e in events if e.type == "payment_received"]
    assert received.data["via_reminder"] == "r-step3"

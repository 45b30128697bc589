"""POST /webhooks/stripe: verified with the SDK's own signature helper, acted on once, in any order.

Events are the stand-in's own (shaped from Stripe's example objects): the tests pay, refund and dispute
on the stand-in with no webhook endpoint set, then deliver the events it raised, signed, in the order
and as often as each test wants.
"""
from __future__ import annotations

import email
import email.policy
import json
import time
from itertools import count
from typing import Any

import boto3
import pytest
import stripe
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.api.conftest import open_case, read_case, token_of
from tests.conftest import STRIPE_WEBHOOK_SECRET, auth, get, post

INVOICES = count(1)


def sign(payload: str, secret: str = STRIPE_WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)


def deliver(client, event: dict[str, Any], **signing: Any) -> Any:
    payload = json.dumps(event)
    return client.http.post("/webhooks/stripe", body=payload, headers={
        "Content-Type": "application/json; charset=utf-8", "Stripe-Signature": sign(payload, **signing)})


def outcome(answer: Any) -> str:
    assert answer.status_code == 200, answer.json_body
    return answer.json_body["outcome"]


class Payer:
    """A customer paying through the stand-in, and Stripe's events from it, not yet delivered."""

    def __init__(self, client, standin) -> None:
        self.client, self.standin = client, standin
        self.stripe = stripe.StripeClient(standin.api_key, base_addresses={"api": standin.url},
                                          max_network_retries=0)
        self._seen = len(standin.events)

    def session(self, case: dict[str, Any], amount: int | None = None) -> str:
        body = json.dumps({} if amount is None else {"amount": amount})
        answer = self.client.http.post("/customer/checkout", body=body, headers={
            "Authorization": f"Bearer {token_of(case['pay_url'])}", "Content-Type": "application/json"})
        assert answer.status_code == 200, answer.json_body
        return answer.json_body["checkout_url"].rsplit("/", 1)[1]

    def pay(self, case: dict[str, Any], amount: int | None = None) -> str:
        """Pay on the checkout page; the PaymentIntent id."""
        return str(self.standin.complete_session(self.session(case, amount))["payment_intent"])

    def charge_of(self, intent_id: str) -> str:
        return str(self.standin.get(intent_id)["latest_charge"])

    def events(self) -> list[dict[str, Any]]:
        """Stripe's events since the last call."""
        raised = self.standin.events[self._seen:]
        self._seen += len(raised)
        return raised


@pytest.fixture
def payer(client, stripe_standin) -> Payer:
    return Payer(client, stripe_standin)


@pytest.fixture
def case(client, broker, stripe_standin) -> dict[str, Any]:
    return open_case(client, broker[1], invoice__number=f"INV-W{next(INVOICES)}")


def deliver_all(client, events: list[dict[str, Any]]) -> list[str]:
    return [outcome(deliver(client, event)) for event in events]


def types(client, key: str, case_id: str) -> list[str]:
    return [e["type"] for e in read_case(client, key, case_id)["events"]]


# --- verification: never bypassed ------------------------------------------------------------------

def a_paid_event(payer: Payer, case: dict[str, Any]) -> dict[str, Any]:
    payer.pay(case)
    return next(e for e in payer.events() if e["type"] == "checkout.session.completed")


def assert_refused(client, broker, case, answer, field: str = "Stripe-Signature") -> None:
    assert answer.status_code == 400, answer.json_body
    assert answer.json_body["error"]["field"] == field
    after = read_case(client, broker[1], case["case_id"])
    assert (after["version"], after["balance"]["paid"]) == (case["version"], 0)


def test_a_bad_signature_is_refused(client, broker, case, payer):
    event = a_paid_event(payer, case)
    payload = json.dumps(event)
    header = sign(payload)
    forged = header[:-4] + ("0000" if not header.endswith("0000") else "1111")

    answer = client.http.post("/webhooks/stripe", body=payload, headers={"Stripe-Signature": forged,
                                                                         "Content-Type": "application/json"})
    assert_refused(client, broker, case, answer)


def test_a_missing_signature_is_refused(client, broker, case, payer):
    answer = client.http.post("/webhooks/stripe", body=json.dumps(a_paid_event(payer, case)),
                              headers={"Content-Type": "application/json"})
    assert_refused(client, broker, case, answer)


def test_another_secret_is_refused(client, broker, case, payer):
    answer = deliver(client, a_paid_event(payer, case), secret="whsec_not_ours")
    assert_refused(client, broker, case, answer)


def test_a_stale_timestamp_is_refused_even_with_a_good_signature(client, broker, case, payer):
    answer = deliver(client, a_paid_event(payer, case), timestamp=int(time.time()) - 301)
    assert_refused(client, broker, case, answer)
    assert "old" in answer.json_body["error"]["message"]


def test_a_body_changed_after_signing_is_refused(client, broker, case, payer):
    event = a_paid_event(payer, case)
    payload = json.dumps(event)
    header = sign(payload)
    event["data"]["object"]["amount_total"] = 999_999_99

    answer = client.http.post("/webhooks/stripe", body=json.dumps(event), headers={
        "Stripe-Signature": header, "Content-Type": "application/json"})
    assert_refused(client, broker, case, answer)


def test_the_same_bytes_reformatted_are_refused(client, broker, case, payer):
    """The signature covers the exact bytes: re-serialising (as a framework parsing JSON would) breaks it."""
    event = a_paid_event(payer, case)
    payload = json.dumps(event, indent=2)
    header = sign(payload)

    answer = client.http.post("/webhooks/stripe", body=json.dumps(event), headers={
        "Stripe-Signature": header, "Content-Type": "application/json"})
    assert_refused(client, broker, case, answer)


# --- what is not ours, or not about money ----------------------------------------------------------------

def test_an_unknown_event_type_is_accepted_and_ignored(client, broker, case, payer):
    payer.pay(case)
    intent = next(e for e in payer.events() if e["type"] == "payment_intent.succeeded")
    intent["type"] = "payment_intent.amount_capturable_updated"
    assert outcome(deliver(client, intent)) == "ignored"
    assert read_case(client, broker[1], case["case_id"])["version"] == case["version"]


def test_an_event_without_our_metadata_is_ignored(client, payer, stripe_standin):
    session = payer.stripe.v1.checkout.sessions.create({
        "mode": "payment", "success_url": "https://shop.test/ok", "metadata": {"order": "42"},
        "line_items": [{"quantity": 1, "price_data": {"currency": "eur", "unit_amount": 500,
                                                      "product_data": {"name": "T-shirt"}}}]})
    stripe_standin.complete_session(session.id)
    assert set(deliver_all(client, payer.events())) == {"ignored"}


def test_an_event_naming_another_brokers_case_changes_nothing(client, broker, other_broker, case, payer):
    event = a_paid_event(payer, case)
    event["data"]["object"]["metadata"]["broker_id"] = other_broker[0]

    assert outcome(deliver(client, event)) == "ignored"
    assert read_case(client, broker[1], case["case_id"])["balance"]["paid"] == 0


# --- payments --------------------------------------------------------------------------------------

def test_paid_in_full_marks_the_case_paid_with_the_payment_in_its_timeline(client, broker, case, payer):
    intent = payer.pay(case)
    events = payer.events()
    assert [e["type"] for e in events] == ["payment_intent.succeeded", "checkout.session.completed"]

    assert deliver_all(client, events) == ["recorded", "no_change"]  # one payment, whichever event says it

    after = read_case(client, broker[1], case["case_id"])
    assert (after["status"], after["balance"]["due"], after["balance"]["paid"]) == ("paid", 0, 125000)
    assert after["next_action_at"] is None
    new = [(e["type"], e["actor"]) for e in after["events"][len(case["events"]):]]
    assert new == [("payment_received", "stripe"), ("status_changed", "stripe"), ("receipt_due", "stripe"),
                   ("broker_notified", "stripe")]
    received = after["events"][len(case["events"])]["data"]
    assert (received["reference"], received["amount"], received["method"]) == (intent, 125000, "card")
    assert after["payments"]["items"][0]["counted"] == 125000
    customer = get(client, "/customer/case", token_of(case["pay_url"])).json_body
    assert {"type": "payment_received", "at": customer["timeline"][-2]["at"],
            "data": {"amount": 125000, "currency": "EUR", "method": "card"}} in customer["timeline"]
    assert customer["status"] == "paid"


def test_a_redelivered_event_changes_nothing(client, broker, case, payer):
    payer.pay(case)
    events = payer.events()
    deliver_all(client, events)
    before = read_case(client, broker[1], case["case_id"])

    assert set(deliver_all(client, events)) <= {"duplicate", "no_change"}
    assert read_case(client, broker[1], case["case_id"]) == before


def test_an_event_id_is_acted_on_once_whatever_it_carries(client, broker, case, payer):
    """The id is recorded in the same transaction as the change: a second delivery cannot act again,
    even one whose content would change the balance."""
    payer.pay(case, 20000)
    [succeeded, completed] = payer.events()
    assert outcome(deliver(client, succeeded)) == "recorded"
    before = read_case(client, broker[1], case["case_id"])

    succeeded["data"]["object"].update(id="pi_other", amount=30000, amount_received=30000)
    assert outcome(deliver(client, succeeded)) == "duplicate"
    assert read_case(client, broker[1], case["case_id"]) == before


def test_a_partial_payment_leaves_the_rest_due(client, broker, case, payer):
    payer.pay(case, 40000)
    deliver_all(client, payer.events())

    after = read_case(client, broker[1], case["case_id"])
    assert (after["status"], after["balance"]["paid"], after["balance"]["due"]) == ("open", 40000, 85000)
    assert "receipt_due" not in types(client, broker[1], case["case_id"])


def test_a_declined_card_is_in_the_timeline_and_changes_no_balance(client, broker, case, payer, stripe_standin):
    stripe_standin.decline_session(payer.session(case))
    [failed] = payer.events()
    assert failed["type"] == "payment_intent.payment_failed"

    assert outcome(deliver(client, failed)) == "recorded"
    after = read_case(client, broker[1], case["case_id"])
    assert after["events"][-1]["type"] == "payment_failed"
    assert after["events"][-1]["data"]["code"] == "generic_decline"
    assert after["balance"]["due"] == 125000


def test_a_refund_makes_the_refunded_amount_due_again(client, broker, case, payer):
    intent = payer.pay(case)
    deliver_all(client, payer.events())
    payer.stripe.v1.refunds.create({"payment_intent": intent, "amount": 30000})
    [refunded] = payer.events()
    assert refunded["type"] == "charge.refunded"

    assert outcome(deliver(client, refunded)) == "recorded"

    after = read_case(client, broker[1], case["case_id"])
    assert (after["status"], after["balance"]["due"], after["balance"]["paid"]) == ("open", 30000, 95000)
    assert after["events"][-2]["type"] == "payment_refunded" and after["events"][-2]["data"]["amount"] == 30000
    assert after["next_action_at"] is not None  # reminders look at it again


def test_paying_again_after_a_partial_refund(client, broker, case, payer):
    intent = payer.pay(case)
    deliver_all(client, payer.events())
    payer.stripe.v1.refunds.create({"payment_intent": intent, "amount": 30000})
    deliver_all(client, payer.events())

    payer.pay(case)  # the customer pays what is due again: 30000
    deliver_all(client, payer.events())

    after = read_case(client, broker[1], case["case_id"])
    assert (after["status"], after["balance"]["due"], after["balance"]["paid"]) == ("paid", 0, 125000)


def test_a_chargeback_flags_the_case_and_a_won_dispute_settles_it_again(client, broker, case, payer,
                                                                        stripe_standin):
    intent = payer.pay(case)
    deliver_all(client, payer.events())
    dispute = stripe_standin.dispute(payer.charge_of(intent))
    [created] = payer.events()

    assert outcome(deliver(client, created)) == "recorded"
    flagged = read_case(client, broker[1], case["case_id"])
    assert (flagged["status"], flagged["balance"]["due"], flagged["payments"]["flags"]) == ("open", 125000,
                                                                                            ["chargeback"])
    assert flagged["events"][-1] == {**flagged["events"][-1], "type": "broker_notified",
                                     "data": {"reason": "chargeback"}}
    assert flagged["next_action_at"] is None  # no reminders while the bank decides

    stripe_standin.close_dispute(dispute["id"], "won")
    assert deliver_all(client, payer.events()) == ["recorded"]
    settled = read_case(client, broker[1], case["case_id"])
    assert (settled["status"], settled["balance"]["due"], settled["payments"]["flags"]) == ("paid", 0, [])


def test_a_lost_chargeback_leaves_the_money_due(client, broker, case, payer, stripe_standin):
    intent = payer.pay(case)
    dispute = stripe_standin.dispute(payer.charge_of(intent))
    stripe_standin.close_dispute(dispute["id"], "lost")
    deliver_all(client, payer.events())

    after = read_case(client, broker[1], case["case_id"])
    assert (after["status"], after["balance"]["due"], after["payments"]["flags"]) == ("open", 125000, [])


def test_a_bank_debit_is_pending_until_it_settles(client, broker, case, payer, stripe_standin):
    payer.session(case)  # what our API sends Stripe, then the same session with a bank debit
    [*_, (_, _, params)] = stripe_standin.requests
    session = payer.stripe.v1.checkout.sessions.create({**params, "payment_method_types": ["sepa_debit"]})
    stripe_standin.complete_session(session.id)
    deliver_all(client, payer.events())

    pending = read_case(client, broker[1], case["case_id"])
    assert (pending["status"], pending["balance"]["due"], pending["payments"]["pending"]) == ("open", 125000,
                                                                                              125000)
    assert pending["events"][-1]["type"] == "payment_pending"
    assert pending["events"][-1]["data"]["method"] == "sepa_debit"
    again = client.http.post("/customer/checkout", body="{}", headers={
        "Authorization": f"Bearer {token_of(case['pay_url'])}", "Content-Type": "application/json"})
    assert again.status_code == 409 and again.json_body["error"]["code"] == "payment_pending"

    stripe_standin.settle_session(session.id)
    deliver_all(client, payer.events())
    paid = read_case(client, broker[1], case["case_id"])
    assert (paid["status"], paid["balance"]["due"], paid["payments"]["pending"]) == ("paid", 0, 0)


def test_a_bank_debit_that_fails_is_due_again(client, broker, case, payer, stripe_standin):
    payer.session(case)
    [*_, (_, _, params)] = stripe_standin.requests
    session = payer.stripe.v1.checkout.sessions.create({**params, "payment_method_types": ["us_bank_account"]})
    stripe_standin.complete_session(session.id)
    stripe_standin.settle_session(session.id, succeeded=False)
    deliver_all(client, payer.events())

    after = read_case(client, broker[1], case["case_id"])
    assert (after["status"], after["balance"]["due"], after["payments"]["pending"]) == ("open", 125000, 0)
    assert "payment_failed" in types(client, broker[1], case["case_id"])


# --- receipts and notices, read from what SES (moto) received ------------------------------------------

def sent() -> list[tuple[str, str, str]]:
    """(to, subject, text) of every email SES accepted."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    found = []
    for message in ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].sent_messages:
        raw = email.message_from_string(message.raw_data, policy=email.policy.default)
        text = next(p.get_content() for p in raw.walk() if p.get_content_type() == "text/plain")
        found.append((str(raw["To"]), str(raw["Subject"]), text))
    return found


@pytest.fixture
def mail(aws_env) -> None:
    from chalicelib.domain.policy import DEFAULT_POLICY
    from portal import infra

    infra.verify_sender(boto3.client("sesv2"), DEFAULT_POLICY.sender.from_email.split("@", 1)[1])


def test_paid_in_full_sends_the_customer_a_receipt_and_tells_the_broker(client, broker, payer, mail):
    case = open_case(client, broker[1], customer__locale="de", invoice__number="INV-R1")
    payer.pay(case)
    events = payer.events()

    deliver_all(client, events)
    deliver_all(client, events)  # redelivered: nothing is sent twice

    (to_customer, subject, text), (to_broker, broker_subject, broker_text) = sent()
    assert (to_customer, subject) == ("jane@example.test", "Quittung: Rechnung INV-R1 ist bezahlt")
    assert "1.250,00" in text and "Acme Brokers" in text
    assert (to_broker, broker_subject) == ("ar@acme.test", "Paid: invoice INV-R1 (Jane Customer)")
    assert case["case_id"] in broker_text


def test_a_chargeback_tells_the_broker(client, broker, payer, stripe_standin, mail):
    case = open_case(client, broker[1], invoice__number="INV-R2")
    intent = payer.pay(case)
    deliver_all(client, payer.events())
    stripe_standin.dispute(payer.charge_of(intent), reason="product_not_received")

    deliver_all(client, payer.events())

    to, subject, text = sent()[-1]
    assert (to, subject) == ("ar@acme.test", "Chargeback: invoice INV-R2 (Jane Customer)")
    assert "€1,250.00 is due again" in text and "product_not_received" in text


def test_a_remainder_too_small_for_a_card_stops_the_pay_button_and_tells_the_broker(client, broker, mail):
    case = open_case(client, broker[1], invoice__number="INV-R3")
    paid = post(client, f"/admin/cases/{case['case_id']}/payments", broker[1], {
        "amount": 124999, "method": "bank_transfer", "reference": "BT-3", "received_on": "2026-11-01"})
    assert paid.status_code == 201, paid.json_body

    to, subject, text = sent()[-1]
    assert (to, subject) == ("ar@acme.test", "Too small to pay by card: invoice INV-R3 (Jane Customer)")
    assert "€0.01 left" in text and "write the rest off" in text
    assert paid.json_body["payments"]["flags"] == ["small_remainder"]
    reminders = get(client, f"/admin/cases/{case['case_id']}", broker[1]).json_body["reminders"]
    assert reminders["next_step"]["step"] is None and "smallest card payment" in reminders["next_step"]["reason"]
    view = get(client, "/customer/case", token_of(case["pay_url"])).json_body
    assert (view["pay"]["blocked"], view["pay"]["payable_now"]) == ("small_remainder", None)


def test_a_receipt_that_cannot_be_sent_does_not_undo_the_payment(client, broker, case, payer):
    """No verified sender in SES here: it refuses, the payment stays recorded, Stripe gets its 200."""
    payer.pay(case)
    assert deliver_all(client, payer.events()) == ["recorded", "no_change"]
    assert sent() == []
    assert read_case(client, broker[1], case["case_id"])["status"] == "paid"


def test_money_in_another_currency_is_not_counted_but_put_before_the_broker_once(client, broker, payer, mail):
    case = open_case(client, broker[1], invoice__number="INV-R3")  # in EUR
    payer.pay(case)
    paid = next(e for e in payer.events() if e["type"] == "payment_intent.succeeded")
    paid["data"]["object"]["currency"] = "usd"  # e.g. a session the broker made by hand in the dashboard

    assert outcome(deliver(client, paid)) == "recorded"
    assert outcome(deliver(client, paid)) == "duplicate"  # Stripe redelivers: nothing twice

    after = read_case(client, broker[1], case["case_id"])
    assert (after["status"], after["balance"]["paid"], after["balance"]["due"]) == ("open", 0, 125000)
    [mismatch] = [e for e in after["events"] if e["type"] == "payment_currency_mismatch"]
    assert mismatch["actor"] == "stripe"
    assert {k: mismatch["data"][k] for k in ("reference", "amount", "currency", "case_currency")} == {
        "reference": paid["data"]["object"]["id"], "amount": 125000, "currency": "USD", "case_currency": "EUR"}
    [(to, subject, text)] = sent()
    assert (to, subject) == ("ar@acme.test", "Not counted: a payment in USD for invoice INV-R3 (Jane Customer)")
    assert "$1,250.00" in text and paid["data"]["object"]["id"] in text and "not counted" in text
    customer = get(client, "/customer/case", token_of(case["pay_url"])).json_body
    assert "payment_currency_mismatch" not in {e["type"] for e in customer["timeline"]}


# --- offline payments ------------------------------------------------------------------------------

def offline(client, key: str, case_id: str, **fields: Any) -> Any:
    body = {"amount": 50000, "method": "bank_transfer", "reference": "BT-2026-11-01", "received_on": "2026-11-01"}
    return post(client, f"/admin/cases/{case_id}/payments", key, {**body, **fields})


def test_an_offline_payment_counts_once_per_reference(client, broker, case):
    first = offline(client, broker[1], case["case_id"])
    again = offline(client, broker[1], case["case_id"])

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json_body == again.json_body
    assert (first.json_body["balance"]["paid"], first.json_body["balance"]["due"]) == (50000, 75000)
    received = first.json_body["events"][-1]
    assert (received["type"], received["actor"]) == ("payment_received", "broker")
    assert received["data"] == {"reference": "offline:BT-2026-11-01", "currency": "EUR", "amount": 50000,
                                "source": "offline", "method": "bank_transfer", "received_on": "2026-11-01"}


def test_an_offline_payment_with_a_used_reference_but_other_details_is_a_conflict(client, broker, case):
    offline(client, broker[1], case["case_id"])
    other = offline(client, broker[1], case["case_id"], amount=50001)

    assert other.status_code == 409
    assert other.json_body["error"]["field"] == "reference"


def test_offline_money_beyond_the_due_amount_is_kept_as_credit(client, broker, case):
    paid = offline(client, broker[1], case["case_id"], amount=130000, method="cheque", reference="CHQ-1")

    assert paid.status_code == 201
    assert (paid.json_body["status"], paid.json_body["balance"]["credit"]) == ("paid", 5000)


@pytest.mark.parametrize(("fields", "field"), [
    ({"method": "card"}, "method"),
    ({"amount": 0}, "amount"),
    ({"amount": "500"}, "amount"),
    ({"received_on": "2099-01-01"}, "received_on"),
    ({"received_on": "01/11/2026"}, "received_on"),
    ({"reference": ""}, "reference"),
    ({"note": "x"}, "note"),
])
def test_a_bad_offline_payment_names_the_field(client, broker, case, fields, field):
    answer = offline(client, broker[1], case["case_id"], **fields)

    assert answer.status_code == 400, answer.json_body
    assert answer.json_body["error"]["field"] == field
    assert read_case(client, broker[1], case["case_id"])["version"] == case["version"]


def test_another_brokers_case_is_not_found(client, other_broker, case):
    answer = offline(client, other_broker[1], case["case_id"])
    assert answer.status_code == 404


def test_offline_payments_need_a_broker_key(client, case):
    answer = client.http.post(f"/admin/cases/{case['case_id']}/payments", body="{}",
                              headers={"Authorization": f"Bearer {token_of(case['pay_url'])}"})
    assert answer.status_code == 401


# --- any order, any duplicates, through the route ----------------------------------------------------

def busy_case(client, key: str, payer: Payer, standin) -> tuple[str, list[dict[str, Any]]]:
    """A part payment refunded in part, a second payment disputed and won, a declined card: the events."""
    case = open_case(client, key, invoice__number=f"INV-P{next(INVOICES)}")
    first = payer.pay(case, 50000)
    payer.stripe.v1.refunds.create({"payment_intent": first, "amount": 10000})
    second = payer.pay(case, 85000)
    dispute = standin.dispute(payer.charge_of(second))
    standin.close_dispute(dispute["id"], "won")
    standin.decline_session(payer.session(case, 20000))
    return case["case_id"], payer.events()


# Each example pays, refunds and disputes on the stand-in first: no shrinking (slow), the flows are small.
@settings(max_examples=12, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_order_and_any_duplicates_give_the_same_final_balance(client, broker, payer, stripe_standin, data):
    case_id, events = busy_case(client, broker[1], payer, stripe_standin)
    assert sorted({e["type"] for e in events}) == sorted({
        "payment_intent.succeeded", "checkout.session.completed", "charge.refunded", "charge.dispute.created",
        "charge.dispute.closed", "payment_intent.payment_failed"})
    extra = data.draw(st.lists(st.sampled_from(events), max_size=8))
    shuffled = data.draw(st.permutations(events + extra))

    outcomes = deliver_all(client, shuffled)

    after = read_case(client, broker[1], case_id)
    assert (after["status"], after["balance"]["paid"], after["balance"]["due"]) == ("paid", 125000, 0)
    assert after["payments"]["flags"] == []
    assert outcomes.count("recorded") <= len(events)
    assert outcomes.count("duplicate") >= len(extra) - sum(1 for o in outcomes if o == "no_change")


def test_unauthenticated_routes_stay_as_they_were(client, case):
    """The webhook takes no pay token; a pay token or API key on it changes nothing."""
    answer = client.http.post("/webhooks/stripe", body="{}", headers={**auth(token_of(case["pay_url"]))})
    assert answer.status_code == 400
    assert answer.json_body["error"]["field"] == "Stripe-Signature"


def test_money_in_another_currency_follows_the_brokers_notification_preferences(client, broker, payer, mail):
    answer = client.http.put("/admin/notifications", body=json.dumps({"locale": "de", "notices": {
        "currency_mismatch": {"recipients": ["books@acme.test"]}}}), headers={
        **auth(broker[1]), "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.json_body
    case = open_case(client, broker[1], invoice__number="INV-R4")
    payer.pay(case)
    paid = next(e for e in payer.events() if e["type"] == "payment_intent.succeeded")
    paid["data"]["object"]["currency"] = "usd"

    assert outcome(deliver(client, paid)) == "recorded"
    [(to, subject, text)] = sent()
    assert (to, subject) == ("books@acme.test",
                             "Nicht angerechnet: eine Zahlung in USD für Rechnung INV-R4 (Jane Customer)")
    assert "1.250,00\xa0$" in text  # the amount Stripe reported, written the German way

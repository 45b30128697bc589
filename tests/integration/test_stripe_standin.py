"""The Stripe stand-in, driven by the real stripe SDK, with webhooks verified by the SDK's own check."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import stripe
from hypothesis import given
from hypothesis import strategies as st
from stripe._encode import _api_encode

from portal.stripe_standin import StripeStandIn
from portal.stripe_standin.forms import parse_form

SECRET = "whsec_test_standin_suite"
SUCCESS = "https://portal.test/paid?session={CHECKOUT_SESSION_ID}"
CANCEL = "https://portal.test/pay/c1"


class WebhookReceiver:
    """A webhook endpoint that accepts only what `stripe.Webhook.construct_event` verifies."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.events: list[stripe.Event] = []
        self.rejected: list[str] = []
        self.answer = 200
        self.on_event: Callable[[stripe.Event], None] = lambda event: None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                payload = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    event = stripe.Webhook.construct_event(
                        payload.decode("utf-8"), self.headers.get("Stripe-Signature"), receiver.secret)
                except (stripe.SignatureVerificationError, ValueError) as exc:
                    receiver.rejected.append(str(exc))
                    status = 400
                else:
                    receiver.events.append(event)
                    receiver.on_event(event)
                    status = receiver.answer
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/stripe/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def of_type(self, event_type: str) -> list[stripe.Event]:
        return [event for event in self.events if event.type == event_type]

    def types(self) -> list[str]:
        return [event.type for event in self.events]


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(SECRET)
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def standin(receiver: WebhookReceiver) -> Iterator[StripeStandIn]:
    with StripeStandIn(webhook_url=receiver.url, webhook_secret=SECRET) as standin:
        yield standin


@pytest.fixture
def client(standin: StripeStandIn) -> stripe.StripeClient:
    # Exactly how production builds its client, with the stand-in's address in place of Stripe's.
    return stripe.StripeClient(standin.api_key, base_addresses={"api": standin.url}, max_network_retries=0)


def session_params(**overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [{"price_data": {"currency": "eur", "unit_amount": 62500,
                                       "product_data": {"name": "Invoice INV-1001"}}, "quantity": 2}],
        "success_url": SUCCESS,
        "cancel_url": CANCEL,
        "customer_email": "jane@example.test",
        "client_reference_id": "c1",
        "metadata": {"case_id": "c1", "broker_id": "b1"},
        "payment_intent_data": {"metadata": {"case_id": "c1"}},
        "locale": "de",
        "payment_method_types": ["card"],
    }
    params.update(overrides)
    return params


def browser(standin: StripeStandIn, method: str, path: str) -> http.client.HTTPResponse:
    """One request as a browser sends it, redirects not followed."""
    parts = urlsplit(standin.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if method == "POST" else {}
    connection.request(method, path, body=b"" if method == "POST" else None, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def page(standin: StripeStandIn, path: str) -> str:
    parts = urlsplit(standin.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read().decode("utf-8")
    connection.close()
    assert response.status == 200
    return body


def paid_customer(standin: StripeStandIn, client: stripe.StripeClient) -> tuple[str, str]:
    """(customer id, saved card id) after a checkout that saved the card for off-session use."""
    session = client.v1.checkout.sessions.create(session_params(
        payment_intent_data={"setup_future_usage": "off_session", "metadata": {"case_id": "c1"}}))
    completed = standin.complete_session(session.id)
    methods = client.v1.payment_methods.list({"customer": completed["customer"], "type": "card"})
    return completed["customer"], methods.data[0].id


# -- Checkout Sessions ---------------------------------------------------------------------------------

def test_a_checkout_session_is_shaped_like_stripes(standin: StripeStandIn, client: stripe.StripeClient):
    session = client.v1.checkout.sessions.create(session_params())

    assert session.object == "checkout.session"
    assert session.id.startswith("cs_test_")
    assert session.url == f"{standin.url}/checkout/{session.id}"
    assert (session.mode, session.status, session.payment_status) == ("payment", "open", "unpaid")
    assert (session.amount_total, session.amount_subtotal, session.currency) == (125000, 125000, "eur")
    assert session.metadata.to_dict() == {"case_id": "c1", "broker_id": "b1"}
    assert session.client_reference_id == "c1"
    assert session.customer_email == "jane@example.test"
    assert session.success_url == SUCCESS  # the template stays in the object; it is filled in on redirect
    assert session.cancel_url == CANCEL
    assert session.locale == "de"
    assert session.payment_method_types == ["card"]
    assert session.payment_intent is None  # made when the customer pays, as at Stripe
    assert session.expires_at - session.created == 24 * 60 * 60
    assert client.v1.checkout.sessions.retrieve(session.id).to_dict() == session.to_dict()


def test_an_unknown_parameter_is_refused_by_name(client: stripe.StripeClient):
    with pytest.raises(stripe.InvalidRequestError) as top:
        client.v1.checkout.sessions.create(session_params(colour="blue"))
    with pytest.raises(stripe.InvalidRequestError) as nested:
        client.v1.checkout.sessions.create(session_params(line_items=[{
            "price_data": {"currency": "eur", "unit_amount": 100, "colour": "blue",
                           "product_data": {"name": "x"}}, "quantity": 1}]))
    with pytest.raises(stripe.InvalidRequestError) as intent_data:
        client.v1.checkout.sessions.create(session_params(payment_intent_data={"colour": "blue"}))

    assert (top.value.http_status, top.value.param) == (400, "colour")
    assert top.value.user_message == "Received unknown parameter: colour"
    assert top.value.code == "parameter_unknown"
    assert nested.value.param == "line_items[0][price_data][colour]"
    assert intent_data.value.param == "payment_intent_data[colour]"


def test_missing_required_parameters_are_named(client: stripe.StripeClient):
    params = session_params()
    del params["line_items"]
    with pytest.raises(stripe.InvalidRequestError) as no_items:
        client.v1.checkout.sessions.create(params)
    with pytest.raises(stripe.InvalidRequestError) as no_mode:
        client.v1.checkout.sessions.create({k: v for k, v in session_params().items() if k != "mode"})
    with pytest.raises(stripe.InvalidRequestError) as no_quantity:
        client.v1.checkout.sessions.create(session_params(line_items=[{"price_data": {
            "currency": "eur", "unit_amount": 100, "product_data": {"name": "x"}}}]))

    assert no_items.value.user_message == "Missing required param: line_items."
    assert no_items.value.param == "line_items"
    assert no_mode.value.param == "mode"
    assert no_quantity.value.param == "line_items[0][quantity]"


def test_bad_values_are_refused_and_nothing_is_written(standin: StripeStandIn, client: stripe.StripeClient):
    with pytest.raises(stripe.InvalidRequestError) as not_a_number:
        client.v1.checkout.sessions.create(session_params(expires_at="soon"))
    with pytest.raises(stripe.InvalidRequestError) as both:
        client.v1.checkout.sessions.create(session_params(customer="cus_nobody"))
    with pytest.raises(stripe.InvalidRequestError) as too_small:
        client.v1.payment_intents.create({"amount": 10, "currency": "eur"})

    assert (not_a_number.value.param, not_a_number.value.user_message) == ("expires_at", "Invalid integer: soon")
    assert both.value.param == "customer_email"
    assert (too_small.value.code, too_small.value.param) == ("amount_too_small", "amount")
    assert standin.objects("checkout.session") == [] and standin.objects("payment_intent") == []


def test_the_same_idempotency_key_returns_the_same_session(standin: StripeStandIn,
                                                           client: stripe.StripeClient):
    first = client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "case-c1-attempt-1"})
    again = client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "case-c1-attempt-1"})
    with pytest.raises(stripe.IdempotencyError):
        client.v1.checkout.sessions.create(session_params(client_reference_id="c2"),
                                           {"idempotency_key": "case-c1-attempt-1"})

    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(standin.objects("checkout.session")) == 1


def test_expire_closes_the_session_and_says_so(receiver: WebhookReceiver, client: stripe.StripeClient):
    session = client.v1.checkout.sessions.create(session_params())

    expired = client.v1.checkout.sessions.expire(session.id)

    assert (expired.status, expired.url) == ("expired", None)
    assert receiver.types() == ["checkout.session.expired"]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)


# -- The checkout page ---------------------------------------------------------------------------------

def test_the_checkout_page_shows_the_amount_and_two_buttons(standin: StripeStandIn,
                                                             client: stripe.StripeClient):
    session = client.v1.checkout.sessions.create(session_params())

    html = page(standin, urlsplit(session.url).path)

    assert '<html lang="de">' in html
    assert "€1,250.00 eur" in html and "Invoice INV-1001" in html
    assert f'action="/checkout/{session.id}/pay"' in html and ">Pay</button>" in html
    assert f'action="/checkout/{session.id}/decline"' in html and ">Decline</button>" in html


def test_pay_sends_a_signed_completed_event_before_redirecting(standin: StripeStandIn,
                                                                receiver: WebhookReceiver,
                                                                client: stripe.StripeClient):
    session = client.v1.checkout.sessions.create(session_params())

    response = browser(standin, "POST", f"/checkout/{session.id}/pay")

    assert response.status == 303
    assert response.getheader("Location") == f"https://portal.test/paid?session={session.id}"
    assert receiver.rejected == []
    [completed] = receiver.of_type("checkout.session.completed")
    paid = completed.data.object
    assert (paid.id, paid.status, paid.payment_status) == (session.id, "complete", "paid")
    assert paid.amount_total == 125000 and paid.currency == "eur"
    assert paid.metadata.to_dict() == {"case_id": "c1", "broker_id": "b1"}
    assert paid.client_reference_id == "c1"
    assert paid.customer_details.email == "jane@example.test"
    intent = client.v1.payment_intents.retrieve(paid.payment_intent, {"expand": ["latest_charge"]})
    assert (intent.status, intent.amount_received) == ("succeeded", 125000)
    assert intent.metadata.to_dict() == {"case_id": "c1"}
    assert intent.latest_charge.id.startswith("ch_") and intent.latest_charge.paid
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    assert [d.ok for d in standin.deliveries] == [True, True]  # payment_intent.succeeded, then completed


def test_pay_with_setup_future_usage_saves_the_card_on_a_new_customer(standin: StripeStandIn,
                                                                     receiver: WebhookReceiver,
                                                                     client: stripe.StripeClient):
    session = client.v1.checkout.sessions.create(session_params(
        payment_intent_data={"setup_future_usage": "off_session", "metadata": {"case_id": "c1"}}))

    standin.complete_session(session.id)

    [completed] = receiver.of_type("checkout.session.completed")
    customer = client.v1.customers.retrieve(completed.data.object.customer)
    assert customer.email == "jane@example.test"
    methods = client.v1.customers.payment_methods.list(customer.id)
    assert [m.customer for m in methods.data] == [customer.id]
    intent = client.v1.payment_intents.retrieve(completed.data.object.payment_intent)
    assert intent.setup_future_usage == "off_session" and intent.payment_method == methods.data[0].id


def test_decline_sends_payment_failed_and_returns_to_the_cancel_url(standin: StripeStandIn,
                                                                    receiver: WebhookReceiver,
                                                                    client: stripe.StripeClient):
    session = client.v1.checkout.sessions.create(session_params())

    response = browser(standin, "POST", f"/checkout/{session.id}/decline")

    assert (response.status, response.getheader("Location")) == (303, CANCEL)
    [failed] = receiver.of_type("payment_intent.payment_failed")
    intent = failed.data.object
    assert intent.status == "requires_payment_method"
    assert (intent.last_payment_error.code, intent.last_payment_error.decline_code) == (
        "card_declined", "generic_decline")
    assert intent.metadata.to_dict() == {"case_id": "c1"}
    assert receiver.of_type("checkout.session.completed") == []
    # The customer may try again with another card: the session is still open.
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    standin.complete_session(session.id)
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_a_webhook_handler_can_call_the_api_back(standin: StripeStandIn, receiver: WebhookReceiver,
                                                 client: stripe.StripeClient):
    seen: list[str] = []
    receiver.on_event = lambda event: seen.append(
        client.v1.checkout.sessions.retrieve(event.data.object.id).payment_status)
    session = client.v1.checkout.sessions.create(session_params())

    browser(standin, "POST", f"/checkout/{session.id}/pay")

    assert seen[-1] == "paid"


def test_setup_mode_saves_a_card_for_the_customer(standin: StripeStandIn, receiver: WebhookReceiver,
                                                  client: stripe.StripeClient):
    customer = client.v1.customers.create({"email": "jane@example.test", "metadata": {"case_id": "c1"}})
    session = client.v1.checkout.sessions.create({
        "mode": "setup", "customer": customer.id, "currency": "eur", "success_url": SUCCESS,
        "setup_intent_data": {"metadata": {"case_id": "c1"}}})

    assert "Save a card" in page(standin, urlsplit(session.url).path)
    standin.complete_session(session.id)

    [completed] = receiver.of_type("checkout.session.completed")
    assert completed.data.object.payment_status == "no_payment_required"
    intent = client.v1.setup_intents.retrieve(completed.data.object.setup_intent)
    assert (intent.status, intent.customer) == ("succeeded", customer.id)
    assert [m.id for m in client.v1.customers.payment_methods.list(customer.id).data] == [intent.payment_method]


def test_an_unpaid_session_expires_on_time(receiver: WebhookReceiver):
    now = [1_800_000_000.0]
    with StripeStandIn(webhook_url=receiver.url, webhook_secret=SECRET, clock=lambda: now[0]) as standin:
        client = stripe.StripeClient(standin.api_key, base_addresses={"api": standin.url},
                                     max_network_retries=0)
        session = client.v1.checkout.sessions.create(session_params(expires_at=int(now[0]) + 3600))
        now[0] += 3600

        assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"
        assert browser(standin, "POST", f"/checkout/{session.id}/pay").status == 410
    assert receiver.types() == ["checkout.session.expired"]


def test_paying_twice_sends_one_event(standin: StripeStandIn, receiver: WebhookReceiver,
                                      client: stripe.StripeClient):
    session = client.v1.checkout.sessions.create(session_params())

    first = browser(standin, "POST", f"/checkout/{session.id}/pay")
    second = browser(standin, "POST", f"/checkout/{session.id}/pay")

    assert first.getheader("Location") == second.getheader("Location")
    assert len(receiver.of_type("checkout.session.completed")) == 1


# -- Off-session charges ---------------------------------------------------------------------------------

def test_an_off_session_charge_succeeds(standin: StripeStandIn, receiver: WebhookReceiver,
                                        client: stripe.StripeClient):
    customer, card = paid_customer(standin, client)

    intent = client.v1.payment_intents.create({
        "amount": 20000, "currency": "eur", "customer": customer, "payment_method": card,
        "confirm": True, "off_session": True, "metadata": {"case_id": "c1", "installment": "2"}})

    assert (intent.status, intent.amount_received) == ("succeeded", 20000)
    [event] = [e for e in receiver.of_type("payment_intent.succeeded") if e.data.object.id == intent.id]
    assert event.data.object.metadata.to_dict() == {"case_id": "c1", "installment": "2"}
    assert event.request.idempotency_key  # the SDK's own key, as Stripe reports it


@pytest.mark.parametrize(("failure", "code", "decline_code"), [
    ("card_declined", "card_declined", "generic_decline"),
    ("insufficient_funds", "card_declined", "insufficient_funds"),
    ("authentication_required", "authentication_required", "authentication_required"),
])
def test_an_off_session_charge_fails_when_told_to(standin: StripeStandIn, receiver: WebhookReceiver,
                                                  client: stripe.StripeClient, failure: str, code: str,
                                                  decline_code: str):
    customer, card = paid_customer(standin, client)
    standin.fail_next_charge(customer, failure)
    params = {"amount": 20000, "currency": "eur", "customer": customer, "payment_method": card,
              "confirm": True, "off_session": True, "metadata": {"case_id": "c1"}}

    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.create(params)
    retried = client.v1.payment_intents.create(params)  # the failure was for the next charge only

    error = declined.value.error
    assert (declined.value.http_status, declined.value.code, error.decline_code) == (402, code, decline_code)
    assert error.payment_intent.status == "requires_payment_method"
    [failed] = receiver.of_type("payment_intent.payment_failed")
    assert failed.data.object.id == error.payment_intent.id
    assert failed.data.object.last_payment_error.code == code
    assert retried.status == "succeeded"


def test_a_retried_declined_charge_answers_the_same_without_charging_again(standin: StripeStandIn,
                                                                            client: stripe.StripeClient):
    customer, card = paid_customer(standin, client)
    standin.fail_next_charge(customer)
    params = {"amount": 20000, "currency": "eur", "customer": customer, "payment_method": card,
              "confirm": True, "off_session": True}
    errors = []
    for _ in range(2):
        with pytest.raises(stripe.CardError) as declined:
            client.v1.payment_intents.create(params, {"idempotency_key": "installment-2"})
        errors.append(declined.value.error.payment_intent.id)

    assert errors[0] == errors[1]
    assert len([c for c in standin.objects("charge") if c["status"] == "failed"]) == 1


def test_a_test_card_token_that_always_declines(client: stripe.StripeClient):
    customer = client.v1.customers.create({"email": "jane@example.test",
                                           "payment_method": "pm_card_visa_chargeDeclined"})
    [card] = client.v1.payment_methods.list({"customer": customer.id, "type": "card"}).data

    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.create({"amount": 500, "currency": "eur", "customer": customer.id,
                                          "payment_method": card.id, "confirm": True, "off_session": True})

    assert declined.value.code == "card_declined"


# -- Refunds and disputes ---------------------------------------------------------------------------------

def test_a_refund_sends_charge_refunded(standin: StripeStandIn, receiver: WebhookReceiver,
                                        client: stripe.StripeClient):
    session = client.v1.checkout.sessions.create(session_params())
    intent_id = standin.complete_session(session.id)["payment_intent"]

    partial = client.v1.refunds.create({"payment_intent": intent_id, "amount": 25000,
                                        "reason": "requested_by_customer"})
    rest = client.v1.refunds.create({"charge": partial.charge})
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create({"payment_intent": intent_id})

    assert (partial.status, partial.amount, partial.payment_intent) == ("succeeded", 25000, intent_id)
    assert rest.amount == 100000
    first, second = receiver.of_type("charge.refunded")
    assert (first.data.object.amount_refunded, first.data.object.refunded) == (25000, False)
    assert first.data.previous_attributes.amount_refunded == 0
    assert (second.data.object.amount_refunded, second.data.object.refunded) == (125000, True)
    assert again.value.code == "charge_already_refunded"


def test_a_dispute_and_any_other_event_can_be_sent(standin: StripeStandIn, receiver: WebhookReceiver,
                                                   client: stripe.StripeClient):
    session = client.v1.checkout.sessions.create(session_params())
    intent = client.v1.payment_intents.retrieve(standin.complete_session(session.id)["payment_intent"])

    dispute = standin.dispute(intent.latest_charge)
    standin.close_dispute(dispute["id"], "lost")
    standin.emit("charge.dispute.funds_withdrawn", {**dispute, "status": "lost"})

    assert receiver.types()[-3:] == ["charge.dispute.created", "charge.dispute.closed",
                                     "charge.dispute.funds_withdrawn"]
    created = receiver.of_type("charge.dispute.created")[0].data.object
    assert (created.charge, created.payment_intent, created.amount) == (intent.latest_charge, intent.id, 125000)
    assert receiver.of_type("charge.dispute.closed")[0].data.object.status == "lost"
    assert client.v1.events.retrieve(receiver.events[-1].id).type == "charge.dispute.funds_withdrawn"


# -- Keys, webhooks, addresses ---------------------------------------------------------------------------------

def test_a_wrong_api_key_is_refused(standin: StripeStandIn):
    wrong = stripe.StripeClient("sk_test_not_the_right_key_1234", base_addresses={"api": standin.url},
                                max_network_retries=0)

    with pytest.raises(stripe.AuthenticationError) as refused:
        wrong.v1.customers.create({"email": "jane@example.test"})

    assert refused.value.http_status == 401
    assert refused.value.user_message == "Invalid API Key provided: sk_test_******************1234"


def test_a_live_key_cannot_be_configured():
    with pytest.raises(ValueError):
        StripeStandIn(api_key="sk_live_abc")


def test_a_webhook_answering_an_error_is_recorded(standin: StripeStandIn, receiver: WebhookReceiver):
    receiver.answer = 500

    standin.emit("charge.dispute.created", {"id": "dp_1", "object": "dispute"})

    [delivery] = standin.deliveries
    assert (delivery.status, delivery.ok, delivery.event_type) == (500, False, "charge.dispute.created")


def test_a_webhook_signed_with_another_secret_fails_verification(receiver: WebhookReceiver):
    with StripeStandIn(webhook_url=receiver.url, webhook_secret="whsec_someone_else") as other:
        other.emit("charge.dispute.created", {"id": "dp_1", "object": "dispute"})

    assert receiver.events == [] and len(receiver.rejected) == 1


def test_an_unknown_address_and_an_unknown_object_are_404s(client: stripe.StripeClient):
    with pytest.raises(stripe.InvalidRequestError) as no_such:
        client.v1.payment_intents.retrieve("pi_nothing")
    with pytest.raises(stripe.InvalidRequestError) as unexpandable:
        client.v1.customers.create({"expand": ["invoice_settings"]})

    assert (no_such.value.http_status, no_such.value.code) == (404, "resource_missing")
    assert no_such.value.user_message == "No such payment_intent: 'pi_nothing'"
    assert unexpandable.value.user_message == "This property cannot be expanded (invoice_settings)."


# -- The form parser, against the SDK's own encoder ---------------------------------------------------------

_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
_scalars = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12)
_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, min_size=1, max_size=3)
    | st.dictionaries(_names, children, min_size=1, max_size=3),
    max_leaves=10)


@given(st.dictionaries(_names, _values, max_size=4))
def test_parse_form_reads_what_the_sdk_writes(params: dict[str, Any]):
    body = urlencode(list(_api_encode(params))).replace("%5B", "[").replace("%5D", "]")

    assert parse_form(body) == json.loads(json.dumps(params))


def test_parse_form_reads_empty_brackets_as_a_list():
    assert parse_form("expand[]=customer&expand[]=payment_intent&metadata[case_id]=c1") == {
        "expand": ["customer", "payment_intent"], "metadata": {"case_id": "c1"}}


# -- Delayed payment methods (bank debits) -------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["sepa_debit", "us_bank_account"])
def test_a_bank_debit_completes_unpaid_then_settles(standin: StripeStandIn, receiver: WebhookReceiver,
                                                    client: stripe.StripeClient, kind: str):
    session = client.v1.checkout.sessions.create(session_params(payment_method_types=[kind]))

    completed = standin.complete_session(session.id)
    assert (completed["status"], completed["payment_status"]) == ("complete", "unpaid")
    assert client.v1.payment_intents.retrieve(completed["payment_intent"]).status == "processing"

    standin.settle_session(session.id)

    assert receiver.types() == ["payment_intent.processing", "checkout.session.completed",
                                "payment_intent.succeeded", "checkout.session.async_payment_succeeded"]
    settled = receiver.of_type("checkout.session.async_payment_succeeded")[0].data.object
    assert settled.payment_status == "paid" and settled.metadata.to_dict() == {"case_id": "c1", "broker_id": "b1"}
    intent = client.v1.payment_intents.retrieve(completed["payment_intent"], {"expand": ["latest_charge"]})
    assert (intent.status, intent.amount_received) == ("succeeded", 125000)
    assert intent.latest_charge.payment_method_details.type == kind
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)


def test_a_bank_debit_that_fails_to_settle(standin: StripeStandIn, receiver: WebhookReceiver,
                                           client: stripe.StripeClient):
    session = client.v1.checkout.sessions.create(session_params(payment_method_types=["sepa_debit"]))
    standin.complete_session(session.id)

    standin.settle_session(session.id, succeeded=False)

    assert receiver.types()[-2:] == ["payment_intent.payment_failed", "checkout.session.async_payment_failed"]
    failed = receiver.of_type("payment_intent.payment_failed")[0].data.object
    assert failed.last_payment_error.decline_code == "insufficient_funds"
    assert receiver.of_type("checkout.session.async_payment_failed")[0].data.object.payment_status == "unpaid"

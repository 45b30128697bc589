"""Installment plans end to end: the page's offer, Stripe Checkout on the stand-in, its signed events, and the
sweep and worker on moto charging later installments off-session as time travels.

What was charged is read from the Stripe stand-in, what went out from moto's SES: never from our code.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
import stripe
from chalice.test import Client

from chalicelib import bootstrap
from chalicelib.domain.history import verify_history
from tests.api.conftest import open_case, read_case, token_of
from tests.conftest import STRIPE_WEBHOOK_SECRET, get
from tests.integration.reminder_stack import Stack, sent_emails

START = datetime(2026, 11, 5, 9, 0, tzinfo=timezone.utc)  # Thursday, 10:00 in Berlin; the invoice is overdue
SECOND = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)  # installment 2: 10:00 Berlin on 5 December
THIRD = datetime(2027, 1, 5, 9, 0, tzinfo=timezone.utc)
SCHEDULE = [("2026-11-05", 41668), ("2026-12-05", 41666), ("2027-01-05", 41666)]  # 125000 in 3, monthly


class Shop:
    """The customer, the page and Stripe: what a plan needs from outside the worker."""

    def __init__(self, client: Client, stack: Stack, standin: Any) -> None:
        self.client, self.stack, self.standin = client, stack, standin
        self.case = open_case(client, stack.key, customer__timezone="Europe/Berlin", invoice__number="INV-1")
        self.token = token_of(self.case["pay_url"])
        self._seen = 0

    @property
    def case_id(self) -> str:
        return str(self.case["case_id"])

    def page(self, token: str | None = None) -> dict[str, Any]:
        answer = get(self.client, "/customer/case", token or self.token)
        assert answer.status_code == 200, answer.json_body
        return answer.json_body

    def admin(self) -> dict[str, Any]:
        return read_case(self.client, self.stack.key, self.case_id)

    def post(self, path: str, body: dict[str, Any], token: str | None = None) -> Any:
        return self.client.http.post(path, body=json.dumps(body), headers={
            "Authorization": f"Bearer {token or self.token}", "Content-Type": "application/json"})

    def choose(self, installments: int = 3) -> str:
        offer = next(o for o in self.page()["plan_offers"] if o["installments"] == installments)
        answer = self.post("/customer/plan", {"offer_id": offer["offer_id"]})
        assert answer.status_code == 200, answer.json_body
        return str(answer.json_body["checkout_url"])

    def pay(self, checkout_url: str) -> list[str]:
        """Pay on the stand-in's checkout page, then let Stripe's signed events reach the webhook."""
        self.standin.complete_session(checkout_url.rsplit("/", 1)[1])
        return self.deliver()

    def deliver(self, arrange: Any = list) -> list[str]:
        """Deliver Stripe's events since the last call, signed, in the order `arrange` puts them."""
        outcomes = []
        for event in arrange(self.standin.events[self._seen:]):
            payload = json.dumps(event)
            answer = self.client.http.post("/webhooks/stripe", body=payload, headers={
                "Content-Type": "application/json",
                "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(payload, STRIPE_WEBHOOK_SECRET)})
            assert answer.status_code == 200, answer.json_body
            outcomes.append(f"{event['type']}:{answer.json_body['outcome']}")
        self._seen = len(self.standin.events)
        return outcomes

    def on_plan(self) -> dict[str, Any]:
        self.pay(self.choose())
        case = self.admin()
        assert case["status"] == "on_plan", case["events"]
        return case

    def stripe_customer(self) -> str:
        [customer] = self.standin.objects("customer")
        return str(customer["id"])

    def intents(self, installment: int) -> list[dict[str, Any]]:
        return [pi for pi in self.standin.objects("payment_intent")
                if pi["metadata"].get("installment") == str(installment)]

    def emails_to(self, address: str = "jane@example.test") -> list[Any]:
        return [m for m in sent_emails() if m.to == address]


@pytest.fixture
def shop(client, stripe_standin, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    stack = Stack(monkeypatch, START)
    yield Shop(client, stack, stripe_standin)


def pay_token(text: str) -> str:
    match = re.search(r"http://site\.test/pay#([A-Za-z0-9._-]+)", text)
    assert match, text
    return match.group(1)


def test_the_first_installment_saves_the_card_and_starts_the_plan(shop):
    offers = shop.page()["plan_offers"]
    assert [o["installments"] for o in offers] == [2, 3, 4, 5, 6]
    three = next(o for o in offers if o["installments"] == 3)
    assert [(s["due_on"], s["amount"]) for s in three["schedule"]] == SCHEDULE

    url = shop.choose()
    [sent] = [p for m, path, p in shop.standin.requests if (m, path) == ("POST", "/v1/checkout/sessions")]
    customer = shop.stripe_customer()
    assert sent["customer"] == customer and "customer_email" not in sent
    assert sent["payment_intent_data"]["setup_future_usage"] == "off_session"
    assert sent["line_items"][0]["price_data"]["unit_amount"] == "41668"
    assert sent["payment_method_types"] == ["card"]
    assert shop.standin.get(customer)["email"] == "jane@example.test"
    assert shop.admin()["status"] == "open"  # nothing starts before the first installment is paid

    outcomes = shop.pay(url)

    # The PaymentIntent's event came first and started the plan; the session's adds nothing new.
    assert outcomes == ["payment_intent.succeeded:recorded", "checkout.session.completed:no_change"]
    case = shop.admin()
    assert case["status"] == "on_plan"
    assert case["balance"]["due"] == 125000 - 41668
    plan = case["plan"]
    assert (plan["state"], plan["installments"], plan["paid"]) == ("active", 3, 1)
    assert [(r["due_on"], r["amount"], r["status"]) for r in plan["schedule"]] == [
        ("2026-11-05", 41668, "paid"), ("2026-12-05", 41666, "scheduled"), ("2027-01-05", 41666, "scheduled")]
    assert case["next_action_at"] == "2026-12-05T09:00:00.000Z"  # the next charge, not a reminder
    assert case["reminders"]["next_step"]["reason"] == "case is on_plan"
    page = shop.page()
    assert page["plan_offers"] == [] and page["plan"]["state"] == "active"
    started = next(e for e in page["timeline"] if e["type"] == "plan_started")
    assert [(r["due_on"], r["amount"]) for r in started["data"]["installments"]] == SCHEDULE
    chosen = next(e for e in case["events"] if e["type"] == "plan_chosen")
    assert chosen["actor"] == "customer"


def test_stripes_events_in_any_order_and_twice_start_the_plan_once(shop):
    shop.standin.complete_session(shop.choose().rsplit("/", 1)[1])

    outcomes = shop.deliver(lambda events: [*reversed(events), *events])

    assert outcomes == ["checkout.session.completed:recorded", "payment_intent.succeeded:recorded",
                        "payment_intent.succeeded:no_change", "checkout.session.completed:no_change"]
    case = shop.admin()
    types = [e["type"] for e in case["events"]]
    assert (types.count("plan_started"), types.count("payment_received")) == (1, 1)
    assert "plan_card_saved" in types  # the session's event has no card: the PaymentIntent's brings it
    assert (case["status"], case["balance"]["paid"], case["plan"]["paid"]) == ("on_plan", 41668, 1)
    shop.stack.travel(datetime(2027, 2, 1, tzinfo=timezone.utc))
    assert shop.admin()["status"] == "paid"


def test_a_plan_paid_to_the_end(shop):
    shop.on_plan()

    shop.stack.travel(datetime(2027, 2, 1, tzinfo=timezone.utc))

    second, third = shop.intents(2), shop.intents(3)
    assert [(pi["amount"], pi["status"], pi["customer"]) for pi in second + third] == [
        (41666, "succeeded", shop.stripe_customer()), (41666, "succeeded", shop.stripe_customer())]
    case = shop.admin()
    assert (case["status"], case["balance"]["due"], case["next_action_at"]) == ("paid", 0, None)
    assert case["plan"]["state"] == "completed"
    assert [r["status"] for r in case["plan"]["schedule"]] == ["paid", "paid", "paid"]
    charged = [e for e in case["events"] if e["type"] == "installment_paid"]
    assert [(e["data"]["installment"], e["at"]) for e in charged] == [
        (1, "2026-11-05T09:00:00.000Z"), (2, "2026-12-05T09:00:00.000Z"), (3, "2027-01-05T09:00:00.000Z")]
    # The ladder stayed paused the whole plan: no reminder, only the receipt.
    assert [m.subject for m in shop.emails_to()] == ["Receipt: invoice INV-1 is paid"]
    assert [m.subject for m in shop.emails_to("ar@acme.test")] == ["Paid: invoice INV-1 (Jane Customer)"]
    # Stripe's events for the off-session charges arrive afterwards: already known, nothing changes.
    assert all(o.endswith((":no_change", ":ignored")) for o in shop.deliver())
    again = shop.admin()
    assert again["version"] == case["version"]
    final, history = bootstrap.store().load(shop.stack.broker_id, shop.case_id)
    assert verify_history(history, final.head_hash).ok


def test_a_plan_that_defaults_after_its_retries(shop):
    shop.on_plan()
    customer = shop.stripe_customer()
    for _ in range(4):  # the charge on the due date and its three retries
        shop.standin.fail_next_charge(customer, "insufficient_funds")

    shop.stack.travel(datetime(2026, 12, 5, 12, tzinfo=timezone.utc))
    case = shop.admin()
    row = case["plan"]["schedule"][1]
    assert (row["status"], row["attempts"], row["retry_on"]) == ("retrying", 1, "2026-12-06")
    assert case["status"] == "on_plan" and case["plan"]["pay_now"] == {"installment": 2, "amount": 41666}
    [first] = shop.emails_to()
    assert first.subject == "Installment 2 of 3 for invoice INV-1 could not be charged"
    assert "December 6, 2026" in first.text and "€416.66" in first.text
    assert get(shop.client, "/customer/case", pay_token(first.text)).status_code == 200

    shop.stack.travel(datetime(2026, 12, 12, 12, tzinfo=timezone.utc))

    attempts = shop.intents(2)
    assert [(pi["metadata"]["attempt_on"], pi["status"]) for pi in attempts] == [
        ("2026-12-05", "requires_payment_method"), ("2026-12-06", "requires_payment_method"),
        ("2026-12-08", "requires_payment_method"), ("2026-12-12", "requires_payment_method")]
    case = shop.admin()
    assert case["status"] == "open"
    assert case["balance"]["due"] == 125000 - 41668  # what is left goes back on the ladder
    assert case["plan"]["state"] == "defaulted"
    assert [r["status"] for r in case["plan"]["schedule"]] == ["paid", "missed", "scheduled"]
    types = [e["type"] for e in case["events"]]
    assert types.count("installment_failed") == 4
    assert "plan_defaulted" in types and types.index("reminders_resumed") > types.index("plan_defaulted")
    assert case["next_action_at"] is not None and case["reminders"]["paused"] is None
    subjects = [m.subject for m in shop.emails_to()]
    assert subjects[:4] == ["Installment 2 of 3 for invoice INV-1 could not be charged"] * 3 + [
        "Your payment plan for invoice INV-1 has ended"]
    [broker_mail] = [m for m in shop.emails_to("ar@acme.test")]
    assert broker_mail.subject == "Plan defaulted: invoice INV-1 (Jane Customer)"
    # Back on the ladder (the emails carried a fresh link: the first one was about to expire): a new plan
    # may be chosen, and "pay now" is the whole remainder again.
    page = shop.page(pay_token(shop.emails_to()[-1].text))
    assert page["plan"]["pay_now"] is None and page["plan_offers"][0]["total"] == 125000 - 41668

    shop.stack.travel(datetime(2027, 1, 20, tzinfo=timezone.utc))
    assert len(shop.intents(3)) == 0  # a defaulted plan charges nothing more
    assert "reminder_sent" in [e["type"] for e in shop.admin()["events"]]


def test_authentication_required_emails_a_link_to_complete_the_payment(shop):
    shop.on_plan()
    shop.standin.fail_next_charge(shop.stripe_customer(), "authentication_required")

    shop.stack.travel(datetime(2026, 12, 5, 12, tzinfo=timezone.utc))

    row = shop.admin()["plan"]["schedule"][1]
    assert (row["status"], row["retry_on"]) == ("action_required", "2026-12-06")
    [mail] = shop.emails_to()
    assert mail.subject == "Please confirm installment 2 of 3 for invoice INV-1"
    token = pay_token(mail.text)
    assert shop.page(token)["plan"]["pay_now"] == {"installment": 2, "amount": 41666}

    answer = shop.post("/customer/checkout", {}, token)  # "pay now" on the page pays that installment

    assert answer.status_code == 200, answer.json_body
    sent = [p for m, path, p in shop.standin.requests if (m, path) == ("POST", "/v1/checkout/sessions")][-1]
    assert sent["line_items"][0]["price_data"]["unit_amount"] == "41666"
    assert (sent["metadata"]["kind"], sent["metadata"]["installment"]) == ("installment", "2")
    assert sent["customer"] == shop.stripe_customer()
    shop.pay(answer.json_body["checkout_url"])  # on-session, the customer confirms with their bank
    case = shop.admin()
    assert [r["status"] for r in case["plan"]["schedule"]] == ["paid", "paid", "scheduled"]
    assert case["next_action_at"] == "2027-01-05T09:00:00.000Z"

    shop.stack.travel(datetime(2027, 1, 6, tzinfo=timezone.utc))

    assert [pi["metadata"].get("attempt_on") for pi in shop.intents(2)] == ["2026-12-05", None]  # no retry
    assert [pi["status"] for pi in shop.intents(3)] == ["succeeded"]
    assert shop.admin()["status"] == "paid"


class Crash(BaseException):
    """The worker dies: no except clause of ours sees it."""


def test_a_worker_that_dies_after_the_charge_never_charges_twice(shop):
    shop.on_plan()
    shop.stack.clock.now = SECOND
    shop.stack.sweep()
    bodies = [m["Body"] for m in shop.stack.messages()]
    writes = []

    def die_on_write(**_: Any) -> None:
        writes.append(1)
        raise Crash("after Stripe, before the write")

    dynamodb = bootstrap.aws("dynamodb")
    dynamodb.meta.events.register("before-call.dynamodb.TransactWriteItems", die_on_write)
    with pytest.raises(Crash):
        shop.stack.work(bodies)
    dynamodb.meta.events.unregister("before-call.dynamodb.TransactWriteItems", die_on_write)
    assert len(writes) == 1 and len(shop.intents(2)) == 1

    shop.stack.work(bodies)  # SQS delivers the message again
    shop.stack.later(minutes=15)
    shop.stack.run()  # and the sweep comes round again

    [intent] = shop.intents(2)
    assert intent["status"] == "succeeded"
    case = shop.admin()
    assert [e["data"]["installment"] for e in case["events"] if e["type"] == "installment_paid"] == [1, 2]
    assert case["balance"]["paid"] == 41668 + 41666


def test_a_defaulted_plan_is_told_to_the_brokers_team_in_their_language_with_the_message_id_logged(shop):
    answer = shop.client.http.put("/admin/notifications", body=json.dumps({
        "recipients": ["ops@acme.test", "cfo@acme.test"], "locale": "es"}), headers={
        "Authorization": f"Bearer {shop.stack.key}", "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.json_body
    shop.on_plan()
    customer = shop.stripe_customer()
    for _ in range(4):
        shop.standin.fail_next_charge(customer, "insufficient_funds")

    shop.stack.travel(datetime(2026, 12, 12, 12, tzinfo=timezone.utc))

    [notice] = [m for m in sent_emails() if m.to == "ops@acme.test, cfo@acme.test"]
    assert notice.subject == "Plan de pagos incumplido: factura INV-1 (Jane Customer)"
    assert "no se pudo cobrar el plazo 2 de 3" in notice.text
    assert shop.emails_to("ar@acme.test") == []
    logged = bootstrap.notice_store().entries(shop.stack.broker_id, "2026-01-01T00:00:00Z", "2028-01-01T00:00:00Z")
    assert [(e.kind, e.message_id) for e in logged if e.kind == "plan_defaulted"] == [
        ("plan_defaulted", notice.message_id)]

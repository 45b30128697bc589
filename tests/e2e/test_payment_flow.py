"""Paying through the stand-in, over HTTP end to end: the pay link's case, checkout, the Stripe page's Pay
button, Stripe's signed webhook into the running API, and the case paid with the payment in its timeline."""
from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import stripe

from chalicelib import bootstrap
from tests.conftest import case_body

ROOT = Path(__file__).resolve().parents[2]
# Local servers only: never through a proxy from the environment.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


BROWSER = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect())


class Api:
    """The Chalice app behind chalice's own local server (what `chalice local` runs), on a thread."""

    def __init__(self) -> None:
        from chalice.config import Config
        from chalice.local import LocalChalice, LocalDevServer, create_local_server

        from app import app

        config = Config.create(chalice_stage="dev", app_name=app.app_name, chalice_app=app, project_dir=str(ROOT))
        if isinstance(app, LocalChalice):  # create_local_server re-classes the app: only once per process
            self._local = LocalDevServer(app, config, "127.0.0.1", 0)
        else:
            self._local = create_local_server(app, config, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._local.server.server_address[1]}"
        self._thread = threading.Thread(target=self._local.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._local.shutdown()
        self._local.server.server_close()
        self._thread.join()

    def call(self, method: str, path: str, key: str | None = None, body: Any = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {key}"} if key else {})
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with HTTP.open(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, json.loads(exc.read())


@pytest.fixture
def api(stripe_keys: str) -> Iterator[Api]:
    server = Api()
    yield server
    server.stop()


@pytest.fixture
def stripe_at(api: Api, stripe_keys: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The stand-in, sending its signed webhooks to the running API, as Stripe would."""
    from portal.stripe_standin import StripeStandIn

    with StripeStandIn(webhook_url=f"{api.url}/webhooks/stripe", webhook_secret=stripe_keys) as standin:
        monkeypatch.setenv("STRIPE_API_BASE", standin.url)
        bootstrap.reset()
        yield standin


def press(url: str) -> tuple[int, str | None]:
    """A browser's click on a form button: POST, and where it is sent next."""
    request = urllib.request.Request(url, data=b"", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with BROWSER.open(request, timeout=30) as response:
            return response.status, response.headers.get("Location")
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers.get("Location")


def test_a_customer_pays_through_the_stand_in_and_the_case_shows_paid(api, broker, stripe_at):
    _, key = broker
    status, case = api.call("POST", "/admin/cases", key, case_body())
    assert status == 201, case
    token = case["pay_url"].split("#", 1)[1]

    status, seen = api.call("GET", "/customer/case", token)
    assert (status, seen["balance"]["due"]) == (200, 125000)

    status, answer = api.call("POST", "/customer/checkout", token, {})
    assert status == 200, answer
    page = answer["checkout_url"]
    with HTTP.open(page, timeout=30) as shown:
        assert "Pay" in shown.read().decode()

    status, location = press(page + "/pay")

    assert status == 303
    assert urlsplit(location).path == "/pay/success"
    assert [(d.event_type, d.status) for d in stripe_at.deliveries] == [
        ("payment_intent.succeeded", 200), ("checkout.session.completed", 200)]
    status, paid = api.call("GET", "/customer/case", token)
    assert (paid["status"], paid["balance"]["due"], paid["balance"]["paid"]) == ("paid", 0, 125000)
    assert [e["data"] for e in paid["timeline"] if e["type"] == "payment_received"] == [
        {"amount": 125000, "currency": "EUR", "method": "card"}]
    status, admin = api.call("GET", f"/admin/cases/{case['case_id']}", key)
    assert [e["type"] for e in admin["events"]][-4:] == ["payment_received", "status_changed", "receipt_due",
                                                         "broker_notified"]
    assert admin["events"][-4]["data"]["reference"] == stripe_at.objects("payment_intent")[0]["id"]


def test_a_refund_made_at_stripe_reaches_the_case(api, broker, stripe_at):
    _, key = broker
    _, case = api.call("POST", "/admin/cases", key, case_body())
    token = case["pay_url"].split("#", 1)[1]
    _, answer = api.call("POST", "/customer/checkout", token, {"amount": 50000})
    press(answer["checkout_url"] + "/pay")

    merchant = stripe.StripeClient(stripe_at.api_key, base_addresses={"api": stripe_at.url}, max_network_retries=0)
    intent = stripe_at.objects("payment_intent")[0]["id"]
    merchant.v1.refunds.create({"payment_intent": intent, "amount": 20000})

    _, after = api.call("GET", f"/admin/cases/{case['case_id']}", key)
    assert (after["balance"]["paid"], after["balance"]["due"]) == (30000, 95000)
    assert stripe_at.deliveries[-1].event_type == "charge.refunded" and stripe_at.deliveries[-1].ok

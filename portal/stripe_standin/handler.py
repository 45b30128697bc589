"""HTTP plumbing: /v1/... is the API (JSON), /checkout/<id> is the test checkout page (HTML)."""

from __future__ import annotations

import logging
import re
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from portal.stripe_standin import checkout, page
from portal.stripe_standin.errors import StripeError
from portal.stripe_standin.forms import parse_form
from portal.stripe_standin.objects import dump, new_id
from portal.stripe_standin.state import API_VERSION

if TYPE_CHECKING:
    from portal.stripe_standin.server import StripeStandIn

logger = logging.getLogger(__name__)

_PAGE = re.compile(r"^/checkout/(?P<id>cs_test_[A-Za-z0-9]+)(?:/(?P<action>pay|decline))?$")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stripe-standin"

    @property
    def standin(self) -> StripeStandIn:
        return self.server.standin  # type: ignore[attr-defined,no-any-return]

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        logger.debug("%s " + format, self.address_string(), *args)

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
        if parts.path.startswith("/v1/"):
            self._api(method, parts.path, body if method == "POST" else parts.query)
            return
        match = _PAGE.match(parts.path)
        if match and (method == "POST") == bool(match["action"]):
            self._page(match["id"], match["action"])
            return
        self._html(404, page.message_page("Not found", f"Nothing is served at {parts.path}."))

    # -- the API -----------------------------------------------------------------------------------

    def _api(self, method: str, path: str, raw: str) -> None:
        request_id = new_id("req_", 14)
        headers = {"Request-Id": request_id, "Stripe-Version": self.headers.get("Stripe-Version",
                                                                                  API_VERSION)}
        try:
            params = parse_form(raw)
            self.standin.requests.append((method, path, params))
            self.standin.authenticate(self.headers.get("Authorization"))
            status, body, extra = self.standin.call_api(
                method, path, params, self.headers.get("Idempotency-Key"), request_id)
            headers.update(extra)
        except StripeError as exc:
            status, body = exc.status, dump(exc.body)
        except Exception:  # a bug in the stand-in: answer as Stripe does for its own faults, and log it
            logger.exception("stand-in failed", extra={"method": method, "path": path})
            status, body = 500, dump({"error": {"type": "api_error",
                                                "message": "The Stripe stand-in failed; see its log."}})
        if status >= 400:
            headers["Stripe-Should-Retry"] = "false"
        self._send(status, body, "application/json", headers)

    # -- the checkout page ---------------------------------------------------------------------------

    def _page(self, session_id: str, action: str | None) -> None:
        standin = self.standin
        try:
            if action is None:
                session = standin.run(lambda: standin.account.get("checkout.session", session_id, "session"))
                self._show(session)
            elif action == "pay":
                self._after_pay(standin.complete_session(session_id))
            else:
                self._after_decline(standin.decline_session(session_id))
        except StripeError:
            self._html(404, page.message_page("Not found", "There is no such Checkout Session."))
        except checkout.SessionNotOpen as exc:
            self._closed(exc.session)

    def _show(self, session: dict[str, Any]) -> None:
        if session["status"] != "open":
            self._closed(session)
            return
        items = self.standin.account.notes.get(session["id"], {}).get("line_items", [])
        self._html(200, page.checkout_page(session, items))

    def _after_pay(self, session: dict[str, Any]) -> None:
        location = checkout.success_redirect(session)
        if location:
            self._redirect(location)
        else:
            self._html(200, page.message_page("Payment complete", "Thank you: your payment was received."))

    def _after_decline(self, session: dict[str, Any]) -> None:
        if session["cancel_url"]:
            self._redirect(session["cancel_url"])
        else:
            self._html(200, page.message_page("Card declined", "Your card was declined.",
                                              (f"/checkout/{session['id']}", "Try again")))

    def _closed(self, session: dict[str, Any]) -> None:
        if session["status"] == "complete":
            location = checkout.success_redirect(session)
            if location:  # a second click on Pay lands where the first did
                self._redirect(location)
                return
            self._html(200, page.message_page("Payment complete", "This checkout is already paid."))
            return
        self._html(410, page.message_page("Checkout expired", "This checkout session has expired."))

    # -- writing answers ---------------------------------------------------------------------------

    def _redirect(self, location: str) -> None:
        self._send(303, b"", "text/plain", {"Location": location})

    def _html(self, status: int, html: str) -> None:
        self._send(status, html.encode("utf-8"), "text/html; charset=utf-8", {})

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

"""Serves site/ like the CDN will: /pay is pay.html, config.json says where the API is, strict headers."""
from __future__ import annotations

import functools
import json
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portal import infra
from portal.servers import BackgroundServer

if TYPE_CHECKING:
    from portal.webhook_receiver import Inbox
from portal.outbox import Outbox

SITE_DIR = Path(__file__).resolve().parent.parent / "site"
# Checkout returns to /pay/success or /pay/cancel: the same page, which reads its state from the path. The
# paths and the headers are CloudFront's own (infra/resources.json), so the demo cannot drift from production.
ROUTES = infra.site_routes()


def security_headers(api_url: str, upload_origin: str | None = None) -> dict[str, str]:
    """`upload_origin`: where the page POSTs dispute evidence (the S3 endpoint of the presigned POSTs)."""
    return infra.site_headers(api_url, upload_origin)


# The demo's outbox shows rendered emails, whose inline styles need 'unsafe-inline'; it runs no script at all.
OUTBOX_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; "
              "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class SiteHandler(SimpleHTTPRequestHandler):
    def __init__(self, *args: Any, api_url: str, outbox: Outbox | None, upload_origin: str | None,
                 webhooks: Inbox | None = None, **kwargs: Any) -> None:
        self.webhooks = webhooks  # what the demo's webhook endpoint received, shown beside the outbox
        self.api_url = api_url
        self.upload_origin = upload_origin
        self.outbox = outbox
        super().__init__(*args, directory=str(SITE_DIR), **kwargs)

    def end_headers(self) -> None:
        headers = security_headers(self.api_url, self.upload_origin)
        if self.path.partition("?")[0] in ("/outbox", "/webhooks"):
            headers["Content-Security-Policy"] = OUTBOX_CSP
        for name, value in headers.items():
            self.send_header(name, value)
        super().end_headers()

    def do_GET(self) -> None:
        if self.path.partition("?")[0] == "/config.json":
            self._send_config()
            return
        path, _, query = self.path.partition("?")
        if path == "/outbox" and self.outbox:
            self._send(self.outbox.page(query).encode(), "text/html; charset=utf-8")
            return
        if path == "/outbox.json" and self.outbox:
            self._send(self.outbox.as_json(query).encode(), "application/json")
            return
        if path == "/webhooks.json" and self.webhooks:
            self._send(self.webhooks.as_json().encode(), "application/json")
            return
        if path == "/webhooks" and self.webhooks:
            self._send(self.webhooks.page().encode(), "text/html; charset=utf-8")
            return
        self._route()
        super().do_GET()

    def do_HEAD(self) -> None:
        self._route()
        super().do_HEAD()

    def _route(self) -> None:
        path, _, query = self.path.partition("?")
        self.path = ROUTES.get(path, path) + (f"?{query}" if query else "")

    def _send_config(self) -> None:
        self._send(json.dumps({"api_url": self.api_url}).encode(), "application/json")

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def list_directory(self, path: Any) -> None:
        self.send_error(404)
        return None


class SiteServer(BackgroundServer):
    def __init__(self, host: str, port: int, api_url: str, outbox: Outbox | None = None,
                 upload_origin: str | None = None, webhooks: Inbox | None = None) -> None:
        handler = functools.partial(SiteHandler, api_url=api_url, outbox=outbox, upload_origin=upload_origin,
                                    webhooks=webhooks)
        server = ThreadingHTTPServer((host, port), handler)
        server.daemon_threads = True
        super().__init__(server, "site")

"""A broker's system in miniature: a local HTTP endpoint that receives webhook deliveries, verifies each
signature as a broker should, and keeps them (the demo shows them at /webhooks and /webhooks.json).

`fail_next` makes it answer 503 to the next N deliveries, so retries can be watched and tested.
"""
from __future__ import annotations

import functools
import html
import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from chalicelib.domain.webhook_security import EVENT_ID_HEADER, SIGNATURE_HEADER, verify_signature
from portal.servers import BackgroundServer

MAX_BODY = 1024 * 1024
KEEP = 500  # the newest deliveries kept in memory


@dataclass(frozen=True)
class Received:
    seq: int
    event_id: str
    type: str
    verified: bool
    answered: int
    received_at: float
    body: str


class Inbox:
    """What the endpoint received. `secrets()` lists the signing secrets a delivery may be signed with."""

    def __init__(self, secrets: Callable[[], list[str]]) -> None:
        self._secrets = secrets
        self._lock = threading.Lock()
        self.received: list[Received] = []
        self.fail_next = 0

    def take(self, body: bytes, headers: Any) -> int:
        verified = any(verify_signature(s, headers.get(SIGNATURE_HEADER), body, int(time.time()))
                       for s in self._secrets())
        try:
            event = json.loads(body)
        except ValueError:
            event = {}
        with self._lock:
            answered = 400 if not verified else 503 if self.fail_next > 0 else 200
            if answered == 503:
                self.fail_next -= 1
            self.received.append(Received(len(self.received) + 1, str(headers.get(EVENT_ID_HEADER, "")),
                                          str(event.get("type", "")), verified, answered, time.time(),
                                          body.decode(errors="replace")))
            del self.received[:-KEEP]
        return answered

    def accepted_ids(self) -> list[str]:
        """Event ids of the deliveries answered 200 (a receiver deduplicates on these)."""
        with self._lock:
            return [r.event_id for r in self.received if r.answered == 200]

    def as_json(self) -> str:
        with self._lock:
            newest = [asdict(r) for r in reversed(self.received)]
        return json.dumps({"deliveries": newest, "fail_next": self.fail_next})

    def page(self) -> str:
        with self._lock:
            rows = "".join(
                f"<tr><td>{r.seq}</td><td>{html.escape(r.type)}</td><td><code>{html.escape(r.event_id)}</code></td>"
                f"<td>{'yes' if r.verified else 'NO'}</td><td>{r.answered}</td>"
                f"<td>{time.strftime('%H:%M:%S', time.localtime(r.received_at))}</td></tr>"
                for r in reversed(self.received))
        return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Webhook endpoint</title>"
                "</head><body><h1>Webhook deliveries received</h1><p>Newest first; the signature is checked with "
                "the endpoint's secret (5 minutes' tolerance). POST /fail?n=3 answers 503 to the next 3.</p>"
                "<table><thead><tr><th>#</th><th>Type</th><th>Event id</th><th>Signature valid</th>"
                f"<th>Answered</th><th>At</th></tr></thead><tbody>{rows}</tbody></table></body></html>")


class _Handler(BaseHTTPRequestHandler):
    def __init__(self, *args: Any, inbox: Inbox, **kwargs: Any) -> None:
        self.inbox = inbox
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        return  # the page shows every delivery; no access log on the demo's terminal

    def do_POST(self) -> None:
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(413, b"{}", "application/json")
            return
        body = self.rfile.read(length)
        if path == "/fail":
            n = int(query.partition("n=")[2] or 1) if query.partition("n=")[2].isdigit() else 1
            self.inbox.fail_next = n
            self._send(200, json.dumps({"fail_next": n}).encode(), "application/json")
            return
        status = self.inbox.take(body, self.headers)
        self._send(status, json.dumps({"received": status == 200}).encode(), "application/json")

    def do_GET(self) -> None:
        path = self.path.partition("?")[0]
        if path == "/webhooks.json":
            self._send(200, self.inbox.as_json().encode(), "application/json")
        elif path in ("/", "/webhooks"):
            self._send(200, self.inbox.page().encode(), "text/html; charset=utf-8")
        else:
            self._send(404, b"{}", "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class WebhookReceiver(BackgroundServer):
    def __init__(self, host: str, port: int, inbox: Inbox) -> None:
        server = ThreadingHTTPServer((host, port), functools.partial(_Handler, inbox=inbox))
        server.daemon_threads = True
        self.inbox = inbox
        self.host = host
        super().__init__(server, "webhook-receiver")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> WebhookReceiver:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

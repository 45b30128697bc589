"""The demo's outbox: every email and SMS the local SES and SNS (moto) accepted, as the customer sees it.

`Outbox` watches the demo's moto server (portal/local_aws.py): each SendEmail (SES v2) and Publish to
a phone number (SNS) that moto accepted becomes one record, appended to `<data dir>/outbox.jsonl`
(fsync'd before moto answers) and kept in memory. So the page costs the same however long the demo
runs (it never reads moto's own, ever-growing state), shows when each message went out by the demo
clock and which case it is about, and survives a restart. `/outbox.json` gives the same to scripts.
"""
from __future__ import annotations

import base64
import binascii
import email
import email.policy
import html
import json
import re
import threading
import urllib.parse
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from itsdangerous import URLSafeSerializer

from chalicelib.domain.cases import iso
from chalicelib.services.links import SALT
from portal.files import append_durably
from portal.local_aws import Exchange

PAY_LINK = re.compile(r"https?://[^\s\"'<>]+/pay#[A-Za-z0-9._-]+")
SES_SEND = "/v2/email/outbound-emails"
PAGE_SIZE = 50  # the page shows the newest ones; /outbox.json?limit= pages further
MAX_LIMIT = 1000


def case_of(pay_links: list[str]) -> str | None:
    """The case a pay link is for, read from its token without checking the signature: for display only."""
    for link in pay_links:
        signed = link.split("#", 1)[1].partition(".")[2]
        _, payload = URLSafeSerializer("", salt=SALT).loads_unsafe(signed)
        if isinstance(payload, dict) and "c" in payload:
            return str(payload["c"])
    return None


def email_record(body: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    raw = base64.b64decode(body["Content"]["Raw"]["Data"]) if "Raw" in body.get("Content", {}) else b""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    text = text_part.get_content() if text_part is not None else ""
    body_html = html_part.get_content() if html_part is not None else ""
    links = list(dict.fromkeys(PAY_LINK.findall(text) + PAY_LINK.findall(html.unescape(body_html))))
    tags = {t.get("Name"): t.get("Value") for t in body.get("EmailTags", [])}
    return {"channel": "email", "message_id": answer.get("MessageId", ""), "to": str(msg["To"] or ""),
            "from": str(msg["From"] or ""), "reply_to": str(msg["Reply-To"] or ""),
            "subject": str(msg["Subject"] or ""), "date": str(msg["Date"] or ""), "text": text, "html": body_html,
            "pay_links": links, "case_id": case_of(links) or tags.get("case")}


def sms_record(form: dict[str, list[str]], answer: bytes) -> dict[str, Any]:
    text = form.get("Message", [""])[0]
    ids = [e.text for e in ElementTree.fromstring(answer).iter() if e.tag.endswith("MessageId")]
    links = PAY_LINK.findall(text)
    return {"channel": "sms", "message_id": ids[0] if ids else "", "to": form["PhoneNumber"][0], "text": text,
            "pay_links": links, "case_id": case_of(links)}


def record_of(exchange: Exchange) -> dict[str, Any] | None:
    """The message a request to moto sent, if it was an accepted email or SMS."""
    if exchange.status != 200 or exchange.method != "POST":
        return None
    try:
        if exchange.path == SES_SEND:
            return email_record(json.loads(exchange.body), json.loads(exchange.answer))
        form = urllib.parse.parse_qs(exchange.body.decode("utf-8", "replace"))
        if form.get("Action") == ["Publish"] and form.get("PhoneNumber"):
            return sms_record(form, exchange.answer)
    except (ValueError, KeyError, binascii.Error, ElementTree.ParseError):
        return None  # not a message we can show; moto has answered it all the same
    return None


class Outbox:
    def __init__(self, path: Path, clock: Callable[[], datetime]) -> None:
        self._path, self._clock = path, clock
        self._lock = threading.Lock()
        self._messages = [json.loads(line) for line in path.read_text().splitlines() if line.strip()] \
            if path.exists() else []

    def watch(self, exchange: Exchange) -> None:
        message = record_of(exchange)
        if message is None:
            return
        with self._lock:
            message = {"seq": len(self._messages) + 1, "at": iso(self._clock()), **message}
            append_durably(self._path, json.dumps(message, separators=(",", ":")))
            self._messages.append(message)

    def newest(self, limit: int = PAGE_SIZE, before: int | None = None) -> tuple[list[dict[str, Any]], int]:
        """(up to `limit` messages, newest first, older than seq `before`; how many there are in all)."""
        with self._lock:
            end = len(self._messages) if before is None else max(0, min(before - 1, len(self._messages)))
            return list(reversed(self._messages[max(0, end - limit):end])), len(self._messages)

    def as_json(self, query: str) -> str:
        """GET /outbox.json?limit=&before=: the newest messages first; `before` is a seq from a previous page."""
        params = urllib.parse.parse_qs(query)
        limit = min(_number(params, "limit") or PAGE_SIZE, MAX_LIMIT)
        messages, total = self.newest(limit, _number(params, "before"))
        return json.dumps({"total": total, "messages": messages})

    def page(self, query: str = "") -> str:
        messages, total = self.newest()
        return render(messages, total)


def _number(params: dict[str, list[str]], name: str) -> int | None:
    """A positive whole number from the query string; anything else counts as absent."""
    value = params.get(name, [""])[0]
    return int(value) if value.isdigit() and int(value) > 0 else None


STYLE = """
body{font-family:system-ui,Helvetica,Arial,sans-serif;margin:0;background:#f4f5f7;color:#1f2933}
header{background:#1f2933;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}
main{max-width:980px;margin:0 auto;padding:16px}
article{background:#fff;border-radius:8px;margin:16px 0;padding:16px 20px;box-shadow:0 1px 2px #0002}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 12px}dt{color:#52606d}dd{margin:0}
iframe{width:100%;height:560px;border:1px solid #d8dde3;border-radius:6px;background:#fff}
.links a{display:inline-block;margin:8px 8px 0 0;background:#1a56db;color:#fff;padding:6px 12px;border-radius:4px;
text-decoration:none}pre{white-space:pre-wrap;background:#f8f9fa;padding:12px;border-radius:6px}
.tag{font-size:12px;background:#e4e7eb;border-radius:4px;padding:2px 6px;margin-left:8px}
"""


def _links(links: list[str]) -> str:
    if not links:
        return ""
    anchors = "".join(f'<a href="{html.escape(link)}" target="_blank" rel="noopener">Open the pay link</a>'
                      for link in links)
    return f'<div class="links">{anchors}</div>'


def _facts(message: dict[str, Any]) -> str:
    e = html.escape
    rows = [("To", message["to"]), ("From", message.get("from")), ("Reply-To", message.get("reply_to")),
            ("Sent", f"{message['at']} (demo clock)"), ("Case", message.get("case_id") or "unknown"),
            ("Message id", message["message_id"])]
    return "<dl>" + "".join(f"<dt>{name}</dt><dd>{e(str(value))}</dd>" for name, value in rows
                            if value is not None) + "</dl>"


def _email(message: dict[str, Any]) -> str:
    e = html.escape
    # The message's own HTML, isolated: no scripts, its links open in a new tab.
    document = message["html"].replace("<head>", '<head><base target="_blank">', 1) if message["html"] else \
        f"<pre>{e(message['text'])}</pre>"
    return f"""<article class="email">
<h2>{e(message['subject'])}<span class="tag">email</span></h2>
{_facts(message)}
<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="{e(document, quote=True)}"
 title="{e(message['subject'])}"></iframe>
{_links(message['pay_links'])}
<details><summary>Plain-text part</summary><pre>{e(message['text'])}</pre></details>
</article>"""


def _sms(message: dict[str, Any]) -> str:
    e = html.escape
    return f"""<article class="sms">
<h2>SMS to {e(message['to'])}<span class="tag">sms</span></h2>
{_facts(message)}
<pre>{e(message['text'])}</pre>{_links(message['pay_links'])}
</article>"""


def render(messages: list[dict[str, Any]], total: int) -> str:
    """The outbox page: `messages` newest first (emails and SMS in the order they went out)."""
    body = "".join(_email(m) if m["channel"] == "email" else _sms(m) for m in messages)
    if not body:
        body = ("<article><p>Nothing sent yet. Reminders go out when the sweep runs: try "
                "<code>.venv/bin/portal sweep --at 2026-12-01T10:00:00Z</code>.</p></article>")
    older = total - len(messages)
    more = f" The {older} older ones are in <a href=\"/outbox.json?limit=1000\">/outbox.json</a>." if older else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Outbox ({total} messages)</title><style>{STYLE}</style></head>
<body><header><h1>Outbox: {total} messages</h1>
<div>Everything the local SES and SNS accepted, newest first, with the demo clock's time.{more}</div></header>
<main>{body}</main></body></html>
"""

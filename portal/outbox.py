"""The demo's outbox: every email and SMS the local SES and SNS (moto) accepted, as the customer sees it.

`outbox_page(endpoint)` reads moto's own record (GET <endpoint>/moto-api/data.json), so it shows what
really went through the provider API, whichever process sent it. `render(data)` is the pure part.
Email bodies are shown in sandboxed iframes (their links open in a new tab); each message's pay links
are also listed as plain links underneath.
"""
from __future__ import annotations

import email
import email.policy
import html
import json
import re
import urllib.request
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

PAY_LINK = re.compile(r"https?://[^\s\"'<>]+/pay#[A-Za-z0-9._-]+")


@dataclass(frozen=True)
class OutboxEmail:
    message_id: str
    sender: str
    to: str
    reply_to: str
    subject: str
    date: str
    text: str
    html: str
    pay_links: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class OutboxSms:
    message_id: str
    phone: str
    text: str
    pay_links: tuple[str, ...] = field(default_factory=tuple)


def fetch(endpoint: str, timeout: float = 60) -> dict[str, Any]:
    """moto's state as JSON (the server's /moto-api/data.json).

    moto serialises every model it holds (every table item too), so this grows with the demo's data:
    after a few dozen cases it takes longer than a few seconds on a busy machine."""
    with urllib.request.urlopen(f"{endpoint.rstrip('/')}/moto-api/data.json", timeout=timeout) as answer:  # noqa: S310
        return dict(json.load(answer))


def emails(data: dict[str, Any]) -> list[OutboxEmail]:
    found = []
    for raw_message in data.get("ses", {}).get("RawMessage", []):
        msg = email.message_from_string(raw_message["raw_data"], policy=email.policy.default)
        text_part = msg.get_body(preferencelist=("plain",)) if msg.is_multipart() else msg
        html_part = msg.get_body(preferencelist=("html",)) if msg.is_multipart() else None
        text = text_part.get_content() if text_part is not None else ""
        body = html_part.get_content() if html_part is not None else ""
        links = tuple(dict.fromkeys(PAY_LINK.findall(text) + PAY_LINK.findall(html.unescape(body))))
        found.append(OutboxEmail(
            message_id=raw_message["id"], sender=str(msg["From"] or ""), to=str(msg["To"] or ""),
            reply_to=str(msg["Reply-To"] or ""), subject=str(msg["Subject"] or ""), date=str(msg["Date"] or ""),
            text=text, html=body, pay_links=links))
    for simple in data.get("ses", {}).get("Message", []):  # Simple content, if anything sends it that way
        body = simple.get("body", "")
        found.append(OutboxEmail(simple["id"], simple.get("source", ""), ", ".join(
            sum(simple.get("destinations", {}).values(), [])), "", simple.get("subject", ""), "", body, body,
            tuple(dict.fromkeys(PAY_LINK.findall(body)))))
    return found


def texts(data: dict[str, Any]) -> list[OutboxSms]:
    return [OutboxSms(s["message_id"], s["phone_number"], s["message"], tuple(PAY_LINK.findall(s["message"])))
            for s in data.get("sns", {}).get("SMS", [])]


def _sort_key(message: OutboxEmail) -> float:
    try:
        return parsedate_to_datetime(message.date).timestamp()
    except (TypeError, ValueError):
        return 0.0


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


def _links(links: tuple[str, ...]) -> str:
    if not links:
        return ""
    anchors = "".join(f'<a href="{html.escape(link)}" target="_blank" rel="noopener">Open the pay link</a>'
                      for link in links)
    return f'<div class="links">{anchors}</div>'


def _email(message: OutboxEmail) -> str:
    e = html.escape
    # The message's own HTML, isolated: no scripts, its links open in a new tab.
    document = message.html.replace("<head>", '<head><base target="_blank">', 1) if message.html else \
        f"<pre>{e(message.text)}</pre>"
    return f"""<article class="email">
<h2>{e(message.subject)}<span class="tag">email</span></h2>
<dl><dt>To</dt><dd>{e(message.to)}</dd><dt>From</dt><dd>{e(message.sender)}</dd>
<dt>Reply-To</dt><dd>{e(message.reply_to)}</dd><dt>Date</dt><dd>{e(message.date)}</dd>
<dt>SES id</dt><dd>{e(message.message_id)}</dd></dl>
<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="{e(document, quote=True)}"
 title="{e(message.subject)}"></iframe>
{_links(message.pay_links)}
<details><summary>Plain-text part</summary><pre>{e(message.text)}</pre></details>
</article>"""


def _sms(message: OutboxSms) -> str:
    e = html.escape
    return f"""<article class="sms">
<h2>SMS to {e(message.phone)}<span class="tag">sms</span></h2>
<pre>{e(message.text)}</pre>{_links(message.pay_links)}
<dl><dt>SNS id</dt><dd>{e(message.message_id)}</dd></dl>
</article>"""


def render(data: dict[str, Any]) -> str:
    """The outbox page for moto's state `data`: emails newest first, then text messages."""
    mails = sorted(emails(data), key=_sort_key, reverse=True)
    sms = list(reversed(texts(data)))
    body = "".join(_email(m) for m in mails) + "".join(_sms(s) for s in sms)
    if not body:
        body = ("<article><p>Nothing sent yet. Reminders go out when the sweep runs: try "
                "<code>portal sweep --at 2026-12-01T10:00:00Z</code>.</p></article>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Outbox ({len(mails)} emails, {len(sms)} SMS)</title><style>{STYLE}</style></head>
<body><header><h1>Outbox: {len(mails)} emails, {len(sms)} SMS</h1>
<div>Everything the local SES and SNS accepted, newest first.</div></header>
<main>{body}</main></body></html>
"""


def outbox_page(endpoint: str) -> str:
    """The outbox of the moto at `endpoint` (the running demo's, e.g. http://127.0.0.1:5000)."""
    return render(fetch(endpoint))

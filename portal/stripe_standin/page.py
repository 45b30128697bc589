"""The test checkout page: what a customer sees at a session's `url`, with Pay and Decline buttons.

Plain HTML forms and no script, so a person, Playwright or curl can drive it the same way.
"""

from __future__ import annotations

from html import escape
from typing import Any

from portal.stripe_standin import money

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 2rem auto; padding: 0 1rem;
       color: #1a1a1a; line-height: 1.5; }
.notice { background: #fff4d6; border: 1px solid #b38600; padding: .5rem .75rem; }
table { width: 100%; border-collapse: collapse; margin: 1rem 0; }
caption { text-align: left; font-weight: 600; }
th, td { text-align: left; padding: .25rem 0; }
td.amount, th.amount { text-align: right; }
.actions { display: flex; gap: 1rem; margin-top: 1.5rem; }
button { font-size: 1rem; padding: .6rem 1.5rem; border-radius: .3rem; cursor: pointer; }
button:focus { outline: 3px solid #1a5fb4; outline-offset: 2px; }
.pay { background: #1a5fb4; color: #fff; border: 1px solid #1a5fb4; }
.decline { background: #fff; color: #a51d2d; border: 1px solid #a51d2d; }
"""


def checkout_page(session: dict[str, Any], line_items: list[dict[str, Any]]) -> str:
    session_id = escape(session["id"])
    currency = session["currency"] or ""
    rows = "".join(
        f"<tr><td>{escape(item['name'])}</td><td>{item['quantity']}</td>"
        f"<td class=\"amount\">{escape(money.display(item['unit_amount'] * item['quantity'], currency))}"
        "</td></tr>" for item in line_items)
    total = money.display(session["amount_total"], currency) if session["amount_total"] is not None else ""
    summary = (f"<table><caption>Order summary</caption><thead><tr><th scope=\"col\">Item</th>"
               f"<th scope=\"col\">Quantity</th><th scope=\"col\" class=\"amount\">Amount</th></tr></thead>"
               f"<tbody>{rows}</tbody><tfoot><tr><th scope=\"row\" colspan=\"2\">Total due</th>"
               f"<td class=\"amount\" id=\"amount-total\">{escape(total)}</td></tr></tfoot></table>"
               if session["mode"] == "payment" else "<p>Save a card for future payments.</p>")
    email = session["customer_email"]
    who = f"<p>Paying as <strong>{escape(email)}</strong></p>" if email else ""
    heading = f"Pay {escape(total)}" if session["mode"] == "payment" else "Save a card"
    body = f"""<main>
<p class="notice" role="note">Test mode: this is the local Stripe stand-in. No real card is charged.</p>
<h1>{heading}</h1>
{who}{summary}
<div class="actions">
<form method="post" action="/checkout/{session_id}/pay"><button type="submit" class="pay">Pay</button></form>
<form method="post" action="/checkout/{session_id}/decline">
<button type="submit" class="decline" aria-describedby="decline-hint">Decline</button></form>
</div>
<p id="decline-hint">Decline simulates a card the bank refuses (card_declined).</p>
</main>"""
    return _document(heading, body, session.get("locale"))


def message_page(title: str, text: str, link: tuple[str, str] | None = None) -> str:
    anchor = f'<p><a href="{escape(link[0])}">{escape(link[1])}</a></p>' if link else ""
    return _document(title, f"<main><h1>{escape(title)}</h1><p>{escape(text)}</p>{anchor}</main>", None)


def _document(title: str, body: str, locale: str | None) -> str:
    lang = locale if locale and locale != "auto" else "en"
    return (f"<!doctype html>\n<html lang=\"{escape(lang)}\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)} - Stripe stand-in checkout</title><style>{_STYLE}</style></head>"
            f"<body>{body}</body></html>\n")

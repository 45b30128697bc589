"""The Receivables screen shows exactly the reports API's figures: a book with cases in every aging bucket in
two currencies (one without minor units), money collected in the last 30 days, and the next 7 days' reminders."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from playwright.sync_api import expect

from chalicelib.domain.money import EXPONENTS
from tests.e2e.browser import axe_violations
from tests.e2e.console import id_token, settled, sign_in
from tests.e2e.stack import Demo, api_json, create_case

pytestmark = pytest.mark.e2e

BUCKETS = {"current": "Not yet due", "1-30": "1–30 days", "31-60": "31–60 days", "61-90": "61–90 days",
           "90+": "Over 90 days"}
SYMBOLS = {"EUR": "€", "JPY": "JP¥", "GBP": "£", "USD": "US$"}  # as an en-GB browser writes them


def shown(amount: int, currency: str) -> str:
    """Minor units as an en-GB reader sees them, with the currency's own number of decimals."""
    digits = EXPONENTS[currency]
    major, minor = divmod(amount, 10 ** digits)
    return f"{SYMBOLS[currency]}{major:,}" + (f".{minor:0{digits}d}" if digits else "")


@pytest.fixture(scope="module")
def book(stack: Demo) -> None:
    """Cases in every bucket in EUR and JPY, and a payment today in each currency."""
    for currency, amount in (("EUR", 120_050), ("JPY", 98_000)):
        cases = [create_case(stack, currency=currency, amount=amount * (n + 1), days_overdue=days)
                 for n, days in enumerate((-10, 12, 45, 75, 130))]
        status, _ = api_json(f"{stack.api_url}/admin/cases/{cases[1]['case_id']}/payments", stack.api_key, {
            "amount": amount // 4, "method": "bank_transfer", "reference": f"E2E-{currency}",
            "received_on": date.today().isoformat()})
        assert status == 201


def test_the_receivables_screen_shows_the_apis_figures(stack: Demo, book: None, console_tab: Any) -> None:
    page = console_tab
    sign_in(page, stack, "viewer")
    page.get_by_role("link", name="Receivables").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Receivables")
    settled(page)

    token = id_token(stack, "viewer")
    status, receivables = api_json(f"{stack.api_url}/admin/reports/receivables", token)
    assert status == 200
    figures = {row["currency"]: row for row in receivables["currencies"]}
    assert {"EUR", "JPY"} <= set(figures)
    for currency in ("EUR", "JPY"):
        row = figures[currency]
        section = page.locator(f"section[data-currency={currency}]")
        expect(section.get_by_role("heading", level=3)).to_have_text(currency)
        expect(section.locator(f"[data-testid=open-{currency}]")).to_have_text(shown(row["open"], currency))
        expect(section.locator(".total")).to_contain_text(f"due in {row['cases']:,} cases")
        buckets = {b["bucket"]: b for b in row["buckets"]}
        assert all(buckets[name]["cases"] >= 1 for name in BUCKETS), buckets  # the book fills every bucket
        table = section.get_by_role("table", name=f"Aging in {currency}")
        for name, label in BUCKETS.items():
            cells = table.get_by_role("row", name=label).get_by_role("cell")
            expect(cells).to_have_text([shown(buckets[name]["amount"], currency), f"{buckets[name]['cases']:,}"])
        # The chart draws the same five buckets, each bar as tall as its share of the largest.
        chart = section.get_by_role("img", name=f"Aging of what is due in {currency}")
        heights = [float(h) for h in chart.locator("rect").evaluate_all("rs => rs.map(r => r.getAttribute('height'))")]
        largest = max(b["amount"] for b in buckets.values())
        assert [round(h / max(heights), 2) for h in heights] == pytest.approx(
            [buckets[n]["amount"] / largest for n in BUCKETS], abs=0.01)

    # Collected in the last 30 days: the same period and sums as the API's.
    today = datetime.now(timezone.utc).date()
    start = today - timedelta(days=30)
    expect(page.get_by_text(f"From {start:%-d %b %Y} to {today:%-d %b %Y}")).to_be_visible()
    status, performance = api_json(f"{stack.api_url}/admin/reports/performance?from={start}&to={today}", token)
    assert status == 200
    for row in performance["currencies"]:
        tile = page.locator(f"#collected li[data-currency={row['currency']}]")
        expect(tile.locator(".big")).to_have_text(shown(row["collected"], row["currency"]))
        # DSO and CEI as the API computed them, in the reader's number format.
        dso, cei = row["dso_days"], row["cei_percent"]
        expect(tile.locator(f"[data-testid=dso-{row['currency']}]")).to_have_text(
            "over a year" if dso is None else f"{dso:,g} day{'' if dso == 1 else 's'}")
        expect(tile.locator(f"[data-testid=cei-{row['currency']}]")).to_have_text(
            "–" if cei is None else f"{cei:,g}%")
    assert {r["currency"] for r in performance["currencies"] if r["collected"]} >= {"EUR", "JPY"}
    assert any(r["dso_days"] is not None and r["cei_percent"] is not None for r in performance["currencies"])
    steps = page.locator("#steps tbody tr")
    expect(steps).to_have_count(len(performance["steps"]))
    for step in performance["steps"]:
        cells = page.locator(f"#steps tr[data-step='{step['step']}'] td")
        expect(cells.nth(0)).to_have_text(f"{step['sent']:,}")
        expect(cells.nth(1)).to_have_text(f"{step['paid_via_link']:,}")

    # The next 7 days: one row per day with the API's count.
    status, forecast = api_json(f"{stack.api_url}/admin/reports/forecast?days=7", token)
    assert status == 200 and len(forecast["days"]) == 7
    for day in forecast["days"]:
        expect(page.locator(f"#forecast tr[data-date='{day['date']}'] td").first).to_have_text(f"{day['contacts']:,}")
    total = sum(d["contacts"] for d in forecast["days"])
    expect(page.get_by_text(f"The ladder will send {total:,} reminder")).to_be_visible()
    assert axe_violations(page) == []


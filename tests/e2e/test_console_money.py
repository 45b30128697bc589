"""The console writes every amount with its currency's exponent as the API counts it (not the browser's own
currency data), exactly (no float rounding), in the reader's language; and reads typed amounts back."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from portal.site_server import SiteServer

pytestmark = pytest.mark.e2e

NBSP = "\u00a0"


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = SiteServer("127.0.0.1", 0, "http://127.0.0.1:9")
    server.start()
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


def formatted(browser: Any, site: str, locale: str, lang: str, values: list[tuple[int, str]]) -> list[str]:
    context = browser.new_context(locale=locale)
    try:
        page = context.new_page()
        page.goto(f"{site}/console")
        page.get_by_role("heading", level=1).wait_for()
        shown: list[str] = page.evaluate("""async ([lang, values]) => {
          const i18n = await import('/console/i18n.js');
          await i18n.setLang(lang);
          return values.map(([amount, currency]) => i18n.money({amount, currency}));
        }""", [lang, values])
        return shown
    finally:
        context.close()


def test_amounts_carry_the_apis_exponent_exactly(browser: Any, site: str) -> None:
    values = [(123_456, "EUR"), (98_000, "JPY"), (1_234_567, "KWD"), (123_456, "ISK"), (123_456_789_012_345, "EUR"),
              (-2_550, "GBP"), (5, "USD")]
    assert formatted(browser, site, "en-GB", "en", values) == [
        "€1,234.56", "JP¥98,000", f"KWD{NBSP}1,234.567",
        f"ISK{NBSP}1,234.56",  # Stripe counts two decimals for ISK; the browser's own data says none
        "€1,234,567,890,123.45", "-£25.50", "US$0.05"]
    assert formatted(browser, site, "de-DE", "de", values[:4]) == [
        f"1.234,56{NBSP}€", f"98.000{NBSP}¥", f"1.234,567{NBSP}KWD", f"1.234,56{NBSP}ISK"]


def test_typed_amounts_are_read_as_minor_units_of_the_currency(browser: Any, site: str) -> None:
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        page.goto(f"{site}/console")
        page.get_by_role("heading", level=1).wait_for()
        read = page.evaluate("""async () => {
          const {minorUnits} = await import('/console/i18n.js');
          return [minorUnits('12.5', 'EUR'), minorUnits('12,50', 'EUR'), minorUnits('1.2345', 'KWD'),
                  minorUnits('98000', 'JPY'), minorUnits('98000.5', 'JPY'), minorUnits('abc', 'EUR'),
                  minorUnits('0.001', 'KWD')];
        }""")
    finally:
        context.close()
    assert read == [1250, 1250, None, 98_000, None, None, 1]

"""The page speaks the customer's language (en, es, fr, de), switchable on the page, with amounts and dates to match."""
from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.stack import Demo, create_case

pytestmark = pytest.mark.e2e

NBSP, NNBSP = "\u00a0", "\u202f"


def heading(page: Any) -> Any:
    return page.get_by_role("heading", level=1)


def test_a_spanish_customer_reads_spanish_with_euros_and_dates_the_spanish_way(stack: Demo, page: Any) -> None:
    case = create_case(stack, locale="es", currency="EUR", amount=123_456, description="Diseño web")
    number = case["invoice"]["number"]
    page.goto(case["pay_url"])

    expect(heading(page)).to_have_text(f"Factura {number}")
    assert page.evaluate("document.documentElement.lang") == "es"
    expect(page.get_by_label("Idioma")).to_have_value("es")
    expect(page.locator("#c-due")).to_have_text(f"1234,56{NBSP}€")
    expect(page.locator("#c-status")).to_have_text("Pendiente")
    expect(page.get_by_role("button", name=f"Pagar 1234,56{NBSP}€ ahora")).to_be_visible()
    expect(page.locator("#c-dueon")).to_contain_text(" de ")  # "Vence el 17 de noviembre de 2026"
    expect(page.locator("#c-timeline li")).to_contain_text(f"Factura {number} por 1234,56{NBSP}€")
    expect(page.get_by_text("Otras formas de saldarla")).to_be_visible()
    expect(page).to_have_title(f"Factura {number} · Demo Brokers Ltd")

    page.get_by_text("Pagar una parte").click()
    page.get_by_label("Importe (EUR)").fill("12.345")
    page.get_by_role("button", name="Continuar al pago").click()
    expect(page.locator("#part-amount-err")).to_have_text("Indique un importe como 1234,50.")
    assert axe_violations(page) == []


def test_the_customer_switches_language_on_the_page(stack: Demo, page: Any) -> None:
    case = create_case(stack, locale="es", currency="EUR", amount=123_456)
    number = case["invoice"]["number"]
    page.goto(case["pay_url"])
    expect(heading(page)).to_have_text(f"Factura {number}")

    page.get_by_label("Idioma").select_option("en")
    expect(heading(page)).to_have_text(f"Invoice {number}")
    expect(page.locator("#c-due")).to_have_text("€1,234.56")
    expect(page.get_by_label("Language")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "en"

    page.get_by_label("Language").select_option("de")
    expect(heading(page)).to_have_text(f"Rechnung {number}")
    expect(page.locator("#c-due")).to_have_text(f"1.234,56{NBSP}€")
    expect(page.locator("#c-status")).to_have_text("Offen")

    page.get_by_label("Sprache").select_option("fr")
    expect(heading(page)).to_have_text(f"Facture {number}")
    expect(page.locator("#c-due")).to_have_text(f"1{NNBSP}234,56{NBSP}€")
    expect(page.get_by_role("button", name="Payer une partie")).to_have_count(0)  # a summary, not a button
    expect(page.get_by_text("Payer une partie")).to_be_visible()
    assert axe_violations(page) == []


def test_the_customers_locale_wins_over_the_browsers_and_pages_without_a_case_use_the_browsers(
        stack: Demo, browser: Any) -> None:
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    try:
        page = context.new_page()
        case = create_case(stack, locale="en", currency="GBP", amount=5_000)
        page.goto(case["pay_url"])
        expect(heading(page)).to_have_text(f"Invoice {case['invoice']['number']}")
        expect(page.locator("#c-due")).to_have_text("£50.00")

        page.goto(f"{stack.site_url}/pay/cancel")
        expect(heading(page)).to_have_text("Zahlung abgebrochen")
        assert page.evaluate("document.documentElement.lang") == "de"
    finally:
        context.close()

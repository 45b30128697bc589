"""Screenshots of the pay page's main states and the broker console's screens for the README, taken from a
fresh local stack.

    .venv/bin/python -m tests.e2e.screenshots [--out docs/screenshots]     (or: make screenshots)
"""
from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.browser import CHROMIUM_ARGS, chromium_path
from tests.e2e.console import console_url, settled, sign_in, staff_password
from tests.e2e.stack import ROOT, Demo, api_json, create_case, expired_pay_url, free_ports

VIEWPORT = {"width": 420, "height": 860}  # a large phone: most customers open the link from a message
CONSOLE_VIEWPORT = {"width": 1280, "height": 860}  # brokers' staff work at a desk


def shoot(page: Any, out: Path, name: str, full: bool = True) -> Path:
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=full, animations="disabled")
    print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return path


def states(demo: Demo) -> dict[str, Callable[[Any], None]]:
    def case_view(page: Any) -> None:
        case = create_case(demo, name="Oliver Bennett", currency="GBP", amount=125_000, days_overdue=12,
                           description="Bookkeeping, Q3")
        api_json(f"{demo.api_url}/admin/cases/{case['case_id']}/payments", demo.api_key, {
            "amount": 25_000, "method": "bank_transfer", "reference": "BACS-0042",
            "received_on": case["invoice"]["due_on"]})
        page.goto(case["pay_url"])
        page.locator("#v-case").wait_for()

    def spanish(page: Any) -> None:
        page.goto(create_case(demo, name="Ana García", locale="es", amount=84_000, description="Diseño web",
                              days_overdue=-10)["pay_url"])
        page.locator("#v-case").wait_for()

    def part_error(page: Any) -> None:
        page.goto(create_case(demo, amount=31_250)["pay_url"])
        page.locator("summary", has_text="Pay part of it").click()
        page.get_by_label("Amount (EUR)").fill("400")
        page.get_by_role("button", name="Continue to payment").click()
        page.locator("#part-amount-err").wait_for()

    def dispute(page: Any) -> None:
        page.goto(create_case(demo, locale="fr", amount=312_050, description="Traduction juridique")["pay_url"])
        page.locator("summary", has_text="Contester cette facture").click()
        page.get_by_label("Motif").select_option("wrong_amount")

    def expired(page: Any) -> None:
        case = create_case(demo)
        page.goto(expired_pay_url(demo, case["case_id"]))
        page.locator("#v-link").wait_for()

    def paid(page: Any) -> None:
        case = create_case(demo, locale="de", amount=45_990, description="Wartungsvertrag Oktober")
        api_json(f"{demo.api_url}/admin/cases/{case['case_id']}/payments", demo.api_key, {
            "amount": 45_990, "method": "bank_transfer", "reference": "SEPA-7731",
            "received_on": case["invoice"]["due_on"]})
        page.goto(case["pay_url"])
        page.locator("#v-case").wait_for()

    def success(page: Any) -> None:
        page.goto(f"{demo.site_url}/pay/success")
        page.locator("#v-note").wait_for()

    def offline(page: Any) -> None:
        case = create_case(demo)
        page.route(f"{demo.api_url}/**", lambda route: route.abort("internetdisconnected"))
        page.goto(case["pay_url"])
        page.locator("#v-note").wait_for()

    return {"page-case": case_view, "page-spanish": spanish, "page-part-payment-error": part_error,
            "page-dispute-fr": dispute, "page-link-expired": expired, "page-paid-de": paid,
            "page-payment-success": success, "page-network-error": offline}


def console_book(demo: Demo) -> None:
    """Cases in every aging bucket in two currencies, a payment, a dispute: a console with something to show."""
    from datetime import date

    people = ["Oliver Bennett", "Amelia Clarke", "Harry Evans", "Isla Foster", "Jack Green", "Mia Hughes",
              "Noah Irwin", "Sofia Jensen", "Leo Kaur", "Ava Lewis"]
    for n, (days, amount) in enumerate([(-12, 84_000), (8, 125_000), (19, 42_550), (44, 310_000), (70, 96_400),
                                        (120, 218_000), (-3, 15_900), (27, 61_250), (52, 8_800), (95, 47_300)]):
        currency = "GBP" if n % 3 else "EUR"
        case = create_case(demo, name=people[n], currency=currency, amount=amount, days_overdue=days,
                           description="Bookkeeping services")
        if n == 1:
            api_json(f"{demo.api_url}/admin/cases/{case['case_id']}/payments", demo.api_key, {
                "amount": 25_000, "method": "bank_transfer", "reference": "BACS-0042",
                "received_on": date.today().isoformat()})
        if n == 3:
            api_json(f"{demo.api_url}/customer/dispute", case["pay_url"].split("#", 1)[1], {
                "reason": "wrong_amount", "message": "We agreed on a lower rate for October."})


def console_shots(browser: Any, demo: Demo, out: Path) -> None:
    console_book(demo)
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London", viewport=CONSOLE_VIEWPORT)
    page = context.new_page()
    page.goto(console_url(demo))
    page.get_by_label("Email").fill("owner@demo.example")
    shoot(page, out, "console-sign-in", full=False)
    sign_in(page, demo, "owner")
    for screen in ("today", "receivables", "cases", "settings"):
        page.goto(f"{console_url(demo)}#/{screen}")
        settled(page)
        page.wait_for_load_state("networkidle")
        shoot(page, out, f"console-{screen}")
    context.close()
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin", viewport=CONSOLE_VIEWPORT)
    page = context.new_page()
    sign_in_de = f"{console_url(demo)}#/receivables"
    page.goto(sign_in_de)
    page.get_by_label("E-Mail").fill("viewer@demo.example")
    page.get_by_label("Passwort").fill(staff_password(demo))
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("heading", name="Forderungen", level=1).wait_for()
    settled(page)
    page.wait_for_load_state("networkidle")
    shoot(page, out, "console-receivables-de")
    context.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    out: Path = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / ".portal"
        api, site, aws = free_ports(3)
        demo = Demo(data_dir, Path(tmp) / "demo.log", "--api-port", str(api), "--site-port", str(site),
                    "--aws-port", str(aws))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
                print(f"Screenshots into {out}:")
                for name, state in states(demo).items():
                    context = browser.new_context(locale="en-GB", timezone_id="Europe/London", viewport=VIEWPORT)
                    page = context.new_page()
                    state(page)
                    page.wait_for_load_state("networkidle")
                    shoot(page, out, name)
                    context.close()
                console_shots(browser, demo, out)
                browser.close()
        finally:
            demo.stop()


if __name__ == "__main__":
    main()

"""The dispute journey in German and by keyboard alone: from Today to the case, a note in a dialog that keeps
the focus inside and gives it back, the decision typed with a German decimal comma."""
from __future__ import annotations

import re
from typing import Any
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.conftest import PageProblems
from tests.e2e.console import console_url, session, settled, staff_email, staff_password
from tests.e2e.console_case_kit import delivery_note, disputed_case
from tests.e2e.stack import Demo, admin_case

pytestmark = pytest.mark.e2e

NBSP = "\u00a0"
FOCUSED = """() => {
  const e = document.activeElement, style = getComputedStyle(e);
  return {tag: e.tagName.toLowerCase(), id: e.id, type: e.type || '', label: e.getAttribute('aria-label') || '',
          text: (e.innerText || e.value || '').trim().slice(0, 80),
          inDialog: Boolean(e.closest('dialog')),
          outline: style.outlineStyle === 'none' ? 0 : parseFloat(style.outlineWidth)};
}"""


def press(page: Any, key: str = "Tab") -> dict[str, Any]:
    page.keyboard.press(key)
    focused: dict[str, Any] = page.evaluate(FOCUSED)
    return focused


def tab_until(page: Any, match: Any, key: str = "Tab", limit: int = 200) -> dict[str, Any]:
    """Tab until `match(focused)`; every stop on the way shows where the focus is, but those in the evidence
    PDF's frame: the frame, then its viewer's own controls (another document, which draws its own focus while
    this one reports none) - one run of them, after which the focus comes back to the console."""
    runs, run, before = 0, 0, None
    for _ in range(limit):
        focused = press(page, key)
        framed = focused["tag"] in ("iframe", "body")
        runs += framed and not before
        run = run + 1 if framed else 0
        before = framed
        assert focused["outline"] >= 2 or (framed and runs == 1 and run <= 12), focused
        if match(focused):
            return focused
    raise AssertionError(f"not reachable by {key}")


@pytest.fixture
def german_tab(browser: Any) -> Any:
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = PageProblems(page)
    yield page
    context.close()
    assert problems.items == []


def test_a_german_collector_decides_a_dispute_by_keyboard_alone(stack: Demo, german_tab: Any) -> None:
    name = f"Jutta Einwand {uuid4().hex[:6]}"
    case = disputed_case(stack, name=name, amount=30_000, disputed=10_000, pdf=delivery_note())
    collector = session(stack, "collector")["user"]["name"]
    page = german_tab
    page.goto(console_url(stack))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Anmelden")  # a German browser gets the German console
    tab_until(page, lambda f: f["id"] == "email")
    page.keyboard.type(staff_email("collector"))
    press(page)
    page.keyboard.type(staff_password(stack))
    page.keyboard.press("Enter")
    expect(heading).to_have_text("Heute")
    settled(page)

    tab_until(page, lambda f: f["tag"] == "a" and f["text"].startswith(name))
    page.keyboard.press("Enter")
    expect(heading).to_have_text(f"{name} – {case['invoice']['number']}")
    expect(heading).to_be_focused()
    settled(page)

    # A note, in a dialog: the focus moves in, stays in, Escape closes it and the opener has it back.
    opener = tab_until(page, lambda f: f["text"] == "Notiz hinzufügen")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Notiz hinzufügen")
    expect(dialog).to_be_visible()
    assert page.evaluate(FOCUSED)["inDialog"]
    stops = [press(page) for _ in range(8)]
    assert all(stop["inDialog"] for stop in stops), stops
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert page.evaluate(FOCUSED)["text"] == opener["text"]
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    tab_until(page, lambda f: f["id"] == "note-text")
    page.keyboard.type("Kunde angerufen: Rückruf morgen.")
    tab_until(page, lambda f: f["text"] == "Speichern")
    page.keyboard.press("Enter")
    expect(dialog).to_have_count(0)
    expect(page.locator("#timeline li").first).to_contain_text("Notiz")
    expect(page.locator("#timeline li").first).to_contain_text(collector)

    # The decision: the chosen outcome, a German amount, the message, then Enter on the button.
    tab_until(page, lambda f: f["type"] == "radio")
    while page.evaluate("document.activeElement.value") != "partially_upheld":
        page.keyboard.press("ArrowRight")
    expect(page.get_by_label("Teilweise stattgeben")).to_be_checked()
    tab_until(page, lambda f: f["id"].endswith("-credit"))
    page.keyboard.type("40,00")
    tab_until(page, lambda f: f["id"].endswith("-msg"))
    page.keyboard.type("Wir schreiben den fehlenden Stuhl gut.")
    tab_until(page, lambda f: f["text"] == "Entscheidung senden")
    page.keyboard.press("Enter")

    expect(page.locator("#case-due")).to_have_text(f"260,00{NBSP}€")
    decided = page.locator("#timeline li", has_text="Einwand entschieden").first
    expect(decided).to_contain_text(collector)
    expect(decided).to_contain_text(re.compile("teilweise stattgegeben"))
    assert axe_violations(page) == []
    assert admin_case(stack, case["case_id"])["balance"]["due"] == 26_000

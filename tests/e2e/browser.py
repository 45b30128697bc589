"""Debian's Chromium under Playwright, and axe-core for accessibility checks."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
# Playwright cannot download its own browsers here: it drives the system's Chromium.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise RuntimeError("Chromium is missing: `make chromium` installs it (apt-get install chromium)")
    return path


def axe_source() -> str:
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: `make axe` installs axe-core from tests/e2e/package-lock.json")
    return AXE.read_text()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (WCAG 2.1 A/AA rules and axe's best practices).

    axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
    govern, so the page is checked with its real CSP in force.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["html"][:200] for n in v["nodes"]]} for v in result["violations"]]


# What has the keyboard focus: tag, id, type, aria-label, text (a select's value), whether it is inside a dialog,
# and its outline width (0: no visible focus).
FOCUSED = """() => {
  const e = document.activeElement, style = getComputedStyle(e);
  const text = e.tagName === 'SELECT' ? e.value : e.innerText || e.value || '';
  return {tag: e.tagName.toLowerCase(), id: e.id, type: e.type || '', label: e.getAttribute('aria-label') || '',
          text: text.trim().slice(0, 80), inDialog: Boolean(e.closest('dialog')),
          outline: style.outlineStyle === 'none' ? 0 : parseFloat(style.outlineWidth)};
}"""


def focused(page: Any) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(FOCUSED)
    return found


def press(page: Any, key: str = "Tab") -> dict[str, Any]:
    """Press `key` (Tab, Shift+Tab, …) and say what has the focus then."""
    page.keyboard.press(key)
    return focused(page)

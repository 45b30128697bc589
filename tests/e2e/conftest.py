"""Fixtures for the page's browser tests: one local stack and one Chromium per session, a fresh context per test."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.browser import CHROMIUM_ARGS, chromium_path
from tests.e2e.stack import Demo, api_json, create_case, free_ports


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`python -m portal demo` on free ports with its own data directory: the stack a user runs. One per test
    file: the demo saves its whole state before answering each write, so a stack shared by the console's many
    cases slowed the page's later writes past the browser's waits."""
    data_dir = tmp_path_factory.mktemp("page-stack") / ".portal"
    api, site, aws = free_ports(3)
    demo = Demo(data_dir, data_dir.parent / "demo.log", "--api-port", str(api), "--site-port", str(site),
                "--aws-port", str(aws))
    yield demo
    demo.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageProblems:
    """What the page should never do, collected while a test runs: script errors and CSP violations."""

    def __init__(self, page: Any) -> None:
        self.items: list[str] = []
        page.on("pageerror", lambda error: self.items.append(f"script error: {error}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.items.append(f"CSP: {message.text}")


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    # An English browser in Madrid, so the page's language and dates come from the case, not the machine.
    ctx = browser.new_context(locale="en-GB", timezone_id="Europe/Madrid", viewport={"width": 420, "height": 900})
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    tab = context.new_page()
    problems = PageProblems(tab)
    yield tab
    assert problems.items == []


@pytest.fixture(scope="module")
def payments(stack: Demo) -> Demo:
    """The demo takes payments through its Stripe stand-in: checked once, and loudly if it does not."""
    probe = create_case(stack)
    status, answer = api_json(f"{stack.api_url}/customer/checkout", probe["pay_url"].split("#", 1)[1], {})
    assert status == 200 and "checkout_url" in answer, f"POST /customer/checkout answered {status}: {answer}"
    return stack


# --- the broker console (tests/e2e/console.py has its helpers) ------------------------------------------------

@pytest.fixture
def console_tab(browser: Any) -> Iterator[Any]:
    """A desktop tab of an English (UK) browser in Madrid; no script error or CSP violation may happen in it."""
    ctx = browser.new_context(locale="en-GB", timezone_id="Europe/Madrid", viewport={"width": 1280, "height": 900})
    tab = ctx.new_page()
    problems = PageProblems(tab)
    yield tab
    ctx.close()
    assert problems.items == []

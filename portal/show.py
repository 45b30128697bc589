"""What `portal demo` prints: where things run, the broker's key, pay links, and curl lines that work as printed."""
from __future__ import annotations

import json
import os
import secrets
import shlex
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from chalicelib.domain.cases import Case
from chalicelib.domain.money import Money

CURL = ["curl", "-sS", "--fail-with-body"]
DEFAULT_DATA_DIR = Path(".portal")


def portal_program() -> list[str]:
    """How to run `portal` from here, as this process was run: `portal` is rarely on the PATH.

    The script this process runs as (`.venv/bin/portal`, what `make demo` runs), else the one beside
    this Python, else `python -m portal`; relative when it lies below the current directory.
    """
    here = Path.cwd()
    for candidate in (Path(sys.argv[0]), Path(sys.executable).parent / "portal"):
        if candidate.name == "portal" and candidate.is_file():
            path = Path(os.path.abspath(candidate))
            shown = str(path.relative_to(here)) if path.is_relative_to(here) else str(path)
            return [shown if "/" in shown else f"./{shown}"]
    return [sys.executable, "-m", "portal"]


def portal_command(*args: str, data_dir: Path = DEFAULT_DATA_DIR) -> str:
    """A `portal` command line that works as printed: the program, `args`, and a non-default --data-dir."""
    extra = [] if data_dir == DEFAULT_DATA_DIR else ["--data-dir", str(data_dir)]
    return shlex.join([*portal_program(), *args, *extra])


def age(due_on: date, today: date) -> str:
    days = (today - due_on).days
    if days < 0:
        return f"due in {-days} day{'s' if days != -1 else ''}"
    if days == 0:
        return "due today"
    return f"{days} day{'s' if days != 1 else ''} overdue"


def curl(url: str, *, token: str | None = None, body: object | None = None,
         headers: Iterable[str] = ()) -> str:
    args = list(CURL)
    if token:
        args += ["-H", f"Authorization: Bearer {token}"]
    if body is not None:
        args += ["-X", "POST", "-H", "Content-Type: application/json", *_headers(headers),
                 "-d", json.dumps(body, separators=(",", ":"), ensure_ascii=False)]
    return shlex.join([*args, url])


def _headers(headers: Iterable[str]) -> list[str]:
    return [part for h in headers for part in ("-H", h)]


def new_case_body(today: date) -> dict[str, object]:
    """A fresh invoice each time the demo prints, so the printed create line never collides."""
    return {
        "customer": {"name": "Sam Rivera", "email": "sam.rivera@example.test", "locale": "en",
                     "timezone": "America/Chicago"},
        "invoice": {"number": f"INV-{today:%Y%m%d}-{secrets.token_hex(2).upper()}", "amount": 42_000,
                    "currency": "USD", "issued_on": today.isoformat(), "due_on": today.isoformat(),
                    "description": "Opened with the curl line from portal demo"},
    }


def curl_lines(api_url: str, api_key: str, case: Case, customer_token: str, today: date) -> list[tuple[str, str]]:
    cases = f"{api_url}/admin/cases"
    return [
        ("list your cases", curl(cases, token=api_key)),
        (f"one case with its whole timeline ({case.invoice.number})",
         curl(f"{cases}/{case.case_id}", token=api_key)),
        ("open a case (the Idempotency-Key makes a retry return the same case)",
         curl(cases, token=api_key, body=new_case_body(today),
              headers=[f"Idempotency-Key: demo-{secrets.token_hex(6)}"])),
        ("document a call on the case",
         curl(f"{cases}/{case.case_id}/notes", token=api_key,
              body={"kind": "call", "text": "Called the customer; they will pay by Friday."})),
        ("what the customer sees with their pay link (the token is the part after #)",
         curl(f"{api_url}/customer/case", token=customer_token)),
        ("the API description", curl(f"{api_url}/openapi.json")),
    ]


def case_line(case: Case, today: date) -> str:
    money = Money(case.balance.due, case.balance.currency).format()
    return (f"  {case.invoice.number:<10} {money:>14}  {age(case.invoice.due_on, today):<16} "
            f"{case.status:<8} {case.customer.name}")

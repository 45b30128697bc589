"""The local stack for end-to-end tests: a `python -m portal demo` process, its printed output, and HTTP."""
from __future__ import annotations

import json
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 120  # seconds for a cold start (imports, moto, seeding) on a slow CI machine
STOP_TIMEOUT = 60


def free_ports(count: int) -> list[int]:
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


class Demo:
    """A `python -m portal demo` process whose stdout is read on a thread until its `ready` line."""

    # -X faulthandler: if it ever hangs, stop() gets a dump of every thread's stack.
    PROGRAM = (sys.executable, "-X", "faulthandler", "-m", "portal")

    def __init__(self, data_dir: Path | None, log: Path, *flags: str, cwd: Path = ROOT,
                 program: Sequence[str] = PROGRAM) -> None:
        """`data_dir` None: the demo's default (.portal in `cwd`); `program`: how `portal` is run."""
        self.log = log
        where = ["--data-dir", str(data_dir)] if data_dir else []
        if "--webhook-port" not in flags:  # any free port: demos run side by side in the tests
            flags = ("--webhook-port", "0", *flags)
        with log.open("w") as stderr:
            self.proc = subprocess.Popen([*program, "demo", *where, *flags], cwd=cwd, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=stderr, text=True)
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        try:
            self.output = self._read_until("portal demo ready")
        except BaseException:
            self.kill()
            raise

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with self.proc.stdout:
            for line in self.proc.stdout:
                self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _read_until(self, marker: str) -> str:
        lines: list[str] = []
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {marker!r} line in time:\n" + "\n".join(lines)) from None
            if line is None:
                raise AssertionError(f"demo exited with {self.proc.wait()}:\n" + "\n".join(lines)
                                     + "\n" + self.log.read_text())
            lines.append(line)
            if line.startswith(marker):
                return "\n".join(lines)

    def stop(self, signum: int = signal.SIGINT) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGABRT)  # -X faulthandler: every thread's stack goes to the log
            self.proc.wait()
            raise AssertionError("demo did not stop:\n" + self.log.read_text()[-8000:]) from None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def flag(self, name: str) -> str:
        args = list(self.proc.args)  # type: ignore[arg-type]
        return str(args[args.index(name) + 1])

    # --- what it printed ---------------------------------------------------------------------

    def printed(self, label: str) -> str:
        match = re.search(rf"^\s+{label}\s+(http://\S+)", self.output, re.M)
        assert match, self.output
        return match.group(1)

    @property
    def api_url(self) -> str:
        return self.printed("API")

    @property
    def site_url(self) -> str:
        return self.printed("Site")

    @property
    def api_key(self) -> str:
        match = re.search(r"\bcpk_\w+", self.output)
        assert match, self.output
        return match.group(0)

    @property
    def pay_urls(self) -> list[str]:
        return re.findall(r"(http://127\.0\.0\.1:\d+/pay#\S+)", self.output)

    @property
    def curl_lines(self) -> list[str]:
        return [line for line in self.output.splitlines() if line.startswith("curl ")]


def http(url: str, token: str | None = None, body: Any = None,
         method: str | None = None, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None if body is None else json.dumps(body).encode()
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def api_json(url: str, token: str, body: Any = None, method: str | None = None,
             timeout: float = 30) -> tuple[int, Any]:
    status, _, answer = http(url, token, body, method, timeout)
    return status, json.loads(answer)


# --- cases for the page's tests ---------------------------------------------------------------------------

def create_case(demo: Demo, *, name: str = "Kim Lee", locale: str = "en", currency: str = "EUR",
                amount: int = 12_345, number: str | None = None, days_overdue: int = 5,
                description: str = "Consulting, October", phone: str | None = None,
                api_key: str | None = None) -> dict[str, Any]:
    """A new case of the demo broker (or `api_key`'s) through the admin API; the answer includes its `pay_url`."""
    from datetime import date, timedelta
    from uuid import uuid4

    due_on = date.today() - timedelta(days=days_overdue)
    customer: dict[str, Any] = {"name": name, "email": f"{uuid4().hex[:8]}@example.test", "locale": locale,
                                "timezone": "Europe/Madrid"}
    if phone:
        customer["phone"] = phone
    status, case = api_json(f"{demo.api_url}/admin/cases", api_key or demo.api_key, {
        "customer": customer,
        "invoice": {"number": number or f"E2E-{uuid4().hex[:6].upper()}", "amount": amount, "currency": currency,
                    "issued_on": (due_on - timedelta(days=30)).isoformat(), "due_on": due_on.isoformat(),
                    "description": description}})
    assert status == 201, case
    return dict(case)


def admin_case(demo: Demo, case_id: str) -> dict[str, Any]:
    status, case = api_json(f"{demo.api_url}/admin/cases/{case_id}", demo.api_key)
    assert status == 200, case
    return dict(case)


def expired_pay_url(demo: Demo, case_id: str) -> str:
    """A pay link for the case's current link, signed with the demo's own key, whose expiry has passed.

    Built with the portal's PayLinks on the demo's moto: the same token a 30-day-old reminder carries.
    """
    from dataclasses import replace
    from datetime import datetime, timedelta, timezone

    from chalicelib.adapters.dynamo import DynamoStore
    from chalicelib.adapters.secrets import SecretsKeyRing
    from chalicelib.domain.cases import iso
    from chalicelib.services.links import PayLinks
    from portal import target

    aws = target.resolve(Path(demo.flag("--data-dir")), None)
    broker_id = demo.api_key.split("_")[1]
    case, _ = DynamoStore(aws.client("dynamodb"), aws.table).load(broker_id, case_id)
    yesterday = iso(datetime.now(timezone.utc) - timedelta(days=1))
    links = PayLinks(SecretsKeyRing(aws.client("secretsmanager"), aws.secret_id, cache_seconds=0), demo.site_url)
    return links.url(replace(case, link=replace(case.link, expires_at=yesterday)))


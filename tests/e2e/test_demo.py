"""`portal demo` as a new user meets it: start it, run what it prints, stop it, start it again."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import ROOT, Demo, api_json, free_ports, http


def portal(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "portal", *args, "--data-dir", str(data_dir)], cwd=ROOT,
                          input=stdin, capture_output=True, text=True, timeout=60)


def run_curl(line: str) -> tuple[int, Any]:
    """Run a printed curl line as printed (curl itself; urllib with the same arguments if it is missing)."""
    args = shlex.split(line)
    if shutil.which("curl"):
        done = subprocess.run([*args, "--write-out", "\n%{http_code}"], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        body, _, status = done.stdout.rpartition("\n")
        return int(status), json.loads(body)
    headers, data, url = {}, None, args[-1]
    for flag, value in zip(args, args[1:], strict=False):
        if flag == "-H":
            name, _, header = value.partition(": ")
            headers[name] = header
        elif flag == "-d":
            data = value.encode()
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


def case_ids(api_url: str, key: str) -> set[str]:
    status, body = api_json(f"{api_url}/admin/cases?limit=100", key)
    assert status == 200, body
    return {c["case_id"] for c in body["items"]}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("portal-demo") / ".portal"


@pytest.fixture(scope="module")
def demo(data_dir: Path) -> Iterator[Demo]:
    api, site, aws = free_ports(3)
    running = Demo(data_dir, data_dir.parent / "demo.log", "--api-port", str(api), "--site-port", str(site),
                   "--aws-port", str(aws))
    yield running
    running.kill()


def test_it_serves_on_the_ports_asked_for_and_prints_a_key_and_pay_links(demo: Demo) -> None:
    assert demo.api_url == f"http://127.0.0.1:{demo.flag('--api-port')}"
    assert demo.site_url == f"http://127.0.0.1:{demo.flag('--site-port')}"
    assert len(demo.pay_urls) == 5
    assert {"due in 10 days", "due today", "5 days overdue", "25 days overdue", "50 days overdue"} <= {
        m for m in re.findall(r"(due in \d+ days|due today|\d+ days overdue)", demo.output)}
    assert {"EUR", "GBP", "USD"} <= set(re.findall(r"\b(EUR|GBP|USD)\b", demo.output))


def test_every_printed_curl_line_works_as_printed(demo: Demo) -> None:
    lines = demo.curl_lines
    assert len(lines) >= 5
    answers = {}
    for line in lines:
        status, body = run_curl(line)
        assert 200 <= status < 300, (line, status, body)
        answers[line] = body
    created = next(b for line, b in answers.items() if "Idempotency-Key" in line)
    assert created["pay_url"].startswith(f"{demo.site_url}/pay#")
    noted = next(b for line, b in answers.items() if line.split()[-1].endswith("/notes"))
    assert noted["events"][-1]["type"] == "note_added"
    # The create line is safe to run twice: the Idempotency-Key returns the same case.
    again = run_curl(next(line for line in lines if "Idempotency-Key" in line))
    assert again[1]["case_id"] == created["case_id"]
    assert created["case_id"] in case_ids(demo.api_url, demo.api_key)


def test_a_pay_link_opens_the_page_and_its_token_reads_the_case(demo: Demo) -> None:
    pay_url = demo.pay_urls[0]
    status, headers, page = http(pay_url)  # the fragment stays in the browser: urllib never sends it
    assert status == 200
    assert b"app.js" in page
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert demo.api_url in csp  # connect-src lets the page call the API
    status, _, config = http(f"{demo.site_url}/config.json")
    assert status == 200 and json.loads(config) == {"api_url": demo.api_url}
    assert http(f"{demo.site_url}/app.js")[0] == 200

    status, case = api_json(f"{demo.api_url}/customer/case", pay_url.split("#", 1)[1])
    assert status == 200, case
    assert case["broker"]["name"] == "Demo Brokers Ltd"
    assert case["invoice"]["number"].startswith("DEMO-")
    assert api_json(f"{demo.api_url}/customer/case", "not-a-token")[0] == 401


def test_broker_create_against_the_running_demo_gives_a_working_key(demo: Demo, data_dir: Path) -> None:
    done = portal(data_dir, "broker", "create", "Second Brokers", "--json")
    assert done.returncode == 0, done.stderr
    created = json.loads(done.stdout)
    assert created["api_key"].startswith(f"cpk_{created['broker_id']}_")
    status, body = api_json(f"{demo.api_url}/admin/cases", created["api_key"])
    assert status == 200
    assert body["items"] == []  # a new broker sees none of the demo broker's cases


def test_a_burst_of_connections_is_queued_and_every_one_answered(demo: Demo) -> None:
    """25 clients connect while the demo is busy (stopped for a moment): the kernel queues them all."""
    burst = 25
    for url, path in ((demo.api_url, "/openapi.json"), (demo.site_url, "/config.json")):
        host, port = url.removeprefix("http://").split(":")
        os.kill(demo.proc.pid, signal.SIGSTOP)
        try:
            connections = [socket.create_connection((host, int(port)), timeout=3) for _ in range(burst)]
        finally:
            os.kill(demo.proc.pid, signal.SIGCONT)
        answers = []
        for connection in connections:
            with connection:
                connection.settimeout(60)
                connection.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
                answers.append(b"".join(iter(lambda c=connection: c.recv(65536), b"")).split(b"\r\n", 1)[0])
        assert all(b" 200 " in a for a in answers) and len(answers) == burst, answers


def test_state_survives_a_restart_and_reset_starts_afresh(demo: Demo, data_dir: Path) -> None:
    before = case_ids(demo.api_url, demo.api_key)
    noted = next(line for line in demo.curl_lines if line.split()[-1].endswith("/notes"))
    _, with_note = run_curl(noted)  # a change right before stopping is kept too
    assert demo.stop() == 0

    again = Demo(data_dir, data_dir.parent / "restart.log", "--api-port", "0", "--site-port", "0",
                 "--aws-port", "0")
    try:
        assert again.api_key == demo.api_key
        assert case_ids(again.api_url, again.api_key) == before
        status, case = api_json(f"{again.api_url}/admin/cases/{with_note['case_id']}", again.api_key)
        assert status == 200
        assert case["events"] == with_note["events"]
        old_link_token = demo.pay_urls[0].split("#", 1)[1]  # links sent before the restart still open
        assert api_json(f"{again.api_url}/customer/case", old_link_token)[0] == 200
    finally:
        assert again.stop() == 0

    fresh = Demo(data_dir, data_dir.parent / "reset.log", "--reset", "--api-port", "0", "--site-port", "0",
                 "--aws-port", "0")
    try:
        assert fresh.api_key != demo.api_key
        assert api_json(f"{fresh.api_url}/admin/cases", demo.api_key)[0] == 401
        fresh_cases = case_ids(fresh.api_url, fresh.api_key)
        assert len(fresh_cases) == 5 and not fresh_cases & before
    finally:
        assert fresh.stop(signal.SIGTERM) == 0


def test_operator_commands_take_effect_at_once_and_one_demo_owns_its_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / ".portal"
    demo = Demo(data_dir, tmp_path / "demo.log", "--no-seed", "--api-port", "0", "--site-port", "0",
                "--aws-port", "0")
    try:
        assert demo.pay_urls == [] and "cpk_" not in demo.output
        created = json.loads(portal(data_dir, "broker", "create", "Ops Brokers", "--json").stdout)
        broker_id, key = created["broker_id"], created["api_key"]
        status, case = api_json(f"{demo.api_url}/admin/cases", key, {
            "customer": {"name": "Kim Lee", "email": "kim@example.test"},
            "invoice": {"number": "OPS-1", "amount": 5000, "currency": "EUR", "issued_on": "2026-01-01",
                        "due_on": "2026-01-31"}})
        assert status == 201, case
        token = case["pay_url"].split("#", 1)[1]

        second = json.loads(portal(data_dir, "broker", "add-key", broker_id, "--json").stdout)["api_key"]
        assert api_json(f"{demo.api_url}/admin/cases", second)[0] == 200
        assert portal(data_dir, "broker", "revoke-key", "-", stdin=second + "\n").returncode == 0
        assert api_json(f"{demo.api_url}/admin/cases", second)[0] == 401
        assert api_json(f"{demo.api_url}/admin/cases", key)[0] == 200

        old_kid = token.split(".", 1)[0]
        assert portal(data_dir, "keys", "rotate").returncode == 0
        assert api_json(f"{demo.api_url}/customer/case", token)[0] == 200  # the previous key still verifies
        assert portal(data_dir, "keys", "retire", old_kid).returncode == 0
        assert api_json(f"{demo.api_url}/customer/case", token)[0] == 401
        assert "already has an active key" in portal(data_dir, "keys", "init").stderr

        second_demo = portal(data_dir, "demo", "--api-port", "0", "--site-port", "0", "--aws-port", "0")
        assert second_demo.returncode == 2 and "another portal demo" in second_demo.stderr
        busy_port = demo.api_url.rsplit(":", 1)[1]
        clash = portal(tmp_path / "other", "demo", "--api-port", busy_port, "--site-port", "0", "--aws-port", "0")
        assert clash.returncode == 2 and f"port {busy_port} for the API is in use" in clash.stderr
    finally:
        assert demo.stop() == 0



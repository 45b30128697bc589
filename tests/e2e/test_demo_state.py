"""The demo keeps its promises under load and across a crash: concurrent notes, kill -9, one clock."""
from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.dynamo import DynamoStore
from chalicelib.domain.history import verify_history
from chalicelib.ports import Broker
from chalicelib.services import brokers
from portal import target
from tests.conftest import store_customer_name
from tests.e2e.stack import ROOT, Demo, admin_case, api_json, create_case

WRITERS, NOTES_EACH = 12, 8


def portal(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "portal", *args, "--data-dir", str(data_dir)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def start(data_dir: Path, name: str) -> Demo:
    return Demo(data_dir, data_dir.parent / f"{name}.log", "--api-port", "0", "--site-port", "0", "--aws-port", "0")


def verified_history(demo: Demo, case_id: str) -> list[Any]:
    """The case's events read straight from the demo's table, after checking the hash chain."""
    aws = target.resolve(Path(demo.flag("--data-dir")), None)
    case, events = DynamoStore(aws.client("dynamodb"), aws.table).load(demo.api_key.split("_")[1], case_id)
    assert verify_history(events, case.head_hash).ok
    return events


def add_notes_concurrently(demo: Demo, case_id: str) -> list[str]:
    """WRITERS threads add NOTES_EACH notes each through the API; returns the texts answered 201."""
    acknowledged: list[str] = []
    barrier = threading.Barrier(WRITERS)

    def write(n: int) -> None:
        barrier.wait(timeout=30)
        for k in range(NOTES_EACH):
            status, _ = api_json(f"{demo.api_url}/admin/cases/{case_id}/notes", demo.api_key,
                                 {"kind": "note", "text": f"note {n}.{k}"}, timeout=300)  # a 2-core machine
            if status == 201:
                acknowledged.append(f"note {n}.{k}")
            else:
                assert status == 409, status  # busy after its retries: refused cleanly, not acknowledged

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return acknowledged


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = start(tmp_path / ".portal", "demo")
    yield running
    running.kill()


def test_concurrent_notes_through_the_api_are_all_kept_and_survive_kill_9(demo: Demo, tmp_path: Path) -> None:
    """Every note the API answered 201 is in the history, in an intact chain, even after kill -9 right
    after the last answer (moto alone loses some; a background save loses the last ones)."""
    case = create_case(demo)
    acknowledged = add_notes_concurrently(demo, case["case_id"])
    demo.kill()  # SIGKILL: no exit handler runs
    assert len(acknowledged) > WRITERS * NOTES_EACH // 2
    again = start(tmp_path / ".portal", "restart")
    try:
        kept = [e.data["text"] for e in verified_history(again, case["case_id"]) if e.type == "note_added"]
        assert sorted(kept) == sorted(acknowledged)
    finally:
        again.kill()


def test_the_demo_clock_drives_the_api_and_survives_a_restart(demo: Demo, tmp_path: Path) -> None:
    data_dir = tmp_path / ".portal"
    case = create_case(demo, days_overdue=0)  # due today (real and demo time agree so far)
    later = datetime.combine(date.today() + timedelta(days=12), datetime.min.time(), timezone.utc).replace(hour=9)
    moved = portal(data_dir, "clock", "--set", later.isoformat())
    assert moved.returncode == 0, moved.stderr
    for action in ("pause", "resume"):
        status, body = api_json(f"{demo.api_url}/admin/cases/{case['case_id']}/{action}", demo.api_key, {})
        assert status == 200, body
    seen = admin_case(demo, case["case_id"])
    paused, resumed = (e for e in seen["events"] if e["type"] in ("reminders_paused", "reminders_resumed"))
    assert paused["at"].startswith(later.date().isoformat()) and resumed["at"] >= paused["at"]
    assert resumed["data"]["paused_days"] == 0
    # Never swept, the ladder's next step (+0, due today) is due now by the demo clock: twelve days
    # after the due date, not back at the real today.
    upcoming = seen["reminders"]["next_step"]
    assert upcoming["step"]["offset_days"] == 0 and upcoming["skipped"] == ["-3"], upcoming
    assert upcoming["at"][:10] == later.date().isoformat() and upcoming["at"] >= paused["at"][:16], upcoming

    demo.stop()
    again = start(data_dir, "restart")
    try:
        shown = portal(data_dir, "clock", "--show")
        assert shown.returncode == 0 and shown.stdout.startswith(later.date().isoformat()), shown
        assert f"Clock  {later.date().isoformat()}" in again.output
    finally:
        again.kill()


EVIL = "Mallory \x1b[31mRed\x1b]0;pwned\x07 \u202eevil"


def assert_inert(text: str) -> None:
    assert not set(text) & {"\x1b", "\x07", "\u202e"}, repr(text)


def plant(demo: Demo) -> tuple[Any, str]:
    """The demo's DynamoDB client and table, to write data as it may already be stored."""
    aws = target.resolve(Path(demo.flag("--data-dir")), None)
    return aws.client("dynamodb"), aws.table


def plant_customer_name(demo: Demo, broker_id: str, case_id: str, name: str) -> None:
    """Write `name` into a stored case, as data from before today's validation (or a table edit) holds it."""
    store_customer_name(*plant(demo), broker_id, case_id, name)


def test_data_reaches_the_terminal_with_its_control_characters_escaped(demo: Demo, tmp_path: Path) -> None:
    data_dir = tmp_path / ".portal"
    refused = portal(data_dir, "broker", "create", EVIL)  # the operator's edge refuses such a name outright
    assert refused.returncode == 1 and "name: must not contain control characters" in refused.stderr, refused
    assert_inert(refused.stdout + refused.stderr)
    # Names stored before that rule (or written into the table) still never reach the terminal raw.
    store = DynamoStore(*plant(demo))
    evil_broker = Broker(brokers.new_broker_id(), EVIL, "ar@evil.test")
    evil_key = brokers.new_api_key(evil_broker.broker_id)
    store.put_broker(evil_broker, brokers.hash_key(evil_key), datetime.now(timezone.utc).isoformat())
    evil_case = create_case(demo, days_overdue=5, api_key=evil_key)
    plant_customer_name(demo, evil_broker.broker_id, evil_case["case_id"], EVIL)
    plant_customer_name(demo, demo.api_key.split("_")[1], create_case(demo)["case_id"], EVIL)

    weekday = date.today() + timedelta(days=1 if date.today().weekday() < 4 else 7 - date.today().weekday())
    swept = portal(data_dir, "sweep", "--at", f"{weekday.isoformat()}T10:00:00Z")
    assert swept.returncode == 0, swept.stderr
    outbox = portal(data_dir, "outbox")
    assert 'from "Mallory \\x1b' in outbox.stdout, outbox.stdout  # the evil broker's reminder bears its name
    demo.stop()
    again = start(data_dir, "restart")  # the summary lists the demo broker's cases by customer name
    try:
        assert "Mallory \\x1b[31mRed" in again.output
        for text in (swept.stdout, swept.stderr, outbox.stdout, outbox.stderr, again.output):
            assert_inert(text)
    finally:
        again.kill()

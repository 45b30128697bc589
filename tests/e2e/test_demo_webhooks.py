"""The demo's webhooks as a user meets them: a change made through the API reaches the local endpoint,
signed, within seconds, and `portal webhooks test` sends a signed test event there."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from typing import Any

from tests.e2e.stack import ROOT, Demo, create_case, http

DEADLINE = 20  # seconds: the demo relays and delivers every second


def received(stack: Demo) -> list[dict[str, Any]]:
    status, _, body = http(f"{stack.site_url}/webhooks.json")
    assert status == 200
    return list(json.loads(body)["deliveries"])


def wait_for(stack: Demo, event_type: str, case_id: str | None = None) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        for delivery in received(stack):
            body = json.loads(delivery["body"])
            if body["type"] == event_type and (case_id is None or body["data"].get("case_id") == case_id):
                return delivery
        time.sleep(0.2)
    raise AssertionError(f"no {event_type} delivery within {DEADLINE} s: {received(stack)}")


def test_a_new_case_reaches_the_demo_endpoint_signed_within_seconds(stack):
    assert re.search(r"^Webhooks\s+endpoint http://127\.0\.0\.1:\d+/hooks", stack.output, re.M), stack.output
    case_id = create_case(stack)["case_id"]
    delivery = wait_for(stack, "case.opened", case_id)
    assert delivery["verified"] is True and delivery["answered"] == 200
    status, _, page = http(f"{stack.site_url}/webhooks")
    assert status == 200 and delivery["event_id"].encode() in page


def test_portal_webhooks_test_sends_a_signed_test_event(stack):
    endpoint_id = re.search(r"portal webhooks test (we_\w+)", stack.output)
    assert endpoint_id, stack.output
    result = subprocess.run([sys.executable, "-m", "portal", "webhooks", "test", endpoint_id.group(1),
                             "--data-dir", stack.flag("--data-dir")], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "delivered: attempt 1, the endpoint answered 200" in result.stdout
    event_id = re.search(r"test event (evt_\w+)", result.stdout)
    assert event_id and any(d["event_id"] == event_id.group(1) and d["verified"] for d in received(stack))

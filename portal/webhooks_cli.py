"""`portal webhooks test ENDPOINT_ID`: ask the running demo's API to send a signed `webhook.test` event to
one of the broker's endpoints, then follow its delivery log until the endpoint answered (or 20 s passed)."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any, TextIO
from urllib.parse import quote

from portal.target import DEMO_FILE, Target
from portal.terminal import output, safe

WAIT_SECONDS = 20


def register(subparsers: Any, parents: Sequence[argparse.ArgumentParser] = ()) -> argparse.ArgumentParser:
    command = subparsers.add_parser("webhooks", parents=list(parents), help="webhook endpoints: send a test event")
    actions = command.add_subparsers(dest="webhooks_action", required=True)
    test = actions.add_parser("test", parents=list(parents), help="send a signed test event to an endpoint")
    test.add_argument("endpoint_id")
    test.add_argument("--api-url", help="the API (default: the running demo's)")
    test.add_argument("--no-wait", action="store_true", help="do not follow the delivery")
    return command


def _call(method: str, url: str, key: str, body: bytes | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method=method, headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - the operator's own API
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def command(args: argparse.Namespace, target: Target, out: TextIO | None = None) -> int:
    out = output(out)
    demo = json.loads((target.data_dir / DEMO_FILE).read_text()) if target.data_dir else {}
    api_url = (args.api_url or demo.get("api_url") or "").rstrip("/")
    key = os.environ.get("PORTAL_API_KEY") or (demo.get("demo_broker") or {}).get("api_key")
    if not api_url or not key:
        print("portal webhooks: pass --api-url and set PORTAL_API_KEY (no running demo to take them from)",
              file=sys.stderr)
        return 1
    base = f"{api_url}/admin/webhooks/{quote(args.endpoint_id, safe='')}"
    status, answer = _call("POST", f"{base}/test", key, b"{}")
    if status != 202:
        print(safe(f"portal webhooks: {answer.get('error', {}).get('message', status)}"), file=sys.stderr)
        return 1
    event_id = answer["event_id"]
    print(safe(f"test event {event_id} queued for {args.endpoint_id}"), file=out, flush=True)
    if args.no_wait:
        return 0
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        _, log = _call("GET", f"{base}/deliveries?limit=20", key)
        found = next((d for d in log.get("items", []) if d["event_id"] == event_id), None)
        if found and found["attempts"]:
            code = found["last_response_code"]
            print(safe(f"{found['status']}: attempt {found['attempts']}, the endpoint answered "
                       f"{code if code is not None else found['last_error']}"), file=out)
            return 0 if found["status"] == "delivered" else 2
        time.sleep(0.5)
    print("not delivered yet: see GET /admin/webhooks/{id}/deliveries", file=out)
    return 2

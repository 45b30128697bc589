"""`portal clock` and `portal outbox`: the running demo's clock and what it sent, from a terminal."""
from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from typing import Any, TextIO

from chalicelib.domain.cases import iso
from portal.clock import DemoClock
from portal.target import DEMO_FILE, Target
from portal.terminal import output, safe


def run(args: argparse.Namespace, target: Target, out: TextIO | None = None) -> int:
    out = output(out)
    if target.data_dir is None:
        print(f"portal {args.command}: needs a running demo (not --aws-endpoint)", file=sys.stderr)
        return 1
    if args.command == "clock":
        return clock(args, DemoClock(target.data_dir), out)
    demo = json.loads((target.data_dir / DEMO_FILE).read_text())
    return outbox(args, demo["site_url"], out)


def clock(args: argparse.Namespace, demo_clock: DemoClock, out: TextIO) -> int:
    if args.set:
        moved = demo_clock.set(args.set)
        print(f"demo clock set to {iso(args.set)} (moved {_days(moved)}); "
              "the API, sweeps and payments read it", file=out)
        return 0
    print(f"{iso(demo_clock.now())}  (the demo clock: {_days(demo_clock.offset())} of real time)", file=out)
    return 0


def _days(delta: Any) -> str:
    seconds = delta.total_seconds()
    word = "ahead" if seconds >= 0 else "behind"
    return f"{abs(seconds) / 86400:.2f} days {word}" if seconds else "level with real time"


def outbox(args: argparse.Namespace, site_url: str, out: TextIO) -> int:
    limit = max(1, min(args.limit, 1000))
    with urllib.request.urlopen(f"{site_url}/outbox.json?limit={limit}", timeout=30) as answer:  # noqa: S310
        body = answer.read().decode()
    if args.json:
        print(body, file=out)  # JSON escapes every control character itself
        return 0
    data = json.loads(body)
    print(f"{data['total']} message(s) in the outbox; the newest {len(data['messages'])}:", file=out)
    for m in data["messages"]:
        what = f"from {m['from']}: {m['subject']}" if m["channel"] == "email" else (m["text"].splitlines() or [""])[0]
        print(safe(f"  {m['at']}  {m['channel']:<5} case {m.get('case_id') or '?'}  to {m['to']}  {what}"), file=out)
    return 0

"""The demo's outbox stays fast however long the demo runs: its response time after N time-travel sweeps.

Starts `portal demo` (a fresh data directory, free ports), then runs `portal sweep --at` (in this
process, the same code the command runs) one hour of demo time apart, N times (default 500). At
checkpoints it prints the median response time of GET /outbox and /outbox.json, how many messages
the outbox holds, and, for comparison, the size and fetch time of moto's /moto-api/data.json: what
the outbox used to read and parse on every view (moto keeps every object it ever made, so that
grows with every sweep even when nothing is sent).

    python bench/outbox.py [--sweeps 500]
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as `python bench/outbox.py`

from portal import sweep  # noqa: E402
from portal.clock import DemoClock  # noqa: E402
from tests.e2e.stack import Demo  # noqa: E402


def timed_get(url: str, runs: int = 5) -> tuple[float, int]:
    """(median seconds, bytes) of GET `url`."""
    times, size = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=300) as answer:  # noqa: S310
            size = len(answer.read())
        times.append(time.perf_counter() - start)
    return statistics.median(times), size


def report(n: int, demo: Demo, endpoint: str) -> None:
    page, page_size = timed_get(f"{demo.site_url}/outbox")
    as_json, _ = timed_get(f"{demo.site_url}/outbox.json")
    with urllib.request.urlopen(f"{demo.site_url}/outbox.json?limit=1", timeout=60) as answer:  # noqa: S310
        total = __import__("json").load(answer)["total"]
    moto, moto_size = timed_get(f"{endpoint}/moto-api/data.json", runs=3)
    print(f"{n:>5} sweeps  {total:>4} messages  /outbox {page * 1000:7.1f} ms ({page_size / 1024:6.1f} KB)  "
          f"/outbox.json {as_json * 1000:6.1f} ms  |  moto data.json {moto * 1000:7.1f} ms "
          f"({moto_size / 1024:8.1f} KB)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sweeps", type=int, default=500)
    args = parser.parse_args()
    checkpoints = sorted({0, 50, 100, 250, args.sweeps} & set(range(args.sweeps + 1)))
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / ".portal"
        demo = Demo(data_dir, Path(tmp) / "demo.log", "--api-port", "0", "--site-port", "0", "--aws-port", "0")
        try:
            endpoint = demo.printed("AWS")
            clock = DemoClock(data_dir)
            start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
            for n in range(args.sweeps + 1):
                if n in checkpoints:
                    report(n, demo, endpoint)
                if n < args.sweeps:
                    at = start + timedelta(hours=n + 1)
                    namespace = argparse.Namespace(at=at, json=False, data_dir=data_dir)
                    sweep.command(namespace, endpoint, io.StringIO(), clock=clock)
        finally:
            demo.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

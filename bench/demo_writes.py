"""A write to the demo costs the same late in a long session as on a fresh demo.

Starts `portal demo` (a fresh data directory, free ports), then grows its book to N cases (default 1,000)
through the admin API. At checkpoints it prints the median time of one API write (a note on a new case), the
table's size, and what one save of the whole state (portal/snapshot.py `export` + `save`) takes at that
size: what every write used to wait for before the journal. The figures to read are the ratio of a late
write to the first one, and the slowest case creation while the book grew: the journal is folded into the
state every 1,000 lines on a background thread, so no write waits for a whole save.

    python bench/demo_writes.py [--cases 1000]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as `python bench/demo_writes.py`

from portal import snapshot, target  # noqa: E402
from portal.local_aws import LocalResources  # noqa: E402
from tests.e2e.stack import Demo, api_json, create_case  # noqa: E402


def note_ms(demo: Demo, case_id: str, runs: int = 15) -> float:
    times = []
    for n in range(runs):
        start = time.perf_counter()
        status, body = api_json(f"{demo.api_url}/admin/cases/{case_id}/notes", demo.api_key,
                                {"kind": "note", "text": f"bench {n}"})
        times.append(time.perf_counter() - start)
        assert status == 201, body
    return statistics.median(times) * 1000


def full_save_ms(demo: Demo, scratch: Path) -> tuple[float, int]:
    """(ms, items) of exporting and saving the whole state once, to a scratch file."""
    aws = target.resolve(Path(demo.flag("--data-dir")), None)
    start = time.perf_counter()
    state = snapshot.export(aws.client, LocalResources())
    snapshot.save(scratch, state)
    return (time.perf_counter() - start) * 1000, len(state["items"])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1000)
    args = parser.parse_args()
    checkpoints = sorted({0, args.cases // 4, args.cases // 2, args.cases})
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / ".portal"
        demo = Demo(data_dir, Path(tmp) / "demo.log", "--api-port", "0", "--site-port", "0", "--aws-port", "0")
        try:
            first, made = 0.0, 0
            for mark in checkpoints:
                growing = []
                while made < mark:
                    start = time.perf_counter()
                    create_case(demo)
                    growing.append((time.perf_counter() - start) * 1000)
                    made += 1
                write = note_ms(demo, create_case(demo)["case_id"])  # a new case: its own history stays short
                made += 1
                first = first or write
                save, items = full_save_ms(demo, Path(tmp) / "scratch.json")
                slowest = f"slowest new case before {max(growing):6.1f} ms" if growing else ""
                print(f"{made:>6} cases {items:>7} items  API write {write:6.1f} ms (x{write / first:4.2f} the "
                      f"first)  |  a whole-state save {save:7.1f} ms  |  {slowest}", flush=True)
        finally:
            demo.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

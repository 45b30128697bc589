"""Cold start: median time to import the app vs. importing boto3 + chalice alone, in fresh processes.

Prints both medians and their ratio (target <= 1.15: stripe and jinja2 load only where used).
"""
from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
PROBE = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"


def median_import(stmt: str) -> float:
    times = []
    for _ in range(RUNS):
        out = subprocess.run([sys.executable, "-X", "frozen_modules=on", "-c", PROBE.format(stmt=stmt)],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
        times.append(float(out))
    return statistics.median(times)


def main() -> None:
    baseline = median_import("import boto3, chalice")
    app = median_import("import boto3, chalice, app")
    print(f"import boto3, chalice      median of {RUNS}: {baseline * 1000:7.1f} ms")
    print(f"import app (with both)     median of {RUNS}: {app * 1000:7.1f} ms")
    print(f"ratio app / baseline: {app / baseline:.3f}   (target <= 1.15)")


if __name__ == "__main__":
    main()

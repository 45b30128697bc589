"""Cold start: median time to import the app vs. importing boto3 + chalice alone, in fresh processes.

Also the first request's own start-up: importing the app and validating a first `POST /admin/cases`
body (the validator compiles that route's schema on first use). Runs alternate between the probes so
a busy machine slows them alike; the figures are ratios for that reason.
Target for the import ratio <= 1.15: stripe and jinja2 load only where used.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 9
PROBE = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
FIRST_CREATE = (
    "import boto3, chalice, app, json; from chalicelib import schemas, validation; "
    "validation.parse_body(json.dumps({'customer': {'name': 'Jane Doe', 'email': 'jane@example.test', "
    "'timezone': 'Europe/Berlin'}, 'invoice': {'number': 'INV-1', 'amount': 45990, 'currency': 'EUR', "
    "'issued_on': '2026-10-01', 'due_on': '2026-10-31'}}).encode(), schemas.CREATE_CASE)"
)
PROBES = {
    "import boto3, chalice": "import boto3, chalice",
    "import app (with both)": "import boto3, chalice, app",
    "import app + first POST /admin/cases body validated": FIRST_CREATE,
    # Only the evidence pack's first build in a container pays this (adapters/pdf.py imports it then).
    "import app + fpdf (first evidence pack)": "import boto3, chalice, app; from fpdf import FPDF",
}


def timed(stmt: str) -> float:
    out = subprocess.run([sys.executable, "-X", "frozen_modules=on", "-c", PROBE.format(stmt=stmt)],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return float(out)


def main() -> None:
    times: dict[str, list[float]] = {name: [] for name in PROBES}
    for _ in range(RUNS):
        for name, stmt in PROBES.items():
            times[name].append(timed(stmt))
    medians = {name: statistics.median(values) for name, values in times.items()}
    baseline = medians["import boto3, chalice"]
    for name, value in medians.items():
        print(f"{name:<52} median of {RUNS}: {value * 1000:7.1f} ms  ratio {value / baseline:.3f}")
    print(f"ratio app / baseline: {medians['import app (with both)'] / baseline:.3f}   (target <= 1.15)")


if __name__ == "__main__":
    main()

"""`portal import FILE.csv`: upload a CSV of invoices through the API, follow the import with a progress
bar, print the summary and the rows that failed (and save them to fix with --failed-csv).

It talks to the API as a broker would (the running demo's broker and API address by default; --api-url
and PORTAL_API_KEY for another), so it shows exactly what the API and its import functions do.
Exit status: 0 when the import finished (even with failed rows), 1 when it failed as a whole.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from portal.target import DEMO_FILE, Target
from portal.terminal import output, safe

POLL_SECONDS = 0.5
BAR = 30


def register(subparsers: Any, parents: Sequence[argparse.ArgumentParser] = ()) -> argparse.ArgumentParser:
    command = subparsers.add_parser("import", parents=list(parents), help="import invoices from a CSV file",
                                    description="Upload a CSV of invoices (see README: Bulk import), follow "
                                                "the import and print what it created, skipped and refused.")
    command.add_argument("file", type=Path)
    command.add_argument("--mapping", help="portal (default), xero, quickbooks or a saved mapping's name")
    command.add_argument("--update", action="store_true", help="existing invoices: update contact details")
    command.add_argument("--failed-csv", type=Path, help="save the failed rows (with an error column) here")
    command.add_argument("--api-url", help="the API (default: the running demo's)")
    command.add_argument("--timeout", type=float, default=3600, help="stop following after this many seconds")
    return command


class ApiError(RuntimeError):
    pass


class Api:
    def __init__(self, url: str, key: str) -> None:
        self.url, self._key = url.rstrip("/"), key

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method, headers={
            "Authorization": f"Bearer {self._key}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (the operator's own API)
                raw = answer.read()
                return json.loads(raw) if answer.headers.get_content_type() == "application/json" else raw
        except urllib.error.HTTPError as exc:
            error = json.loads(exc.read() or b"{}").get("error", {})
            raise ApiError(f"{error.get('field') or 'API'}: {error.get('message') or exc.reason}") from None


def upload(slot: dict[str, Any], path: Path) -> None:
    """A multipart POST of the slot's fields, then the file, as a browser sends it."""
    boundary = "portal" + secrets.token_hex(12)
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in slot["fields"].items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
                 "Content-Type: text/csv\r\n\r\n".encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode())
    request = urllib.request.Request(slot["url"], data=b"".join(parts), method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=300):  # noqa: S310 (the presigned S3 address)
            pass
    except urllib.error.HTTPError as exc:
        raise ApiError(f"S3 refused the file ({exc.code}): {exc.read()[:300]!r}") from None


def bar(status: dict[str, Any]) -> str:
    total, done = status.get("rows_total"), status["rows_done"]
    if status["status"] in ("waiting_for_upload", "scanning") or not total:
        return f"  {status['status'].replace('_', ' ')}..."
    filled = BAR * done // total
    return (f"  [{'#' * filled}{'.' * (BAR - filled)}] {100 * done // total:3d}%  {done:,}/{total:,} rows  "
            f"created {status['created']:,}  updated {status['updated']:,}  skipped {status['skipped']:,}  "
            f"failed {status['failed']:,}")


def command(args: argparse.Namespace, target: Target, out: TextIO | None = None) -> int:
    out = output(out)
    demo = json.loads((target.data_dir / DEMO_FILE).read_text()) if target.data_dir else {}
    api_url = args.api_url or demo.get("api_url")
    key = os.environ.get("PORTAL_API_KEY") or (demo.get("demo_broker") or {}).get("api_key")
    if not api_url or not key:
        print("portal import: pass --api-url and set PORTAL_API_KEY (no running demo to take them from)",
              file=sys.stderr)
        return 1
    if not args.file.is_file():
        print(safe(f"portal import: no file {args.file}"), file=sys.stderr)
        return 1
    api = Api(api_url, key)
    query = urllib.parse.urlencode({k: v for k, v in (("mapping", args.mapping),
                                                      ("update", "true" if args.update else None)) if v})
    try:
        started = api.call("POST", "/admin/imports" + (f"?{query}" if query else ""), {"filename": args.file.name})
        upload(started["upload"], args.file)
        print(safe(f"uploaded {args.file.name} ({args.file.stat().st_size:,} bytes): import {started['import_id']}"),
              file=out, flush=True)
        status = follow(api, started["import_id"], args.timeout, out)
        if args.failed_csv and status["failed"]:
            args.failed_csv.write_bytes(api.call("GET", f"/admin/imports/{started['import_id']}/failed.csv"))
    except ApiError as exc:
        print(safe(f"portal import: {exc}"), file=sys.stderr)
        return 1
    return summary(status, args.failed_csv, out)


def follow(api: Api, import_id: str, timeout: float, out: TextIO) -> dict[str, Any]:
    interactive = out.isatty()
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        status: dict[str, Any] = api.call("GET", f"/admin/imports/{import_id}")
        line = bar(status)
        if line != last:  # a terminal redraws one line; a log gets each change once
            print(("\r" + line + "\x1b[K") if interactive else line, end="" if interactive else "\n", file=out,
                  flush=True)
            last = line
        if status["status"] in ("finished", "failed"):
            if interactive:
                print(file=out)
            return status
        if time.monotonic() > deadline:
            raise ApiError(f"still {status['status']} after {timeout:.0f} s; "
                           f"GET /admin/imports/{import_id} tells how it goes on")
        time.sleep(POLL_SECONDS)


def summary(status: dict[str, Any], failed_csv: Path | None, out: TextIO) -> int:
    if status["status"] == "failed":
        print(safe(f"import failed: {status['message']}"), file=out)
        print("nothing after the failure was imported; fix the file and upload it again", file=out)
        return 1
    print(f"import finished: {status['rows_total']:,} rows: {status['created']:,} created, "
          f"{status['updated']:,} updated, {status['skipped']:,} skipped (invoice already has a case), "
          f"{status['failed']:,} failed", file=out)
    for failure in status["failures"][:10]:
        print(safe(f"  row {failure['row']}: {failure['column'] or failure['field']}: {failure['message']}"), file=out)
    if status["failed"] > 10:
        print(f"  ... and {status['failed'] - 10:,} more", file=out)
    if status["failed"]:
        where = f"saved to {failed_csv}" if failed_csv else "--failed-csv PATH saves them"
        print(safe(f"the failed rows, with an error column, to fix and upload again: {where}"), file=out)
    return 0

"""`portal verify PACK.zip`: check an evidence pack offline, with nothing but the file.

Recomputes the event chain from timeline.json, checks it against the head hashes anchored when the pack
was built, every file against the manifest and the manifest against the timeline, and names the first
thing that does not match. Exit status 0: verified; 2: something does not match; 1: cannot read it.
"""
from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from typing import TextIO

from chalicelib.domain.pack import check
from portal.terminal import output, safe

MISMATCH = 2


def is_pack(argument: str) -> bool:
    return argument.lower().endswith(".zip")


def command(path: str, out: TextIO | None = None) -> int:
    out = output(out)
    try:
        with zipfile.ZipFile(Path(path)) as archive:
            files = {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
    except (OSError, zipfile.BadZipFile) as exc:
        print(safe(f"portal verify: cannot read {path}: {exc}"), file=sys.stderr)
        return 1
    result = check(files)
    if result.ok:
        print(safe(f"{path}: verified: {result.events} events, head {result.head_hash} anchored, "
                   f"{len(files) - 1} files match the manifest"), file=out)
        return 0
    print(safe(f"{path}: NOT VERIFIED: {result.first}"), file=out)
    for problem in result.problems[1:]:
        print(safe(f"  also {problem}"), file=out)
    return MISMATCH

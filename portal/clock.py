"""The demo's one clock: real time plus an offset that `portal sweep --at` and `portal clock --set` move.

The offset lives in `<data dir>/clock.json`, so the demo process (API, worker, Stripe stand-in, outbox)
and every `portal sweep` process read the same time, and a restart keeps it. Time keeps running
after a move: a pause and a resume a minute later are a minute apart, as they would be.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from chalicelib import bootstrap
from portal.files import write_atomically

CLOCK_FILE = "clock.json"


def real_now() -> datetime:
    return datetime.now(timezone.utc)


class DemoClock:
    def __init__(self, data_dir: Path, real: Callable[[], datetime] = real_now) -> None:
        self._path = data_dir / CLOCK_FILE
        self._real = real
        self._seen: tuple[int, int] | None = None
        self._offset = timedelta(0)

    def offset(self) -> timedelta:
        """Re-read only when the file changed (another process moved the clock)."""
        try:
            stat = self._path.stat()
        except FileNotFoundError:
            return timedelta(0)
        stamp = (stat.st_ino, stat.st_mtime_ns)
        if stamp != self._seen:
            self._offset = timedelta(seconds=float(json.loads(self._path.read_text())["offset_seconds"]))
            self._seen = stamp
        return self._offset

    def now(self) -> datetime:
        return self._real() + self.offset()

    def timestamp(self) -> float:
        return self.now().timestamp()

    def set(self, moment: datetime) -> timedelta:
        """Make `now()` read `moment` from this instant on; returns how far the clock moved."""
        before = self.now()
        offset = moment - self._real()
        write_atomically(self._path, json.dumps({"offset_seconds": offset.total_seconds()}))
        return moment - before


def drive_app(clock: Callable[[], datetime]) -> None:
    """Every service the app builds from now on reads `clock` (bootstrap hands its `utc_now` to each)."""
    bootstrap.utc_now = clock  # type: ignore[assignment]
    bootstrap.reset()

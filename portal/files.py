"""Files the demo keeps in its data directory, written so that a crash (even kill -9) never leaves half of one."""
from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, data: str) -> None:
    """Replace `path` with `data` (readable by this user only): the old file or the new one, never a mix.

    fsync the file before the rename and the directory after it, so the new name survives a power cut too.
    """
    tmp = path.with_name(path.name + ".tmp")
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    sync_directory(path.parent)


def append_durably(path: Path, line: str) -> None:
    """Append one line and fsync before returning: once this returns, the line survives a crash."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (line.rstrip("\n") + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

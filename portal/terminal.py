"""Text from data (names, notes, subjects, errors) made safe to print on an operator's terminal.

A customer name can carry ESC sequences (recolour, retitle, hide the following lines) or bidi
overrides that reorder what is shown. Every printer in portal/ passes data through `safe`, which
escapes C0 and C1 controls, DEL and the bidi controls the way Python writes them (`\\x1b`, `\\u202e`),
so they are visible and inert.
"""
from __future__ import annotations

import re
import sys
from typing import TextIO

# C0 (including ESC, CR, LF, TAB), DEL, C1, and the bidi embeddings, overrides, isolates and marks.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: object) -> str:
    """`text` as a string with every control and bidi character written out as an escape."""
    return _UNSAFE.sub(_escape, str(text))


def output(out: TextIO | None) -> TextIO:
    """Where a command prints: `out`, else sys.stdout looked up now (a test or the demo may have replaced it
    since import)."""
    return out or sys.stdout

"""Idempotency-Key: a retried request gets the first answer back instead of a second object.

As at Stripe, only requests that ran are saved (a success, or a 402 from a declined card); a request
that failed validation can be retried with the same key once fixed. Reusing a key with other
parameters or on another endpoint is a 400 idempotency_error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal.stripe_standin.errors import idempotency


@dataclass(frozen=True)
class Saved:
    method: str
    path: str
    params: dict[str, Any]
    status: int
    body: bytes
    request_id: str


class IdempotencyKeys:
    def __init__(self) -> None:
        self._saved: dict[str, Saved] = {}

    def replay(self, key: str, method: str, path: str, params: dict[str, Any]) -> Saved | None:
        saved = self._saved.get(key)
        if saved is None:
            return None
        if (saved.method, saved.path) != (method, path):
            raise idempotency(
                "Keys for idempotent requests can only be used for the same endpoint they were first used "
                f"for ('{saved.method} {saved.path}' vs '{method} {path}'). Try using a key other than "
                f"'{key}' if you meant to execute a different request.")
        if saved.params != params:
            raise idempotency(
                "Keys for idempotent requests can only be used with the same parameters they were first "
                f"used with. Try using a key other than '{key}' if you meant to execute a different request.")
        return saved

    def save(self, key: str, saved: Saved) -> None:
        if saved.status < 300 or saved.status == 402:
            self._saved[key] = saved

"""Spacing one container's sends so that all the worker's containers together stay under the account's
send rate (SES's MaxSendRate, SNS's SMS rate), instead of sending at once and being throttled.

Each container may send `rate / concurrency` per second, with headroom: the event source caps the
worker at `concurrency` containers, and other functions (notices) share the account's rate.
"""
from __future__ import annotations

import time
from collections.abc import Callable

HEADROOM = 0.9  # SES meters its rate over short windows; stay a little under it


class Pacer:
    """`rate` may be a function, asked once at the first send: a function that builds its mailer but sends
    nothing (most API requests) then never asks SES for its quota."""

    def __init__(self, rate: float | Callable[[], float], monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._rate = rate
        self._interval: float | None = None if callable(rate) else _interval(rate)
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = float("-inf")

    @classmethod
    def share(cls, account_rate: float | Callable[[], float], concurrency: int,
              monotonic: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> Pacer:
        """One container's share of `account_rate` sends per second among `concurrency` containers."""
        def shared(rate: float) -> float:
            return rate * HEADROOM / max(1, concurrency)

        if callable(account_rate):
            read = account_rate
            return cls(lambda: shared(read()), monotonic, sleep)
        return cls(shared(account_rate), monotonic, sleep)

    @property
    def rate(self) -> float:
        return 1.0 / self._slot_interval()

    def wait(self) -> None:
        """Block until this container may send again, then take the slot."""
        interval = self._slot_interval()
        now = self._monotonic()
        slot = max(now, self._next)
        if slot > now:
            self._sleep(slot - now)
        self._next = slot + interval

    def _slot_interval(self) -> float:
        if self._interval is None:
            assert callable(self._rate)
            self._interval = _interval(self._rate())
        return self._interval


def _interval(rate: float) -> float:
    if rate <= 0:
        raise ValueError("rate must be positive")
    return 1.0 / rate

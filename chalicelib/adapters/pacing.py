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
    def __init__(self, rate: float, monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._interval = 1.0 / rate
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = float("-inf")

    @classmethod
    def share(cls, account_rate: float, concurrency: int, monotonic: Callable[[], float] = time.monotonic,
              sleep: Callable[[float], None] = time.sleep) -> Pacer:
        """One container's share of `account_rate` sends per second among `concurrency` containers."""
        return cls(account_rate * HEADROOM / max(1, concurrency), monotonic, sleep)

    @property
    def rate(self) -> float:
        return 1.0 / self._interval

    def wait(self) -> None:
        """Block until this container may send again, then take the slot."""
        now = self._monotonic()
        slot = max(now, self._next)
        if slot > now:
            self._sleep(slot - now)
        self._next = slot + self._interval

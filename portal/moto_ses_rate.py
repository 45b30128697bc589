"""Make moto's SES behave like a new SES account: at most `rate` recipients per second, then throttled.

moto (5.x) sends every message it is given and reports `MaxSendRate: 1` from GetSendQuota whatever it
did. `limit_ses_send_rate(14)` wraps the one backend method SES v1 and v2 both send through
(`SESBackend.send_raw_email`, and `send_email` for Simple content) so that a send which would make more
than `rate` recipients in the trailing second is refused as SES v2 refuses it, `TooManyRequestsException`
"Maximum sending rate exceeded." (nothing stored, nothing counted), and GetSendQuota reports `rate`.
The second is measured on `monotonic`: real time in the demo, simulated time in the tests and
bench/burst.py (`SimulatedTime`, whose sleep moves it on at once). In the demo's moto server and under
the tests' `mock_aws` alike.

Where it still differs from SES: SES meters its rate over windows it does not publish and may accept
short bursts above it (or refuse a little below it); here the window is exactly one second, sliding. The
daily quota (200 for a sandbox account) is not enforced; SES's documentation names the error
ThrottlingException for SDKs and Throttling for v1's query API, which moto's v2 model cannot serialise.
"""
from __future__ import annotations

import bisect
import functools
import time
from collections.abc import Callable
from typing import Any

NEW_ACCOUNT_RATE = 14.0  # SES's starting MaxSendRate once an account leaves the sandbox
_MARK = "_portal_rate_limited"
WINDOW_MEMORY = 60.0  # seconds of send times kept (a simulation's containers run at most this far apart)


class SimulatedTime:
    """A monotonic clock whose sleep moves it on at once. Alone it only moves when someone sleeps (or
    `advance`s it); with `follow` (e.g. time.monotonic) it also runs with that clock, so sends nobody paces
    are metered in real time while a pacer's waits cost no real time."""

    def __init__(self, start: float = 0.0, follow: Callable[[], float] | None = None) -> None:
        self.now = start
        self._follow = follow
        self._origin = follow() if follow is not None else 0.0

    def monotonic(self) -> float:
        return self.now + (self._follow() - self._origin if self._follow is not None else 0.0)

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        self.sleep(seconds)


class _Limit:
    rate: float = NEW_ACCOUNT_RATE
    monotonic: Callable[[], float] = time.monotonic
    sent: list[float] = []
    throttled: int = 0


def limit_ses_send_rate(rate: float = NEW_ACCOUNT_RATE, monotonic: Callable[[], float] = time.monotonic) -> None:
    """Install the limit once per process; each call sets the rate and clock afresh and forgets past sends."""
    from moto.ses.exceptions import SesError
    from moto.ses.models import SESBackend, SESQuota

    class Throttled(SesError):
        code = "TooManyRequestsException"  # SES v2's shape for it (v1 says Throttling): both are throttles to us

    _Limit.rate, _Limit.monotonic, _Limit.sent, _Limit.throttled = rate, monotonic, [], 0
    if getattr(SESBackend.send_raw_email, _MARK, False):
        return

    def admit(recipients: int) -> None:
        # Sorted send times: a simulation may run two containers' sends out of order, so every one-second
        # window that would hold this send is checked, the one ending at it and the one starting at it.
        now = _Limit.monotonic()
        sent = _Limit.sent
        while sent and sent[0] < now - WINDOW_MEMORY:
            sent.pop(0)
        before = bisect.bisect_right(sent, now) - bisect.bisect_right(sent, now - 1.0)
        after = bisect.bisect_left(sent, now + 1.0) - bisect.bisect_left(sent, now)
        if max(before, after) + recipients > _Limit.rate:
            _Limit.throttled += 1
            raise Throttled("Maximum sending rate exceeded.")
        for _ in range(recipients):
            bisect.insort(sent, now)

    def limited(original: Callable[..., Any], count: Callable[[dict[str, Any]], int]) -> Callable[..., Any]:
        @functools.wraps(original)
        def send(self: Any, *args: Any, **kwargs: Any) -> Any:
            admit(max(1, count(kwargs)))
            return original(self, *args, **kwargs)
        setattr(send, _MARK, True)
        return send

    SESBackend.send_raw_email = limited(  # type: ignore[method-assign]
        SESBackend.send_raw_email, lambda kw: len(kw.get("destinations") or []))
    SESBackend.send_email = limited(  # type: ignore[method-assign]
        SESBackend.send_email, lambda kw: sum(map(len, (kw.get("destinations") or {}).values())))
    quota = SESBackend.get_send_quota

    @functools.wraps(quota)
    def get_send_quota(self: Any) -> SESQuota:
        answer = quota(self)
        answer.max_send_rate = _Limit.rate  # type: ignore[assignment]  # moto says int; SES answers a float
        return answer

    SESBackend.get_send_quota = get_send_quota  # type: ignore[method-assign]


def send_times() -> list[float]:
    """When SES (this wrapper) accepted each recipient, on its clock, in order."""
    return list(_Limit.sent)


def throttled_sends() -> int:
    """How many sends the limit refused since it was last set."""
    return _Limit.throttled

"""What the ladder must know of each reminder channel: whether it can reach this customer at all.

How a channel renders and sends lives in services/channels.py; a new channel adds its line here too.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.domain.cases import Case

REACHES: dict[str, Callable[[Case], bool]] = {
    "email": lambda case: bool(case.customer.email) and not case.ladder.email_suppressed,
    "sms": lambda case: bool(case.customer.phone) and not case.ladder.sms_opted_out,
}
NAMES = tuple(REACHES)


def reaches(channel: str, case: Case) -> bool:
    return REACHES[channel](case)

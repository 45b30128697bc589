"""Where a case stands on its way out of the ladder: collections partner, mediation, write-off.

A value kept on the Case (`case.closing`), apart from the rules (closing.py) so cases.py and ladder.py
can hold and read it without importing them. Times are UTC ISO strings with Z, money int minor units
of the case's currency.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Escalation:
    """The partner a case is with: a copy of its terms as they were when the case was handed over."""

    partner_id: str
    partner_kind: str
    partner_name: str
    fee_bp: int
    contact_customer: bool  # whether the ladder keeps contacting the customer meanwhile
    escalated_at: str
    pack_key: str
    link_expires_at: str
    collected: int = 0
    partner_fees: int = 0
    outcomes: int = 0
    closed: bool = False


@dataclass(frozen=True)
class Mediation:
    mediator_id: str
    mediator_name: str
    until: str
    started_at: str


@dataclass(frozen=True)
class Closing:
    ready_for_collections: bool = False  # the ladder's escalation step marked it; the broker confirms
    escalation: Escalation | None = None
    escalations: int = 0
    mediation: Mediation | None = None
    written_off: int = 0  # what is written off now (less what was recovered since)
    recovered: int = 0  # money received after a write-off

    @property
    def held_by_partner(self) -> bool:
        """With a partner who asked that the ladder stop contacting the customer."""
        return self.escalation is not None and not self.escalation.contact_customer

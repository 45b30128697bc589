"""Collections partners a broker hands cases to: collection agencies, law firms, mediators.

The fee is in basis points of what the partner collects (1500 = 15%). `min_balance` is the smallest
balance due, per currency in minor units, the partner accepts; a currency not named has no minimum.
`contact_customer` says whether the reminder ladder keeps contacting the customer once a case is with
the partner (agencies usually want it to stop).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import currency_exponent

KINDS = ("collection_agency", "law_firm", "mediator")
FIELDS = ("kind", "name", "email", "webhook_url", "fee_bp", "min_balance", "contact_customer")


@dataclass(frozen=True)
class Partner:
    partner_id: str
    kind: str
    name: str
    email: str
    fee_bp: int = 0
    min_balance: dict[str, int] = field(default_factory=dict)
    contact_customer: bool = False
    webhook_url: str | None = None
    created_at: str = ""
    updated_at: str = ""

    def minimum(self, currency: str) -> int:
        return self.min_balance.get(currency, 0)

    def as_dict(self) -> dict[str, Any]:
        return {"partner_id": self.partner_id, "kind": self.kind, "name": self.name, "email": self.email,
                "webhook_url": self.webhook_url, "fee_bp": self.fee_bp, "min_balance": dict(self.min_balance),
                "contact_customer": self.contact_customer, "created_at": self.created_at,
                "updated_at": self.updated_at}


def _checked(partner: Partner) -> Partner:
    if partner.kind not in KINDS:
        raise InvalidInput(f"must be one of {', '.join(KINDS)}", "kind")
    for code in partner.min_balance:
        currency_exponent(code, f"min_balance.{code}")
    return partner


def new_partner(partner_id: str, body: dict[str, Any], at: str) -> Partner:
    """A partner from a body that passed schemas.PARTNER."""
    values = {k: body[k] for k in FIELDS if k in body}
    return _checked(Partner(partner_id=partner_id, created_at=at, updated_at=at, **values))


def updated(partner: Partner, patch: dict[str, Any], at: str) -> Partner:
    """The partner with the fields a PATCH names (`webhook_url: null` removes the webhook)."""
    return _checked(replace(partner, **{k: patch[k] for k in FIELDS if k in patch}, updated_at=at))

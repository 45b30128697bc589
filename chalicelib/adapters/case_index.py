"""The attributes a case item carries for the console's indexes: written with the case in its own Put, so
they can never disagree with its state (adapters/dynamo.py case_item)."""
from __future__ import annotations

from typing import Any

from chalicelib.adapters import keys
from chalicelib.domain.cases import Case


def search_text(case: Case) -> str:
    """What `q` matches: customer name, email and invoice number, case-folded (DynamoDB's contains() is exact)."""
    c = case.customer
    return "\n".join((c.name, c.email, case.invoice.number)).casefold()


def index_attributes(case: Case) -> dict[str, Any]:
    attrs: dict[str, Any] = {name: {"S": value} for name, value in keys.sort_keys(
        case.invoice.due_on.isoformat(), case.balance.due, case.customer.name, case.updated_at,
        case.case_id).items()}
    attrs.update(search={"S": search_text(case)}, currency={"S": case.balance.currency},
                 due_on={"S": case.invoice.due_on.isoformat()}, stage={"S": case.ladder.stage or "none"},
                 tier={"S": case.customer.tier or "none"})
    if case.attention:  # sparse: only cases that need a person are in the attention index
        attrs["AttentionPK"] = {"S": keys.cases_by_broker(case.broker_id)}
        attrs["AttentionSK"] = {"S": keys.attention_sk(max(f.since for f in case.attention), case.case_id)}
    return attrs

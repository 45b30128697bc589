"""The console's Policy screen: a preview of every contact a sample invoice would get under a policy (run by the
very ladder code the sweep and worker run), and the history of versions with who changed what."""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from chalicelib.domain import cases as domain
from chalicelib.domain import ladder
from chalicelib.domain.cases import BrokerContact, Case, Change, Customer, Invoice, Link, iso
from chalicelib.domain.policy import DEFAULT_POLICY, Policy, PolicyRecord, policy_from_dict
from chalicelib.ports import Clock

PREVIEW_LEAD = timedelta(days=30)  # the sample invoice is issued this long before it is due
MAX_MOVES = 200  # a ladder has at most a few dozen steps, each a handful of moves
SAMPLE_EMAIL = "customer@example.com"
SAMPLE_PHONE = "+15550100000"  # so every channel a step names shows in the preview


class PolicyVersions(Protocol):
    def history(self, broker_id: str) -> list[PolicyRecord]: ...


def local_time(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds")


def sample_case(invoice: dict[str, Any], broker: str = "Preview") -> Case:
    """The invoice as a case opened when it was issued (every step ahead of it), with every channel reachable."""
    due = date.fromisoformat(invoice["due_date"])
    issued = due - PREVIEW_LEAD
    zone = invoice["timezone"]
    opened = datetime.combine(issued, time(0), tzinfo=ZoneInfo(zone))
    return domain.open_case(
        broker_id="preview", case_id="preview", broker=BrokerContact(broker, "broker@example.com"),
        customer=Customer("Sample Customer", SAMPLE_EMAIL, SAMPLE_PHONE, invoice.get("language", "en"), zone,
                          invoice.get("tier")),
        invoice=Invoice("PREVIEW", issued, due, invoice["amount"], invoice["currency"]),
        link=Link("lpreview", 1, iso(opened + timedelta(days=3650))), at=opened).case


def contacts(case: Case, policy: Policy) -> list[dict[str, Any]]:
    """Every step the ladder would run for `case` if nobody paid or answered: the sweep's own moves (advance,
    then each claimed delivery confirmed), with time jumping to each planned moment."""
    now = domain.parse_iso(case.created_at)
    found: list[dict[str, Any]] = []
    for _ in range(MAX_MOVES):
        upcoming = ladder.plan(case, policy, now)
        if upcoming.step is None or upcoming.at is None:
            break
        now = max(now, upcoming.at)
        change = ladder.advance(case, policy, now, new_link_id="lpreview", link_ttl=timedelta(days=3650))
        if change is None:
            break
        found += _contacts_of(change, case.customer.timezone)
        case = _delivered(change, policy, now)
    return found


def _delivered(change: Change, policy: Policy, now: datetime) -> Case:
    """The case once every delivery the change claimed went out."""
    claim = ladder.claim_of(change)
    while claim is not None:
        change = ladder.confirm(change.case, claim, "preview", policy, now)
        claim = ladder.claim_of(change)
    return change.case


def _contacts_of(change: Change, zone: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for event in change.events:
        if event.type == "reminder_started":
            moment = domain.parse_iso(event.at)
            found.append({"at": event.at, "local_time": local_time(moment, zone), "step": event.data["step"],
                          "stage": event.data["stage"], "template": event.data["template"],
                          "channels": [c for c in event.data["channels"] if c != ladder.BROKER],
                          "notify_broker": ladder.BROKER in event.data["channels"]})
        elif event.type == "fee_applied" and found:
            fee = found[-1].setdefault("fee", {"amount": 0, "currency": event.data["currency"]})
            fee["amount"] += event.data["amount"]
    return found


def actor(updated_by: Any) -> dict[str, Any]:
    """Who stored a version: {"kind", "id", "name"} (people and named keys), or the older `broker:<id>` text
    written when only the broker's API keys could change a policy."""
    if isinstance(updated_by, str) and updated_by.startswith("{"):
        updated_by = json.loads(updated_by)
    if isinstance(updated_by, dict):
        return {"kind": str(updated_by.get("kind", "api_key")), "id": str(updated_by.get("id", "")),
                "name": str(updated_by.get("name") or updated_by.get("id", ""))}
    return {"kind": "api_key", "id": str(updated_by).removeprefix("broker:"), "name": "API key"}


def changed_keys(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


class PolicyConsole:
    def __init__(self, versions: PolicyVersions, current: Callable[[str], Policy], clock: Clock) -> None:
        self._versions = versions
        self._current = current
        self._clock = clock

    def preview(self, broker_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """`body` passed schemas.POLICY_PREVIEW, its policy schemas.POLICY (so errors read as PUT's do)."""
        policy = policy_from_dict(body["policy"]) if "policy" in body else self._current(broker_id)
        return {"contacts": contacts(sample_case(body["invoice"]), policy)}

    def versions(self, broker_id: str) -> dict[str, Any]:
        records = sorted(self._versions.history(broker_id), key=lambda r: r.version)
        items = []
        previous = DEFAULT_POLICY.as_dict()
        for record in records:
            items.append({"version": record.version, "updated_at": record.updated_at,
                          "updated_by": actor(record.updated_by), "changed": changed_keys(previous, record.policy)})
            previous = record.policy
        return {"items": items[::-1]}

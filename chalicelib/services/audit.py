"""Verify a case: its whole timeline against the head hashes anchored outside the table."""
from __future__ import annotations

from typing import Any

from chalicelib.domain.audit import Audit, audit
from chalicelib.ports import AnchorLedger, CaseStore


class CaseAudit:
    def __init__(self, store: CaseStore, anchors: AnchorLedger) -> None:
        self._store = store
        self._anchors = anchors

    def verify(self, broker_id: str, case_id: str) -> Audit:
        case, events = self._store.load(broker_id, case_id)  # the whole chain, from the genesis
        return audit(case.version, case.head_hash, events, self._anchors.anchors(broker_id, case_id))


def audit_view(case_id: str, result: Audit) -> dict[str, Any]:
    first = result.first_bad
    return {
        "case_id": case_id, "verified": result.ok, "version": result.version, "events": result.events,
        "anchored_version": result.anchored_version,
        "first_bad_event": {"seq": first.seq, "problem": first.what} if first else None,
        "problems": [{"seq": p.seq, "problem": p.what} for p in sorted(result.found, key=lambda p: p.seq)],
    }

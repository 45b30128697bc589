"""Broker reminder policies: read (defaults until the first PUT), replace (a new version each time), and the
short-lived cache the sweep's worker reads them through."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from chalicelib.domain.cases import iso
from chalicelib.domain.errors import NotFound
from chalicelib.domain.policy import DEFAULT_POLICY, Policy, PolicyRecord, policy_from_dict
from chalicelib.ports import Clock


class PolicyStore(Protocol):
    def current(self, broker_id: str) -> PolicyRecord | None: ...

    def version(self, broker_id: str, version: int) -> PolicyRecord | None: ...

    def add(self, record: PolicyRecord) -> None: ...


def view(policy: Policy, record: PolicyRecord | None) -> dict[str, Any]:
    return {"version": policy.version, "updated_at": record.updated_at if record else None,
            "updated_by": record.updated_by if record else None, "is_default": record is None,
            "policy": policy.as_dict()}


class PolicyService:
    def __init__(self, store: PolicyStore, clock: Clock, cache_seconds: float = 60,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._clock = clock
        self._ttl = cache_seconds
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, Policy]] = {}

    def get(self, broker_id: str, version: int | None = None) -> dict[str, Any]:
        if version == 0:
            return view(DEFAULT_POLICY, None)
        record = self._store.current(broker_id) if version is None else self._store.version(broker_id, version)
        if record is None:
            if version is not None:
                raise NotFound(f"no policy version {version}", "version")
            return view(DEFAULT_POLICY, None)
        return view(policy_from_dict(record.policy, record.version), record)

    def put(self, broker_id: str, body: dict[str, Any], by: dict[str, str]) -> dict[str, Any]:
        """Validate, then store as the next version (the previous ones stay, with who and when)."""
        policy_from_dict(body)  # a bad body is refused before anything is read or written
        current = self._store.current(broker_id)
        version = (current.version if current else 0) + 1
        policy = policy_from_dict(body, version)
        record = PolicyRecord(broker_id, version, policy.as_dict(), iso(self._clock()), by)
        self._store.add(record)
        self._cache.pop(broker_id, None)
        return view(policy, record)

    def policy_for(self, broker_id: str) -> Policy:
        """The broker's current policy, cached for a short while (one read per broker per container)."""
        hit = self._cache.get(broker_id)
        now = self._monotonic()
        if hit and now - hit[0] < self._ttl:
            return hit[1]
        record = self._store.current(broker_id)
        policy = DEFAULT_POLICY if record is None else policy_from_dict(record.policy, record.version)
        self._cache[broker_id] = (now, policy)
        return policy

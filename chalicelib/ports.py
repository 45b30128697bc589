"""The small interfaces services depend on; adapters implement them, tests may pass fakes."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain.cases import Case, Change
from chalicelib.domain.history import Event

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Broker:
    broker_id: str
    name: str
    email: str | None = None


class CaseStore(Protocol):
    def load(self, broker_id: str, case_id: str) -> tuple[Case, list[Event]]: ...

    def save(self, change: Change, *, unique: dict[str, dict[str, Any]] | None = None) -> None: ...

    def list_cases(self, broker_id: str, *, status: str | None, limit: int,
                   cursor: str | None) -> tuple[list[Case], str | None]: ...

    def invoice_item(self, broker_id: str, number: str, case_id: str) -> dict[str, Any]: ...

    def idempotency_item(self, broker_id: str, key: str, request_hash: str, case_id: str,
                         expires_epoch: int) -> dict[str, Any]: ...

    def get_idempotency(self, broker_id: str, key: str) -> tuple[str, str] | None: ...


class BrokerStore(Protocol):
    def put_broker(self, broker: Broker, key_hash: str, created_at: str) -> None: ...

    def get_broker(self, broker_id: str) -> Broker: ...

    def add_api_key(self, broker_id: str, key_hash: str, created_at: str) -> None: ...

    def has_api_key(self, broker_id: str, key_hash: str) -> bool: ...

    def delete_api_key(self, broker_id: str, key_hash: str) -> bool: ...


class KeyRing(Protocol):
    """Pay-link signing keys: one active key signs; active and previous keys verify."""

    def signing_key(self) -> tuple[str, bytes]: ...

    def verification_key(self, key_id: str) -> bytes | None: ...

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


# Events per page of a case's timeline in a response: 100 notes of 4,000 characters are about 0.5 MB,
# far under Lambda's 6 MB response limit however long the history grows.
TIMELINE_PAGE = 100


class CaseStore(Protocol):
    def load(self, broker_id: str, case_id: str) -> tuple[Case, list[Event]]: ...

    def load_page(self, broker_id: str, case_id: str, *, before: int | None,
                  limit: int) -> tuple[Case, list[Event], int | None]:
        """The case and the newest `limit` events with seq < before (all when None), oldest first, and
        the `before` that reads the page under them (None when these reach the first event)."""

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


# --- reminders --------------------------------------------------------------------------

class DeliveryRefused(RuntimeError):
    """A provider definitely did not accept a message (it said no, or could not be reached).

    Anything else that goes wrong while sending (a timeout after the request left) is *not* this:
    the message may have gone out, so the worker must not treat it as a failure to retry.
    """

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    from_email: str
    from_name: str | None = None
    reply_to: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    date: str | None = None  # RFC 2822 Date header: when the worker sent it (its clock, so time travel shows)


class Mailer(Protocol):
    def send(self, message: Email) -> str: ...

    def compose(self, message: Email) -> Callable[[], str]:
        """Everything up to the provider call (encoding included); calling the result sends it."""


class Texter(Protocol):
    def opted_out(self, phone: str) -> bool: ...

    def send(self, phone: str, text: str) -> str: ...

    def compose(self, phone: str, text: str) -> Callable[[], str]: ...


class Queue(Protocol):
    def send(self, body: str) -> None: ...

    def send_batch(self, bodies: list[str]) -> int: ...


class RenderError(RuntimeError):
    """A message could not be rendered (missing template or value, unknown locale): nothing was sent."""


class Renderer(Protocol):
    def email(self, locale: str, template: str, model: dict[str, Any]) -> Any: ...

    def sms(self, locale: str, model: dict[str, Any]) -> str: ...

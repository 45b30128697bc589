"""Broker accounts and API keys. Keys are stored only as SHA-256 hashes and carry their broker id."""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from chalicelib.domain.cases import iso
from chalicelib.domain.errors import NotFound, Unauthorized
from chalicelib.domain.staff import Principal
from chalicelib.ports import ApiKey, Broker, BrokerStore, Clock
from chalicelib.schemas import bearer

log = logging.getLogger(__name__)

KEY_PREFIX = "cpk"
# One answer for every refused credential (no key, a wrong or revoked key, a bad, expired or foreign token).
BAD_KEY = "missing or invalid API key or sign-in token"


def new_broker_id() -> str:
    return "b" + secrets.token_hex(6)


def new_api_key(broker_id: str) -> str:
    return f"{KEY_PREFIX}_{broker_id}_{secrets.token_hex(24)}"


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def broker_of_key(api_key: str) -> str | None:
    parts = api_key.split("_")
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1]:
        return None
    return parts[1]


def create_broker(store: BrokerStore, clock: Clock, name: str, email: str | None = None,
                  locale: str = "en") -> tuple[Broker, str]:
    from chalicelib import schemas, validation  # the operator's edge: the same rules as the API's

    validation.validate({"name": name, "locale": locale} | ({"email": email} if email is not None else {}),
                        schemas.BROKER)
    broker = Broker(new_broker_id(), name, email, locale)
    api_key = new_api_key(broker.broker_id)
    store.put_broker(broker, hash_key(api_key), iso(clock()), "key 1", api_key[-4:])
    return broker, api_key


def add_key(store: BrokerStore, clock: Clock, broker_id: str, name: str | None = None) -> str:
    return create_key(store, clock, broker_id, name)[1]


def create_key(store: BrokerStore, clock: Clock, broker_id: str, name: str | None = None) -> tuple[ApiKey, str]:
    """A new key of the broker (named "key N" when no name is given): the stored key and the key itself."""
    store.get_broker(broker_id)  # NotFound for an unknown broker
    api_key = new_api_key(broker_id)
    stored = ApiKey(hash_key(api_key), iso(clock()), name or f"key {len(store.api_keys(broker_id)) + 1}",
                    api_key[-4:])
    store.add_api_key(broker_id, stored.key_hash, stored.created_at, stored.name, stored.hint)
    return stored, api_key


def named_keys(store: BrokerStore, broker_id: str) -> list[ApiKey]:
    """The broker's keys, oldest first; a key made before keys had names is "key N" by its place."""
    keys = sorted(store.api_keys(broker_id), key=lambda k: (k.created_at, k.key_hash))
    return [k if k.name else ApiKey(k.key_hash, k.created_at, f"key {n}", k.hint) for n, k in enumerate(keys, 1)]


def key_view(key: ApiKey) -> dict[str, str]:
    view = {"key_id": key.key_id, "name": key.name or "", "created_at": key.created_at, "hint": key.hint or ""}
    return view | ({"last_used_at": key.last_used_at} if key.last_used_at else {})


def revoke_key_id(store: BrokerStore, broker_id: str, key_id: str) -> None:
    found = [k for k in store.api_keys(broker_id) if k.key_id == key_id]
    if not found or not store.delete_api_key(broker_id, found[0].key_hash):
        raise NotFound("no such API key", "key_id")


def revoke_key(store: BrokerStore, api_key: str) -> bool:
    broker_id = broker_of_key(api_key)
    return broker_id is not None and store.delete_api_key(broker_id, hash_key(api_key))


class BrokerAuth:
    """Checks `Authorization: Bearer <key>`.

    Accepted keys are remembered for `cache_seconds` (like API Gateway's authorizer cache), so a busy
    Lambda does not read the key on every request; a revoked key stops working within that time. A key's
    last use is kept to the hour, so owners can tell a forgotten key from one a system still uses, at one
    write per key per hour rather than one per request.
    """

    USE_GRANULARITY = timedelta(hours=1)

    def __init__(self, store: BrokerStore, cache_seconds: int = 60,
                 monotonic: Callable[[], float] = time.monotonic,
                 clock: Clock = lambda: datetime.now(timezone.utc)) -> None:
        self._store = store
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._clock = clock
        self._accepted: dict[str, tuple[Principal, float]] = {}

    def identify(self, authorization: str | None) -> Principal:
        """The key's broker, id and name; a server's key acts as an owner."""
        api_key = bearer(authorization)
        broker_id = broker_of_key(api_key) if api_key else None
        if not api_key or not broker_id:
            raise Unauthorized(BAD_KEY)
        key_hash = hash_key(api_key)
        cached = self._accepted.get(key_hash)
        now = self._monotonic()
        if cached and now < cached[1] and hmac.compare_digest(cached[0].broker_id, broker_id):
            return cached[0]
        stored = self._store.api_key(broker_id, key_hash)
        if stored is None:
            raise Unauthorized(BAD_KEY)
        if stored.name is None:  # made before keys had names: named by its place among the broker's keys
            stored = next(k for k in named_keys(self._store, broker_id) if k.key_hash == key_hash)
        principal = Principal(broker_id, "owner", "api_key", stored.key_id, stored.name or stored.key_id)
        self._note_use(broker_id, stored)
        if self._cache_seconds > 0:
            self._accepted[key_hash] = (principal, now + self._cache_seconds)
        return principal

    def _note_use(self, broker_id: str, key: ApiKey) -> None:
        now = self._clock()
        since = iso(now - self.USE_GRANULARITY)
        if key.last_used_at and key.last_used_at >= since:
            return
        try:
            self._store.note_api_key_use(broker_id, key.key_hash, iso(now), since)
        except Exception:  # noqa: BLE001 - a bookkeeping write never refuses a valid key
            log.warning("could not note an API key's use", extra={"broker_id": broker_id, "key_id": key.key_id})

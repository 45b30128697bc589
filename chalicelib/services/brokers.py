"""Broker accounts and API keys. Keys are stored only as SHA-256 hashes and carry their broker id."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

from chalicelib.domain.cases import iso
from chalicelib.domain.errors import Unauthorized
from chalicelib.ports import Broker, BrokerStore, Clock
from chalicelib.schemas import bearer

KEY_PREFIX = "cpk"
BAD_KEY = "missing or invalid API key"


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
    store.put_broker(broker, hash_key(api_key), iso(clock()))
    return broker, api_key


def add_key(store: BrokerStore, clock: Clock, broker_id: str) -> str:
    store.get_broker(broker_id)  # NotFound for an unknown broker
    api_key = new_api_key(broker_id)
    store.add_api_key(broker_id, hash_key(api_key), iso(clock()))
    return api_key


def revoke_key(store: BrokerStore, api_key: str) -> bool:
    broker_id = broker_of_key(api_key)
    return broker_id is not None and store.delete_api_key(broker_id, hash_key(api_key))


class BrokerAuth:
    """Checks `Authorization: Bearer <key>`.

    Accepted keys are remembered for `cache_seconds` (like API Gateway's authorizer cache), so a busy
    Lambda does not read the key on every request; a revoked key stops working within that time.
    """

    def __init__(self, store: BrokerStore, cache_seconds: int = 60,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._accepted: dict[str, tuple[str, float]] = {}

    def authenticate(self, authorization: str | None) -> str:
        api_key = bearer(authorization)
        broker_id = broker_of_key(api_key) if api_key else None
        if not api_key or not broker_id:
            raise Unauthorized(BAD_KEY)
        key_hash = hash_key(api_key)
        cached = self._accepted.get(key_hash)
        now = self._monotonic()
        if cached and now < cached[1] and hmac.compare_digest(cached[0], broker_id):
            return broker_id
        if not self._store.has_api_key(broker_id, key_hash):
            raise Unauthorized(BAD_KEY)
        if self._cache_seconds > 0:
            self._accepted[key_hash] = (broker_id, now + self._cache_seconds)
        return broker_id

"""The broker's sender and contact details: the name reminders are signed with, the address and phone the pay
page shows, the Reply-To and From name of reminder emails. New cases take them when they are opened (a case
keeps the details its customer was first given)."""
from __future__ import annotations

from typing import Any, Protocol

from chalicelib.ports import Broker


class Profiles(Protocol):
    def get_broker(self, broker_id: str) -> Broker: ...


class SettingsStore(Protocol):
    def put(self, broker_id: str, name: str, email: str, optional: dict[str, str | None]) -> None: ...


def view(broker: Broker) -> dict[str, Any]:
    return {"name": broker.name, "email": broker.email, "phone": broker.phone, "reply_to": broker.reply_to,
            "sender_name": broker.sender_name}


class BrokerSettings:
    def __init__(self, profiles: Profiles, store: SettingsStore) -> None:
        self._profiles = profiles
        self._store = store

    def get(self, broker_id: str) -> dict[str, Any]:
        return view(self._profiles.get_broker(broker_id))

    def put(self, broker_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """`body` passed schemas.BROKER_SETTINGS."""
        self._store.put(broker_id, body["name"], body["email"],
                        {k: body.get(k) for k in ("phone", "reply_to", "sender_name")})
        return self.get(broker_id)

"""Broker staff and their roles: who may do what. Roles are ordered; each route names the least it needs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import Forbidden

ROLES = ("viewer", "collector", "owner")  # each may do everything the ones before it may
RANK = {role: rank for rank, role in enumerate(ROLES)}
KINDS = ("user", "api_key")


def highest_role(groups: list[str] | tuple[str, ...]) -> str | None:
    """The highest role among a user's groups (None: the user has no role)."""
    roles = [g for g in groups if g in RANK]
    return max(roles, key=RANK.__getitem__) if roles else None


@dataclass(frozen=True)
class Principal:
    """Who sends a request: a staff member (a Cognito user) or a server (an API key, always an owner)."""

    broker_id: str
    role: str
    kind: str
    id: str  # the user's Cognito sub, or the API key's key id
    name: str
    email: str | None = None

    def allows(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]

    def require(self, role: str) -> None:
        if not self.allows(role):
            raise Forbidden(f"this needs the {role} role; you are a {self.role}")

    @property
    def by(self) -> dict[str, str]:
        """How events and policy versions name who made them."""
        return {"kind": self.kind, "id": self.id, "name": self.name}

    def permissions(self) -> dict[str, Any]:
        return {"write": self.allows("collector"), "own": self.allows("owner")}

"""Broker staff in moto's Cognito for tests: a user with a role, signed in, and their ID token."""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import struct
from dataclasses import dataclass
from typing import Any

import boto3

from portal.staff_users import DEMO_PASSWORD, seed_user

_numbers = itertools.count(1)


@dataclass(frozen=True)
class StaffUser:
    id: str
    email: str
    name: str
    role: str
    broker_id: str
    password: str = DEMO_PASSWORD


class ConsoleUsers:
    """The `console_users` fixture: the staff pool made from infra/ on moto, with the API configured for it."""

    def __init__(self, pool_id: str, client_id: str) -> None:
        self.pool_id = pool_id
        self.client_id = client_id

    @property
    def cognito(self) -> Any:
        return boto3.client("cognito-idp")

    def create(self, broker_id: str, role: str, email: str | None = None, name: str | None = None) -> StaffUser:
        n = next(_numbers)
        email = email or f"{role}{n}@staff.test"
        name = name or f"{role.title()} {n}"
        user_id = seed_user(self.cognito, self.pool_id, broker_id, email, name, role)
        return StaffUser(user_id, email, name, role, broker_id)

    def sign_in(self, user: StaffUser) -> dict[str, Any]:
        """Cognito's AuthenticationResult (IdToken, AccessToken, RefreshToken) for the user's password."""
        answer = self.cognito.initiate_auth(ClientId=self.client_id, AuthFlow="USER_PASSWORD_AUTH",
                                            AuthParameters={"USERNAME": user.email, "PASSWORD": user.password})
        return dict(answer["AuthenticationResult"])

    def id_token(self, user: StaffUser) -> str:
        return str(self.sign_in(user)["IdToken"])

    def token(self, broker_id: str, role: str, **user: str) -> str:
        """The ID token of a new user of `broker_id` with `role`: the bearer for admin routes."""
        return self.id_token(self.create(broker_id, role, **user))


def totp(secret: str, at: float) -> str:
    """What an authenticator app shows at `at` (RFC 6238: HMAC-SHA1 over the 30-second step, 6 digits)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", int(at // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"

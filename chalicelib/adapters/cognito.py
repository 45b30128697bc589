"""Amazon Cognito: the staff pool's signing keys, sign-in on behalf of the console, and the broker's staff.

The console never talks to Cognito itself (no third-party origin in its CSP): the API calls Cognito's
public operations (sign-in, refresh, sign-out, password reset, TOTP), which need no IAM permission, with
an unsigned client, and the admin operations on staff with the function's role. Cognito's errors become
the project's here and nowhere else.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from chalicelib.domain.errors import Conflict, InvalidInput, NotFound, PortalError, Unauthorized
from chalicelib.domain.id_tokens import RsaKey, keys_from_jwks
from chalicelib.domain.staff import ROLES, highest_role

log = logging.getLogger(__name__)

BROKER_ATTRIBUTE = "custom:broker_id"
JWKS_TIMEOUT_SECONDS = 5
JWKS_REFETCH_SECONDS = 300  # an unknown key id reads the set again at most this often (key rotation)
TOTP_OFF = {"Enabled": False, "PreferredMfa": False}


class TooManyAttempts(PortalError):
    status = 429
    code = "too_many_attempts"


def issuer(pool_id: str) -> str:
    """What a pool's tokens name as `iss` (a pool id starts with its region)."""
    region = pool_id.split("_", 1)[0]
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


class Jwks:
    """The pool's public signing keys, read once per container (and again for a key id it does not know)."""

    def __init__(self, url: str, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._url = url
        self._monotonic = monotonic
        self._keys: dict[str, RsaKey] = {}
        self._read_at: float | None = None

    def keys(self, kid: str | None) -> dict[str, RsaKey]:
        stale = self._read_at is None or (kid not in self._keys
                                           and self._monotonic() - self._read_at >= JWKS_REFETCH_SECONDS)
        if stale:
            self._keys = self._fetch()
            self._read_at = self._monotonic()
        return self._keys

    def _fetch(self) -> dict[str, RsaKey]:
        import requests  # only a container that verifies a token pays for it

        try:
            answer = requests.get(self._url, timeout=JWKS_TIMEOUT_SECONDS)
            answer.raise_for_status()
            return keys_from_jwks(answer.json())
        except (requests.RequestException, ValueError) as exc:
            log.error("could not read the staff pool's signing keys", extra={"error": type(exc).__name__})
            raise Unauthorized("sign-in is unavailable; try again shortly", code="unauthorized") from exc


def _attributes(items: list[dict[str, str]]) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in items}


@contextmanager
def _translated(field: str | None = None) -> Iterator[None]:
    """Cognito's refusals as the project's errors (the only place that reads Cognito's error codes)."""
    from botocore.exceptions import ClientError, ParamValidationError

    try:
        yield
    except ParamValidationError:  # a value outside Cognito's own limits (lengths the schemas do not repeat)
        raise InvalidInput("invalid value", field or "body") from None
    except ClientError as exc:
        code, message = exc.response["Error"]["Code"], exc.response["Error"].get("Message", "")
        if code in ("NotAuthorizedException", "UserNotFoundException"):
            raise Unauthorized("wrong email or password", code="bad_credentials") from None
        if code == "ResourceNotFoundException":  # a sign-in session Cognito no longer knows
            raise Unauthorized("the sign-in has expired; start again") from None
        if code == "PasswordResetRequiredException":
            raise Unauthorized("this password must be reset first", code="password_reset_required") from None
        if code in ("CodeMismatchException", "ExpiredCodeException", "EnableSoftwareTokenMFAException"):
            raise InvalidInput("the code is wrong or has expired", "code") from None
        if code == "InvalidPasswordException":
            raise InvalidInput(message or "the password does not meet the policy", "new_password") from None
        if code == "UsernameExistsException":
            raise Conflict("someone with this email already has an account", "email", code="user_exists") from None
        if code in ("TooManyRequestsException", "LimitExceededException", "TooManyFailedAttemptsException"):
            raise TooManyAttempts("too many attempts; wait a few minutes") from None
        if code == "InvalidParameterException":
            raise InvalidInput(message or "invalid request", field) from None
        raise


class CognitoSignIn:
    """Cognito's public operations for one app client (no secret; unsigned requests)."""

    def __init__(self, client: Any, client_id: str) -> None:
        self._cognito = client
        self._client_id = client_id

    def password(self, email: str, password: str) -> dict[str, Any]:
        with _translated():
            return dict(self._cognito.initiate_auth(
                ClientId=self._client_id, AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password}))

    def challenge(self, email: str, challenge: str, session: str, responses: dict[str, str]) -> dict[str, Any]:
        with _translated("session"):
            return dict(self._cognito.respond_to_auth_challenge(
                ClientId=self._client_id, ChallengeName=challenge, Session=session,
                ChallengeResponses={"USERNAME": email, **responses}))

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        try:
            with _translated():
                return dict(self._cognito.initiate_auth(
                    ClientId=self._client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                    AuthParameters={"REFRESH_TOKEN": refresh_token}))
        except Unauthorized:
            raise Unauthorized("the session has ended; sign in again") from None

    def user(self, access_token: str) -> dict[str, Any]:
        """The signed-in user's attributes and MFA settings (GetUser: the access token is the credential)."""
        try:
            with _translated():
                return dict(self._cognito.get_user(AccessToken=access_token))
        except Unauthorized:
            raise Unauthorized("the session has ended; sign in again") from None

    def sign_out(self, access_token: str) -> None:
        try:
            with _translated():
                self._cognito.global_sign_out(AccessToken=access_token)
        except Unauthorized:
            raise Unauthorized("the session has ended; sign in again") from None

    def forgot(self, email: str) -> None:
        try:
            with _translated("email"):
                self._cognito.forgot_password(ClientId=self._client_id, Username=email)
        except (Unauthorized, InvalidInput):
            pass  # the same answer whether or not the address has an account

    def reset(self, email: str, code: str, new_password: str) -> None:
        try:
            with _translated("code"):
                self._cognito.confirm_forgot_password(ClientId=self._client_id, Username=email,
                                                      ConfirmationCode=code, Password=new_password)
        except Unauthorized:
            raise InvalidInput("the code is wrong or has expired", "code") from None

    def totp_secret(self, access_token: str) -> str:
        try:
            with _translated():
                return str(self._cognito.associate_software_token(AccessToken=access_token)["SecretCode"])
        except Unauthorized:
            raise Unauthorized("the session has ended; sign in again") from None

    def enable_totp(self, access_token: str, code: str) -> None:
        try:
            with _translated("code"):
                answer = self._cognito.verify_software_token(AccessToken=access_token, UserCode=code)
                if answer.get("Status") != "SUCCESS":
                    raise InvalidInput("the code is wrong or has expired", "code")
                self._cognito.set_user_mfa_preference(
                    AccessToken=access_token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
        except Unauthorized:
            raise Unauthorized("the session has ended; sign in again") from None

    def disable_totp(self, access_token: str) -> None:
        try:
            with _translated():
                self._cognito.set_user_mfa_preference(AccessToken=access_token, SoftwareTokenMfaSettings=TOTP_OFF)
        except Unauthorized:
            raise Unauthorized("the session has ended; sign in again") from None


class CognitoStaff:
    """The broker's staff in the pool: each user carries its broker id; its role is its group."""

    def __init__(self, client: Any, pool_id: str) -> None:
        self._cognito = client
        self._pool = pool_id

    def _member(self, broker_id: str, user_id: str) -> dict[str, Any]:
        """The user (AdminGetUser), only if it is this broker's: another broker's staff is not found."""
        from botocore.exceptions import ClientError

        try:
            found = self._cognito.admin_get_user(UserPoolId=self._pool, Username=user_id)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "UserNotFoundException":
                raise NotFound("no such user", "user_id") from None
            raise
        attributes = _attributes(found.get("UserAttributes", []))
        if attributes.get(BROKER_ATTRIBUTE) != broker_id:
            raise NotFound("no such user", "user_id")
        return {"attributes": attributes, "status": found.get("UserStatus", ""),
                "mfa": "SOFTWARE_TOKEN_MFA" in (found.get("UserMFASettingList") or [])}

    def mfa(self, broker_id: str, user_id: str) -> bool:
        return bool(self._member(broker_id, user_id)["mfa"])

    def reset_mfa(self, broker_id: str, user_id: str) -> dict[str, Any]:
        """The member signs in with their password alone, and may set up a new authenticator."""
        member = self._member(broker_id, user_id)
        self._cognito.admin_set_user_mfa_preference(UserPoolId=self._pool, Username=user_id,
                                                   SoftwareTokenMfaSettings=TOTP_OFF)
        role = highest_role(self._groups(user_id)) or "viewer"
        return self._view(user_id, member["attributes"], role, member["status"])  # mfa: off

    def _groups(self, user_id: str) -> list[str]:
        return [g["GroupName"] for g in
                self._cognito.admin_list_groups_for_user(UserPoolId=self._pool, Username=user_id)["Groups"]]

    def users(self, broker_id: str) -> list[dict[str, Any]]:
        """The broker's staff with their role and status (an invitation not yet taken up: invited)."""
        found: dict[str, dict[str, Any]] = {}
        for role in ROLES:  # ascending: a user in two groups shows with the higher role
            found.update(self._in_group(broker_id, role))
        for user in found.values():
            user["mfa"] = self.mfa(broker_id, user["id"])
        return sorted(found.values(), key=lambda u: (u["name"].lower(), u["email"]))

    def owner_ids(self, broker_id: str) -> list[str]:
        """The broker's owners: their group alone, and no per-user reads."""
        return [user["id"] for _, user in self._in_group(broker_id, "owner")]

    def _in_group(self, broker_id: str, role: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(user name, as `users` shows them before their MFA is read) of the broker's members in one role's group."""
        pages = self._cognito.get_paginator("list_users_in_group").paginate(UserPoolId=self._pool, GroupName=role)
        for user in (u for page in pages for u in page.get("Users", [])):
            attributes = _attributes(user.get("Attributes", []))
            if attributes.get(BROKER_ATTRIBUTE) == broker_id:
                yield user["Username"], self._view(user["Username"], attributes, role, user.get("UserStatus", ""))

    @staticmethod
    def _view(user_id: str, attributes: dict[str, str], role: str, status: str) -> dict[str, Any]:
        return {"id": attributes.get("sub", user_id), "email": attributes.get("email", ""),
                "name": attributes.get("name", ""), "role": role, "kind": "user", "mfa": False,
                "status": "invited" if status == "FORCE_CHANGE_PASSWORD" else "active"}

    def invite(self, broker_id: str, email: str, name: str, role: str, *, temporary_password: str | None = None
               ) -> dict[str, Any]:
        """A new user of the broker; Cognito emails the invitation with a temporary password (the local stack
        passes `temporary_password` and suppresses the email)."""
        extra: dict[str, Any] = ({"TemporaryPassword": temporary_password, "MessageAction": "SUPPRESS"}
                                 if temporary_password else {"DesiredDeliveryMediums": ["EMAIL"]})
        with _translated("email"):
            created = self._cognito.admin_create_user(
                UserPoolId=self._pool, Username=email, UserAttributes=[
                    {"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
                    {"Name": "name", "Value": name}, {"Name": BROKER_ATTRIBUTE, "Value": broker_id}], **extra)["User"]
        self._cognito.admin_add_user_to_group(UserPoolId=self._pool, Username=created["Username"], GroupName=role)
        attributes = _attributes(created.get("Attributes", []))
        return self._view(created["Username"], attributes, role, created.get("UserStatus", ""))

    def set_role(self, broker_id: str, user_id: str, role: str) -> dict[str, Any]:
        member = self._member(broker_id, user_id)
        groups = self._groups(user_id)
        self._cognito.admin_add_user_to_group(UserPoolId=self._pool, Username=user_id, GroupName=role)
        for group in (g for g in groups if g != role and g in ROLES):
            self._cognito.admin_remove_user_from_group(UserPoolId=self._pool, Username=user_id, GroupName=group)
        view = self._view(user_id, member["attributes"], role, member["status"])
        return {**view, "mfa": member["mfa"]}

    def remove(self, broker_id: str, user_id: str) -> None:
        self._member(broker_id, user_id)
        self._cognito.admin_delete_user(UserPoolId=self._pool, Username=user_id)


def jwks_url(pool_id: str, endpoint: str | None) -> str:
    """Where the pool publishes its keys: Cognito's own address, or the local stand-in's (`endpoint`)."""
    base = endpoint.rstrip("/") if endpoint else issuer(pool_id)
    return f"{base}/{pool_id}/.well-known/jwks.json" if endpoint else f"{base}/.well-known/jwks.json"

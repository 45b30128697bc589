"""Broker staff: who a request comes from (a Cognito ID token or an API key), the console's sign-in through
Cognito, and the owner's management of staff and API keys."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from chalicelib.adapters.cognito import CognitoSignIn, CognitoStaff, Jwks
from chalicelib.domain.errors import Conflict, Forbidden, Unauthorized
from chalicelib.domain.id_tokens import BadToken, key_id, verify_id_token
from chalicelib.domain.staff import Principal, highest_role
from chalicelib.schemas import bearer
from chalicelib.services.brokers import BAD_KEY, BrokerAuth

BROKER_CLAIM = "custom:broker_id"
TOTP_ISSUER = "Collections portal"


def looks_like_jwt(credential: str) -> bool:
    return credential.count(".") == 2  # an API key (cpk_<broker>_<hex>) never has a dot


class StaffAuth:
    """`Authorization: Bearer <ID token | API key>` -> the Principal, or the one 401 for anything refused."""

    def __init__(self, api_keys: BrokerAuth, jwks: Jwks | None, issuer: str | None, client_id: str | None,
                 clock: Callable[[], float] = time.time) -> None:
        self._api_keys = api_keys
        self._jwks = jwks
        self._issuer = issuer
        self._client_id = client_id
        self._clock = clock

    def authenticate(self, authorization: str | None) -> Principal:
        credential = bearer(authorization)
        if credential and looks_like_jwt(credential):
            return self.from_id_token(credential)
        return self._api_keys.identify(authorization)

    def claims(self, id_token: str) -> dict[str, Any]:
        if self._jwks is None or not self._issuer or not self._client_id:
            raise Unauthorized(BAD_KEY)  # no staff pool configured: tokens cannot be checked
        try:
            return verify_id_token(id_token, self._jwks.keys(key_id(id_token)), issuer=self._issuer,
                                   audience=self._client_id, now=self._clock())
        except BadToken:
            raise Unauthorized(BAD_KEY) from None

    def from_id_token(self, id_token: str) -> Principal:
        claims = self.claims(id_token)
        broker_id = claims.get(BROKER_CLAIM)
        if not isinstance(broker_id, str) or not broker_id:
            raise Unauthorized(BAD_KEY)
        groups = claims.get("cognito:groups")
        role = highest_role(groups if isinstance(groups, list) else [])
        if role is None:
            raise Forbidden("your account has no role yet; ask an owner of your team")
        email = str(claims.get("email", ""))
        return Principal(broker_id, role, "user", str(claims["sub"]), str(claims.get("name") or email), email)


def user_view(principal: Principal, mfa: bool) -> dict[str, Any]:
    """USER in the console's contract (an API key: its id and name, always an owner)."""
    if principal.kind == "api_key":
        return {"id": principal.id, "name": principal.name, "kind": "api_key", "role": principal.role}
    return {"id": principal.id, "email": principal.email or "", "name": principal.name, "role": principal.role,
            "kind": "user", "mfa": mfa}


class ConsoleSessions:
    """Sign-in for the console, through the API: the browser never talks to Cognito itself."""

    def __init__(self, sign_in: CognitoSignIn, auth: StaffAuth) -> None:
        self._cognito = sign_in
        self._auth = auth

    def start(self, email: str, password: str) -> dict[str, Any]:
        return self._answer(self._cognito.password(email, password))

    def challenge(self, email: str, session: str, challenge: str, code: str | None,
                  new_password: str | None) -> dict[str, Any]:
        from chalicelib.domain.errors import InvalidInput

        if challenge == "SOFTWARE_TOKEN_MFA":
            if not code:
                raise InvalidInput("the code from the authenticator app is required", "code")
            responses = {"SOFTWARE_TOKEN_MFA_CODE": code}
        else:
            if not new_password:
                raise InvalidInput("a new password is required", "new_password")
            responses = {"NEW_PASSWORD": new_password}
        return self._answer(self._cognito.challenge(email, challenge, session, responses))

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        answer = self._answer(self._cognito.refresh(refresh_token))
        answer["tokens"].pop("refresh_token", None)
        return answer

    def sign_out(self, access_token: str) -> None:
        self._cognito.sign_out(access_token)

    def forgot(self, email: str) -> None:
        self._cognito.forgot(email)

    def reset(self, email: str, code: str, new_password: str) -> None:
        self._cognito.reset(email, code, new_password)

    def mfa_setup(self, access_token: str) -> dict[str, str]:
        secret = self._cognito.totp_secret(access_token)
        email = _attributes(self._cognito.user(access_token)).get("email", "")
        label = quote(f"{TOTP_ISSUER}:{email}")
        return {"secret": secret,
                "otpauth_uri": f"otpauth://totp/{label}?secret={secret}&issuer={quote(TOTP_ISSUER)}"}

    def mfa_verify(self, access_token: str, code: str) -> None:
        self._cognito.enable_totp(access_token, code)

    def mfa_disable(self, access_token: str) -> None:
        self._cognito.disable_totp(access_token)

    def _answer(self, cognito: dict[str, Any]) -> dict[str, Any]:
        if "AuthenticationResult" not in cognito:
            challenge = cognito.get("ChallengeName")
            if challenge not in ("SOFTWARE_TOKEN_MFA", "NEW_PASSWORD_REQUIRED"):
                raise Unauthorized("this account cannot sign in here; ask an owner of your team",
                                   code="bad_credentials")
            return {"challenge": challenge, "session": cognito.get("Session", "")}
        result = cognito["AuthenticationResult"]
        principal = self._auth.from_id_token(result["IdToken"])
        user = self._cognito.user(result["AccessToken"])
        mfa = "SOFTWARE_TOKEN_MFA" in (user.get("UserMFASettingList") or [])
        tokens = {"id_token": result["IdToken"], "access_token": result["AccessToken"],
                  "expires_in": int(result.get("ExpiresIn", 3600))}
        if result.get("RefreshToken"):
            tokens["refresh_token"] = result["RefreshToken"]
        return {"tokens": tokens, "user": user_view(principal, mfa)}


def _attributes(user: dict[str, Any]) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}


class StaffDirectory:
    """An owner's view of the team: invite, change a role, remove (never themself, never the last owner)."""

    def __init__(self, staff: CognitoStaff) -> None:
        self._staff = staff

    def me(self, principal: Principal) -> dict[str, Any]:
        return user_view(principal, self._staff.mfa(principal.broker_id, principal.id))

    def list(self, broker_id: str) -> list[dict[str, Any]]:
        return self._staff.users(broker_id)

    def invite(self, broker_id: str, email: str, name: str, role: str,
               temporary_password: str | None = None) -> dict[str, Any]:
        return self._staff.invite(broker_id, email, name, role, temporary_password=temporary_password)

    def set_role(self, principal: Principal, user_id: str, role: str) -> dict[str, Any]:
        if role != "owner":
            self._keep_an_owner(principal, user_id, "change the role of")
        return self._staff.set_role(principal.broker_id, user_id, role)

    def reset_mfa(self, broker_id: str, user_id: str) -> dict[str, Any]:
        """A member lost their authenticator: they sign in with their password and may set up a new one."""
        return self._staff.reset_mfa(broker_id, user_id)

    def remove(self, principal: Principal, user_id: str) -> None:
        if principal.kind == "user" and user_id == principal.id:
            raise Conflict("you cannot remove yourself; ask another owner", "user_id", code="self")
        self._keep_an_owner(principal, user_id, "remove")
        self._staff.remove(principal.broker_id, user_id)

    def _keep_an_owner(self, principal: Principal, user_id: str, doing: str) -> None:
        if self._staff.owner_ids(principal.broker_id) == [user_id]:
            raise Conflict(f"you cannot {doing} the last owner", "user_id", code="last_owner")

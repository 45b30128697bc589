"""Make moto's Cognito sign a user out as AWS does, whichever region the request names.

GlobalSignOut is a public operation: the browser's (here the API's) request is unsigned, so it carries no
region and moto looks in us-east-1, where the pool's access token is unknown (InitiateAuth, GetUser and
RespondToAuthChallenge already look the token up in every region). AWS reads the region from the
endpoint, so there the same call signs the user out.
"""
from __future__ import annotations

from typing import Any

_MARK = "_portal_region_agnostic"


def install() -> None:
    """Idempotent: patch once per process."""
    from moto.cognitoidp.responses import CognitoIdpResponse
    from moto.core.responses import EmptyResult

    if getattr(CognitoIdpResponse.global_sign_out, _MARK, False):
        return

    def global_sign_out(self: Any) -> Any:
        access_token = self._get_param("AccessToken")
        agnostic = self._get_region_agnostic_backend()
        agnostic._find_backend_by_access_token(access_token).global_sign_out(access_token)
        return EmptyResult()

    setattr(global_sign_out, _MARK, True)
    CognitoIdpResponse.global_sign_out = global_sign_out  # type: ignore[method-assign]

"""Pay-link keys in Secrets Manager, cached for a few minutes so a request costs no extra call.

The secret is JSON: {"active": "<kid>", "keys": {"<kid>": {"secret": "<base64>", "status": "active" |
"previous" | "retired"}}}. Rotation makes a new active key and keeps the old one as `previous` (still
verifying) until it is retired.
"""
from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

VERIFYING = ("active", "previous")


def new_key_id() -> str:
    return "k" + secrets.token_hex(4)


class SecretsKeyRing:
    def __init__(self, client: Any, secret_id: str, cache_seconds: int = 300,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._secret_id = secret_id
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._cached: dict[str, Any] | None = None
        self._loaded_at = 0.0

    def _document(self) -> dict[str, Any]:
        now = self._monotonic()
        if self._cached is None or now - self._loaded_at >= self._cache_seconds:
            value = self._client.get_secret_value(SecretId=self._secret_id)["SecretString"]
            self._cached, self._loaded_at = json.loads(value), now
        return self._cached

    def signing_key(self) -> tuple[str, bytes]:
        doc = self._document()
        kid = doc["active"]
        return kid, base64.b64decode(doc["keys"][kid]["secret"])

    def verification_key(self, key_id: str) -> bytes | None:
        entry = self._document()["keys"].get(key_id)
        if not entry or entry.get("status") not in VERIFYING:
            return None
        return base64.b64decode(entry["secret"])

    # --- operator actions (portal keys ...; a rotation Lambda could call the same) ---------------

    def rotate(self) -> str:
        """A new active key; the old active key keeps verifying as `previous`."""
        doc = self._fresh()
        for entry in doc["keys"].values():
            if entry["status"] == "active":
                entry["status"] = "previous"
        kid = new_key_id()
        doc["keys"][kid] = {"secret": base64.b64encode(secrets.token_bytes(32)).decode(), "status": "active"}
        doc["active"] = kid
        self._write(doc)
        return kid

    def retire(self, key_id: str) -> None:
        """Tokens signed with a retired key stop verifying. The active key cannot be retired."""
        doc = self._fresh()
        if key_id == doc["active"]:
            raise ValueError("rotate first: the active key cannot be retired")
        if key_id not in doc["keys"]:
            raise KeyError(key_id)
        doc["keys"][key_id]["status"] = "retired"
        self._write(doc)

    def _fresh(self) -> dict[str, Any]:
        self._cached = None
        return json.loads(json.dumps(self._document()))

    def _write(self, doc: dict[str, Any]) -> None:
        self._client.put_secret_value(SecretId=self._secret_id, SecretString=json.dumps(doc))
        self._cached, self._loaded_at = doc, self._monotonic()


def initial_secret() -> str:
    """The first key ring document, for a new deployment or the local stack."""
    kid = new_key_id()
    return json.dumps({"active": kid, "keys": {
        kid: {"secret": base64.b64encode(secrets.token_bytes(32)).decode(), "status": "active"}}})

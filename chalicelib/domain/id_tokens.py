"""Verifying a Cognito ID token (a JWT signed RS256) with the standard library only.

The signature is checked the way RFC 8017 (8.2.2) recommends: the expected PKCS#1 v1.5 encoding of the
message's SHA-256 digest is built and compared with what the public key recovers from the signature, so
no padding is parsed (the parsing is where RSA verifiers have gone wrong). Every failure is the same
`BadToken`: a caller learns nothing about which check refused.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# ASN.1 DigestInfo of SHA-256 (RFC 8017, 9.2 note 1), followed by the 32-byte digest.
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
MIN_MODULUS_BITS = 2048


class BadToken(Exception):
    pass


@dataclass(frozen=True)
class RsaKey:
    n: int
    e: int


def keys_from_jwks(jwks: Mapping[str, Any]) -> dict[str, RsaKey]:
    """The RS256 signing keys of a JSON Web Key Set, by key id; other keys are left out."""
    found: dict[str, RsaKey] = {}
    for jwk in jwks.get("keys", []) if isinstance(jwks, Mapping) else []:
        if not isinstance(jwk, Mapping) or jwk.get("kty") != "RSA" or jwk.get("alg", "RS256") != "RS256":
            continue
        if jwk.get("use", "sig") != "sig" or not isinstance(jwk.get("kid"), str):
            continue
        try:
            key = RsaKey(int.from_bytes(_b64(jwk["n"]), "big"), int.from_bytes(_b64(jwk["e"]), "big"))
        except (KeyError, BadToken):
            continue
        if key.n.bit_length() >= MIN_MODULUS_BITS and key.e > 1:
            found[jwk["kid"]] = key
    return found


def _b64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise BadToken("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise BadToken("not base64url") from exc


def _json(part: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64(part))
    except ValueError as exc:
        raise BadToken("not JSON") from exc
    if not isinstance(value, dict):
        raise BadToken("not a JSON object")
    return value


def rs256_valid(key: RsaKey, message: bytes, signature: bytes) -> bool:
    size = (key.n.bit_length() + 7) // 8
    if len(signature) != size:
        return False
    s = int.from_bytes(signature, "big")
    if s >= key.n:
        return False
    recovered = pow(s, key.e, key.n).to_bytes(size, "big")
    digest_info = SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    expected = b"\x00\x01" + b"\xff" * (size - len(digest_info) - 3) + b"\x00" + digest_info
    return hmac.compare_digest(recovered, expected)


def key_id(token: str) -> str | None:
    """The `kid` a token names (to know whether the key set must be read again), None if it names none."""
    try:
        kid = _json(token.split(".")[0]).get("kid")
    except BadToken:
        return None
    return kid if isinstance(kid, str) else None


def verify_id_token(token: str, keys: Mapping[str, RsaKey], *, issuer: str, audience: str,
                    now: float) -> dict[str, Any]:
    """The claims of a valid ID token of this pool (`issuer`) and app client (`audience`); else BadToken."""
    parts = token.split(".")
    if len(parts) != 3:
        raise BadToken("not a JWT")
    header, claims = _json(parts[0]), _json(parts[1])
    if header.get("alg") != "RS256" or header.get("kid") not in keys:  # never "none", never HS256
        raise BadToken("unknown key or algorithm")
    if not rs256_valid(keys[header["kid"]], f"{parts[0]}.{parts[1]}".encode("ascii"), _b64(parts[2])):
        raise BadToken("bad signature")
    audiences = claims.get("aud")
    if claims.get("iss") != issuer or audience not in (audiences if isinstance(audiences, list) else [audiences]):
        raise BadToken("another pool or client")
    if claims.get("token_use") != "id":
        raise BadToken("not an ID token")
    expires = claims.get("exp")
    if not isinstance(expires, (int, float)) or isinstance(expires, bool) or now >= expires:
        raise BadToken("expired")
    not_before = claims.get("nbf")
    if isinstance(not_before, (int, float)) and now < not_before:
        raise BadToken("not yet valid")
    if not isinstance(claims.get("sub"), str):
        raise BadToken("no subject")
    return claims

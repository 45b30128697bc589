"""The ID token check on its own: what it refuses whatever the signature (the API tests sign with moto)."""
from __future__ import annotations

import base64
import json

import pytest

from chalicelib.domain.id_tokens import BadToken, RsaKey, keys_from_jwks, rs256_valid, verify_id_token


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_only_rsa_signing_keys_of_2048_bits_or_more_are_taken_from_a_key_set():
    n = base64.urlsafe_b64encode((2**2047 + 1).to_bytes(256, "big")).decode().rstrip("=")
    small = base64.urlsafe_b64encode((2**1023 + 1).to_bytes(128, "big")).decode().rstrip("=")
    jwks = {"keys": [{"kty": "RSA", "kid": "good", "n": n, "e": "AQAB", "alg": "RS256", "use": "sig"},
                     {"kty": "RSA", "kid": "small", "n": small, "e": "AQAB"},
                     {"kty": "RSA", "kid": "enc", "n": n, "e": "AQAB", "use": "enc"},
                     {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
                     {"kty": "RSA", "kid": "garbled", "n": "%%%", "e": "AQAB"}, "not a key"]}
    assert set(keys_from_jwks(jwks)) == {"good"}
    assert keys_from_jwks({"keys": "nope"}) == {} and keys_from_jwks([]) == {}  # type: ignore[arg-type]


def test_a_signature_of_the_wrong_length_or_beyond_the_modulus_is_refused():
    key = RsaKey(n=2**2047 + 1, e=65537)
    assert not rs256_valid(key, b"m", b"\x00" * 255)
    assert not rs256_valid(key, b"m", b"\xff" * 256)


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c.d", f"{_b64([1])}.{_b64({})}.", f"{_b64({'alg': 'RS256'})}.x.y"])
def test_malformed_tokens_are_refused(token):
    with pytest.raises(BadToken):
        verify_id_token(token, {"k": RsaKey(3, 65537)}, issuer="i", audience="a", now=0)

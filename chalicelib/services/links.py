"""Signed pay links: who (broker, case), which link and version, until when, signed with which key."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from itsdangerous import BadSignature, URLSafeSerializer

from chalicelib.domain.cases import Case, parse_iso
from chalicelib.domain.errors import Unauthorized
from chalicelib.ports import KeyRing

SALT = "pay-link"
# One message for every failure: a caller learns nothing about which check failed.
INVALID_LINK = "This link is not valid any more. Ask for a fresh link from the page or your reminder."


@dataclass(frozen=True)
class Claims:
    broker_id: str
    case_id: str
    link_id: str
    link_version: int
    expires_at: datetime
    key_id: str
    ref: str | None = None  # which message carried the link (a reminder's claim id), for attribution

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def matches(self, case: Case) -> bool:
        """Revoked when the case has issued a newer link since."""
        return (case.broker_id, case.case_id, case.link.link_id, case.link.version) == (
            self.broker_id, self.case_id, self.link_id, self.link_version)


class PayLinks:
    def __init__(self, keyring: KeyRing, site_url: str) -> None:
        self._keyring = keyring
        self._site_url = site_url

    def token(self, case: Case, ref: str | None = None) -> str:
        kid, secret = self._keyring.signing_key()
        payload: dict[str, object] = {
            "b": case.broker_id, "c": case.case_id, "l": case.link.link_id, "v": case.link.version,
            "e": int(parse_iso(case.link.expires_at).timestamp()),
        }
        if ref is not None:  # same link, same revocation; the signature also covers which reminder sent it
            payload["r"] = ref
        return f"{kid}.{URLSafeSerializer(secret, salt=SALT).dumps(payload)}"

    def url(self, case: Case, ref: str | None = None) -> str:
        # The token rides in the fragment: browsers never send it to a server or in a Referer.
        return f"{self._site_url}/pay#{self.token(case, ref)}"

    def read(self, token: str) -> Claims:
        """Check the signature (itsdangerous compares in constant time); expiry is the caller's call."""
        kid, _, signed = token.partition(".")
        secret = self._keyring.verification_key(kid) if signed else None
        if secret is None:
            raise Unauthorized(INVALID_LINK, code="invalid_link")
        try:
            payload = URLSafeSerializer(secret, salt=SALT).loads(signed)
            return Claims(
                broker_id=str(payload["b"]), case_id=str(payload["c"]), link_id=str(payload["l"]),
                link_version=int(payload["v"]),
                expires_at=datetime.fromtimestamp(int(payload["e"]), tz=timezone.utc), key_id=kid,
                ref=str(payload["r"]) if "r" in payload else None,
            )
        except (BadSignature, KeyError, TypeError, ValueError):
            raise Unauthorized(INVALID_LINK, code="invalid_link") from None

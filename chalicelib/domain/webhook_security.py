"""Outbound webhooks' security rules: the signature (Stripe's scheme) and the addresses a delivery may
reach. Pure. Kept apart from webhooks.py so a request that only stores events never imports hmac or ipaddress.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

SIGNATURE_HEADER = "Portal-Signature"
EVENT_ID_HEADER = "Portal-Event-Id"
TOLERANCE_SECONDS = 300  # receivers refuse a signature whose timestamp is further than this from their clock

# --- signatures: Stripe's scheme, t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body"> -------------------

def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(secret: str, header: str | None, body: bytes, now: int,
                     tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does: any v1 matches (compared in constant time) and the timestamp is fresh."""
    if not header:
        return False
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit() or abs(now - int(stamps[0])) > tolerance:
        return False
    expected = signature(secret, int(stamps[0]), body).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")


# --- where a delivery may go ------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str


def parse_url(url: str, *, allow_loopback: bool) -> Target:
    """The endpoint's URL as a delivery reaches it; ValueError naming what is wrong.

    HTTPS only, except plain HTTP to a loopback host when the demo's loopback setting is on."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("must be an https:// URL with a host")
    if parts.username or parts.password:
        raise ValueError("must not carry a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise ValueError("has a port that is not a number from 1 to 65535") from exc
    if parts.scheme == "http" and not (allow_loopback and loopback_name(parts.hostname)):
        raise ValueError("must use https://")
    address = literal_address(parts.hostname)
    if address is not None:
        check_address(address, allow_loopback=allow_loopback)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path)


def loopback_name(host: str) -> bool:
    address = literal_address(host)
    return host == "localhost" or (address is not None and address.is_loopback)


def literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_loopback: bool) -> None:
    """Refuse anything but a public unicast address (private, loopback, link-local, multicast, reserved,
    shared, documentation ranges, IPv4 mapped into IPv6...); the demo may reach loopback."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if allow_loopback and address.is_loopback:
        return
    if not address.is_global or address.is_multicast:
        raise ValueError(f"resolves to {address}, which is not a public address")

"""CORS for the staff routes (admin and console): the console's origin only, never `*`.

The console is served with the pay page (same origin as SITE_URL); the API is on another origin. Tokens
ride in the Authorization header, never in cookies, so no credentials mode is needed.
"""
from __future__ import annotations

ALLOWED_HEADERS = "Authorization,Content-Type,Idempotency-Key"
MAX_AGE_SECONDS = 600


def headers(origin: str | None) -> dict[str, str]:
    """What every answer of a staff route carries (nothing when no console origin is configured)."""
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"} if origin else {}


def preflight(origin: str | None, methods: list[str]) -> dict[str, str]:
    if not origin:
        return {}
    return {**headers(origin), "Access-Control-Allow-Methods": ",".join([*dict.fromkeys(methods), "OPTIONS"]),
            "Access-Control-Allow-Headers": ALLOWED_HEADERS, "Access-Control-Max-Age": str(MAX_AGE_SECONDS)}

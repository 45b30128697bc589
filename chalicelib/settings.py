"""One typed settings object, read once from the environment; a missing value fails at first use."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


class SettingsError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    table_name: str
    site_url: str
    link_keys_secret_id: str
    link_ttl_days: int = 30
    auth_cache_seconds: int = 60
    keys_cache_seconds: int = 300
    # Payments. Optional here so routes that never pay need no Stripe set-up; the Stripe
    # gateway refuses to start without the secret. STRIPE_API_BASE stays unset in production (the
    # local stack points it at portal/stripe_standin).
    stripe_secret_id: str | None = None
    stripe_api_base: str | None = None
    # Reminders. The queue URLs are only needed by the sweep (queue) and the worker (DLQ):
    # `require()` fails fast there, so API routes run without them.
    reminder_queue_url: str | None = None
    reminder_dlq_url: str | None = None
    policy_cache_seconds: int = 60
    # Dispute evidence: the private bucket customers upload to through presigned POSTs.
    evidence_bucket: str | None = None
    # Head-hash anchors (Object Lock, compliance mode): required (`require()`) wherever cases change.
    anchor_bucket: str | None = None
    # Bulk imports: the private bucket files are uploaded to, the queue that carries the rest of a file
    # from chunk to chunk, and the limits (rows per chunk, rows and bytes per file).
    import_bucket: str | None = None
    import_queue_url: str | None = None
    import_chunk_rows: int = 500
    import_max_rows: int = 100_000
    import_max_bytes: int = 50 * 1024 * 1024

    def require(self, name: str) -> str:
        """A setting that is optional for some functions but needed by the caller; fails with its variable."""
        value = getattr(self, name)
        if not value:
            raise SettingsError(f"missing environment variable: {name.upper()}")
        return str(value)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        missing = [name for name in ("TABLE_NAME", "SITE_URL", "LINK_KEYS_SECRET_ID") if not env.get(name)]
        if missing:
            raise SettingsError(f"missing environment variables: {', '.join(missing)}")
        return cls(
            table_name=env["TABLE_NAME"],
            site_url=env["SITE_URL"].rstrip("/"),
            link_keys_secret_id=env["LINK_KEYS_SECRET_ID"],
            link_ttl_days=int(env.get("LINK_TTL_DAYS", "30")),
            auth_cache_seconds=int(env.get("AUTH_CACHE_SECONDS", "60")),
            keys_cache_seconds=int(env.get("KEYS_CACHE_SECONDS", "300")),
            stripe_secret_id=env.get("STRIPE_SECRET_ID") or None,
            stripe_api_base=(env.get("STRIPE_API_BASE") or "").rstrip("/") or None,
            reminder_queue_url=env.get("REMINDER_QUEUE_URL") or None,
            reminder_dlq_url=env.get("REMINDER_DLQ_URL") or None,
            policy_cache_seconds=int(env.get("POLICY_CACHE_SECONDS", "60")),
            evidence_bucket=env.get("EVIDENCE_BUCKET") or None,
            anchor_bucket=env.get("ANCHOR_BUCKET") or None,
            import_bucket=env.get("IMPORT_BUCKET") or None,
            import_queue_url=env.get("IMPORT_QUEUE_URL") or None,
            import_chunk_rows=int(env.get("IMPORT_CHUNK_ROWS", "500")),
            import_max_rows=int(env.get("IMPORT_MAX_ROWS", "100000")),
            import_max_bytes=int(env.get("IMPORT_MAX_BYTES", str(50 * 1024 * 1024))),
        )

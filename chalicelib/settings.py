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
    # Pay links: only the functions that issue or check them (API, worker) are packaged with these.
    site_url: str | None = None
    link_keys_secret_id: str | None = None
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
    # Outbound webhooks: the delivery queue (relay and worker), where signing secrets live (stage-scoped),
    # WEBHOOK_RETRY_SCALE shortens every retry wait and the 3-day window (the demo: 0.01), and
    # WEBHOOK_ALLOW_LOOPBACK=1 lets the demo deliver over plain HTTP to 127.0.0.1; production never sets it.
    webhook_queue_url: str | None = None
    webhook_secret_prefix: str = "collections-portal/webhooks"
    webhook_retry_scale: float = 1.0
    webhook_allow_loopback: bool = False
    # Sending within the account's limits. SES_CONFIGURATION_SET routes bounces and complaints to the
    # ses_events function; EMAIL_SEND_RATE (per second) overrides SES's GetSendQuota MaxSendRate, and
    # SMS_SEND_RATE is the account's SNS SMS rate; WORKER_CONCURRENCY must equal the worker's event
    # source MaximumConcurrency (infra/), since each container sends its share of the rate.
    ses_configuration_set: str | None = None
    email_send_rate: float | None = None
    sms_send_rate: float = 20.0
    worker_concurrency: int = 2
    # Bulk imports: the private bucket files are uploaded to, the queue that carries the rest of a file
    # from chunk to chunk, and the limits (rows per chunk, rows and bytes per file).
    import_bucket: str | None = None
    import_queue_url: str | None = None
    import_chunk_rows: int = 500
    import_max_rows: int = 100_000
    import_max_bytes: int = 50 * 1024 * 1024
    # Staff sign-in: the Cognito user pool and the console's app client (API only). Where the pool's
    # signing keys are read follows boto3's endpoint variables, so the local stack's moto serves them.
    user_pool_id: str | None = None
    user_pool_client_id: str | None = None
    cognito_endpoint: str | None = None

    @property
    def console_origin(self) -> str | None:
        """The console's origin (it is served with the pay page): the only origin admin routes answer CORS for."""
        if not self.site_url:
            return None
        from urllib.parse import urlsplit

        parts = urlsplit(self.site_url)
        return f"{parts.scheme}://{parts.netloc}"

    def require(self, name: str) -> str:
        """A setting that is optional for some functions but needed by the caller; fails with its variable."""
        value = getattr(self, name)
        if not value:
            raise SettingsError(f"missing environment variable: {name.upper()}")
        return str(value)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        if not env.get("TABLE_NAME"):
            raise SettingsError("missing environment variables: TABLE_NAME")
        return cls(
            table_name=env["TABLE_NAME"],
            site_url=(env.get("SITE_URL") or "").rstrip("/") or None,
            link_keys_secret_id=env.get("LINK_KEYS_SECRET_ID") or None,
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
            webhook_queue_url=env.get("WEBHOOK_QUEUE_URL") or None,
            webhook_secret_prefix=env.get("WEBHOOK_SECRET_PREFIX") or "collections-portal/webhooks",
            webhook_retry_scale=float(env.get("WEBHOOK_RETRY_SCALE", "1")),
            webhook_allow_loopback=env.get("WEBHOOK_ALLOW_LOOPBACK") == "1",
            ses_configuration_set=env.get("SES_CONFIGURATION_SET") or None,
            email_send_rate=float(env["EMAIL_SEND_RATE"]) if env.get("EMAIL_SEND_RATE") else None,
            sms_send_rate=float(env.get("SMS_SEND_RATE") or "20"),
            worker_concurrency=int(env.get("WORKER_CONCURRENCY") or "2"),
            import_bucket=env.get("IMPORT_BUCKET") or None,
            import_queue_url=env.get("IMPORT_QUEUE_URL") or None,
            import_chunk_rows=int(env.get("IMPORT_CHUNK_ROWS", "500")),
            import_max_rows=int(env.get("IMPORT_MAX_ROWS", "100000")),
            import_max_bytes=int(env.get("IMPORT_MAX_BYTES", str(50 * 1024 * 1024))),
            user_pool_id=env.get("USER_POOL_ID") or None,
            user_pool_client_id=env.get("USER_POOL_CLIENT_ID") or None,
            cognito_endpoint=env.get("AWS_ENDPOINT_URL_COGNITO_IDP") or env.get("AWS_ENDPOINT_URL") or None,
        )

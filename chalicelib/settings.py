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
        )

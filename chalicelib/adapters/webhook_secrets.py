"""Webhook signing secrets in Secrets Manager, one secret per endpoint under a stage's prefix.

Why not the table: whoever can read the table (a backup, an export, a support query) would hold every
broker's signing secret; here only the API (create, delete) and the delivery function (read) reach them.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError


class WebhookSecrets:
    def __init__(self, client: Any, prefix: str, cache_seconds: int = 300,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._prefix = prefix.rstrip("/")
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._cached: dict[str, tuple[str, float]] = {}

    def name(self, broker_id: str, endpoint_id: str) -> str:
        return f"{self._prefix}/{broker_id}/{endpoint_id}"

    def create(self, broker_id: str, endpoint_id: str, secret: str) -> None:
        self._client.create_secret(Name=self.name(broker_id, endpoint_id), SecretString=secret,
                                   Description="Signing secret of one broker's webhook endpoint")

    def get(self, broker_id: str, endpoint_id: str) -> str:
        name = self.name(broker_id, endpoint_id)
        cached = self._cached.get(name)
        if cached is None or self._monotonic() - cached[1] >= self._cache_seconds:
            cached = (self._client.get_secret_value(SecretId=name)["SecretString"], self._monotonic())
            self._cached[name] = cached
        return cached[0]

    def delete(self, broker_id: str, endpoint_id: str) -> None:
        name = self.name(broker_id, endpoint_id)
        self._cached.pop(name, None)
        try:
            self._client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise

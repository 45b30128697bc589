"""The one place where real adapters are built: lazily, once per Lambda container.

Adapters and services are imported inside their builders, so a cold start only pays for what the
invoked route uses.
"""
from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import boto3

from chalicelib.settings import Settings

if TYPE_CHECKING:
    from chalicelib.adapters.dynamo import DynamoStore
    from chalicelib.adapters.secrets import SecretsKeyRing
    from chalicelib.services.brokers import BrokerAuth
    from chalicelib.services.cases import CaseService
    from chalicelib.services.customer import CustomerService
    from chalicelib.services.links import PayLinks


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@functools.cache
def settings() -> Settings:
    return Settings.from_env()


@functools.cache
def aws(service: str) -> Any:
    # Endpoints come from the standard AWS_ENDPOINT_URL* variables: moto locally, AWS in production.
    return boto3.client(service)


@functools.cache
def store() -> DynamoStore:
    from chalicelib.adapters.dynamo import DynamoStore

    return DynamoStore(aws("dynamodb"), settings().table_name)


@functools.cache
def keyring() -> SecretsKeyRing:
    from chalicelib.adapters.secrets import SecretsKeyRing

    return SecretsKeyRing(aws("secretsmanager"), settings().link_keys_secret_id, settings().keys_cache_seconds)


@functools.cache
def pay_links() -> PayLinks:
    from chalicelib.services.links import PayLinks

    return PayLinks(keyring(), settings().site_url)


@functools.cache
def broker_auth() -> BrokerAuth:
    from chalicelib.services.brokers import BrokerAuth

    return BrokerAuth(store(), settings().auth_cache_seconds)


@functools.cache
def case_service() -> CaseService:
    from chalicelib.services.cases import CaseService

    return CaseService(store(), store(), utc_now, timedelta(days=settings().link_ttl_days))


@functools.cache
def customer_service() -> CustomerService:
    from chalicelib.services.customer import CustomerService

    return CustomerService(store(), pay_links(), utc_now)


def reset() -> None:
    """Forget every built adapter (tests, and the local stack after it changes the environment)."""
    for built in (settings, aws, store, keyring, pay_links, broker_auth, case_service, customer_service):
        built.cache_clear()

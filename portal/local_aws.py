"""The local stand-in for AWS: moto's server in this process, and the resources the app expects on it.

Resource names live here and nowhere else (`LocalResources`), so the demo, `portal broker ...` and later
features (reminders, payments) agree on them.
"""
from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import boto3
from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from chalicelib.domain.policy import DEFAULT_POLICY
from portal import infra
from portal.moto_atomic import make_dynamodb_atomic
from portal.servers import BackgroundServer

REGION = "eu-west-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
SERVICES = ("dynamodb", "secretsmanager", "ses", "sns", "sqs", "s3")

# Actions that only read: anything else counts as a change worth saving.
READ_PREFIXES = ("Get", "Describe", "List", "Query", "Scan", "BatchGet")


@dataclass(frozen=True)
class LocalResources:
    table: str = "portal-local-cases"
    link_keys_secret: str = "portal-local/link-keys"
    bucket: str = "portal-local-assets"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, str] | None) -> LocalResources:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in (data or {}).items() if k in known})


def clients(endpoint: str | None, region: str = REGION) -> Callable[[str], Any]:
    """A client factory for `endpoint` (moto) or, with None, for real AWS with the usual credentials."""
    def client(service: str) -> Any:
        if endpoint is None:
            return boto3.client(service)
        return boto3.client(service, endpoint_url=endpoint, region_name=region,
                            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
    return client


def point_boto3_at(endpoint: str, region: str = REGION) -> None:
    """Every boto3 client built from now on in this process talks to `endpoint` with fake credentials."""
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update({"AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": region, **FAKE_CREDENTIALS})
    no_proxy = [p for p in os.environ.get("NO_PROXY", "").split(",") if p]
    os.environ["NO_PROXY"] = ",".join(dict.fromkeys([*no_proxy, "127.0.0.1", "localhost"]))


def is_write(environ: dict[str, Any]) -> bool:
    if environ.get("REQUEST_METHOD") in ("GET", "HEAD", "OPTIONS"):
        return False
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    return not (target and target.rsplit(".", 1)[-1].startswith(READ_PREFIXES))


class MotoServer(BackgroundServer):
    """moto's server (the same WSGI app ThreadedMotoServer runs) on a thread, telling us about writes.

    `on_write` runs after every request that may have changed state, once the change is complete, so
    the demo can save its state right away instead of only at exit.
    """

    def __init__(self, host: str, port: int) -> None:
        make_dynamodb_atomic()  # the API serves threads: moto alone would lose concurrent writes
        dispatcher = DomainDispatcherApplication(create_backend_app)
        self.on_write: Callable[[], None] = lambda: None

        def app(environ: dict[str, Any], start_response: Any) -> Any:
            response = dispatcher(environ, start_response)
            if is_write(environ):
                self.on_write()
            return response

        # Bind here so a busy port raises OSError (werkzeug would print and exit on its own).
        with socket.create_server((host, port)) as listening:
            server: BaseWSGIServer = make_server(host, port, app, threaded=True,
                                                 request_handler=MotoRequestHandler, fd=listening.fileno())
        super().__init__(server, "moto")


def create_resources(client: Callable[[str], Any], names: LocalResources,
                     secret_value: str | None) -> dict[str, str]:
    """The deployed resources, from infra/ (table, link-keys secret, reminder queues), plus the bucket.

    Returns the environment the app needs to find the queues.
    """
    infra.create_table(client("dynamodb"), names.table)
    if secret_value is None:
        infra.create_link_keys_secret(client("secretsmanager"), names.link_keys_secret)
    else:
        client("secretsmanager").create_secret(Name=names.link_keys_secret, SecretString=secret_value)
    queue_url, dlq_url = infra.create_reminder_queues(client("sqs"))
    client("s3").create_bucket(Bucket=names.bucket,
                               CreateBucketConfiguration={"LocationConstraint": REGION})
    # SES only sends from verified identities: the default policy's sender domain, as a deployment would.
    infra.verify_sender(client("sesv2"), DEFAULT_POLICY.sender.from_email.rsplit("@", 1)[-1])
    return {"REMINDER_QUEUE_URL": queue_url, "REMINDER_DLQ_URL": dlq_url}

"""The local stand-in for AWS: moto's server in this process, and the resources the app expects on it.

Resource names live here and nowhere else (`LocalResources`), so the demo, `portal broker ...` and later
features (reminders, payments) agree on them.
"""
from __future__ import annotations

import io
import os
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import boto3
from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from chalicelib.domain.policy import DEFAULT_POLICY
from portal import infra, moto_cognito
from portal.moto_atomic import make_dynamodb_atomic
from portal.moto_ses_rate import NEW_ACCOUNT_RATE, limit_ses_send_rate
from portal.servers import BackgroundServer

REGION = "eu-west-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
SERVICES = ("dynamodb", "secretsmanager", "ses", "sns", "sqs", "s3", "cognito-idp")

# Actions that only read: any other DynamoDB or Secrets Manager action changes the saved state.
READ_PREFIXES = ("Get", "Describe", "List", "Query", "Scan", "BatchGet", "TransactGet")
SAVED_SERVICES = ("DynamoDB_", "secretsmanager.")


@dataclass(frozen=True)
class Exchange:
    """One request moto answered, as the demo's watchers see it (before the caller gets the answer)."""
    method: str
    path: str
    target: str  # X-Amz-Target for JSON protocols ("DynamoDB_20120810.TransactWriteItems"), else ""
    body: bytes
    status: int
    answer: bytes

    @property
    def changes_saved_state(self) -> bool:
        service, _, action = self.target.partition(".")
        return self.target.startswith(SAVED_SERVICES) and not action.startswith(READ_PREFIXES)


@dataclass(frozen=True)
class LocalResources:
    table: str = "portal-local-cases"
    link_keys_secret: str = "portal-local/link-keys"
    bucket: str = "portal-local-assets"
    anchors: str = "portal-local-anchors"
    imports: str = "portal-local-imports"
    import_queue: str = "portal-local-imports"
    pack_queue: str = "portal-local-evidence-packs"
    staff_pool: str = "portal-local-staff"

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


class MotoServer(BackgroundServer):
    """moto's server (the same WSGI app ThreadedMotoServer runs) on a thread, showing each exchange to
    `watchers` before it answers: the demo saves its state and fills its outbox there, so what a caller
    has been told happened is already on disk.
    """

    def __init__(self, host: str, port: int) -> None:
        make_dynamodb_atomic()  # the API serves threads: moto alone would lose concurrent writes
        moto_cognito.install()  # GlobalSignOut finds the pool's region as AWS does
        # moto takes any six digits for an authenticator app unless told to check them as Cognito does.
        os.environ["MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP"] = "true"
        limit_ses_send_rate(NEW_ACCOUNT_RATE)  # SES as a new account: throttled above 14 sends a second
        dispatcher = DomainDispatcherApplication(create_backend_app)
        self.watchers: list[Callable[[Exchange], None]] = []

        def app(environ: dict[str, Any], start_response: Any) -> Any:
            if not self.watchers or not environ.get("CONTENT_LENGTH"):  # what we watch always has a length
                return dispatcher(environ, start_response)
            body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
            environ["wsgi.input"] = io.BytesIO(body)
            status: list[str] = []

            def started(line: str, headers: Any, exc_info: Any = None) -> Any:
                status.append(line)
                return start_response(line, headers, exc_info)

            answer = b"".join(dispatcher(environ, started))  # moto answers in one piece anyway
            exchange = Exchange(environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""),
                                environ.get("HTTP_X_AMZ_TARGET", ""), body, int(status[0].split()[0]), answer)
            for watch in self.watchers:
                watch(exchange)
            return [answer]

        # Bind here so a busy port raises OSError (werkzeug would print and exit on its own).
        with socket.create_server((host, port)) as listening:
            server: BaseWSGIServer = make_server(host, port, app, threaded=True,
                                                 request_handler=MotoRequestHandler, fd=listening.fileno())
        super().__init__(server, "moto")


def create_resources(client: Callable[[str], Any], names: LocalResources,
                     secret_value: str | None) -> dict[str, str]:
    """The deployed resources, from infra/ (table, link-keys secret, reminder queues), plus the bucket.

    Returns the environment the app needs to find the queues and the anchor and import buckets.
    """
    infra.create_table(client("dynamodb"), names.table)
    if secret_value is None:
        infra.create_link_keys_secret(client("secretsmanager"), names.link_keys_secret)
    else:
        client("secretsmanager").create_secret(Name=names.link_keys_secret, SecretString=secret_value)
    queue_url, dlq_url = infra.create_reminder_queues(client("sqs"))
    client("s3").create_bucket(Bucket=names.bucket,
                               CreateBucketConfiguration={"LocationConstraint": REGION})
    infra.create_anchor_bucket(client("s3"), names.anchors, REGION)
    # SES only sends from verified identities: the default policy's sender domain, as a deployment would.
    infra.verify_sender(client("sesv2"), DEFAULT_POLICY.sender.from_email.rsplit("@", 1)[-1])
    webhook_queue_url, _ = infra.create_webhook_queues(client("sqs"))
    infra.create_import_bucket(client("s3"), names.imports, REGION)
    import_queue_url = infra.create_function_queue(client("sqs"), "ImportQueue", names.import_queue)
    pool_id, client_id = infra.create_staff_pool(client("cognito-idp"), names.staff_pool)
    pack_queue_url = infra.create_function_queue(client("sqs"), "EvidencePackQueue", names.pack_queue)
    return {"USER_POOL_ID": pool_id, "USER_POOL_CLIENT_ID": client_id,
            "REMINDER_QUEUE_URL": queue_url, "REMINDER_DLQ_URL": dlq_url, "ANCHOR_BUCKET": names.anchors,
            "WEBHOOK_QUEUE_URL": webhook_queue_url, "IMPORT_BUCKET": names.imports,
            "IMPORT_QUEUE_URL": import_queue_url, "PACK_QUEUE_URL": pack_queue_url}

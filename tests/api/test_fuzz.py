"""Schemathesis reads /openapi.json and throws generated requests, valid and invalid, at every operation.

The app runs in-process on moto (a small WSGI adapter over chalice.test.Client), with a real broker's API
key, a real case and its pay token, the Stripe stand-in and the evidence bucket. Whatever it sends, the
answer is never a server error, its status is one the document lists, and its body fits the documented
schema. Examples are bounded (and derandomized) so the run stays well under a minute.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import boto3
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal import infra
from tests.api.conftest import open_case, token_of
from tests.conftest import SITE

EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def wsgi(client: Any) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """A WSGI app answering through chalice.test.Client, as API Gateway and Lambda would."""
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = quote(environ.get("PATH_INFO", "/").encode("latin-1"), safe="/%:@!$&'()*+,;=-._~")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        headers = {name[5:].replace("_", "-").title(): value for name, value in environ.items()
                   if name.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        answer = client.http.request(environ["REQUEST_METHOD"], path, headers=headers,
                                     body=environ["wsgi.input"].read(length) if length else b"")
        start_response(f"{answer.status_code} {HTTPStatus(answer.status_code).phrase}", list(answer.headers.items()))
        return [answer.body]
    return app


@pytest.fixture
def credentials(client, broker, stripe_standin, console_users, monkeypatch) -> dict[str, str]:
    """What a caller may hold: the broker's API key, a real case, and that case's pay token (with the staff pool
    the API is deployed with, so the console routes meet Cognito)."""
    monkeypatch.setenv("EVIDENCE_BUCKET", "evidence-fuzz")
    infra.create_evidence_bucket(boto3.client("s3"), "evidence-fuzz", SITE, "eu-west-1")
    _, key = broker
    case = open_case(client, key)
    return {"broker": key, "pay_token": token_of(case["pay_url"]), "case_id": case["case_id"]}


def fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str], path: dict[str, str] | None) -> None:
    @given(case=operation.as_strategy(mode, path_parameters=path))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def answers_well(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    answers_well()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_breaks_the_api_or_its_document(client, credentials, mode):
    api = schemathesis.openapi.from_wsgi("/openapi.json", wsgi(client))
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        schemes = list((operation.definition.raw.get("security") or [{}])[0])
        headers = {"Authorization": f"Bearer {credentials[schemes[0]]}"} if schemes else {}
        fuzz(operation, mode, headers, {"case_id": credentials["case_id"]} if "{case_id}" in operation.path else None)

"""POST one webhook delivery, to a checked address only (no SSRF).

The host is resolved once, every address it resolves to is checked, and the connection goes to the
checked address (the name is kept for TLS and Host), so DNS cannot answer differently between the check
and the connect. Redirects are never followed: a 3xx is a failed attempt.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.webhook_security import Target, check_address, parse_url

TIMEOUT_SECONDS = 10
MAX_ANSWER_BYTES = 4096  # we keep the status code only; a huge answer must not hold the worker

Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer (refused, timed out, blocked)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, address: str, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, address: str, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


class WebhookSender:
    def __init__(self, *, allow_loopback: bool = False, resolver: Resolver = resolve,
                 timeout: float = TIMEOUT_SECONDS) -> None:
        self._allow_loopback = allow_loopback
        self._resolve = resolver
        self._timeout = timeout

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        try:
            target = parse_url(url, allow_loopback=self._allow_loopback)
            addresses = self._resolve(target.host, target.port)
            if not addresses:
                return Answer(None, "the host has no address")
            for address in addresses:
                check_address(ipaddress.ip_address(address), allow_loopback=self._allow_loopback)
        except ValueError as exc:
            return Answer(None, f"refused: {exc}")
        except OSError:
            return Answer(None, "the host name does not resolve")
        kind: Any = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
        connection = kind(target, addresses[0], self._timeout)
        try:
            connection.request("POST", target.path, body=body, headers={
                **headers, "Content-Type": "application/json", "User-Agent": "collections-portal-webhooks/1"})
            answer = connection.getresponse()
            answer.read(MAX_ANSWER_BYTES)
            return Answer(answer.status)
        except (OSError, http.client.HTTPException) as exc:
            return Answer(None, type(exc).__name__)
        finally:
            connection.close()

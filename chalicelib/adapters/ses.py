"""Email through SES v2: one multipart (text + HTML) message per call, as raw MIME.

Raw rather than Simple content so the message SES stores and delivers is exactly the one we built
(both parts, Reply-To, our own headers), which the local outbox can show as the customer sees it.
The client must not retry SendEmail by itself (bootstrap builds it with retries off): a retry after a
timed-out request that SES had accepted would send the reminder twice. The worker retries instead,
durably and with backoff, only after a definite refusal; a throttle (DeliveryThrottled) it takes again
later without counting it. A `pacer` spaces this container's sends under the account's rate.
"""
from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError

from chalicelib.adapters.pacing import Pacer
from chalicelib.adapters.refusals import refusal
from chalicelib.ports import DeliveryRefused, Email

__all__ = ["DeliveryRefused", "Email", "SesMailer", "max_send_rate", "mime"]


def max_send_rate(client: Any) -> float:
    """The account's SES sending rate (messages per second), from GetSendQuota (an SES v1 client)."""
    return float(client.get_send_quota()["MaxSendRate"])


def mime(message: Email) -> bytes:
    msg = EmailMessage()
    msg["From"] = formataddr((message.from_name or "", message.from_email))
    msg["To"] = ", ".join((message.to, *message.also_to))
    if message.reply_to:
        msg["Reply-To"] = message.reply_to
    msg["Subject"] = message.subject
    msg["Message-ID"] = make_msgid(domain=message.from_email.rsplit("@", 1)[-1])
    if message.date:
        msg["Date"] = message.date
    msg.set_content(message.text)
    msg.add_alternative(message.html, subtype="html")
    return msg.as_bytes()


class SesMailer:
    def __init__(self, client: Any, configuration_set: str | None = None, pacer: Pacer | None = None) -> None:
        self._ses = client
        self._configuration_set = configuration_set
        self._pacer = pacer

    def send(self, message: Email) -> str:
        return self.compose(message)()

    def compose(self, message: Email) -> Callable[[], str]:
        """The MIME message is built here, so a message that cannot be encoded fails before SES is called."""
        kwargs: dict[str, Any] = {
            "FromEmailAddress": message.from_email,
            "Destination": {"ToAddresses": [message.to, *message.also_to]},
            "Content": {"Raw": {"Data": mime(message)}},
            "EmailTags": [{"Name": k, "Value": v} for k, v in message.tags],
        }
        if message.reply_to:
            kwargs["ReplyToAddresses"] = [message.reply_to]
        if self._configuration_set:
            kwargs["ConfigurationSetName"] = self._configuration_set
        return lambda: self._send(kwargs)

    def _send(self, kwargs: dict[str, Any]) -> str:
        if self._pacer is not None:
            self._pacer.wait()
        try:
            return str(self._ses.send_email(**kwargs)["MessageId"])
        except ClientError as exc:  # SES answered: it did not take the message
            raise refusal(exc) from exc
        except EndpointConnectionError as exc:  # never reached SES
            raise DeliveryRefused("EndpointConnectionError") from exc

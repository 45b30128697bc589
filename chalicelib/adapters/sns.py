"""SMS through SNS: a transactional text to one phone number, after checking the number has not opted out.

Like SES, the client is built with retries off (see ses.py); the worker retries after a refusal.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError

from chalicelib.adapters.pacing import Pacer
from chalicelib.adapters.refusals import refusal
from chalicelib.ports import DeliveryRefused


class SnsTexter:
    def __init__(self, client: Any, sender_id: str | None = None, pacer: Pacer | None = None) -> None:
        self._sns = client
        self._sender_id = sender_id
        self._pacer = pacer

    def opted_out(self, phone: str) -> bool:
        """Whether the number replied STOP (SNS keeps the opt-out list)."""
        try:
            return bool(self._sns.check_if_phone_number_is_opted_out(phoneNumber=phone)["isOptedOut"])
        except ClientError as exc:
            raise refusal(exc) from exc

    def send(self, phone: str, text: str) -> str:
        return self.compose(phone, text)()

    def compose(self, phone: str, text: str) -> Callable[[], str]:
        """Checked here for what the wire needs (UTF-8), so a bad text fails before SNS is called."""
        text.encode("utf-8")
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if self._sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": self._sender_id}
        return lambda: self._publish(phone, text, attributes)

    def _publish(self, phone: str, text: str, attributes: dict[str, Any]) -> str:
        if self._pacer is not None:
            self._pacer.wait()
        try:
            return str(self._sns.publish(PhoneNumber=phone, Message=text, MessageAttributes=attributes)["MessageId"])
        except ClientError as exc:
            raise refusal(exc) from exc
        except EndpointConnectionError as exc:
            raise DeliveryRefused("EndpointConnectionError") from exc

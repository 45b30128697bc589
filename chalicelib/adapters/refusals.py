"""A provider's answer "no" in our words: which error codes mean "slow down" rather than "never".

SES (v1 and v2) says `Throttling`/`ThrottlingException` ("Maximum sending rate exceeded", or the daily
quota) and v2 may say `TooManyRequestsException`; SNS says `Throttled`/`Throttling`. Those refusals sent
nothing and the same request will be taken later, so they are DeliveryThrottled, never a failed attempt.
"""
from __future__ import annotations

from botocore.exceptions import ClientError

from chalicelib.ports import DeliveryRefused, DeliveryThrottled

THROTTLED = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException", "Throttled",
                       "ThrottledException", "MaxSendingRateExceeded"})


def refusal(exc: ClientError) -> DeliveryRefused:
    code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
    return DeliveryThrottled(code) if code in THROTTLED else DeliveryRefused(code)

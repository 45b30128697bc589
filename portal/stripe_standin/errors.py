"""Stripe's error responses, as the API sends them (status code plus the `error` object)."""

from __future__ import annotations

from typing import Any

DOCS = "https://stripe.com/docs/error-codes/"


class StripeError(Exception):
    """An API error the stand-in answers with; `body` is the JSON object Stripe would send."""

    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", ""))
        self.status = status
        self.error = {key: value for key, value in error.items() if value is not None}

    @property
    def body(self) -> dict[str, Any]:
        return {"error": self.error}


def invalid_request(message: str, param: str | None = None, code: str | None = None,
                    status: int = 400) -> StripeError:
    error: dict[str, Any] = {"type": "invalid_request_error", "message": message, "param": param}
    if code:
        error["code"] = code
        error["doc_url"] = DOCS + code.replace("_", "-")
    return StripeError(status, error)


def unknown_parameter(param: str) -> StripeError:
    return invalid_request(f"Received unknown parameter: {param}", param, "parameter_unknown")


def missing_parameter(param: str) -> StripeError:
    return invalid_request(f"Missing required param: {param}.", param, "parameter_missing")


def no_such(kind: str, object_id: str, param: str) -> StripeError:
    return invalid_request(f"No such {kind}: '{object_id}'", param, "resource_missing", status=404)


def unrecognized_url(method: str, path: str) -> StripeError:
    return invalid_request(
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can "
        "help at https://support.stripe.com/.",
        status=404,
    )


def authentication(message: str) -> StripeError:
    return StripeError(401, {"type": "invalid_request_error", "message": message})


def idempotency(message: str, status: int = 400) -> StripeError:
    return StripeError(status, {"type": "idempotency_error", "message": message})


def card_error(code: str, decline_code: str | None, message: str, **related: Any) -> StripeError:
    """A 402 card_error; `related` carries payment_intent, payment_method, charge as Stripe includes them."""
    error: dict[str, Any] = {
        "type": "card_error",
        "code": code,
        "decline_code": decline_code,
        "message": message,
        "doc_url": DOCS + code.replace("_", "-"),
        **related,
    }
    return StripeError(402, error)

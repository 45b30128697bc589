"""The project's own errors. Raised by the domain, services and adapters; mapped to HTTP once (app.py)."""
from __future__ import annotations


class PortalError(Exception):
    """Base: carries a stable machine code, a human message and, for input errors, the field."""

    status = 400
    code = "error"

    def __init__(self, message: str, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class InvalidInput(PortalError):
    status = 400
    code = "invalid_input"


class PayloadTooLarge(PortalError):
    status = 413
    code = "payload_too_large"


class Unauthorized(PortalError):
    status = 401
    code = "unauthorized"


class NotFound(PortalError):
    status = 404
    code = "not_found"


class Conflict(PortalError):
    """A request that contradicts the current state (duplicate invoice, impossible transition)."""

    status = 409
    code = "conflict"


class VersionConflict(Conflict):
    """Someone else changed the case first; services reload and retry."""

    code = "version_conflict"


class UpstreamError(PortalError):
    """A provider we depend on (Stripe) refused or failed; nothing was changed on our side."""

    status = 502
    code = "upstream_error"


class Forbidden(PortalError):
    """Signed in, but the role does not allow this (another broker's data stays a 404, never this)."""

    status = 403
    code = "forbidden"

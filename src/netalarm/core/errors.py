"""Domain errors: each maps to one HTTP status and the JSON error body of DESIGN.md."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the client can understand: `code`, a message, and the offending field if any."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or {}
        if code:
            self.code = code

    def body(self) -> dict[str, object]:
        return {"error": {"code": self.code, "message": self.message, "field": self.field, **self.details}}


class Invalid(DomainError):
    status = 422
    code = "invalid"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class TooLarge(DomainError):
    status = 413
    code = "too_large"


class UnsupportedMedia(DomainError):
    status = 415
    code = "unsupported_media_type"


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"

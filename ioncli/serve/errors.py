"""One error body for every failure the service answers with.

Shape: `{"success": false, "error": {"code", "message", "field"?, "valid_values"?},
"request_id"}`. Handlers raise `HTTPError`; the app turns it (and anything unexpected,
as a 500 that names no internals) into this body.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import msgspec


def now_iso() -> str:
    """The `timestamp` every answer carries: UTC to the millisecond, with a Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ErrorDetail(msgspec.Struct, omit_defaults=True):
    code: str
    message: str
    field: str | None = None
    valid_values: list[str] | None = None


class ErrorBody(msgspec.Struct):
    success: bool
    error: ErrorDetail
    request_id: str
    errors: list[ErrorDetail] | None  # the original's field: always null here
    timestamp: str


class HTTPError(Exception):
    """An answer other than success: status, a stable code, one clear message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        valid_values: Sequence[str] | None = None,
        headers: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.valid_values = list(valid_values) if valid_values is not None else None
        self.headers = tuple(headers)

    def body(self, request_id: str) -> bytes:
        detail = ErrorDetail(self.code, self.message, self.field, self.valid_values)
        return _encode(ErrorBody(False, detail, request_id, None, now_iso()))


_encode = msgspec.json.Encoder().encode


def invalid(field: str, message: str, valid_values: Sequence[str] | None = None) -> HTTPError:
    return HTTPError(422, "INVALID_INPUT", message, field=field, valid_values=valid_values)


def empty(field: str, what: str = "User input") -> HTTPError:
    """Empty or blank text: the original's 400 INVALID_INPUT, which its clients check for."""
    return HTTPError(400, "INVALID_INPUT", f"{what} cannot be empty", field=field)


def not_found(message: str, *, code: str = "NOT_FOUND", field: str | None = None) -> HTTPError:
    return HTTPError(404, code, message, field=field)


def too_large(message: str, *, field: str | None = None) -> HTTPError:
    return HTTPError(413, "REQUEST_TOO_LARGE", message, field=field)


def method_not_allowed(path: str, allowed: Sequence[str]) -> HTTPError:
    allow = ", ".join(sorted(allowed))
    return HTTPError(
        405,
        "METHOD_NOT_ALLOWED",
        f"{path} accepts {allow}",
        headers=((b"allow", allow.encode()),),
    )

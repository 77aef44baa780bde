"""The HTTP building blocks the app, the handlers and the OpenAPI document share.

ASGI's types, the request and response the handlers see, and a route: a path template with
one handler per method and, for the published paths, the operation /openapi.json describes.
Nothing here knows the app or the service, so every other serve module can import it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from ioncli.serve.metrics import RouteStats

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

JSON = b"application/json"
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")


@dataclass(slots=True)
class Request:
    scope: Scope
    body: bytes
    request_id: str
    params: dict[str, str] = field(default_factory=dict)

    def query(self) -> dict[str, list[str]]:
        raw = self.scope.get("query_string", b"")
        if not raw:
            return {}
        return parse_qs(raw.decode("latin-1"), keep_blank_values=True)


@dataclass(slots=True)
class Response:
    body: bytes
    status: int = 200
    content_type: bytes = JSON
    headers: tuple[tuple[bytes, bytes], ...] = ()


Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Operation:
    """What /openapi.json says about one method of a route (see openapi.py)."""

    summary: str
    response: Any  # the msgspec Struct of the 200 answer; None with `content`
    body: Any = None  # the request body's Struct
    errors: tuple[int, ...] = (401, 429)
    params: tuple[dict[str, Any], ...] = ()
    tag: str = "v2"
    content: dict[str, Any] | None = None  # the 200 answer when it is not a JSON Struct


@dataclass
class Route:
    template: str
    methods: dict[str, Handler]
    stats: RouteStats
    public: bool = False  # reachable without the API key
    limited: bool = True  # subject to the rate limit
    csp: tuple[bytes, bytes] = API_CSP
    # Per method, lower case, as /openapi.json lists it; a route without one is unpublished.
    operations: dict[str, Operation] = field(default_factory=dict)

"""The ASGI application: a dict router and the cross-cutting pieces, written for speed.

Per request: one dict lookup for the route, a header scan (request id, origin, API key),
the body read with a hard limit, the handler, then two `send` calls with precomputed
headers. No per-request logging, no framework. Everything is built by `create_app`; the
module holds no state, so tests and benchmarks build as many apps as they like.
"""

from __future__ import annotations

import contextlib
import hmac
import itertools
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from ioncli.serve.errors import HTTPError, method_not_allowed, too_large
from ioncli.serve.metrics import Metrics, RouteStats

if TYPE_CHECKING:
    from ioncli.config import Settings
    from ioncli.serve.state import ServiceState

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

JSON = b"application/json"
_RID_OK = re.compile(rb"^[A-Za-z0-9._:-]{1,64}$")
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"cache-control", b"no-store"),
)
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
CORS_ALLOW_HEADERS = b"content-type, authorization, x-api-key, x-request-id"


@dataclass
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


@dataclass
class Response:
    body: bytes
    status: int = 200
    content_type: bytes = JSON
    headers: tuple[tuple[bytes, bytes], ...] = ()


Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class Route:
    template: str
    methods: dict[str, Handler]
    stats: RouteStats
    public: bool = False  # reachable without the API key
    limited: bool = True  # subject to the rate limit
    csp: tuple[bytes, bytes] = API_CSP


class TokenBuckets:
    """Per-client token buckets: `rate` tokens a second up to `burst`."""

    MAX_CLIENTS = 10_000

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(max(1, burst or int(rate) or 1))
        self._buckets: dict[str, list[float]] = {}

    def take(self, client: str) -> float:
        """0.0 when allowed, else the seconds until a token is back."""
        now = time.monotonic()
        bucket = self._buckets.get(client)
        if bucket is None:
            if len(self._buckets) >= self.MAX_CLIENTS:
                # Forget the oldest half: a forgotten client simply starts with a full bucket.
                for key in list(itertools.islice(self._buckets, self.MAX_CLIENTS // 2)):
                    del self._buckets[key]
            bucket = self._buckets[client] = [self.burst, now]
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return 0.0
        bucket[0] = tokens
        return (1.0 - tokens) / self.rate


class App:
    """The ASGI callable. Build it with `create_app`."""

    def __init__(self, settings: Settings, state: ServiceState, routes: list[Route]) -> None:
        serve = settings.serve
        self.settings = settings
        self.state = state
        self.metrics: Metrics = state.metrics
        self.max_body = serve.max_body_bytes
        self._exact: dict[str, Route] = {}
        self._prefixed: list[tuple[str, Route]] = []
        for route in routes:
            if "{" in route.template:
                self._prefixed.append((route.template.split("{", 1)[0], route))
            else:
                self._exact[route.template] = route
        self._not_found = self.metrics.route("unmatched")
        self._rid_prefix = secrets.token_hex(4) + "-"
        self._rid_counter = itertools.count(1)
        self._api_key = _api_key(serve.api_key_env, state.environ)
        origins = tuple(serve.cors_origins)
        self._cors_any = "*" in origins
        self._cors = {o.encode() for o in origins}
        self._limiter = (
            TokenBuckets(serve.rate_limit_per_second, serve.rate_limit_burst)
            if serve.rate_limit_per_second > 0
            else None
        )
        self._trust_forwarded = serve.trust_forwarded_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    # ---- lifespan ----------------------------------------------------------------------

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.state.startup()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                with contextlib.suppress(Exception):
                    await self.state.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # ---- one request -------------------------------------------------------------------

    def _match(self, path: str) -> tuple[Route | None, dict[str, str]]:
        route = self._exact.get(path)
        if route is not None:
            return route, {}
        if len(path) > 1 and path.endswith("/"):
            route = self._exact.get(path.rstrip("/"))
            if route is not None:
                return route, {}
        for prefix, candidate in self._prefixed:
            if path.startswith(prefix):
                rest = path[len(prefix) :]
                if rest and "/" not in rest:
                    name = candidate.template[len(prefix) :].strip("{}")
                    return candidate, {name: rest}
        return None, {}

    async def _http(  # noqa: PLR0915 (the hot path stays in one frame: each call costs)
        self, scope: Scope, receive: Receive, send: Send
    ) -> None:
        started = time.perf_counter()
        metrics = self.metrics
        # Requests in flight: busy time (what request-based billing charges) and peak concurrency.
        if metrics.inflight == 0:
            metrics.busy_since = started
        metrics.inflight += 1
        metrics.inflight_peak = max(metrics.inflight_peak, metrics.inflight)
        try:
            rid: str | None = None
            origin: bytes | None = None
            presented: bytes | None = None
            forwarded: bytes | None = None
            length = -1
            for name, value in scope["headers"]:
                if name == b"content-length":
                    length = int(value) if value.isdigit() else -1
                elif name == b"x-request-id":
                    if _RID_OK.match(value):
                        rid = value.decode()
                elif name == b"origin":
                    origin = value
                elif name == b"x-api-key":
                    presented = value
                elif name == b"authorization" and value[:7].lower() == b"bearer ":
                    presented = value[7:].strip()
                elif name == b"x-forwarded-for":
                    forwarded = value
            if rid is None:
                rid = f"{self._rid_prefix}{next(self._rid_counter):x}"
            path: str = scope["path"]
            method: str = scope["method"]
            route, params = self._match(path)
            stats = route.stats if route is not None else self._not_found
            csp = route.csp if route is not None else API_CSP
            extra: tuple[tuple[bytes, bytes], ...] = ()
            try:
                if route is None:
                    raise HTTPError(404, "NOT_FOUND", f"no route {path}; see /openapi.json")
                if method == "OPTIONS":
                    response = self._preflight(route, origin)
                else:
                    handler = route.methods.get(method)
                    if handler is None:
                        if method == "HEAD" and "GET" in route.methods:
                            handler = route.methods["GET"]
                        else:
                            raise method_not_allowed(path, [*route.methods, "OPTIONS"])
                    if self._api_key is not None and not route.public:
                        self._check_key(presented)
                    if self._limiter is not None and route.limited:
                        client = self._client(scope, forwarded)
                        wait = self._limiter.take(client)
                        if wait > 0:
                            raise HTTPError(
                                429,
                                "RATE_LIMITED",
                                f"too many requests from {client}; retry in {wait:.1f} s",
                                headers=(
                                    (b"retry-after", str(max(1, round(wait + 0.49))).encode()),
                                ),
                            )
                    body = await self._read_body(receive, length) if method == "POST" else b""
                    response = await handler(Request(scope, body, rid, params))
                status = response.status
                payload = b"" if method == "HEAD" else response.body
                content_type = response.content_type
                extra = response.headers
            except HTTPError as exc:
                status, payload, content_type, extra = exc.status, exc.body(rid), JSON, exc.headers
            except (
                Exception
            ) as exc:  # a bug: answer with the error body, never a dropped connection
                status, content_type = 500, JSON
                payload = HTTPError(500, "INTERNAL_ERROR", "the server failed; see its log").body(
                    rid
                )
                self.state.report_exception(exc, rid)
            headers: Headers = [
                (b"content-type", content_type),
                (b"content-length", str(len(payload)).encode()),
                (b"x-request-id", rid.encode()),
                *SECURITY_HEADERS,
                csp,
                *extra,
            ]
            if origin is not None and (self._cors_any or origin in self._cors):
                headers.append((b"access-control-allow-origin", b"*" if self._cors_any else origin))
                headers.append(
                    (b"access-control-expose-headers", b"x-request-id, x-cache, retry-after")
                )
                if not self._cors_any:
                    headers.append((b"vary", b"origin"))
            try:
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": payload})
            except OSError:
                status = (
                    499  # the client went away first (nginx's code for it): counted, not raised
                )
            elapsed = time.perf_counter() - started
            self.metrics.observe_request(stats, status, elapsed)
            sentry = self.state.sentry
            if sentry is not None and (status >= 500 or elapsed > 2.0):
                sentry.api_request(method, path, status, elapsed * 1000.0, rid)
        finally:
            metrics.inflight -= 1
            if metrics.inflight == 0:
                metrics.busy_seconds += time.perf_counter() - metrics.busy_since

    async def _read_body(self, receive: Receive, length: int) -> bytes:
        limit = self.max_body
        if length > limit:
            raise too_large(f"the request body is {length:,} bytes; the limit is {limit:,}")
        message = await receive()
        body: bytes = message.get("body", b"")
        if not message.get("more_body", False):
            if len(body) > limit:
                raise too_large(f"the request body is over the limit of {limit:,} bytes")
            return body
        chunks = bytearray(body)
        while message.get("more_body", False):
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunks += message.get("body", b"")
            if len(chunks) > limit:
                raise too_large(f"the request body is over the limit of {limit:,} bytes")
        return bytes(chunks)

    def _check_key(self, presented: bytes | None) -> None:
        expected = self._api_key
        assert expected is not None
        if presented is None or not hmac.compare_digest(presented, expected):
            raise HTTPError(
                401,
                "UNAUTHORIZED",
                "missing or wrong API key: send it as X-API-Key or Authorization: Bearer",
                headers=((b"www-authenticate", b"Bearer"),),
            )

    def _client(self, scope: Scope, forwarded: bytes | None) -> str:
        if self._trust_forwarded and forwarded:
            return forwarded.split(b",", 1)[0].strip().decode("latin-1")[:64]
        client = scope.get("client")
        return str(client[0]) if client else "unknown"

    def _preflight(self, route: Route, origin: bytes | None) -> Response:
        allow = ", ".join(sorted([*route.methods, "OPTIONS"])).encode()
        headers: list[tuple[bytes, bytes]] = [(b"allow", allow)]
        if origin is not None and (self._cors_any or origin in self._cors):
            headers += [
                (b"access-control-allow-methods", allow),
                (b"access-control-allow-headers", CORS_ALLOW_HEADERS),
                (b"access-control-max-age", b"600"),
            ]
        return Response(b"", 204, b"text/plain", tuple(headers))


def _api_key(env_name: str | None, environ: Mapping[str, str]) -> bytes | None:
    from ioncli.errors import ConfigError

    if not env_name:
        return None
    value = environ.get(env_name, "")
    if not value:
        raise ConfigError(
            f"serve.api_key_env names {env_name}, but that environment variable is empty; "
            "set it or remove api_key_env"
        )
    return value.encode()


def create_app(settings: Settings, deps: Any = None) -> App:
    """Build the service: state (pipeline, cache, metrics, history) and the route table."""
    from ioncli.serve.routes import build_routes
    from ioncli.serve.state import Deps, ServiceState

    state = ServiceState(settings, deps if isinstance(deps, Deps) else Deps())
    return App(settings, state, build_routes(state))

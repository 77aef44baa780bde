"""The ASGI application: a dict router and the cross-cutting pieces, written for speed.

Per request: one dict lookup for the route, a header scan (request id, origin, API key),
the body read with a hard limit, the handler, then two `send` calls with precomputed
headers. No per-request logging, no framework. Everything is built by `create_app`; the
module holds no state, so tests and benchmarks build as many apps as they like.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import itertools
import re
import secrets
import signal
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

from ioncli.errors import ConfigError
from ioncli.serve.errors import HTTPError, method_not_allowed, too_large
from ioncli.serve.http import (
    API_CSP,
    JSON,
    Headers,
    Receive,
    Request,
    Response,
    Route,
    Scope,
    Send,
)
from ioncli.serve.metrics import Metrics
from ioncli.serve.routes import build_routes
from ioncli.serve.state import Deps, ServiceState

if TYPE_CHECKING:
    from ioncli.config import Settings

PRESSURE_READS = 16  # bodies arriving slowly at once before each reader's client is counted
REAP_SECONDS = 0.5
_RID_OK = re.compile(rb"[A-Za-z0-9._:-]{1,64}")
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"cache-control", b"no-store"),
)
CORS_ALLOW_HEADERS = b"content-type, authorization, x-api-key, x-request-id"


class TokenBuckets:
    """Per-client token buckets: `rate` tokens a second up to `burst`.

    The table is an LRU: when it is full the client unseen for longest is forgotten, one at a
    time. A client being limited right now is among the most recently seen, so a flood of new
    sources cannot reset it (it would need MAX_CLIENTS fresh sources between two of its own
    requests, and by then its bucket has refilled anyway at any sane rate).
    """

    MAX_CLIENTS = 65_536

    def __init__(
        self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = float(max(1, burst or int(rate) or 1))
        self._clock = clock  # monotonic seconds; tests pass a fake to move time on
        self._buckets: OrderedDict[str, list[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, client: str) -> float:
        """0.0 when allowed, else the seconds until a token is back."""
        now = self._clock()
        buckets = self._buckets
        bucket = buckets.get(client)
        if bucket is None:
            if len(buckets) >= self.MAX_CLIENTS:
                buckets.popitem(last=False)
            bucket = buckets[client] = [self.burst, now]
        else:
            buckets.move_to_end(client)
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return 0.0
        bucket[0] = tokens
        return (1.0 - tokens) / self.rate


def client_key(address: str) -> str:
    """The unit a limit applies to: an IPv4 address, or an IPv6 /64 (one subscriber's
    network: a single host can use any of its 2^64 addresses)."""
    if ":" not in address:
        return address
    try:
        ip = ipaddress.IPv6Address(address.split("%", 1)[0])
    except ValueError:
        return address[:64]
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))


def forwarded_client(header: bytes, hops: int) -> str | None:
    """The client address in X-Forwarded-For behind `hops` trusted proxies that each append
    the address they received from: the `hops`-th entry from the right. Entries left of it
    were written by the client and are ignored; None when the header is unusable."""
    entries = [e.strip() for e in header.decode("latin-1").split(",")]
    entries = [e for e in entries if e]
    if not entries:
        return None
    value = entries[max(0, len(entries) - max(1, hops))]
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


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
        self._hops = serve.forwarded_hops
        self._per_client = serve.max_body_reads_per_client
        self._body_timeout = serve.body_read_timeout_seconds
        self._grace = serve.shutdown_grace_seconds
        # Requests waiting for their body, as the reaper last saw them: task -> [first seen
        # (monotonic), client or None]. The reaper finds them by looking at what each task
        # awaits (see `_request_state`), so a request carries no bookkeeping at all. It
        # cancels a body read past its deadline (408), the newest readers of a client that
        # holds too many (429) and, after SIGTERM, every request still running at the grace
        # deadline (503); `_reasons` says which, so a cancellation not ours still propagates.
        self._reading: dict[asyncio.Task[Any], list[Any]] = {}
        self._reasons: dict[asyncio.Task[Any], HTTPError] = {}
        self._draining_at: float | None = None
        self._reaper: asyncio.Task[None] | None = None

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
                self.start_reaper()
                self._chain_sigterm()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                with contextlib.suppress(Exception):
                    await self.state.shutdown()
                if self._reaper is not None:
                    self._reaper.cancel()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def start_reaper(self) -> None:
        if self._reaper is None:
            self._reaper = asyncio.get_running_loop().create_task(self._reap())

    def _chain_sigterm(self) -> None:
        """Hear SIGTERM as soon as it arrives, before the server drains its connections.

        The server's own handler stays in charge: the event loop learns of the signal
        through its wakeup fd whatever Python-level handler is set, and the previous one is
        still called. Ours only starts `begin_shutdown`."""
        loop = asyncio.get_running_loop()
        try:
            previous = signal.getsignal(signal.SIGTERM)

            def on_term(signum: int, frame: Any) -> None:
                loop.call_soon_threadsafe(self.begin_shutdown)
                if callable(previous):
                    previous(signum, frame)

            signal.signal(signal.SIGTERM, on_term)
        except (ValueError, OSError):  # not the main thread: the lifespan shutdown still runs
            pass

    def begin_shutdown(self) -> None:
        """SIGTERM: write the last history sample and the warm-up table now, and give the
        requests in flight `shutdown_grace_seconds` to finish."""
        if self._draining_at is not None:
            return
        self._draining_at = time.monotonic()
        loop = asyncio.get_running_loop()
        self._saving = loop.create_task(self.state.save_now())

    async def _reap(self) -> None:
        while True:
            await asyncio.sleep(REAP_SECONDS)
            self.reap(time.monotonic())

    def reap(self, now: float) -> None:
        draining = self._draining_at is not None and now - self._draining_at >= self._grace
        reading: dict[asyncio.Task[Any], list[Any]] = {}
        for task in asyncio.all_tasks():
            if task.done() or task in self._reasons:
                continue
            found = _request_state(task)
            if found is None:
                continue
            if draining:
                self._cancel(task, 503, "SHUTTING_DOWN", "the server is stopping; retry")
            elif found[1]:
                reading[task] = self._reading.get(task) or [now, None, found[0]]
        self._reading = reading
        for task, entry in reading.items():
            if now - entry[0] > self._body_timeout:
                self._cancel(
                    task,
                    408,
                    "REQUEST_TIMEOUT",
                    f"the request body did not arrive within {self._body_timeout:g} s",
                )
        if len(reading) > PRESSURE_READS and self._per_client > 0:
            self._cap_readers(reading)

    def _cap_readers(self, reading: dict[asyncio.Task[Any], list[Any]]) -> None:
        """Many bodies are arriving slowly at once: a client holding more than
        `max_body_reads_per_client` of them gets its newest ones answered 429."""
        by_client: dict[str, list[tuple[float, asyncio.Task[Any]]]] = {}
        for task, entry in reading.items():
            if entry[1] is None:
                local = entry[2].cr_frame.f_locals if entry[2].cr_frame else {}
                entry[1] = self._client(local.get("scope", {}), local.get("forwarded"))
            by_client.setdefault(entry[1], []).append((entry[0], task))
        for client, tasks in by_client.items():
            if len(tasks) > self._per_client:
                tasks.sort(key=lambda pair: pair[0])
                for _, task in tasks[self._per_client :]:
                    self._cancel(
                        task,
                        429,
                        "TOO_MANY_IN_FLIGHT",
                        f"{client} has more than {self._per_client} requests sending their "
                        "body (max_body_reads_per_client)",
                    )

    def _cancel(self, task: asyncio.Task[Any], status: int, code: str, message: str) -> None:
        headers = [(b"connection", b"close")]
        if status != 408:
            headers.append((b"retry-after", b"1"))
        self._reasons[task] = HTTPError(status, code, message, headers=headers)
        task.cancel()

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
        client: str | None = None
        task: asyncio.Task[Any] | None = None
        try:
            rid: str | None = None
            origin: bytes | None = None
            presented: bytes | None = None
            conflicting = False
            forwarded: bytes | None = None
            content_type_in: bytes | None = None
            host: bytes | None = None
            length = -1
            for name, value in scope["headers"]:
                if name == b"content-length":
                    length = int(value) if value.isdigit() else -1
                elif name == b"content-type":
                    content_type_in = value
                elif name == b"x-request-id":
                    if _RID_OK.fullmatch(value):
                        rid = value.decode()
                elif name == b"origin":
                    origin = value
                elif name == b"host":
                    host = value
                elif name == b"x-api-key":
                    conflicting |= presented is not None and presented != value
                    presented = value
                elif name == b"authorization" and value[:7].lower() == b"bearer ":
                    token = value[7:].strip()
                    conflicting |= presented is not None and presented != token
                    presented = token
                elif name == b"x-forwarded-for":
                    forwarded = value
            query_string: bytes = scope.get("query_string", b"")
            if query_string and b"request_id=" in query_string:
                asked = _query_rid(query_string)
                if asked is not None:
                    rid = asked
            if rid is None:
                rid = f"{self._rid_prefix}{next(self._rid_counter):x}"
            path: str = scope["path"]
            method: str = scope["method"]
            route, params = self._match(path)
            stats = route.stats if route is not None else self._not_found
            csp = route.csp if route is not None else API_CSP
            extra: tuple[tuple[bytes, bytes], ...] = ()
            try:
                limited = route is None or route.limited
                if limited and self._limiter is not None:
                    # Before the key check and the route's own answers: guessing keys, probing
                    # routes and preflights all spend the same tokens.
                    client = self._client(scope, forwarded)
                    self._rate_limit(client)
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
                        self._check_key(presented, conflicting)
                    if method == "POST":
                        if origin is not None or (
                            content_type_in is not None and content_type_in != JSON
                        ):
                            self._check_post(origin, host, content_type_in, length)
                        body = await self._read_body(receive, length)
                    else:
                        body = b""
                    response = await handler(Request(scope, body, rid, params))
                status = response.status
                payload = b"" if method == "HEAD" else response.body
                content_type = response.content_type
                extra = response.headers
            except HTTPError as exc:
                status, payload, content_type, extra = exc.status, exc.body(rid), JSON, exc.headers
            except asyncio.CancelledError:
                task = asyncio.current_task()
                reason = self._reasons.pop(task, None) if task is not None else None
                if reason is None or task is None:
                    raise
                task.uncancel()
                status, payload, content_type = reason.status, reason.body(rid), JSON
                extra = reason.headers
            except RecursionError:  # a body nested past what any decoder recurses into
                status, content_type = 400, JSON
                payload = HTTPError(400, "MALFORMED_JSON", "the body is nested too deeply").body(
                    rid
                )
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
            if task is not None:
                self._reasons.pop(task, None)

    def _rate_limit(self, client: str) -> None:
        assert self._limiter is not None
        wait = self._limiter.take(client)
        if wait > 0:
            raise HTTPError(
                429,
                "RATE_LIMITED",
                f"too many requests from {client}; retry in {wait:.1f} s",
                headers=((b"retry-after", str(max(1, round(wait + 0.49))).encode()),),
            )

    def _check_post(
        self, origin: bytes | None, host: bytes | None, content_type: bytes | None, length: int
    ) -> None:
        """Refuse what a browser on another site can send without asking (a CORS "simple"
        request): a POST from a foreign origin, or a body declared as anything but JSON (a
        form or text/plain). No Content-Type at all is read as JSON, as the original did."""
        if (
            origin is not None
            and not self._cors_any
            and origin not in self._cors
            and (host is None or origin.split(b"://", 1)[-1] != host)
        ):
            raise HTTPError(
                403,
                "FORBIDDEN_ORIGIN",
                f"POST from origin {origin[:100].decode('latin-1')!r} is not allowed; "
                "add it to cors_origins",
            )
        if content_type is not None and length != 0 and not _is_json(content_type):
            raise HTTPError(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                "send the body as JSON with Content-Type: application/json",
            )

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

    def _check_key(self, presented: bytes | None, conflicting: bool = False) -> None:
        expected = self._api_key
        assert expected is not None
        if conflicting:
            raise HTTPError(
                401,
                "UNAUTHORIZED",
                "X-API-Key and Authorization: Bearer disagree; send the key once",
                headers=((b"www-authenticate", b"Bearer"),),
            )
        if presented is None or not hmac.compare_digest(presented, expected):
            raise HTTPError(
                401,
                "UNAUTHORIZED",
                "missing or wrong API key: send it as X-API-Key or Authorization: Bearer",
                headers=((b"www-authenticate", b"Bearer"),),
            )

    def _client(self, scope: Scope, forwarded: bytes | None) -> str:
        if self._trust_forwarded and forwarded:
            found = forwarded_client(forwarded, self._hops)
            if found is not None:
                return client_key(found)
        peer = scope.get("client")
        return client_key(str(peer[0])) if peer else "unknown"

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


def _request_state(task: asyncio.Task[Any]) -> tuple[Any, bool] | None:
    """(the `App._http` coroutine, whether it waits for the body) when the task serves a
    request, else None: found by walking what the task awaits."""
    coro: Any = task.get_coro()
    http = None
    for _ in range(16):
        if coro is None:
            break
        code = getattr(coro, "cr_code", None)
        if code is _HTTP_CODE:
            http = coro
        elif code is _READ_BODY_CODE and http is not None:
            return http, True
        coro = getattr(coro, "cr_await", None)
    return (http, False) if http is not None else None


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


def _query_rid(query_string: bytes) -> str | None:
    """`?request_id=` as the original service took it (validated like the header)."""
    for part in query_string.split(b"&"):
        if part.startswith(b"request_id="):
            value = unquote_to_bytes(part[11:].replace(b"+", b" "))
            return value.decode() if _RID_OK.fullmatch(value) else None
    return None


_HTTP_CODE = App._http.__code__
_READ_BODY_CODE = App._read_body.__code__


def _api_key(env_name: str | None, environ: Mapping[str, str]) -> bytes | None:
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
    state = ServiceState(settings, deps if isinstance(deps, Deps) else Deps())
    return App(settings, state, build_routes(state))

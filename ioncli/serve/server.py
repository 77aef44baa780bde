"""Run the app on granian: one process per core you give it, listening on $PORT in Cloud Run.

The app is built in the parent before granian forks its worker, so a configuration error is
one clear line (exit 3) instead of a dying worker. On SIGTERM (Cloud Run's stop signal)
granian stops accepting, lets in-flight requests finish, and runs the ASGI lifespan
shutdown, which writes the last history sample.
"""

from __future__ import annotations

import errno
import resource
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ioncli.errors import UsageError
from ioncli.render.jinja import environment

if TYPE_CHECKING:
    from ioncli.config import Settings


@dataclass(frozen=True)
class Limits:
    """What one client may hold: the connection side lives in granian."""

    header_read_timeout_seconds: float = 5.0
    max_connections: int = 8192


def raise_open_files(wanted: int) -> int:
    """Lift the soft limit on open files towards `wanted` (up to the hard limit); returns
    what is now allowed. Every connection is a file descriptor."""

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return wanted if soft == resource.RLIM_INFINITY else min(wanted, soft)


def describe(settings: Settings, host: str, port: int) -> str:
    """The lines `ion serve` prints at start: where it listens and what it runs with."""
    serve = settings.serve
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, host)  # display only
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"  # an IPv6 literal in a URL
    where = f"http://{shown}:{port}"
    l2 = f"L2 Redis {_redact(serve.redis_url)}" if serve.redis_url else "L2 off (no --redis-url)"
    return "\n".join(
        [
            f"ion serve: listening on {where}"
            + (f" (every interface: {host})" if host in ("0.0.0.0", "::") else ""),
            f"  docs {where}/docs   metrics {where}/metrics   health {where}/api/v2/health",
            f"  cache L1 {serve.l1_max_items} items / {serve.l1_ttl_seconds:g} s; {l2}",
            "  history " + (serve.history_path if serve.history else "off"),
            "  responder " + (serve.responder_url or "offline (answers are the persona prompts)"),
            f"  limits: headers within {serve.header_read_timeout_seconds:g} s, "
            f"{serve.max_connections} connections, "
            f"{serve.max_body_reads_per_client} slow bodies per client",
            "  stop with Ctrl-C or SIGTERM (in-flight requests get "
            f"{serve.shutdown_grace_seconds:g} s)",
        ]
    )


def _redact(url: str) -> str:
    """Hide a password in a Redis URL before printing it."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user + ':' if user else ''}***@{host}"


def freeze_templates() -> None:
    """Stop Jinja from stat()ing template files on every render (prompt templates include
    others, and `auto_reload` checks each one). In the server the syscall hands the GIL to
    granian's threads and costs far more than in a loop: removing it cut the CPU of an
    uncached request by about a third here. A running server never reloads templates anyway;
    done only here, in the server process, so tests and other commands keep the default."""

    environment().auto_reload = False


def ensure_free(host: str, port: int) -> None:
    """Fail with one clear line when the address is taken (granian would print a Rust panic)."""

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(
                    f"cannot listen on {host}:{port}: the port is in use",
                    hint="stop the other server or choose another --port",
                ) from None
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def run(
    app: Callable[..., Any],
    host: str,
    port: int,
    *,
    workers: int = 1,
    banner: str | None = None,
    limits: Limits | None = None,
) -> None:
    """Serve `app` until SIGTERM/SIGINT; returns after the graceful shutdown."""
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server import Server

    limits = limits or Limits()
    connections = raise_open_files(limits.max_connections * workers + 256) - 256
    server = Server(
        target="ion",  # only a label: the loader below hands over the app built here
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        http=HTTPModes.http1,
        websockets=False,
        backlog=2048,
        # Granian's backpressure counts accepted connections per worker (idle ones too):
        # past it new connections wait in the kernel's backlog. A half-sent request holds
        # one only until the header timeout closes it.
        backpressure=max(64, connections // workers),
        http1_settings=HTTP1Settings(
            header_read_timeout=max(1, int(limits.header_read_timeout_seconds * 1000)),
            keep_alive=True,
        ),
        log_level=LogLevels.warning,
        log_access=False,
        # Cloud Run kills 10 s after SIGTERM; the app answers what is left at its grace
        # deadline (6 s) and has written its history by then, this is the backstop.
        workers_kill_timeout=9,
    )
    ensure_free(host, port)
    freeze_templates()
    if banner:
        print(banner, flush=True)
    server.serve(target_loader=lambda _target: app)

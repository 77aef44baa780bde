"""`ion serve`: the mentoring pipeline as an HTTP service."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer

from ioncli.commands._common import state_of
from ioncli.errors import UsageError

EPILOG = """[b]Examples[/b]

  ion serve                                  # embedded default: no Redis, no cloud

  ion serve --port 9000 --redis-url redis://127.0.0.1:6379/0

  ion serve --responder-url http://127.0.0.1:11434/v1 --responder-model llama3.2

  PORT=8080 ion serve                        # Cloud Run: listen on every interface

[b]Routes[/b]: /api/v2/* (11), /api/persona/process (v1), /api/v2/metrics/history,
/metrics, /openapi.json, /docs. Stops gracefully on SIGTERM or Ctrl-C.
"""


def serve(  # noqa: PLR0917 (Typer passes options positionally)
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[
        int | None, typer.Option(help="TCP port (default 8080, or $PORT).", min=0, max=65535)
    ] = None,
    redis_url: Annotated[
        str | None,
        typer.Option(
            help="Redis for the L2 cache, e.g. redis://127.0.0.1:6379/0 (env ION_REDIS_URL)."
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Server processes; each keeps its own cache and metrics.", min=1)
    ] = 1,
    api_key_env: Annotated[
        str | None,
        typer.Option(
            help="Require the API key held in this environment variable (health is open)."
        ),
    ] = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option("--cors-origin", help="Allowed browser origin; repeat, or '*'."),
    ] = None,
    rate_limit: Annotated[
        float | None,
        typer.Option(help="Requests per second per client (token bucket); 0 turns it off."),
    ] = None,
    rate_burst: Annotated[int | None, typer.Option(help="Token bucket size.")] = None,
    history: Annotated[
        Path | None,
        typer.Option(help="SQLite file for the metric history.", dir_okay=False),
    ] = None,
    no_history: Annotated[
        bool, typer.Option("--no-history", help="Do not sample or keep metric history.")
    ] = False,
    warm_up: Annotated[
        int | None,
        typer.Option(help="Reload the N hottest answers kept at the last shutdown.", min=0),
    ] = None,
    responder_url: Annotated[
        str | None,
        typer.Option(help="OpenAI-compatible base URL (…/v1) that writes the answers."),
    ] = None,
    responder_model: Annotated[
        str | None, typer.Option(help="Model name for that endpoint.")
    ] = None,
) -> None:
    """Run the mentoring pipeline as a fast HTTP service (embedded default: no Redis, no cloud)."""
    settings = state_of(ctx).settings()
    serve_settings = settings.serve
    changes: dict[str, Any] = {
        "host": host,
        "port": port,
        "redis_url": redis_url,
        "api_key_env": api_key_env,
        "cors_origins": tuple(cors_origin) if cors_origin else None,
        "rate_limit_per_second": rate_limit,
        "rate_limit_burst": rate_burst,
        "history_path": str(history) if history else None,
        "history": False if no_history else None,
        "warm_up": warm_up,
        "responder_url": responder_url,
        "responder_model": responder_model,
    }
    given = {k: v for k, v in changes.items() if v is not None}
    serve_settings = dataclasses.replace(serve_settings, **given)
    if serve_settings.rate_limit_per_second < 0:
        raise UsageError("--rate-limit must be 0 (off) or more")
    if serve_settings.redis_url and not serve_settings.redis_url.startswith(
        ("redis://", "rediss://", "unix://")
    ):
        raise UsageError(
            f"--redis-url {serve_settings.redis_url!r} must start with redis://, rediss:// or unix://"
        )
    if workers > 1 and serve_settings.history:
        # Each worker has its own counters; two samplers would overwrite each other's steps.
        typer.echo(
            "ion serve: metric history is kept with one worker only; it is off now", err=True
        )
        serve_settings = dataclasses.replace(serve_settings, history=False)
    settings = dataclasses.replace(settings, serve=serve_settings)
    if serve_settings.history:
        # Here, before the server starts: a corrupt file is moved aside with a warning that
        # names it, and an unusable folder is exit 3 (not a worker dying at start).
        from ioncli.serve.history import open_store

        open_store(
            Path(serve_settings.history_path),
            serve_settings.history_retention_days * 86400,
            lambda message: typer.echo(message, err=True),
        )

    from ioncli.serve.app import create_app
    from ioncli.serve.server import Limits, describe, run

    app = create_app(settings)
    banner = describe(settings, serve_settings.host, serve_settings.port)
    limits = Limits(serve_settings.header_read_timeout_seconds, serve_settings.max_connections)
    run(
        app, serve_settings.host, serve_settings.port, workers=workers, banner=banner, limits=limits
    )

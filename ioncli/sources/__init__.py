"""Metric sources behind one seam: each turns a FetchRequest into a MetricFrame.

Sources: `gcp` (Cloud Monitoring), `local` (a running `ion serve`), `file:PATH` (CSV or
Parquet) and `sim[:SEED]` (a deterministic simulated fleet). Clients are passed in; nothing
talks to the network at import time. The seam itself is in base.py (the sources import it
from there); `open_source` imports a source only when it is asked for, so `ion --help` never
loads pandas, numpy or the Google clients.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ioncli.config import ServeSettings, Settings
from ioncli.errors import UsageError
from ioncli.gcp import metric_client, require_project
from ioncli.sources.base import FetchRequest, MetricSource
from ioncli.sources.catalog import catalog

__all__ = [
    "SIM_REGIONS",
    "SOURCE_SPECS",
    "FetchRequest",
    "MetricSource",
    "local_url",
    "open_source",
]

SOURCE_SPECS = "gcp, local, file:PATH or sim[:SEED]"
# The simulator's regions, here so that flags are checked without loading numpy.
SIM_REGIONS = ("us-central1", "europe-west1", "asia-southeast1")


def open_source(
    spec: str,
    settings: Settings,
    *,
    client: Any = None,
    cache_dir: Path | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> MetricSource:
    """The source a `--source` value names: `gcp`, `local`, `file:PATH` or `sim[:SEED]`.

    `client` is a ready `MetricServiceClient` for `gcp` (tests pass one bound to a fake);
    without it the command's default client is built through ioncli.gcp. `cache_dir` turns
    on the on-disk cache of `gcp` query results. `sleep` is how `gcp` waits between retries
    (tests pass one that returns at once).
    """
    text = spec.strip()
    kind, _, arg = text.partition(":")
    kind = kind.lower()
    if kind == "sim":
        from ioncli.sources.sim import DEFAULT_SEED, SimSource

        if not arg:
            return SimSource(DEFAULT_SEED, settings.service)
        try:
            seed = int(arg)
        except ValueError:
            raise UsageError(
                f"source {spec!r}: the seed must be a whole number (like sim:42)"
            ) from None
        return SimSource(seed, settings.service)
    if kind == "file":
        if not arg:
            raise UsageError(f"source {spec!r}: give the file, like file:metrics.parquet")
        from ioncli.sources.files import FileSource

        return FileSource(Path(arg).expanduser())
    if kind == "local" and not arg:
        from ioncli.sources.local import LocalSource

        key_env = settings.serve.api_key_env
        api_key = os.environ.get(key_env) if key_env else None

        return LocalSource(
            local_url(settings), settings.service, api_key=api_key, specs=catalog(settings)
        )
    if kind == "gcp" and not arg:
        from ioncli.sources.cloud_monitoring import CloudMonitoringSource

        if client is None:
            require_project(settings)  # say so before looking for credentials
            client = metric_client(settings)
        cache = None
        if cache_dir is not None:
            from ioncli.sources.cache import QueryCache

            cache = QueryCache(cache_dir)
        return CloudMonitoringSource(client, settings, cache=cache, sleep=sleep)
    raise UsageError(f"unknown source {spec!r} (expected {SOURCE_SPECS})")


def local_url(settings: Settings) -> str:
    """Where `ion serve` answers: `local_url`, or the configured [serve] address when only
    that was changed (a user who moved the port expects `--source local` to follow it)."""
    default = Settings.__dataclass_fields__["local_url"].default
    if settings.local_url != default:
        return settings.local_url
    serve, stock = settings.serve, ServeSettings()
    if (serve.host, serve.port) == (stock.host, stock.port):
        return settings.local_url
    host = "127.0.0.1" if serve.host in ("0.0.0.0", "::", "") else serve.host
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{serve.port}"

"""The source and time-window options every report command shares, and one way to get a frame.

Commands declare `--source/--since/--until/--step/--region/--service` with these aliases and
call `load_frame`; nothing else in a command knows how sources are opened or windows parsed.
Only light modules are imported at the top: pandas and the cloud clients load inside
`load_frame`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ioncli.errors import DataError, SourceError, UsageError

if TYPE_CHECKING:
    from ioncli.config import Settings
    from ioncli.frame import MetricFrame

SourceOpt = Annotated[
    str | None,
    typer.Option(
        "--source",
        "-s",
        help="Where metrics come from: gcp, local, file:PATH or sim[:SEED] "
        "(default: `source` in ion.toml, else local).",
        show_default=False,
    ),
]
SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Start of the range: a duration back from --until (90m, 24h, 7d, 2w) or an ISO "
        "time. Default 24h (a file: its whole range).",
        show_default=False,
    ),
]
UntilOpt = Annotated[
    str | None,
    typer.Option(
        "--until",
        help="End of the range (ISO time; no zone means UTC). Default now, minus the 4 minute "
        "data lag for gcp.",
        show_default=False,
    ),
]
StepOpt = Annotated[
    str | None,
    typer.Option(
        "--step",
        help="Spacing of points: seconds or 1m, 5m, 1h (at least 60 s for gcp). Default 1m.",
        show_default=False,
    ),
]
RegionOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--region",
        "-r",
        help="Only this region (repeatable). Default: `regions` in ion.toml.",
        show_default=False,
    ),
]
ServiceOpt = Annotated[
    str | None,
    typer.Option(
        "--service",
        help="Cloud Run service name (default: `service` in ion.toml, else ion-mentoring).",
        show_default=False,
    ),
]

DEFAULT_SINCE = "24h"


def load_frame(  # noqa: PLR0917 (the shared signature other commands call positionally)
    settings: Settings,
    source: str | None,
    since: str | None,
    until: str | None,
    step: str | None,
    metrics: tuple[str, ...] | list[str] = (),
    regions: tuple[str, ...] | list[str] | None = (),
    *,
    now: datetime | None = None,
    client: Any = None,
    cache_dir: Path | None = None,
) -> MetricFrame:
    """Open the source, fetch [since, until) at `step` and return a non-empty frame.

    Raises UsageError (2) for bad flags, ConfigError (3) for a bad configured source,
    DataError/SourceError (4) for an unknown metric, an empty range or an empty result.
    `now` and `client` exist for tests (a fixed clock, a client bound to a fake server);
    `cache_dir` turns on the on-disk cache of Cloud Monitoring results (`ion pull` does).
    Partial failures stay in `frame.warnings` and are printed to stderr here, so no command
    can hide them; call `raise_if_partial` after writing output to set the exit code.
    """
    from ioncli.errors import ConfigError
    from ioncli.sources import FetchRequest, open_source
    from ioncli.sources.catalog import catalog, check_metrics
    from ioncli.sources.window import GCP_DATA_LAG, resolve_window

    spec = source if source else settings.source
    kind = spec.strip().split(":", 1)[0].lower()
    catalog(settings)  # a malformed [metrics] entry is a configuration error for every source
    wanted = check_metrics(tuple(metrics), settings)
    clock = (now or datetime.now(UTC)).astimezone(UTC)
    is_gcp = kind == "gcp"
    whole_file = kind == "file" and since is None and until is None
    request = None
    if not whole_file:
        # Flags are checked before a source is opened (no client, no credentials for a typo).
        window = resolve_window(
            since,
            until,
            step,
            now=clock,
            lag=GCP_DATA_LAG if is_gcp else GCP_DATA_LAG * 0,
            default_since=DEFAULT_SINCE,
            min_step=60 if is_gcp else 1,
        )
        if window.start >= clock:
            raise DataError(
                f"the range {window.start.isoformat()} .. {window.end.isoformat()} is in the "
                "future: there is no data yet"
            )
        chosen = tuple(regions or ())
        if not chosen and kind in ("gcp", "sim"):
            chosen = tuple(settings.regions)
        request = FetchRequest(
            start=window.start,
            end=min(
                window.end,
                _floor(clock - (GCP_DATA_LAG if is_gcp else GCP_DATA_LAG * 0), window.step_seconds),
            ),
            metrics=wanted,
            step_seconds=window.step_seconds,
            regions=chosen,
            service=settings.service,
        )
    try:
        src = open_source(spec, settings, client=client, cache_dir=cache_dir)
    except UsageError as exc:
        if source:
            raise
        where = settings.source_file or "ION_SOURCE"
        raise ConfigError(f"{where}: key 'source': {exc.message}") from None
    if request is None:
        # A file is read whole unless a range was asked for: its data may be years old.
        frame = _read_whole_file(src, wanted, tuple(regions or ()))
    else:
        frame = src.fetch(request)
    if frame.data.shape[1] == 0 or len(frame.data.index) == 0:
        raise DataError(f"source {src.name} returned no data for the range asked for")
    if bool(frame.data.isna().all().all()):
        raise DataError(f"source {src.name} returned only gaps (no values) for the range")
    _print_warnings(frame)
    return frame


def _floor(moment: datetime, step: int) -> datetime:
    stamp = int(moment.timestamp())
    return datetime.fromtimestamp(stamp - stamp % step, UTC)


def raise_if_partial(frame: MetricFrame) -> None:
    """Exit 4 after the output is written when some of the data could not be fetched."""
    if frame.warnings:
        raise SourceError(
            f"partial result: {len(frame.warnings)} problem(s) with source {frame.source}; "
            "the output says what is missing"
        )


def _print_warnings(frame: MetricFrame) -> None:
    if not frame.warnings:
        return
    from rich.markup import escape

    from ioncli.render import make_console

    console = make_console(stderr=True)
    for warning in frame.warnings:
        console.print(f"[bold yellow]warning:[/bold yellow] {escape(warning)}", soft_wrap=True)


def _read_whole_file(src: Any, metrics: tuple[str, ...], regions: tuple[str, ...]) -> MetricFrame:
    from ioncli.sources.files import select

    frame: MetricFrame = src.read()
    return select(frame, metrics, regions)

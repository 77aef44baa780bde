"""The source and time-window options every report command shares, and one way to get a frame.

Commands declare `--source/--since/--until/--step/--region/--service` with these aliases and
call `load_frame`; nothing else in a command knows how sources are opened or windows parsed.
Only light modules are imported at the top: pandas and the cloud clients load inside
`load_frame`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ioncli.commands._common import SLEEP
from ioncli.errors import ConfigError, DataError, SourceError, UsageError
from ioncli.render import say
from ioncli.render.progress import progress_bar

if TYPE_CHECKING:
    from ioncli.config import Settings
    from ioncli.frame import MetricFrame
    from ioncli.sources import FetchRequest

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

MaxPointsOpt = Annotated[
    int | None,
    typer.Option(
        "--max-points",
        min=1,
        help="Refuse ranges estimated above this many points (series x steps) before "
        "loading anything. Default 20,000,000.",
        show_default=False,
    ),
]

DEFAULT_SINCE = "24h"


def plan_request(  # noqa: PLR0917 (the same positional shape as load_frame)
    settings: Settings,
    source: str | None,
    since: str | None,
    until: str | None,
    step: str | None,
    metrics: tuple[str, ...] | list[str] = (),
    regions: tuple[str, ...] | list[str] | None = (),
    *,
    now: datetime | None = None,
    max_points: int | None = None,
) -> tuple[str, tuple[str, ...], FetchRequest | None]:
    """Check every flag and size the range, without pandas or a client: (spec, metrics, request).

    Commands call this first, so a bad flag, an unknown region or a range over the point
    budget is refused in a fraction of a second, before the heavy imports. The request is
    None when a file is to be read whole.
    """
    from ioncli.sources import FetchRequest
    from ioncli.sources.catalog import catalog, check_metrics
    from ioncli.sources.window import GCP_DATA_LAG, resolve_window

    spec = source if source else settings.source
    kind = spec.strip().split(":", 1)[0].lower()
    catalog(settings)  # a malformed [metrics] entry is a configuration error for every source
    wanted = check_metrics(tuple(metrics), settings)
    clock = (now or datetime.now(UTC)).astimezone(UTC)
    is_gcp = kind == "gcp"
    if kind == "file" and since is None and until is None:
        return spec, wanted, None  # a file is read whole: its size is its own bound
    # Flags are checked before a source is opened (no client, no credentials for a typo).
    lag = GCP_DATA_LAG if is_gcp else GCP_DATA_LAG * 0
    window = resolve_window(
        since,
        until,
        step,
        now=clock,
        lag=lag,
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
    _check_regions(kind, chosen, from_flag=bool(regions), settings=settings)
    span = (window.end - window.start).total_seconds()
    _check_budget(settings, wanted, chosen, span, window.step_seconds, max_points)
    request = FetchRequest(
        start=window.start,
        end=min(window.end, _floor(clock - lag, window.step_seconds)),
        metrics=wanted,
        step_seconds=window.step_seconds,
        regions=chosen,
        service=settings.service,
    )
    return spec, wanted, request


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
    max_points: int | None = None,
    sleep: Callable[[float], None] | None = None,
) -> MetricFrame:
    """Open the source, fetch [since, until) at `step` and return a non-empty frame.

    Raises UsageError (2) for bad flags, ConfigError (3) for a bad configured source,
    DataError/SourceError (4) for an unknown metric, an empty range or an empty result.
    `now` and `client` exist for tests (a fixed clock, a client bound to a fake server);
    `cache_dir` turns on the on-disk cache of Cloud Monitoring results (`ion pull` does).
    `sleep` is how retries wait: by default the running command's (`_common.SLEEP`).
    Partial failures stay in `frame.warnings` and are printed to stderr here, so no command
    can hide them; call `raise_if_partial` after writing output to set the exit code.
    The range is sized against the point budget (`max_points`) before the source is opened.
    """
    from ioncli.sources import open_source

    spec, wanted, request = plan_request(
        settings, source, since, until, step, metrics, regions, now=now, max_points=max_points
    )
    try:
        waits = SLEEP.get() if sleep is None else sleep
        src = open_source(spec, settings, client=client, cache_dir=cache_dir, sleep=waits)
    except UsageError as exc:
        if source:
            raise
        where = settings.source_file or "ION_SOURCE"
        raise ConfigError(f"{where}: key 'source': {exc.message}") from None

    started = time.perf_counter()
    if request is None:
        # A file is read whole unless a range was asked for: its data may be years old.
        say(f"reading {src.name} whole")
        frame = _read_whole_file(src, wanted, tuple(regions or ()))
    else:
        say(
            f"fetching {src.name}: {request.start:%Y-%m-%d %H:%M} .. {request.end:%Y-%m-%d %H:%M}"
            f" UTC, step {request.step_seconds} s, regions {', '.join(request.regions) or 'all'}"
            f", metrics {', '.join(request.metrics) or 'all'}"
        )
        frame = _fetch(src, request)
    say(
        f"loaded {frame.data.shape[1]} series x {frame.data.shape[0]:,} steps "
        f"({int(frame.data.notna().sum().sum()):,} points) in {time.perf_counter() - started:.2f} s"
    )
    if frame.data.shape[1] == 0 or len(frame.data.index) == 0:
        from ioncli.sources.empty import explain_empty

        raise DataError(explain_empty(src, request, wanted, tuple(regions or ())))
    if bool(frame.data.isna().all().all()):
        raise DataError(f"source {src.name} returned only gaps (no values) for the range")
    _print_warnings(frame)
    return frame


def _check_regions(
    kind: str, chosen: tuple[str, ...], *, from_flag: bool, settings: Settings
) -> None:
    """Sources that know their regions refuse others instead of returning made-up data."""

    if kind == "sim":
        from ioncli.sources import SIM_REGIONS

        known: tuple[str, ...] = SIM_REGIONS
    elif kind == "local":
        known = ("local",)
    else:
        return  # Cloud Monitoring has whatever regions the project runs in; files say later
    unknown = [r for r in chosen if r not in known]
    if not unknown:
        return
    listing = ", ".join(known)
    if from_flag:
        raise UsageError(
            f"--region {', '.join(unknown)}: source {kind} has no such region "
            f"(its regions: {listing})"
        )
    where = settings.source_file or "ION_REGIONS"
    raise ConfigError(
        f"{where}: key 'regions': {', '.join(unknown)} is not a region of source {kind} "
        f"(its regions: {listing})"
    )


def _check_budget(  # noqa: PLR0917 (private; every argument is a different quantity)
    settings: Settings,
    wanted: tuple[str, ...],
    regions: tuple[str, ...],
    span: float,
    step: int,
    max_points: int | None,
) -> None:
    from ioncli.sources import budget
    from ioncli.sources.catalog import known_names

    metrics = len(wanted) if wanted else len(known_names(settings))
    found = budget.estimate(span, step, metrics * max(1, len(regions)))
    budget.check(found, span_seconds=span, step_seconds=step, max_points=max_points)


def _fetch(src: Any, request: Any) -> MetricFrame:
    """Fetch, with a progress bar on a terminal when the range is big enough to wait for."""
    from ioncli.sources import budget

    if not hasattr(src, "chunks"):
        frame: MetricFrame = src.fetch(request)
        return frame

    span = (request.end - request.start).total_seconds()
    steps = int(span // request.step_seconds)
    big = steps * max(1, len(request.regions)) * 25 >= budget.PROGRESS_POINTS
    with progress_bar(
        f"loading {src.name}", src.chunks(request), show=None if big else False
    ) as advance:
        frame = src.fetch(request, progress=advance)
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
    for warning in frame.warnings:
        say(warning, level="warning")


def _read_whole_file(src: Any, metrics: tuple[str, ...], regions: tuple[str, ...]) -> MetricFrame:
    from ioncli.sources.files import select

    frame: MetricFrame = src.read()
    return select(frame, metrics, regions)

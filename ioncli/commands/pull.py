"""`ion pull`: write any source's series for a time range to a Parquet (or CSV) file."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ioncli.commands._common import state_of
from ioncli.commands._source import (
    MaxPointsOpt,
    RegionOpt,
    ServiceOpt,
    SinceOpt,
    SourceOpt,
    StepOpt,
    UntilOpt,
    load_frame,
    raise_if_partial,
)
from ioncli.errors import UsageError
from ioncli.render import make_console, verbosity, write_atomic

if TYPE_CHECKING:
    from ioncli.frame import MetricFrame

EPILOG = """[b]Examples[/b]

  ion pull --source gcp --since 7d -o week.parquet

  ion pull --source sim:42 --since 30d --step 5m -o demo.parquet

  ion pull --source local --since 2h --metric latency_p95 -o recent.csv

  ion dashboard overview --source file:week.parquet
"""

MetricOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--metric",
        "-m",
        help="Only this catalog metric (repeatable). Default: the whole catalog.",
        show_default=False,
    ),
]
PullOutputOpt = Annotated[
    Path,
    typer.Option(
        "--output",
        "-o",
        help="File to write: .parquet (frame and metadata, readable with --source file:PATH) "
        "or .csv (wide: a timestamp column and one column per series). Written atomically.",
        dir_okay=False,
        show_default=False,
    ),
]
NoCacheOpt = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Ask Cloud Monitoring for everything again instead of reusing the on-disk cache "
        "($ION_CACHE_DIR, else ~/.cache/ion).",
    ),
]


def pull(  # noqa: PLR0917 (Typer passes options positionally)
    ctx: typer.Context,
    output: PullOutputOpt,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    step: StepOpt = None,
    region: RegionOpt = None,
    service: ServiceOpt = None,
    metric: MetricOpt = None,
    no_cache: NoCacheOpt = False,
    max_points: MaxPointsOpt = None,
) -> None:
    """Write a source's series for a time range to a file, for offline analysis and CI."""
    settings = state_of(ctx).settings().override(service=service)
    suffix = output.suffix.lower()
    if suffix not in (".parquet", ".pq", ".csv"):
        raise UsageError(f"--output {output}: use a .parquet or .csv file name")
    parent = output.parent if str(output.parent) else Path()
    if not output.exists() and not parent.is_dir():
        raise UsageError(f"cannot write --output {output}: folder {parent} does not exist")

    from ioncli.sources.cache import default_cache_dir

    frame = load_frame(
        settings,
        source,
        since,
        until,
        step,
        tuple(metric or ()),
        tuple(region or ()),
        cache_dir=None if no_cache else default_cache_dir(),
        max_points=max_points,
    )
    _write(frame, output, suffix)
    _summary(frame, output)
    raise_if_partial(frame)


def _write(frame: MetricFrame, output: Path, suffix: str) -> None:
    """Serialise in memory, then write like every other `-o` (umask mode, symlinks followed)."""

    if suffix == ".csv":
        body: bytes = frame.data.to_csv(
            index_label="timestamp", date_format="%Y-%m-%dT%H:%M:%SZ"
        ).encode("utf-8")
    else:
        buffer = io.BytesIO()
        frame.to_parquet(buffer)
        body = buffer.getvalue()
    write_atomic(output, body)


def _summary(frame: MetricFrame, output: Path) -> None:
    if verbosity() < 0:
        return

    start, end = frame.start, frame.end
    span = f"{start:%Y-%m-%d %H:%M} .. {end:%Y-%m-%d %H:%M} UTC" if start is not None else ""
    points = int(frame.data.notna().sum().sum())
    simulated = " (simulated)" if frame.simulated else ""
    make_console(stderr=True).print(
        f"wrote {frame.data.shape[1]} series, {points:,} points, {span}, "
        f"step {frame.step_seconds} s, from {frame.source}{simulated} to {output}",
        soft_wrap=True,
        markup=False,
    )

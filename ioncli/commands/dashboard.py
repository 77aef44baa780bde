"""`ion dashboard`: the service's health in five dashboards and four formats."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ioncli.commands._common import FormatOpt, OutputOpt, StepSummaryOpt, output_options, state_of
from ioncli.commands._source import (
    MaxPointsOpt,
    RegionOpt,
    ServiceOpt,
    SinceOpt,
    SourceOpt,
    StepOpt,
    UntilOpt,
    load_frame,
    plan_request,
)
from ioncli.errors import IonError, PolicyViolation, UsageError
from ioncli.render import Format, emit, make_console

if TYPE_CHECKING:
    from collections.abc import Callable

    from ioncli.dashboards.model import DashboardReport
    from ioncli.render import Renderers
    from ioncli.slo.config import SloSpec

EPILOG = """[b]Examples[/b]

  ion dashboard overview --source sim

  ion dashboard all --format markdown --step-summary

  ion dashboard performance --since 24h --format html -o dash.html

  ion dashboard --watch 30 --source sim

  ion dashboard all --format json --fail-on critical
"""


class Board(StrEnum):
    OVERVIEW = "overview"
    PERFORMANCE = "performance"
    RELIABILITY = "reliability"
    CACHE = "cache"
    INFRASTRUCTURE = "infrastructure"
    SLO = "slo"
    ALL = "all"


class FailOn(StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"


BoardsArg = Annotated[
    list[Board] | None,
    typer.Argument(
        metavar="[DASHBOARD]...",
        help="Dashboards to show (several allowed): overview, performance, reliability, "
        "cache, infrastructure, all (those five) or slo. Default: overview.",
        show_default=False,
        case_sensitive=False,
    ),
]
WatchOpt = Annotated[
    float | None,
    typer.Option(
        "--watch",
        metavar="SECONDS",
        min=1.0,
        help="Refresh the terminal view in place every SECONDS until Ctrl-C (text format only).",
        show_default=False,
    ),
]
FailOnOpt = Annotated[
    FailOn | None,
    typer.Option(
        "--fail-on",
        help="Exit 5 after the report when any value is at or above this status (a CI gate).",
        case_sensitive=False,
        show_default=False,
    ),
]


def dashboard(  # noqa: PLR0917 (Typer passes options positionally)
    ctx: typer.Context,
    boards: BoardsArg = None,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    step: StepOpt = None,
    region: RegionOpt = None,
    service: ServiceOpt = None,
    watch: WatchOpt = None,
    fail_on: FailOnOpt = None,
    max_points: MaxPointsOpt = None,
    fmt: FormatOpt = Format.TEXT,
    output: OutputOpt = None,
    step_summary: StepSummaryOpt = False,
) -> None:
    """Show the service's health: overview, performance, reliability, cache, infrastructure."""
    settings = state_of(ctx).settings().override(service=service)
    if watch is not None and (fmt is not Format.TEXT or output is not None or step_summary):
        raise UsageError(
            "--watch refreshes the terminal view: use it with --format text, "
            "without -o or --step-summary"
        )
    if watch is not None and fail_on is not None:
        raise UsageError("--watch runs until Ctrl-C, so --fail-on cannot gate it; use one")
    if watch is not None and not sys.stdout.isatty():
        # Piped or redirected, a live view prints nothing and never ends (a hung CI job).
        raise UsageError(
            "--watch needs a terminal (standard output is piped or redirected); "
            "drop --watch for a one-off report"
        )

    from ioncli.dashboards import definitions
    from ioncli.sources.catalog import known_names
    from ioncli.thresholds import load_thresholds

    specs = definitions.select([b.value for b in boards or [Board.OVERVIEW]])
    thresholds = load_thresholds(Path(settings.alerts.baselines_dir), settings.service)
    slos: tuple[SloSpec, ...] = ()
    if definitions.SLO in specs:
        from ioncli.slo.config import load_slos
        from ioncli.slo.fetch import plan

        slos = load_slos(settings.slo, settings.source_file or "configuration")
        planned = plan(settings, slos, source)
        settings, extra = planned.settings, planned.metrics
        if since is None and len(specs) == 1:
            since = planned.default_since  # the objectives' window, not a day
    metrics = definitions.to_fetch(specs, thresholds, known_names(settings))
    if slos:
        metrics = tuple(sorted({*metrics, *extra}))
    regions = tuple(region or ())
    # Flags, regions and the point budget are refused before pandas is even imported.
    plan_request(settings, source, since, until, step, metrics, regions, max_points=max_points)

    from ioncli.dashboards.analysis import build_report
    from ioncli.dashboards.render import RENDERERS

    def build() -> DashboardReport:
        frame = load_frame(
            settings, source, since, until, step, metrics, regions, max_points=max_points
        )
        return build_report(
            frame,
            thresholds,
            specs,
            service=settings.service,
            generated_at=datetime.now(UTC),
            regions=regions,
            slos=slos,
        )

    report = build()
    if watch is not None:
        _watch(report, build, watch)
        return
    emit(report, _with_gates(RENDERERS, fail_on), output_options(fmt, output, step_summary))
    if fail_on is not None:
        _gate(report, fail_on)


def _with_gates(
    renderers: Renderers[DashboardReport], fail_on: FailOn | None
) -> Renderers[DashboardReport]:
    from ioncli.dashboards.render import render_github, render_junit

    level = fail_on.value if fail_on is not None else None
    return replace(
        renderers,
        github=lambda r: render_github(r, level),
        junit=lambda r: render_junit(r, level),
    )


_AT_OR_ABOVE = {"warning": ("warning", "critical"), "critical": ("critical",)}


def _gate(report: DashboardReport, fail_on: FailOn) -> None:
    from ioncli.dashboards.model import Level

    floor = Level(fail_on.value)
    hits = report.breaches(floor)
    if hits:
        # Count values the way the headline does (a fleet value and its region's cell are
        # two values), then name the series they come from once each.
        values = sum(n for k, n in report.counts.items() if k in _AT_OR_ABOVE[floor.value])
        shown = "; ".join(hits[:3]) + (f" and {len(hits) - 3} more" if len(hits) > 3 else "")
        counted = f"{values} value(s)" if values else "active alert(s)"
        raise PolicyViolation(
            f"{counted} at or above {fail_on.value} (--fail-on), from {len(hits)} series: {shown}"
        )


def _watch(first: DashboardReport, build: Callable[[], DashboardReport], seconds: float) -> None:
    from rich.console import Group
    from rich.live import Live
    from rich.text import Text

    from ioncli.dashboards.render import RENDERERS

    def view(report: DashboardReport, problem: str = "") -> Group:
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        line = Text(f"refreshed {stamp} UTC, every {seconds:g} s; Ctrl-C to stop", style="dim")
        if problem:
            line = Text(f"refresh failed at {stamp} UTC: {problem}; showing the last data", "red")
        return Group(line, RENDERERS.text(report))

    report = first
    with Live(view(report), console=make_console(), auto_refresh=False) as live:
        try:
            while True:
                time.sleep(seconds)
                try:
                    report = build()
                    live.update(view(report), refresh=True)
                except IonError as exc:
                    # A source hiccup should not end a long watch; the next refresh may work.
                    live.update(view(report, str(exc)), refresh=True)
        except KeyboardInterrupt:
            return

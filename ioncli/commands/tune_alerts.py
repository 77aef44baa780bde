"""`ion tune-alerts`: baselines, tuned thresholds, backtests and alert policies."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ioncli.commands._common import OutputOpt, StepSummaryOpt, output_options, state_of
from ioncli.commands._source import (
    MaxPointsOpt,
    RegionOpt,
    ServiceOpt,
    SourceOpt,
    StepOpt,
    UntilOpt,
    load_frame,
    plan_request,
)
from ioncli.config_schema import RuleKind
from ioncli.errors import ApplyError, PolicyViolation, UsageError
from ioncli.render import Format, append_step_summary, emit, is_stdout, write_atomic
from ioncli.render.progress import progress_bar
from ioncli.times import parse_iso

if TYPE_CHECKING:
    from ioncli.alerting.model import ApplyResult, TuneReport
    from ioncli.config import Settings
    from ioncli.render import Renderers

EPILOG = """[b]Examples[/b]

  ion tune-alerts --source sim --since 14d --max-alerts-per-week 1

  ion tune-alerts --source file:cpu.csv --baseline-end 2024-05-01T00:00 --format json

  ion tune-alerts --source sim --incidents incidents.csv --format markdown

  ion tune-alerts --check

  ion tune-alerts --apply --yes

  ion tune-alerts --format prometheus-rules --output ion-rules.yml --no-write

Default range: the last 7 days (a file: all of it); --check: the range stored in the
baselines file. Writes baselines/<service>.json for the configured service from a
metric source (not a file, not --check) unless --no-write; --write forces it.
Exit codes: 4 not enough data, 5 alert drift (--check), 3 broken baselines file,
1 a rejected --apply (undone; the report is still printed, the baselines file untouched).
"""


class TuneFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"
    GITHUB = "github"
    JUNIT = "junit"
    PROMETHEUS_RULES = "prometheus-rules"


TuneFormatOpt = Annotated[
    TuneFormat,
    typer.Option(
        "--format",
        "-f",
        help="Output format; prometheus-rules writes the chosen rules as a Prometheus "
        "alerting-rules file.",
        case_sensitive=False,
    ),
]


SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Start of the range: a duration back from --until (90m, 24h, 7d, 2w) or an ISO "
        "time. Default 7d, so weekly habits are seen (a file: its whole range; --check: the "
        "range stored in the baselines file).",
        show_default=False,
    ),
]


def tune_alerts(  # noqa: PLR0917 (Typer passes options positionally)
    ctx: typer.Context,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    step: StepOpt = None,
    region: RegionOpt = None,
    service: ServiceOpt = None,
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", "-m", help="Only this metric (repeatable). Default: all."),
    ] = None,
    baseline_end: Annotated[
        str | None,
        typer.Option(
            "--baseline-end",
            metavar="TIME",
            help="Learn only from data before TIME (ISO; no zone means UTC) and backtest "
            "after it. Default: learn from the whole range and backtest in-sample.",
            show_default=False,
        ),
    ] = None,
    max_alerts_per_week: Annotated[
        float | None,
        typer.Option(
            "--max-alerts-per-week",
            min=0.0,
            help="Paging budget per rule on history (default: [alerts] in ion.toml, else 1).",
            show_default=False,
        ),
    ] = None,
    rule: Annotated[
        RuleKind | None,
        typer.Option(
            "--rule",
            help="Candidate kind to use: auto picks per series (default: [alerts] rule).",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    duration: Annotated[
        int | None,
        typer.Option(
            "--duration",
            metavar="SECONDS",
            min=0,
            help="The alert's `for`: the condition must hold at every step for this long "
            "(rounded up to whole steps). Default: the condition over 5 minutes of data "
            "(`for` 240 s at a 1-minute step, 0 at 5 minutes and above).",
            show_default=False,
        ),
    ] = None,
    incidents: Annotated[
        Path | None,
        typer.Option(
            "--incidents",
            metavar="FILE",
            help="Known incidents (CSV or JSON: start, end, name, series): report which each "
            "rule caught and how early; they are left out of the baselines.",
            dir_okay=False,
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Compare with the committed baselines file over the range stored in it "
            "(or --since/--until); exit 5 on drift.",
        ),
    ] = False,
    tolerance: Annotated[
        float | None,
        typer.Option(
            "--tolerance",
            min=0.0,
            help="Relative change that counts as drift for --check (default 0.10).",
            show_default=False,
        ),
    ] = None,
    write: Annotated[
        bool | None,
        typer.Option(
            "--write/--no-write",
            help="Write baselines/<service>.json. Default: yes for the configured service "
            "from a metric source; no for a file source, another --service, or --check.",
            show_default=False,
        ),
    ] = None,
    baselines_dir: Annotated[
        Path | None,
        typer.Option(
            "--baselines-dir",
            help="Folder of baselines files (default: [alerts] baselines_dir, else baselines).",
            file_okay=False,
            show_default=False,
        ),
    ] = None,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply", help="Plan Cloud Monitoring alert policies from the rules (dry run)."
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="With --apply: make the changes.")] = False,
    max_points: MaxPointsOpt = None,
    fmt: TuneFormatOpt = TuneFormat.TEXT,
    output: OutputOpt = None,
    step_summary: StepSummaryOpt = False,
) -> None:
    """Learn baselines from metric history and propose alert thresholds within a paging budget."""
    configured = state_of(ctx).settings()
    settings = configured.override(service=service)
    _check_flags(check=check, apply=apply, yes=yes, write=write)
    if fmt in (TuneFormat.GITHUB, TuneFormat.JUNIT) and not check:
        raise UsageError(f"--format {fmt.value} reports the drift gate: use it with --check")
    from ioncli.alerting import baselines as files
    from ioncli.sources.catalog import catalog

    alerts = settings.alerts  # validated with the file (ioncli.config_schema)
    spec = source or settings.source
    is_file = spec.strip().lower().startswith("file:")
    folder = baselines_dir or Path(alerts.baselines_dir)
    target = files.path_for(folder, settings.service)
    committed = None
    if check:
        # Read (and validate) the committed file before any data is pulled: a missing or
        # broken file is reported at once, not after the whole tuning run.
        committed = files.read(target)
        since, until, step, baseline_end = _check_window(
            committed, since, until, step, baseline_end
        )
    if apply:
        _require_project(settings)  # before computing: a missing project is a one-line error
    if since is None and until is None and not is_file:
        since = "7d"  # a day is the minimum to learn from; a week sees weekly habits
    # Flags, regions and the point budget are refused before pandas is even imported.
    plan_request(
        settings, source, since, until, step, tuple(metric or ()), region, max_points=max_points
    )
    from ioncli.alerting.analysis import build_report, with_extras
    from ioncli.alerting.incidents import load_incidents
    from ioncli.alerting.promnames import series_queries
    from ioncli.alerting.tune import TuneOptions

    frame = load_frame(
        settings, source, since, until, step, tuple(metric or ()), region, max_points=max_points
    )
    specs = catalog(settings)
    options = TuneOptions(
        max_alerts_per_week=alerts.max_alerts_per_week
        if max_alerts_per_week is None
        else max_alerts_per_week,
        baseline_end=_parse_time(baseline_end) if baseline_end else None,
        rule=(rule.value if rule else alerts.rule),
        duration_seconds=alerts.duration_seconds if duration is None else duration,
        incidents=load_incidents(incidents) if incidents else (),
        directions={name: s.bad_direction for name, s in specs.items()},
        series_queries=series_queries(frame, specs, settings.service),
    )
    total = frame.data.shape[1]
    # Small runs finish before a bar would be worth drawing.
    with progress_bar(
        "tuning and backtesting series", total, show=None if total >= 10 else False
    ) as advance:
        report = build_report(frame, options, service=settings.service, progress=advance)
    applied = _apply(settings, report, dry_run=not yes) if apply else None
    failed = applied.error if applied is not None else None
    if check:
        drift = alerts.drift_tolerance if tolerance is None else tolerance
        report = with_extras(report, check=files.check(report, target, drift, committed))
    else:
        decision = _should_write(write, is_file=is_file, asked=settings, configured=configured)
        written, notes = _write_baselines(
            report, folder, target, decision, asked=write, failed=failed is not None
        )
        report = with_extras(report, apply=applied, baselines_file=written, warnings=notes)
    _emit(report, fmt, output, step_summary)
    if failed:
        raise ApplyError(failed)
    if report.check is not None and report.check.failed:
        raise PolicyViolation(
            f"alert drift: {report.check.failed} threshold(s) moved more than "
            f"{report.check.tolerance:.0%} from {target} (see the diff above); rerun without "
            "--check and commit the file if the change is expected"
        )


def _write_baselines(
    report: TuneReport,
    folder: Path,
    target: Path,
    decision: str | None,
    *,
    asked: bool | None,
    failed: bool,
) -> tuple[str | None, list[str]]:
    """The baselines file written (None: not written), and why not when the user should know."""
    from ioncli.alerting import baselines as files

    if failed:
        # The baselines file follows the cloud: never rewritten after a rejected (undone) apply.
        return None, [f"{target} not written: the alert policies were not changed"]
    if decision is None:
        return str(files.write(report, folder)), []
    if asked is None:
        return None, [f"{target} not written: {decision}; pass --write to write it"]
    return None, []


def _emit(report: TuneReport, fmt: TuneFormat, output: Path | None, step_summary: bool) -> None:
    from ioncli.alerting.render import RENDERERS

    if fmt is not TuneFormat.PROMETHEUS_RULES:
        options = output_options(Format(fmt.value), output, step_summary)
        emit(report, _with_gates(RENDERERS), options)
        return

    from ioncli.alerting.promrules import render_rules

    text = render_rules(report)
    if is_stdout(output):
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        assert output is not None
        write_atomic(output, text)
    if step_summary:
        append_step_summary(RENDERERS.markdown(report), os.environ)


def _with_gates(renderers: Renderers[TuneReport]) -> Renderers[TuneReport]:
    from ioncli.alerting.render import render_github, render_junit

    return replace(renderers, github=render_github, junit=render_junit)


def _check_flags(*, check: bool, apply: bool, yes: bool, write: bool | None) -> None:
    if yes and not apply:
        raise UsageError("--yes only makes sense with --apply")
    if check and apply:
        raise UsageError("--check and --apply do not go together: check first, then apply")
    if check and write:
        raise UsageError("--check never writes the baselines file: drop --write")


def _should_write(
    write: bool | None, *, is_file: bool, asked: Settings, configured: Settings
) -> str | None:
    """None when the baselines file should be written, else why not.

    The committed file is what the dashboard and --check trust, so a default run only
    rewrites it from the configured service's own metrics: a CSV (the README's example) or
    a one-off `--service` must not silently replace 75 series with one.
    """
    if write is True:
        return None
    if write is False:
        return "--no-write"
    if is_file:
        return "the data came from a file"
    if asked.service != configured.service:
        return f"--service {asked.service} is not the configured service {configured.service}"
    return None


def _check_window(
    committed: dict[str, Any],
    since: str | None,
    until: str | None,
    step: str | None,
    baseline_end: str | None,
) -> tuple[str | None, str | None, str | None, str | None]:
    """The range --check recomputes over: the stored one unless --since/--until say otherwise.

    An explicit --until alone keeps the stored span and ends it there (a later week of the
    same length); --since given means the user chose the range.
    """
    from ioncli.alerting import baselines as files

    window = committed.get("window")
    if baseline_end is None and isinstance(window, dict) and since is None and until is None:
        stored_end = window.get("baseline_end")
        baseline_end = stored_end if isinstance(stored_end, str) else None
    stored = files.stored_window(committed)
    if stored is None:
        return since, until, step, baseline_end
    start, end, step_seconds = stored
    step = step if step is not None else f"{step_seconds}s"
    if since is not None:
        return since, until, step, baseline_end
    if until is None:
        return start, end, step, baseline_end
    span = _parse_time(end) - _parse_time(start)
    return f"{int(span.total_seconds())}s", until, step, baseline_end


def _require_project(settings: Settings) -> str:
    from ioncli.gcp import require_project

    return require_project(settings)


def _apply(settings: Settings, report: TuneReport, *, dry_run: bool) -> ApplyResult:
    from ioncli.alerting.policies import apply_plan
    from ioncli.gcp import alert_policy_client, require_project

    project = require_project(settings)
    client = alert_policy_client(settings)
    return apply_plan(client, project, report, settings, dry_run=dry_run)


def _parse_time(text: str) -> datetime:
    try:
        return parse_iso(text)
    except ValueError:
        raise UsageError(
            f"--baseline-end {text!r} is not an ISO time (e.g. 2024-05-01T00:00:00Z)"
        ) from None

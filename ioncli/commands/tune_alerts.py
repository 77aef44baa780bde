"""`ion tune-alerts`: baselines, tuned thresholds, backtests and alert policies."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ioncli.commands._common import OutputOpt, StepSummaryOpt, output_options, state_of
from ioncli.commands._source import (
    RegionOpt,
    ServiceOpt,
    SinceOpt,
    SourceOpt,
    StepOpt,
    UntilOpt,
)
from ioncli.errors import ApplyError, ConfigError, PolicyViolation, UsageError
from ioncli.render import Format
from ioncli.render.progress import progress_bar

if TYPE_CHECKING:
    from ioncli.config import Settings

EPILOG = """[b]Examples[/b]

  ion tune-alerts --source sim --since 14d --max-alerts-per-week 1

  ion tune-alerts --source file:cpu.csv --baseline-end 2024-05-01T00:00 --format json

  ion tune-alerts --source sim --incidents incidents.csv --format markdown

  ion tune-alerts --check

  ion tune-alerts --apply --yes

  ion tune-alerts --format prometheus-rules --output ion-rules.yml --no-write

Default range: the last 7 days (a file: all of it). Writes baselines/<service>.json
(atomically) unless --check or --no-write.
Exit codes: 4 not enough data, 5 alert drift (--check), 3 broken baselines file,
1 a rejected --apply (undone; the report is still printed, the baselines file untouched).
"""


class TuneFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"
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


class RuleKind(StrEnum):
    AUTO = "auto"
    ENVELOPE = "envelope"
    SEASONAL = "seasonal"
    ZSCORE = "zscore"
    ROBUST = "robust"
    SIGMA = "sigma"


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
            help="How long a value must be bad before it pages (default 300), rounded up to "
            "whole steps: the alert's `for`.",
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
        typer.Option("--check", help="Compare with the committed baselines file; exit 5 on drift."),
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
        bool, typer.Option("--write/--no-write", help="Write baselines/<service>.json.")
    ] = True,
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
    fmt: TuneFormatOpt = TuneFormat.TEXT,
    output: OutputOpt = None,
    step_summary: StepSummaryOpt = False,
) -> None:
    """Learn baselines from metric history and propose alert thresholds within a paging budget."""
    settings = state_of(ctx).settings().override(service=service)
    if yes and not apply:
        raise UsageError("--yes only makes sense with --apply")
    if check and apply:
        raise UsageError("--check and --apply do not go together: check first, then apply")
    from ioncli.alerting import baselines as files
    from ioncli.alerting.build import build_report
    from ioncli.alerting.incidents import load_incidents
    from ioncli.alerting.promnames import series_promql
    from ioncli.alerting.tune import TuneOptions
    from ioncli.commands._source import load_frame
    from ioncli.sources.catalog import catalog

    alerts = settings.alerts
    if rule is None and alerts.rule not in {k.value for k in RuleKind}:
        where = settings.source_file or "configuration"
        choices = ", ".join(k.value for k in RuleKind)
        raise ConfigError(
            f"{where}: key 'alerts.rule' must be one of {choices}, found {alerts.rule!r}"
        )
    spec = source or settings.source
    if since is None and until is None and not spec.startswith("file:"):
        since = "7d"  # a day is the minimum to learn from; a week sees weekly habits
    frame = load_frame(settings, source, since, until, step, tuple(metric or ()), region)
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
        series_queries={
            column: series_promql(
                specs.get(column.split("{", 1)[0]), column, settings.service, frame.step_seconds
            )
            for column in frame.data.columns
        },
    )
    total = frame.data.shape[1]
    # Small runs finish before a bar would be worth drawing.
    with progress_bar(
        "tuning and backtesting series", total, show=None if total >= 10 else False
    ) as advance:
        report = build_report(frame, options, service=settings.service, progress=advance)
    folder = baselines_dir or Path(alerts.baselines_dir)
    target = files.path_for(folder, settings.service)
    if check:
        report.check = files.check(
            report, target, alerts.drift_tolerance if tolerance is None else tolerance
        )
    if apply:
        report.apply = _apply(settings, report, dry_run=not yes)
    failed = report.apply.error if report.apply is not None else None
    # The baselines file follows the cloud: written once the policies changed, never after
    # a rejected (and undone) apply.
    if write and not check and not failed:
        report.baselines_file = str(files.write(report, folder))
    _emit(report, fmt, output, step_summary)
    if failed:
        raise ApplyError(failed)
    if report.check is not None and report.check.failed:
        raise PolicyViolation(
            f"alert drift: {report.check.failed} threshold(s) moved more than "
            f"{report.check.tolerance:.0%} from {target} (see the diff above); rerun without "
            "--check and commit the file if the change is expected"
        )


def _emit(report: Any, fmt: TuneFormat, output: Path | None, step_summary: bool) -> None:
    from ioncli.alerting.render import renderers
    from ioncli.render import append_step_summary, emit, write_atomic

    if fmt is not TuneFormat.PROMETHEUS_RULES:
        emit(report, renderers(), output_options(Format(fmt.value), output, step_summary))
        return
    import os
    import sys

    from ioncli.alerting.promrules import render_rules

    text = render_rules(report)
    if output is not None:
        write_atomic(output, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    if step_summary:
        append_step_summary(renderers().markdown(report), os.environ)


def _apply(settings: Settings, report: Any, *, dry_run: bool) -> Any:
    from ioncli.alerting.policies import apply_plan
    from ioncli.gcp import alert_policy_client, require_project

    project = require_project(settings)
    client = alert_policy_client(settings)
    return apply_plan(client, project, report, settings, dry_run=dry_run)


def _parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--baseline-end {text!r} is not an ISO time (e.g. 2024-05-01T00:00:00Z)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

"""`ion slo`: objectives, error budgets, replayed burn-rate alerts, Cloud Monitoring SLOs."""

from __future__ import annotations

import sys
from dataclasses import replace
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Annotated

import typer

from ioncli.commands._common import OutputOpt, StepSummaryOpt, state_of
from ioncli.commands._source import (
    RegionOpt,
    ServiceOpt,
    SinceOpt,
    SourceOpt,
    StepOpt,
    UntilOpt,
    load_frame,
    raise_if_partial,
)
from ioncli.errors import ConfigError, PolicyViolation, UsageError
from ioncli.render import Format, OutputOptions, emit, is_stdout, write_atomic

if TYPE_CHECKING:
    from pathlib import Path

    from ioncli.config import Settings
    from ioncli.frame import MetricFrame
    from ioncli.slo.config import SloSpec
    from ioncli.slo.model import ApplySummary, SloReport

EPILOG = """[b]Examples[/b]

  ion slo --source sim

  ion slo --source gcp --format markdown --step-summary --fail-on budget-remaining-below 25

  ion slo --format prometheus-rules -o slo-rules.yml

  ion slo --source gcp --apply

  ion slo --source gcp --apply --yes

Default range: the longest SLO window (28 days). Exit codes: 3 a bad [slo] table,
4 no data, 5 a --fail-on gate tripped (after the report is written).
"""


class SloFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"
    GITHUB = "github"
    JUNIT = "junit"
    PROMETHEUS_RULES = "prometheus-rules"


GATES = ("budget-remaining-below", "burn-rate-above")


def slo(  # noqa: PLR0917 (Typer passes options positionally)
    ctx: typer.Context,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    step: StepOpt = None,
    region: RegionOpt = None,
    service: ServiceOpt = None,
    name: Annotated[
        list[str] | None,
        typer.Option("--slo", help="Only this objective (repeatable). Default: all in [slo]."),
    ] = None,
    fail_on: Annotated[
        tuple[str, float] | None,
        typer.Option(
            "--fail-on",
            metavar="GATE VALUE",
            help="Exit 5 after the report when an objective crosses it: "
            "budget-remaining-below PCT or burn-rate-above X (the 1 h burn rate).",
            show_default=False,
        ),
    ] = None,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="Plan Cloud Monitoring SLOs and burn-rate alert policies (dry run: the diff).",
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="With --apply: make the changes.")] = False,
    fmt: Annotated[
        SloFormat,
        typer.Option("--format", "-f", help="Output format.", case_sensitive=False),
    ] = SloFormat.TEXT,
    output: OutputOpt = None,
    step_summary: StepSummaryOpt = False,
) -> None:
    """Service level objectives: compliance, error budget, burn rates and backtested alerts."""
    settings = state_of(ctx).settings().override(service=service)
    if yes and not apply:
        raise UsageError("--yes only makes sense with --apply")
    gate = _gate(fail_on)
    from ioncli.slo.config import load_slos, select

    where = settings.source_file or "configuration"
    slos = select(load_slos(settings.slo, where), name)
    if fmt is SloFormat.PROMETHEUS_RULES:
        if step_summary or fail_on or apply:
            raise UsageError(
                "--format prometheus-rules writes rules only: no gates, summary or --apply"
            )
        _write_rules(settings, slos, output)
        return
    if apply:
        from ioncli.gcp import require_project

        require_project(settings)  # say so before pulling a month of data
    report, frame = _report(settings, slos, source, since, until, step, region)
    from ioncli.slo.analysis import tripped as check_gate
    from ioncli.slo.analysis import with_extras

    applied = _apply(settings, report, slos, dry_run=not yes) if apply else None
    tripped = check_gate(report, gate)
    report = with_extras(report, apply=applied, gate=tripped)
    _emit(report, gate, fmt, output, step_summary)

    raise_if_partial(frame)  # the output says what is missing; its gates may be off
    if tripped:
        raise PolicyViolation("; ".join(tripped))


def _report(  # noqa: PLR0917 (the shared source options, passed through)
    settings: Settings,
    slos: tuple[SloSpec, ...],
    source: str | None,
    since: str | None,
    until: str | None,
    step: str | None,
    region: list[str] | None,
) -> tuple[SloReport, MetricFrame]:
    from ioncli.slo import fetch
    from ioncli.slo.analysis import build_report

    planned = fetch.plan(settings, slos, source)
    if since is None and planned.kind != "file":
        since = planned.default_since
    try:
        frame = load_frame(planned.settings, source, since, until, step, planned.metrics, region)
    except ConfigError as exc:
        raise fetch.bucket_error(planned, slos, exc) from None
    report = build_report(frame, slos, service=settings.service)
    fetch.explain(planned, slos, report)
    return report, frame


def _gate(fail_on: tuple[str, float] | None) -> tuple[str, float] | None:
    if fail_on is None:
        return None
    what, value = fail_on
    if what not in GATES:
        raise UsageError(f"--fail-on {what!r}: expected one of {', '.join(GATES)}")
    if value < 0:
        raise UsageError(f"--fail-on {what} {value:g}: the value must not be negative")
    return what, float(value)


def _write_rules(settings: Settings, slos: tuple[SloSpec, ...], output: Path | None) -> None:
    """The rules need no data: they are the objectives, written as PromQL."""

    from ioncli.slo.rules import prometheus_rules

    text = prometheus_rules(settings.service, slos)
    if output is not None and not is_stdout(output):
        write_atomic(output, text)
    else:
        sys.stdout.write(text)


def _emit(
    report: SloReport,
    gate: tuple[str, float] | None,
    fmt: SloFormat,
    output: Path | None,
    step_summary: bool,
) -> None:
    from ioncli.slo.render import RENDERERS, render_github, render_junit

    bundle = replace(
        RENDERERS, github=partial(render_github, gate=gate), junit=partial(render_junit, gate=gate)
    )
    emit(report, bundle, OutputOptions(Format(fmt.value), output, step_summary))


def _apply(
    settings: Settings, report: SloReport, slos: tuple[SloSpec, ...], *, dry_run: bool
) -> ApplySummary:
    from ioncli.gcp import alert_policy_client, require_project, service_monitoring_client
    from ioncli.slo.apply import apply_slos

    return apply_slos(
        service_monitoring_client(settings),
        alert_policy_client(settings),
        require_project(settings),
        report,
        slos,
        dry_run=dry_run,
    )

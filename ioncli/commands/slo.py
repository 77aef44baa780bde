"""`ion slo`: objectives, error budgets, replayed burn-rate alerts, Cloud Monitoring SLOs."""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ioncli.commands._common import OutputOpt, StepSummaryOpt, state_of
from ioncli.commands._source import RegionOpt, ServiceOpt, SinceOpt, SourceOpt, StepOpt, UntilOpt
from ioncli.errors import ConfigError, PolicyViolation, UsageError

if TYPE_CHECKING:
    from ioncli.config import Settings
    from ioncli.frame import MetricFrame
    from ioncli.slo.config import SloSpec
    from ioncli.slo.report import SloReport

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
    if apply:
        report.apply = _apply(settings, report, slos, dry_run=not yes)
    tripped = _check_gate(report, gate)
    report.gate = tripped
    _emit(report, gate, fmt, output, step_summary)
    from ioncli.commands._source import raise_if_partial

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
    from ioncli.commands._source import load_frame
    from ioncli.slo.events import bounds_in, check_threshold, metrics_for
    from ioncli.slo.report import build_report
    from ioncli.sources.sim import LATENCY_BOUNDS

    spec = (source or settings.source).strip()
    kind = spec.split(":", 1)[0].lower()
    where = settings.source_file or "configuration"
    latency = [s for s in slos if s.sli == "latency"]
    if kind == "sim":
        for s in latency:
            check_threshold(s, LATENCY_BOUNDS, spec, where)
    wanted: list[str] = []
    for s in slos:
        if kind == "local" and s.sli == "latency":
            continue  # ion serve's history keeps percentiles, not buckets: see the report
        wanted.extend(m for m in metrics_for(s) if m not in wanted)
    settings = _with_latency_entries(settings, latency)
    if since is None and kind != "file":
        days = max((s.window_days or 31) for s in slos)
        since = f"{days}d"
    try:
        frame = load_frame(settings, source, since, until, step, wanted, region)
    except ConfigError as exc:
        if "bucket bound" not in exc.message or not latency:
            raise
        raise ConfigError(
            f"{where}: key 'slo.{latency[0].name}.threshold_ms': {exc.message} "
            "of run.googleapis.com/request_latencies"
        ) from None
    report = build_report(frame, slos, service=settings.service)
    if kind == "file" and any(o.status == "unsupported" for o in report.objectives):
        from pathlib import Path

        from ioncli.sources.files import read_file

        # Only the threshold's own series was read: look for the file's other bounds.
        whole = read_file(Path(spec.split(":", 1)[1]).expanduser())
        for s in latency:
            check_threshold(s, bounds_in(whole), spec, where)
    for o in report.objectives:
        if o.status == "unsupported" and kind == "local" and o.sli == "latency":
            o.note = (
                "unsupported on source local: ion serve's metric history keeps latency "
                "percentiles, not the distribution's buckets, and a percentile cannot count "
                "good requests; use --source gcp (or a file with latency_share_le_* series)"
            )
    if all(o.status == "unsupported" for o in report.objectives):
        from ioncli.errors import DataError

        raise DataError(f"no objective can be measured: {report.objectives[0].note}")
    return report, frame


def slo_fetch(
    settings: Settings, source: str | None
) -> tuple[tuple[SloSpec, ...], Settings, tuple[str, ...], str]:
    """For the slo dashboard: the objectives, settings that know their latency metrics,
    the metrics to fetch and the default range (the longest window)."""
    from ioncli.slo.config import load_slos
    from ioncli.slo.events import metrics_for
    from ioncli.sources.sim import LATENCY_BOUNDS

    where = settings.source_file or "configuration"
    slos = load_slos(settings.slo, where)
    kind = (source or settings.source).strip().split(":", 1)[0].lower()
    latency = [s for s in slos if s.sli == "latency"]
    if kind == "sim":
        from ioncli.slo.events import check_threshold

        for s in latency:
            check_threshold(s, LATENCY_BOUNDS, kind, where)
    wanted = {
        m for s in slos if not (kind == "local" and s.sli == "latency") for m in metrics_for(s)
    }
    days = max((s.window_days or 31) for s in slos)
    return slos, _with_latency_entries(settings, latency), tuple(sorted(wanted)), f"{days}d"


def _with_latency_entries(settings: Settings, latency: list[SloSpec]) -> Settings:
    """Catalog entries for the latency shares: Cloud Monitoring's request_latencies
    distribution, summed per region, read as the share under the threshold's bucket bound."""
    from ioncli.slo.events import latency_metric
    from ioncli.sources.catalog import RUN_SERVICE

    extra: dict[str, Any] = {}
    for s in latency:
        assert s.threshold_ms is not None
        extra[latency_metric(s.threshold_ms)] = {
            "unit": "ratio",
            "group": "slo",
            "bad_direction": "low",
            "metric_type": "run.googleapis.com/request_latencies",
            "aligner": "ALIGN_DELTA",
            "reducer": "REDUCE_SUM",
            "filter": RUN_SERVICE,
            "below": s.threshold_ms,
        }
    if not extra:
        return settings
    return dataclasses.replace(settings, metrics={**settings.metrics, **extra})


def _gate(fail_on: tuple[str, float] | None) -> tuple[str, float] | None:
    if fail_on is None:
        return None
    what, value = fail_on
    if what not in GATES:
        raise UsageError(f"--fail-on {what!r}: expected one of {', '.join(GATES)}")
    if value < 0:
        raise UsageError(f"--fail-on {what} {value:g}: the value must not be negative")
    return what, float(value)


def _check_gate(report: SloReport, gate: tuple[str, float] | None) -> list[str]:
    if gate is None:
        return []
    what, value = gate
    tripped = []
    for o in report.objectives:
        for s in o.scopes:
            if what == "budget-remaining-below" and s.remaining * 100.0 < value:
                tripped.append(
                    f"{o.name} ({s.scope}): {s.remaining * 100:.1f}% of the error budget left, "
                    f"below {value:g}%"
                )
            if what == "burn-rate-above":
                current = next((b.burn_rate for b in s.burn_rates if b.window == "1h"), None)
                if current is not None and current > value:
                    tripped.append(
                        f"{o.name} ({s.scope}): burning {current:.2f}x over the last hour, "
                        f"above {value:g}x"
                    )
    return tripped


def _write_rules(settings: Settings, slos: tuple[SloSpec, ...], output: Any) -> None:
    """The rules need no data: they are the objectives, written as PromQL."""
    import sys

    from ioncli.render import is_stdout, write_atomic
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
    output: Any,
    step_summary: bool,
) -> None:
    from dataclasses import replace
    from functools import partial

    from ioncli.render import Format, OutputOptions, emit
    from ioncli.slo.ci import slo_github, slo_junit
    from ioncli.slo.render import renderers

    bundle = replace(
        renderers(), github=partial(slo_github, gate=gate), junit=partial(slo_junit, gate=gate)
    )
    emit(report, bundle, OutputOptions(Format(fmt.value), output, step_summary))


def _apply(
    settings: Settings, report: SloReport, slos: tuple[SloSpec, ...], *, dry_run: bool
) -> Any:
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

"""`ion cost-report`: what Cloud Run costs, what min instances should be, and applying them."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ioncli import __version__
from ioncli.commands._common import FormatOpt, OutputOpt, StepSummaryOpt, output_options, state_of
from ioncli.commands._source import (
    MaxPointsOpt,
    RegionOpt,
    ServiceOpt,
    SourceOpt,
    StepOpt,
    UntilOpt,
    load_frame,
)
from ioncli.config_schema import COMMITMENTS
from ioncli.errors import ApplyError, PolicyViolation, UsageError
from ioncli.render import Format, emit, verbosity

if TYPE_CHECKING:
    from ioncli.config import Settings
    from ioncli.cost.cloud_run import ApplyResult, Plan
    from ioncli.cost.model import Comparison, CostReport
    from ioncli.cost.service_config import FleetConfig
    from ioncli.frame import MetricFrame
    from ioncli.render import Renderers

EPILOG = """[b]Examples[/b]

  ion cost-report --source sim

  ion cost-report --source sim --budget 250 --format markdown --step-summary

  ion cost-report --format json -o cost.json; ion cost-report --compare-to cost.json

  ion cost-report --apply                      (dry run: the plan)

  ion cost-report --apply --yes --set us-central1=2

  ion cost-report --what-if cpu=2 --what-if min=1 --what-if billing=instance-based

  ion cost-report --traffic 50/s@120ms --what-if concurrency=40 -f markdown
"""

DEFAULT_SINCE = "7d"  # a week gives every hour of the week one sample

SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Start of the range: a duration back from --until (90m, 24h, 7d, 2w) or an ISO "
        "time. Default 7d, so every hour of the week is seen (a file: its whole range).",
        show_default=False,
    ),
]
BudgetOpt = Annotated[
    str | None,
    typer.Option(
        "--budget",
        metavar="DOLLARS",
        help="Monthly budget; exit 5 after the report when the projected month is over it. "
        "Default: [cost] budget.",
        show_default=False,
    ),
]
CompareOpt = Annotated[
    Path | None,
    typer.Option(
        "--compare-to",
        metavar="JSON",
        help="A previous `ion cost-report --format json`: show what changed.",
        dir_okay=False,
        show_default=False,
    ),
]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet-unless-increase",
        help="With --compare-to: print nothing (exit 0) unless the monthly cost went up.",
    ),
]
ServiceConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--service-config",
        metavar="FILE",
        help="Read the service configuration from this JSON/TOML file instead of Cloud Run.",
        dir_okay=False,
        show_default=False,
    ),
]
ApplyOpt = Annotated[
    bool,
    typer.Option(
        "--apply", help="Plan setting the service-level min instances (a dry run without --yes)."
    ),
]
YesOpt = Annotated[bool, typer.Option("--yes", help="With --apply: make the change.")]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="With --apply: allow going below [cost] min_instance_floor.")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="REGION=N",
        help="With --apply: set this min in this region only, instead of every recommendation "
        "(repeatable).",
        show_default=False,
    ),
]
CommitmentOpt = Annotated[
    str | None,
    typer.Option(
        "--commitment",
        metavar="none|1y|3y",
        help="Price with a committed-use discount. Default: [cost] commitment (none).",
        show_default=False,
    ),
]
WhatIfOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--what-if",
        metavar="KEY=VALUE",
        help="Price the same traffic under a changed configuration, side by side with "
        "today's (repeatable). Keys: cpu, memory, min, max, concurrency, billing, region "
        "(the regions after the change, comma-separated), requests-scale; KEY@REGION=VALUE "
        "changes one region.",
        show_default=False,
    ),
]
TrafficOpt = Annotated[
    str | None,
    typer.Option(
        "--traffic",
        metavar="FILE|RATE",
        help="Price this traffic instead of a source's history (a new service): a file "
        "`--source file:` reads, or a rate like 50/s, 1.2M/day, 50/s@120ms (split evenly "
        "over the regions).",
        show_default=False,
    ),
]
FreeTierOpt = Annotated[
    bool | None,
    typer.Option(
        "--free-tier/--no-free-tier",
        help="Apply the monthly free tier (once per billing account). Default: [cost] free_tier.",
        show_default=False,
    ),
]


def cost_report(  # noqa: PLR0917 (Typer passes options positionally)
    ctx: typer.Context,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    step: StepOpt = None,
    region: RegionOpt = None,
    service: ServiceOpt = None,
    budget: BudgetOpt = None,
    compare_to: CompareOpt = None,
    quiet_unless_increase: QuietOpt = False,
    service_config: ServiceConfigOpt = None,
    commitment: CommitmentOpt = None,
    free_tier: FreeTierOpt = None,
    apply: ApplyOpt = False,
    yes: YesOpt = False,
    force: ForceOpt = False,
    set_: SetOpt = None,
    max_points: MaxPointsOpt = None,
    what_if: WhatIfOpt = None,
    traffic: TrafficOpt = None,
    fmt: FormatOpt = Format.TEXT,
    output: OutputOpt = None,
    step_summary: StepSummaryOpt = False,
) -> None:
    """Show what Cloud Run costs, where the money goes and what min instances should be."""
    settings = state_of(ctx).settings().override(service=service)
    money = _budget(budget, settings.cost.budget)
    targets = _targets(set_ or [])
    if (yes or force or targets) and not apply:
        raise UsageError("--yes, --force and --set only work with --apply")
    if quiet_unless_increase and compare_to is None:
        raise UsageError("--quiet-unless-increase needs --compare-to PREVIOUS.json")
    commit = commitment if commitment is not None else settings.cost.commitment
    from ioncli.cost.whatif import parse_changes

    changes = parse_changes(what_if or [])
    if traffic is not None and source is not None:
        raise UsageError("--traffic replaces --source: give one of them")
    if traffic is not None and apply:
        raise UsageError("--apply needs measured traffic from a source, not --traffic")

    from ioncli.cost import analysis, compare, model, pricing
    from ioncli.cost.render import RENDERERS

    if commit not in COMMITMENTS:
        raise UsageError(f"--commitment must be none, 1y or 3y, found {commit!r}")
    table = pricing.load_table(
        _rates_path(settings),
        settings.cost.pricing,
        where=f"{settings.source_file or 'configuration'} [cost.pricing]",
    )
    regions = analysis.priced_regions(
        region or [],
        settings.regions,
        table,
        live=bool(settings.project or settings.run_emulator_host),
        configured_where=f"{settings.source_file or 'ION_REGIONS'} regions",
    )
    previous = _read_previous(compare_to) if compare_to else None
    traffic_text = "measured"
    if traffic is not None:
        frame, fleet, clients, notes, traffic_text = _traffic(
            settings, traffic, regions, bool(region), service_config, since, until, step
        )
    else:
        frame, fleet, clients, notes = _measured(
            settings,
            source,
            regions,
            region or [],
            service_config,
            since,
            until,
            step,
            max_points=max_points,
        )
    options = model.Options(
        floor=settings.cost.min_instance_floor,
        max_cold_start_share=settings.cost.max_cold_start_share,
        budget=money,
        commitment=commit,
        free_tier=settings.cost.free_tier if free_tier is None else free_tier,
    )
    report = analysis.build_report(
        frame, fleet, table, options, now=datetime.now(UTC), version=__version__
    )
    comparison = (
        compare.compare(report, previous, str(compare_to)) if previous is not None else None
    )
    priced = None
    if changes:
        from ioncli.cost.whatif import what_if_of

        priced = what_if_of(frame, fleet, changes, table, options, traffic=traffic_text)
    plan = applied = None
    if apply:
        plan = analysis.plan_apply(
            report, frame, fleet, table, options, targets=targets, force=force
        )
        applied = _apply(clients[0], plan, yes=yes)
    report = analysis.with_extras(
        report,
        comparison=comparison,
        plan=plan,
        applied=applied,
        warnings=notes,
        what_if=priced,
    )
    if quiet_unless_increase and comparison is not None and not comparison.increased:
        _say_unchanged(comparison)
        return
    emit(report, _with_gates(RENDERERS), output_options(fmt, output, step_summary))
    _gate(report)


def _say_unchanged(comparison: Comparison) -> None:
    """Why nothing was printed (on stderr; not with --quiet)."""

    if verbosity() >= 0:
        print(
            f"cost did not increase ({comparison.previous_monthly:,.2f} -> "
            f"{comparison.current_monthly:,.2f} a month); nothing printed",
            file=sys.stderr,
        )


def _with_gates(renderers: Renderers[CostReport]) -> Renderers[CostReport]:
    from ioncli.cost.render import render_github, render_junit

    return replace(renderers, github=render_github, junit=render_junit)


def _gate(report: CostReport) -> None:
    """After the report is out: a failed apply exits 1, an exceeded budget exits 5."""

    applied = report.applied
    if applied is not None and not applied.ok:
        raise ApplyError(applied.failure(), hint=f"undo: {applied.undo}" if applied.undo else None)
    if report.totals.over_budget:
        t = report.totals
        raise PolicyViolation(
            f"over budget: ${t.projected_month:,.2f} projected for {report.month} against "
            f"a budget of ${t.budget:,.2f}"
        )


def _apply(services_client: Any, plan: Plan, *, yes: bool) -> ApplyResult | None:
    """With --yes, make the planned changes (nothing to do: no result, as for a dry run)."""
    if not (yes and plan.changes):
        return None
    from ioncli.cost.cloud_run import apply_plan

    return apply_plan(services_client, plan)


def _measured(  # noqa: PLR0917 (the command's own options, passed through once)
    settings: Settings,
    source: str | None,
    regions: tuple[str, ...],
    asked: list[str],
    service_config: Path | None,
    since: str | None,
    until: str | None,
    step: str | None,
    *,
    max_points: int | None = None,
) -> tuple[MetricFrame, FleetConfig, tuple[Any, Any], list[str]]:
    """The source's history for the range, its regions and the service configuration."""
    from ioncli.cost.analysis import METRICS
    from ioncli.cost.usage import align_regions

    kind = (source or settings.source).strip().split(":", 1)[0].lower()
    window = since if since is not None or kind == "file" else DEFAULT_SINCE
    frame = load_frame(settings, source, window, until, step, METRICS, asked, max_points=max_points)
    frame, regions, notes = align_regions(frame, regions, explicit=bool(asked))
    fleet, clients = _fleet(settings, regions, service_config)
    return frame, fleet, clients, [*_future_until(until, kind), *notes]


def _traffic(  # noqa: PLR0917 (the command's own options, passed through once)
    settings: Settings,
    text: str,
    regions: tuple[str, ...],
    explicit: bool,
    service_config: Path | None,
    since: str | None,
    until: str | None,
    step: str | None,
) -> tuple[MetricFrame, FleetConfig, tuple[Any, Any], list[str], str]:
    """`--traffic`: a synthetic frame (RATE) or a traffic file, with busy time modelled."""

    from ioncli.cost.analysis import METRICS
    from ioncli.cost.traffic import flat_frame, parse_rate, with_modelled_busy
    from ioncli.cost.usage import align_regions
    from ioncli.sources.window import resolve_window

    rate = parse_rate(text)
    if rate is not None:
        fleet, clients = _fleet(settings, regions, service_config)
        window = resolve_window(
            since, until, step, now=datetime.now(UTC), default_since=DEFAULT_SINCE
        )
        frame = flat_frame(rate, fleet, window.start, window.end, window.step_seconds)
        described = rate.describe()
        return frame, fleet, clients, [f"priced on --traffic: {described}"], described
    path = Path(text)
    if not path.is_file():
        raise UsageError(
            f"--traffic {text!r}: neither a rate (like 50/s, 1.2M/day, 50/s@120ms) nor an "
            "existing file"
        )
    frame = load_frame(settings, f"file:{path}", since, until, step, METRICS, list(regions))
    frame, regions, notes = align_regions(frame, regions, explicit=explicit)
    fleet, clients = _fleet(settings, regions, service_config)
    frame = with_modelled_busy(frame, fleet)
    described = f"the traffic in {path} (busy instances modelled where it has none)"
    return frame, fleet, clients, [f"priced on --traffic: {described}", *notes], described


def _future_until(until: str | None, kind: str) -> list[str]:
    """A range cannot end after now: say so instead of cutting it silently."""
    if until is None or kind == "file":
        return []

    from ioncli.sources.window import parse_time

    end = parse_time(until, "--until")
    now = datetime.now(UTC)
    if end <= now:
        return []
    return [
        f"--until {until} is in the future: the range ends now ({now:%Y-%m-%d %H:%M} UTC) "
        "and the rest of the month is projected at the run rate"
    ]


def _rates_path(settings: Settings) -> Path | None:
    """`rates_file` is relative to the config file that names it."""
    if not settings.cost.rates_file:
        return None
    path = Path(settings.cost.rates_file).expanduser()
    if not path.is_absolute() and settings.source_file:
        path = Path(settings.source_file).parent / path
    return path


def _budget(text: str | None, configured: float | None) -> float | None:
    if text is None:
        return configured

    cleaned = text.strip().lstrip("$").strip()
    # Commas only as thousands separators ("1,500"): "1,5" is a decimal comma or a typo, and
    # reading it as 15 would gate a pipeline on the wrong number.
    if "," in cleaned:
        if not re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", cleaned):
            raise UsageError(
                f"--budget {text!r}: a comma may only group thousands (1,500); "
                "use a point for cents (1.50)"
            )
        cleaned = cleaned.replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise UsageError(f"--budget {text!r} is not a number of dollars (like 250)") from None
    if not value > 0 or value == float("inf"):
        raise UsageError(f"--budget must be a positive number of dollars, found {text!r}")
    return value


def _targets(items: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            number = int(value)
        except ValueError:
            number = None
        if not sep or not name.strip() or number is None:
            raise UsageError(f"--set {item!r}: expected REGION=N, like us-central1=2")
        if number < 0:
            raise UsageError(f"--set {item}: min instances cannot be negative")
        out[name.strip()] = number
    return out


def _fleet(
    settings: Settings, regions: tuple[str, ...], path: Path | None
) -> tuple[FleetConfig, tuple[Any, Any]]:
    from ioncli.cost import service_config

    if path is not None:
        return service_config.from_file(path, settings.service, regions), (None, None)
    if settings.project or settings.run_emulator_host:
        from ioncli.gcp import require_project, run_revisions_client, run_services_client

        project = require_project(settings)
        clients = (run_services_client(settings), run_revisions_client(settings))
        fleet = service_config.from_cloud_run(
            clients[0], clients[1], project, settings.service, regions
        )
        return fleet, clients
    where = f"{settings.source_file or 'configuration'} [cost]"
    fleet = service_config.from_settings(
        settings.service, regions, settings.cost.service, settings.cost.regions, where=where
    )
    return fleet, (None, None)


def _read_previous(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"--compare-to {path}: the file does not exist") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"--compare-to {path}: not readable JSON ({exc})") from None

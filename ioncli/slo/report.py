"""The `ion slo` report: plain data built from a frame, rendered by ioncli.slo.render."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ioncli import __version__
from ioncli.alerting.window import regular
from ioncli.frame import MetricFrame
from ioncli.slo.analysis import SIGNIFICANT_SHARE, Episode, ScopeResult, analyse, month_seconds
from ioncli.slo.analysis import window_bounds as bounds_of
from ioncli.slo.config import SloSpec
from ioncli.slo.events import FLEET, SliData, sli_events
from ioncli.slo.replay import RuleReplay, replay_rule, replay_static

SCHEMA_VERSION = 1
STATIC_5XX = 0.01  # the original report's critical error-rate rule: 5xx above 1%


@dataclass
class ScopeReplay:
    scope: str
    incidents: int  # budget-burning episodes over the data
    rules: list[RuleReplay]


@dataclass
class SloResult:
    name: str
    sli: str
    objective: float  # percent
    threshold_ms: float | None
    window: str
    window_start: datetime | None
    window_end: datetime | None
    partial: bool  # the data covers less than the window
    description: str
    status: str  # "met", "breached", "undefined" (no traffic) or "unsupported"
    note: str  # why unsupported or undefined, what is partial
    scopes: list[ScopeResult] = field(default_factory=list)
    replay: list[ScopeReplay] = field(default_factory=list)

    def fleet(self) -> ScopeResult | None:
        return next((s for s in self.scopes if s.scope == FLEET), None)


@dataclass
class ApplySummary:
    dry_run: bool
    project: str
    service: str
    items: list[dict[str, Any]]
    applied: int
    not_applied: list[str]


@dataclass
class SloReport:
    schema_version: int
    ion_version: str
    generated_at: datetime
    service: str
    source: str
    simulated: bool
    step_seconds: int
    data_start: datetime | None
    data_end: datetime | None
    significant_share: float
    objectives: list[SloResult]
    warnings: list[str] = field(default_factory=list)
    apply: ApplySummary | None = None
    gate: list[str] = field(default_factory=list)  # what tripped --fail-on


def build_report(frame: MetricFrame, slos: tuple[SloSpec, ...], *, service: str) -> SloReport:
    frame, note = regular(frame)
    warnings = list(frame.warnings) + ([note] if note else [])
    index = frame.data.index
    results = [_one(frame, spec) for spec in slos]
    return SloReport(
        schema_version=SCHEMA_VERSION,
        ion_version=__version__,
        generated_at=datetime.now(UTC),
        service=service,
        source=frame.source,
        simulated=frame.simulated,
        step_seconds=frame.step_seconds,
        data_start=index[0].to_pydatetime() if len(index) else None,
        data_end=(index[-1] + np.timedelta64(frame.step_seconds, "s")).to_pydatetime()
        if len(index)
        else None,
        significant_share=SIGNIFICANT_SHARE,
        objectives=results,
        warnings=warnings,
    )


def _one(frame: MetricFrame, spec: SloSpec) -> SloResult:
    data = sli_events(frame, spec)
    base = SloResult(
        name=spec.name,
        sli=spec.sli,
        objective=spec.objective_percent,
        threshold_ms=spec.threshold_ms,
        window=spec.window_label,
        window_start=None,
        window_end=None,
        partial=False,
        description=spec.description,
        status="unsupported",
        note=data.unsupported or "",
    )
    if data.unsupported or len(data.index) == 0:
        return base
    start, end = bounds_of(data.index, data.step_seconds, spec.window_days)
    base.window_start, base.window_end = start.to_pydatetime(), end.to_pydatetime()
    window_s = int(month_seconds(start) if spec.window_days is None else spec.window_days * 86400)
    found = []
    for events in data.scopes:
        result, all_episodes = analyse(
            events,
            data.index,
            data.step_seconds,
            objective=spec.objective,
            window_days=spec.window_days,
        )
        base.scopes.append(result)
        found.append(all_episodes)
    fleet = base.scopes[0]
    base.partial = data.index[0] > start or fleet.coverage < 0.999
    notes = []
    if base.partial:
        notes.append(
            f"partial: data covers {_share(fleet.coverage)} of the {spec.window_label} window"
        )
    if fleet.compliance is None:
        base.status = "undefined"
        notes.append("no traffic in the window: compliance is undefined, the budget untouched")
    else:
        base.status = "met" if fleet.met else "breached"
    base.note = "; ".join(notes)
    base.replay = [
        _replay(spec, data, (events, result, eps), window_s)
        for events, result, eps in zip(data.scopes, base.scopes, found, strict=True)
    ]
    return base


def _share(value: float) -> str:
    """A share that stays readable when small: 3.6%, 0.012%."""
    return f"{value:.1%}" if value >= 0.001 else f"{value:.3%}"


def _replay(
    spec: SloSpec, data: SliData, scope: tuple[Any, ScopeResult, list[Episode]], window_s: int
) -> ScopeReplay:
    events, result, found = scope
    ratio = spec.budget_ratio
    incidents = [e for e in found if e.significant]
    rules: list[RuleReplay] = [
        replay_rule(
            events,
            data.index,
            data.step_seconds,
            rule,
            ratio=ratio,
            window_seconds=window_s,
            incidents=incidents,
            budget_events=result.budget_events,
            minimum=spec.min_bad_events,
        )
        for rule in spec.alerts
    ]
    with np.errstate(divide="ignore", invalid="ignore"):
        per_step = np.where(events.total > 0, events.bad / events.total, np.nan)
    statics = [
        (
            "static-slo",
            f"bad ratio > {ratio:.4%} (the objective) for 5 min",
            per_step > ratio,
        )
    ]
    if spec.sli == "availability":
        statics.append(("static-5xx", "5xx ratio > 1% for 5 min", per_step > STATIC_5XX))
    for name, text, condition in statics:
        rules.append(
            replay_static(
                name,
                text,
                condition,
                data.index,
                data.step_seconds,
                incidents=incidents,
                events=events,
                budget_events=result.budget_events,
            )
        )
    return ScopeReplay(events.scope, len(incidents), rules)

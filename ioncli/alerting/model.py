"""The `ion tune-alerts` report's types: plain dataclasses every renderer and writer reads.

JSON note: only the chosen rule's backtest carries a list named `alerts`; candidates report
their episodes as counts, so a reader that collects every `alerts` list (the NAB scorer does)
sees one rule per series, the one ion proposes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Episode:
    """One alert the rule would have raised: it fired at `start` and closed at `end`."""

    start: datetime
    end: datetime
    open: bool = False  # still firing at the end of the data


@dataclass(frozen=True)
class Catch:
    """A known incident and whether (and how early) a rule caught it."""

    incident: str
    start: datetime
    end: datetime
    caught: bool
    delay_minutes: float | None  # from the incident's start to the first page; < 0 = before


@dataclass(frozen=True)
class ConditionOut:
    """What runs in production for a rule: the backtested computation as a condition."""

    type: str  # "threshold" (static levels), "promql" (PromQL condition) or "none"
    query: str  # the whole rule as PromQL over the series ("" when none)
    series_query: str  # the series itself as PromQL
    for_seconds: int  # the alert's duration: whole steps, the condition met at every one
    evaluation_interval_seconds: int  # one step
    note: str  # why this condition type (or why nothing can run)


@dataclass(frozen=True)
class RuleOut:
    """A rule as proposed: where it pages and where the numbers came from."""

    kind: str
    direction: str  # "high", "low" or "both"
    warning: float | None
    critical: float | None
    low_warning: float | None
    low_critical: float | None
    duration_seconds: int
    parameter: str
    value: float
    adaptive: bool
    explanation: str
    reason: str = ""  # why auto chose this kind (or that it was forced with --rule)
    notes: list[str] = field(default_factory=list)  # sanity changes and comparisons
    condition: ConditionOut | None = None  # what runs in production (tune._condition)


@dataclass(frozen=True)
class CandidateOut:
    """One candidate kind on one series, tuned to the budget and backtested."""

    kind: str
    available: bool
    note: str
    parameter: str = ""
    value: float | None = None
    warning: float | None = None
    critical: float | None = None
    low_warning: float | None = None
    low_critical: float | None = None
    history_episodes: int = 0
    history_alerts_per_week: float = 0.0
    within_budget: bool = False
    episodes: int = 0
    alerts_per_week: float = 0.0
    time_in_alert: float = 0.0
    incidents_caught: int = 0
    learning_incidents_caught: int = 0  # known incidents before --baseline-end it caught


@dataclass(frozen=True)
class Backtest:
    """The chosen rule replayed over the test span."""

    start: datetime
    end: datetime
    weeks: float
    in_sample: bool  # True when no --baseline-end: learned and tested on the same data
    alerts: list[Episode]
    alerts_per_week: float
    time_in_alert: float
    incidents: list[Catch] = field(default_factory=list)


@dataclass(frozen=True)
class SeriesOut:
    id: str
    metric: str
    unit: str
    direction: str
    baseline: dict[str, object]
    rule: RuleOut
    within_budget: bool
    history_alerts_per_week: float
    backtest: Backtest
    candidates: list[CandidateOut]


@dataclass(frozen=True)
class KindSummary:
    """How one candidate kind did over every series (the benchmark table's row)."""

    kind: str
    series: int
    within_budget: int
    episodes: int
    alerts_per_week_per_series: float
    incidents_caught: int
    chosen: int


@dataclass(frozen=True)
class Skipped:
    id: str
    reason: str


@dataclass(frozen=True)
class Drift:
    """One difference between the committed baselines and the recomputed ones."""

    series: str
    field: str  # "warning", "critical", "low.warning", "low.critical", "kind", "series"
    old: float | str | None
    new: float | str | None
    change: float | None  # relative change, 0.25 = 25 %
    beyond_tolerance: bool


@dataclass(frozen=True)
class CheckResult:
    """`--check`: the committed baselines file against what ion computes now."""

    path: str
    tolerance: float
    drifts: list[Drift]
    failed: int


@dataclass(frozen=True)
class PlanItem:
    """One alert policy `--apply` would create or update (or leaves as it is)."""

    action: str  # "create", "update", "unchanged", "skip", "stale"
    series: str
    display_name: str
    policy: str  # the policy's resource name, "" before it is created
    changes: list[str]  # human-readable "field: old -> new"
    update_mask: list[str]
    note: str = ""


@dataclass(frozen=True)
class ApplyResult:
    dry_run: bool
    project: str
    items: list[PlanItem]
    applied: int
    error: str | None = None  # the apply was rejected (and undone): what and what was undone


@dataclass
class TuneReport:
    """Built by `analysis.build_report`; the command's later steps (the check against the
    committed file, the apply, the baselines file written) are added by `with_extras`."""

    service: str
    source: str
    generated_at: datetime
    ion_version: str
    step_seconds: int
    start: datetime
    end: datetime
    baseline_end: datetime | None
    max_alerts_per_week: float
    rule_kind: str  # "auto" or the forced kind
    series: list[SeriesOut]
    kinds: list[KindSummary]
    incidents: list[Catch]
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    baselines_file: str | None = None  # where the baselines were written (None: not written)
    check: CheckResult | None = None
    apply: ApplyResult | None = None
    simulated: bool = False  # built from the simulator: every view says so
    schema_version: int = SCHEMA_VERSION

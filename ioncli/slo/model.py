"""The `ion slo` report's types: plain data built by `analysis`, rendered by `render`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ioncli.slo.events import FLEET

SCHEMA_VERSION = 1

Gate = tuple[str, float] | None  # --fail-on: (budget-remaining-below | burn-rate-above, value)


@dataclass
class BurnRate:
    window: str
    seconds: int
    burn_rate: float | None
    bad_events: float
    total_events: float


@dataclass
class Episode:
    start: datetime
    end: datetime  # the end of its last bad step
    minutes: float
    bad_events: float
    budget_consumed: float  # share of the window's budget
    peak_burn_rate: float
    significant: bool


@dataclass
class Exhaustion:
    burn_rate: float | None
    hours: float | None  # None: never at this burn (or undefined)
    at: datetime | None


@dataclass
class ScopeResult:
    scope: str
    total_events: float
    good_events: float
    bad_events: float
    compliance: float | None
    met: bool | None
    budget_events: float
    budget_minutes: float
    consumed: float
    remaining: float
    consumed_minutes: float
    exhausted_at: datetime | None  # when the window's budget was used up, if it was
    burn_rates: list[BurnRate]
    at_current_burn: Exhaustion
    at_average_burn: Exhaustion
    coverage: float  # share of the window's steps with data
    episodes: list[Episode]  # the worst, most budget first


@dataclass
class Alert:
    start: datetime
    end: datetime
    open: bool
    caught: str = ""  # the incident it caught ("" when none: a page for nothing)


@dataclass
class Detection:
    incident_start: datetime
    fired_at: datetime | None  # None: missed
    minutes_after_start: float | None
    budget_burned_before: float | None  # share of the budget spent before the page


@dataclass
class RuleReplay:
    name: str
    kind: str  # "burn-rate" or "static"
    severity: str
    description: str
    alerts_per_week: float
    episodes: int
    false_alerts: int  # alerts that overlap no budget-burning incident
    incidents_caught: int
    incidents_missed: int
    median_detection_minutes: float | None
    median_budget_before_detection: float | None
    min_bad_events: float | None = None  # the minimum as of the end of the data
    without_minimum: dict[str, float] | None = None  # episodes/false/caught without it
    alerts: list[Alert] = field(default_factory=list)
    detections: list[Detection] = field(default_factory=list)


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

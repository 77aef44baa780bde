"""The cost report's types: plain frozen dataclasses every renderer and writer reads.

`analysis.build_report` fills them from the frame, the service configuration and the rate
table; `compare` and `whatif` add their parts; the command adds the apply plan and result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ioncli.cost.cloud_run import ApplyResult, Plan
from ioncli.cost.pricing import TableInfo
from ioncli.cost.recommend import BillingOption, HeldRevision, MinRecommendation, Schedule
from ioncli.cost.rightsize import Sizing
from ioncli.cost.usage import UsageSummary


@dataclass(frozen=True)
class RegionDelta:
    region: str
    before: float | None
    after: float | None
    change: float
    min_before: int | None
    min_after: int | None


@dataclass(frozen=True)
class Comparison:
    previous_generated_at: str
    previous_monthly: float
    current_monthly: float
    change: float
    change_ratio: float | None
    increased: bool
    regions: tuple[RegionDelta, ...]
    basis_changes: tuple[str, ...] = ()  # pricing choices that differ between the two


@dataclass(frozen=True)
class Scenario:
    """One region's configuration and what it costs a month (on demand)."""

    billing: str
    cpu: float
    memory_gib: float
    concurrency: int
    min_instances: int
    max_instances: int
    busy_instances_mean: float
    requests_per_second: float
    monthly: float
    cold_starts_per_week: float


@dataclass(frozen=True)
class RegionWhatIf:
    region: str
    today: Scenario | None  # None: a region the change adds
    what_if: Scenario | None  # None: a region the change removes
    difference: float  # what-if minus today, a month on demand


@dataclass(frozen=True)
class WhatIf:
    changes: tuple[str, ...]
    regions: tuple[RegionWhatIf, ...]
    today_on_demand: float
    what_if_on_demand: float
    today_net: float
    what_if_net: float
    difference_on_demand: float
    difference_net: float  # after the free tier and any commitment, both sides
    model: str
    ignores: tuple[str, ...]
    risks: tuple[str, ...]
    traffic: str  # "measured" or what --traffic described


SCHEMA_VERSION = 2


@dataclass(frozen=True)
class Breakdown:
    idle: float  # idle min instances (instance-based: all idle time)
    active: float  # busy instance time
    requests: float
    held: float  # warm instances of revisions without traffic
    total: float

    @classmethod
    def of(cls, idle: float, active: float, requests: float, held: float) -> Breakdown:
        return cls(idle, active, requests, held, idle + active + requests + held)


@dataclass(frozen=True)
class RegionCost:
    region: str
    tier: int
    billing: str
    cpu: float
    memory_gib: float
    concurrency: int
    min_instances: int
    max_instances: int
    warm_instances: int
    monthly: Breakdown
    monthly_net: float  # this region's share of the net total (free tier and commitment)
    month_to_date: float
    projected_month: float
    usage: UsageSummary


@dataclass(frozen=True)
class Totals:
    monthly_on_demand: float
    free_tier_credit: float
    commitment: str
    commitment_discount: float
    monthly_net: float
    month_to_date: float
    projected_month: float
    budget: float | None
    budget_used: float | None  # projected month / budget
    over_budget: bool


@dataclass(frozen=True)
class CostReport:
    service: str
    generated_at: datetime
    source: str
    simulated: bool
    window_start: datetime
    window_end: datetime
    step_seconds: int
    month: str
    configuration: str
    offline: bool
    pricing: TableInfo
    assumptions: tuple[str, ...]
    regions: tuple[RegionCost, ...]
    totals: Totals
    recommendations: tuple[MinRecommendation, ...]
    schedules: tuple[Schedule, ...]
    held_revisions: tuple[HeldRevision, ...]
    billing_options: tuple[BillingOption, ...]
    rightsizing: tuple[Sizing, ...]
    max_cold_start_share: float
    warnings: tuple[str, ...] = ()
    comparison: Comparison | None = None
    plan: Plan | None = None
    applied: ApplyResult | None = None
    what_if: WhatIf | None = None
    version: str = ""
    schema_version: int = SCHEMA_VERSION
    notes: tuple[str, ...] = field(default_factory=tuple)
    # Why the month is not projected, the budget not judged and no schedule proposed ("" = ok).
    limited: str = ""


@dataclass(frozen=True)
class Options:
    floor: int = 0
    max_cold_start_share: float = 0.0001
    budget: float | None = None
    commitment: str = "none"
    free_tier: bool = True

"""What the five dashboards of the original service show, declared as data.

A dashboard is a list of widget specs over catalog metric names. The analysis fills them
from whatever the frame holds; a metric the frame lacks shows as missing, except where a
spec marks it optional (replica lag exists only where a database is configured).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ioncli.thresholds import ThresholdSet

Reduce = Literal["sum", "max", "min", "weighted"]

# How a metric's series combine into one fleet value. Ratios weight each region by its
# request rate (a quiet region's blip must not drown a busy one); percentiles cannot be
# averaged, so the fleet shows its worst region.
AGGREGATE: dict[str, Reduce] = {
    "request_rate": "sum",
    "instances_active": "sum",
    "instances_idle": "sum",
    "billable_instance_time": "sum",
    "cache_evictions": "sum",
    "availability": "weighted",
    "error_ratio_5xx": "weighted",
    "error_ratio_4xx": "weighted",
    "cache_hit_ratio": "weighted",
    "cache_hit_ratio_l1": "weighted",
    "cache_hit_ratio_l2": "weighted",
    "routing_confidence_mean": "weighted",
    "persona_share_lua": "weighted",
    "persona_share_elro": "weighted",
    "persona_share_riri": "weighted",
    "persona_share_nana": "weighted",
}
WEIGHT_METRIC = "request_rate"

TITLES: dict[str, str] = {
    "request_rate": "Throughput",
    "latency_p50": "Latency p50",
    "latency_p95": "Latency p95",
    "latency_p99": "Latency p99",
    "error_ratio_5xx": "5xx ratio",
    "error_ratio_4xx": "4xx ratio",
    "availability": "Availability",
    "instances_active": "Active inst.",
    "instances_idle": "Idle inst.",
    "cpu_utilization": "CPU",
    "memory_utilization": "Memory",
    "billable_instance_time": "Billable time",
    "startup_latency_p95": "Startup p95",
    "max_concurrency_p95": "Concurrency p95",
    "cache_hit_ratio_l1": "L1 hit ratio",
    "cache_hit_ratio_l2": "L2 hit ratio",
    "cache_hit_ratio": "Hit ratio",
    "cache_evictions": "Evictions",
    "pipeline_latency_p95": "Pipeline p95",
    "routing_confidence_mean": "Routing conf.",
    "persona_share_lua": "Lua",
    "persona_share_elro": "Elro",
    "persona_share_riri": "Riri",
    "persona_share_nana": "Nana",
    "replica_lag": "Replica lag",
}


def aggregate_of(metric: str) -> Reduce:
    return AGGREGATE.get(metric, "max")


def title_of(metric: str) -> str:
    return TITLES.get(metric, metric)


@dataclass(frozen=True)
class StatSpec:
    metric: str
    title: str = ""


@dataclass(frozen=True)
class TableSpec:
    title: str
    metrics: tuple[str, ...]
    group_by: tuple[str, ...] = ("region",)
    optional: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChartSpec:
    """One line per series (`split`) or one fleet line per metric."""

    title: str
    metrics: tuple[str, ...]
    split: bool = True
    optional: bool = False


@dataclass(frozen=True)
class AlertsSpec:
    title: str = "Active alerts"


@dataclass(frozen=True)
class AnomaliesSpec:
    metrics: tuple[str, ...]
    title: str = "Anomalies against the baseline"


@dataclass(frozen=True)
class SloBoardSpec:
    """The objectives of `[slo]` through `ion slo`'s analysis, as a table."""

    title: str = "Error budgets"


WidgetSpec = StatSpec | TableSpec | ChartSpec | AlertsSpec | AnomaliesSpec | SloBoardSpec


@dataclass(frozen=True)
class DashboardSpec:
    name: str
    title: str
    description: str
    widgets: tuple[WidgetSpec, ...]


DASHBOARDS: tuple[DashboardSpec, ...] = (
    DashboardSpec(
        "overview",
        "Overview",
        "Fleet health at a glance: availability, errors, latency, cache, throughput, alerts.",
        (
            StatSpec("availability"),
            StatSpec("error_ratio_5xx", "Error ratio (5xx)"),
            StatSpec("latency_p95", "Latency p95 (worst)"),
            StatSpec("cache_hit_ratio", "Cache hit ratio"),
            StatSpec("request_rate", "Throughput"),
            TableSpec(
                "Regions", ("availability", "error_ratio_5xx", "latency_p95", "request_rate")
            ),
            AlertsSpec(),
        ),
    ),
    DashboardSpec(
        "performance",
        "Performance",
        "Latency percentiles per region and endpoint, throughput, routing, and anomalies.",
        (
            TableSpec(
                "Latency by region", ("latency_p50", "latency_p95", "latency_p99", "request_rate")
            ),
            TableSpec(
                "Pipeline latency by endpoint", ("pipeline_latency_p95",), ("region", "endpoint")
            ),
            TableSpec(
                "Routing by region (persona shares)",
                (
                    "routing_confidence_mean",
                    "persona_share_lua",
                    "persona_share_elro",
                    "persona_share_riri",
                    "persona_share_nana",
                ),
            ),
            ChartSpec("Latency p95 by region", ("latency_p95",)),
            ChartSpec("Throughput by region", ("request_rate",)),
            AnomaliesSpec(
                (
                    "latency_p50",
                    "latency_p95",
                    "latency_p99",
                    "pipeline_latency_p95",
                    "request_rate",
                )
            ),
        ),
    ),
    DashboardSpec(
        "reliability",
        "Reliability",
        "Errors by region and endpoint, and the availability timeline.",
        (
            TableSpec("Errors by region", ("error_ratio_5xx", "error_ratio_4xx", "availability")),
            TableSpec("Errors by endpoint", ("error_ratio_5xx", "error_ratio_4xx"), ("endpoint",)),
            ChartSpec("Availability timeline", ("availability",)),
            ChartSpec("5xx ratio by region", ("error_ratio_5xx",)),
        ),
    ),
    DashboardSpec(
        "cache",
        "Cache",
        "Hit ratio per tier, evictions and their trend.",
        (
            StatSpec("cache_hit_ratio", "Hit ratio (combined)"),
            TableSpec(
                "Cache by region",
                ("cache_hit_ratio_l1", "cache_hit_ratio_l2", "cache_hit_ratio", "cache_evictions"),
            ),
            ChartSpec(
                "Hit ratio per tier",
                ("cache_hit_ratio_l1", "cache_hit_ratio_l2", "cache_hit_ratio"),
                split=False,
            ),
            ChartSpec("Evictions by region", ("cache_evictions",)),
        ),
    ),
    DashboardSpec(
        "infrastructure",
        "Infrastructure",
        "Instances, CPU and memory per region, startup, and replica lag where configured.",
        (
            TableSpec(
                "Instances by region",
                (
                    "instances_active",
                    "instances_idle",
                    "max_concurrency_p95",
                    "startup_latency_p95",
                ),
            ),
            TableSpec(
                "Utilisation by region",
                ("cpu_utilization", "memory_utilization", "billable_instance_time", "replica_lag"),
                optional=("replica_lag",),
            ),
            ChartSpec("Active instances by region", ("instances_active",)),
            ChartSpec("CPU by region", ("cpu_utilization",)),
            ChartSpec("Memory by region", ("memory_utilization",)),
            ChartSpec("Replica lag", ("replica_lag",), optional=True),
        ),
    ),
)

NAMES: tuple[str, ...] = tuple(d.name for d in DASHBOARDS)

# Shown only when named: it reads weeks of data where the others read a day.
SLO = DashboardSpec(
    "slo",
    "Service level objectives",
    "Compliance, error budget and burn rates of each objective (the analysis of ion slo).",
    (SloBoardSpec(),),
)


def select(names: list[str] | tuple[str, ...]) -> list[DashboardSpec]:
    """The dashboards named (in the canonical order); "all" or nothing means the report's
    five; `slo` comes last when named."""
    wanted = set(names)
    chosen = list(DASHBOARDS) if not wanted or "all" in wanted else []
    chosen += [d for d in DASHBOARDS if d.name in wanted and d not in chosen]
    return chosen + ([SLO] if SLO.name in wanted else [])


def to_fetch(
    specs: list[DashboardSpec], thresholds: ThresholdSet, known: Sequence[str]
) -> tuple[str, ...]:
    """The metrics to ask the source for, sorted: what the dashboards show, and for the
    overview's active alerts every metric with a threshold (a baselines entry for a metric
    the catalog no longer knows is simply not fetched)."""
    wanted = metrics_of(specs)
    if any(s.name == "overview" for s in specs):
        wanted |= set(thresholds.by_metric) | {t.metric for t in thresholds.by_series.values()}
    return tuple(sorted(wanted & set(known)))


def metrics_of(specs: list[DashboardSpec]) -> set[str]:
    """The catalog metrics these dashboards read (alerts add the thresholded ones later)."""
    out: set[str] = set()
    for spec in specs:
        for widget in spec.widgets:
            if isinstance(widget, StatSpec):
                out.add(widget.metric)
            elif isinstance(widget, TableSpec | ChartSpec | AnomaliesSpec):
                out.update(widget.metrics)
            elif isinstance(widget, SloBoardSpec):
                out.update(("request_rate", "error_ratio_5xx"))
    if out & {m for m, how in AGGREGATE.items() if how == "weighted"}:
        out.add(WEIGHT_METRIC)
    return out

"""The metrics catalog: the 25 default logical metrics, their units and labels.

Every other module refers to metrics by these names. (The sources work adds each entry's
Cloud Monitoring query and local-service name, and user entries from `ion.toml`.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ioncli.errors import DataError

if TYPE_CHECKING:
    from ioncli.config import Settings


@dataclass(frozen=True)
class MetricSpec:
    name: str
    unit: str  # "req/s", "ms", "ratio" (0..1), "count", "s/s", "1/s", "s"
    group: str
    labels: tuple[str, ...] = ("region",)
    # Which way is bad: "high" (latency, errors), "low" (hit ratio, availability), "both".
    bad_direction: str = "high"
    description: str = ""


DEFAULT_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("request_rate", "req/s", "traffic", bad_direction="both"),
    MetricSpec("latency_p50", "ms", "traffic"),
    MetricSpec("latency_p95", "ms", "traffic"),
    MetricSpec("latency_p99", "ms", "traffic"),
    MetricSpec("error_ratio_5xx", "ratio", "traffic"),
    MetricSpec("error_ratio_4xx", "ratio", "traffic"),
    MetricSpec("availability", "ratio", "traffic", bad_direction="low"),
    MetricSpec("instances_active", "count", "instances", bad_direction="both"),
    MetricSpec("instances_idle", "count", "instances", bad_direction="both"),
    MetricSpec("cpu_utilization", "ratio", "instances"),
    MetricSpec("memory_utilization", "ratio", "instances"),
    MetricSpec("billable_instance_time", "s/s", "instances"),
    MetricSpec("startup_latency_p95", "ms", "instances"),
    MetricSpec("max_concurrency_p95", "count", "instances"),
    MetricSpec("cache_hit_ratio_l1", "ratio", "cache", bad_direction="low"),
    MetricSpec("cache_hit_ratio_l2", "ratio", "cache", bad_direction="low"),
    MetricSpec("cache_hit_ratio", "ratio", "cache", bad_direction="low"),
    MetricSpec("cache_evictions", "1/s", "cache"),
    MetricSpec("pipeline_latency_p95", "ms", "pipeline", labels=("region", "endpoint")),
    MetricSpec("routing_confidence_mean", "ratio", "pipeline", bad_direction="low"),
    MetricSpec("persona_share_lua", "ratio", "pipeline", bad_direction="both"),
    MetricSpec("persona_share_elro", "ratio", "pipeline", bad_direction="both"),
    MetricSpec("persona_share_riri", "ratio", "pipeline", bad_direction="both"),
    MetricSpec("persona_share_nana", "ratio", "pipeline", bad_direction="both"),
    MetricSpec("replica_lag", "s", "database"),
)


def known_names(settings: Settings | None = None) -> tuple[str, ...]:
    """Every metric name the catalog knows: the defaults plus the user's `[metrics]` entries."""
    names = [spec.name for spec in DEFAULT_METRICS]
    if settings is not None:
        names.extend(n for n in settings.metrics if n not in names)
    return tuple(names)


def check_metrics(names: tuple[str, ...], settings: Settings | None = None) -> tuple[str, ...]:
    """The names, validated: an unknown one is a DataError that lists the known ones."""
    known = known_names(settings)
    for name in names:
        if name not in known:
            raise DataError(f"unknown metric {name!r} (known metrics: {', '.join(known)})")
    return tuple(dict.fromkeys(names))

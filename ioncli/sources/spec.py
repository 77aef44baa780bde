"""What a catalog entry is: the metric (unit, labels, direction) and its Cloud Monitoring query.

Separate from catalog.py so that the user entries (overrides.py) and the default entries
(catalog.py) build the same types without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass

RUN_RESOURCE = "cloud_run_revision"


@dataclass(frozen=True)
class GcpQuery:
    """One ListTimeSeries call: a metric type, extra filter terms and an aggregation."""

    metric_type: str
    aligner: str = "ALIGN_MEAN"
    reducer: str = "REDUCE_SUM"
    filter: str = ""  # extra terms ANDed to the metric and resource type
    resource_type: str = RUN_RESOURCE
    group_by: tuple[str, ...] = ()  # beyond the region label
    region_label: str = "resource.label.location"
    # For distribution values the server did not reduce: which percentile to take locally
    # (0 means the distribution's mean).
    percentile: float = 0.0
    # For distribution values: the share of the count in buckets under this bound
    # (an SLO's good requests, counted from whole buckets); 0 means off.
    below: float = 0.0

    def full_filter(self, service: str) -> str:
        terms = [f'metric.type = "{self.metric_type}"', f'resource.type = "{self.resource_type}"']
        if self.filter:
            terms.append(self.filter.replace("{service}", service))
        return " AND ".join(terms)

    def group_by_fields(self) -> tuple[str, ...]:
        return (self.region_label, *self.group_by)


@dataclass(frozen=True)
class MetricSpec:
    name: str
    unit: str  # "req/s", "ms", "ratio" (0..1), "count", "s/s", "1/s", "s"
    group: str
    labels: tuple[str, ...] = ("region",)
    # Which way is bad: "high" (latency, errors), "low" (hit ratio, availability), "both".
    bad_direction: str = "high"
    description: str = ""
    query: GcpQuery | None = None
    # A ratio: query / denominator, point by point (a missing numerator point is 0).
    denominator: GcpQuery | None = None
    complement: bool = False  # report 1 - value (availability from the 5xx ratio)
    scale: float = 1.0  # multiply what Cloud Monitoring returns (seconds -> ms)
    local: str = ""  # name in the local service's history; empty means `name`

    @property
    def local_name(self) -> str:
        return self.local or self.name

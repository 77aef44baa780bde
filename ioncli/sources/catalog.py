"""The metrics catalog: the 25 default logical metrics, their units, labels and queries.

Every other module refers to metrics by these names. Each entry knows how to ask Cloud
Monitoring for it (metric type, filter, aligner, reducer, group-by; a ratio is two queries)
and its name in the local service's history. Users add or override entries in `ion.toml`:

    [metrics.queue_depth]
    unit = "count"
    metric_type = "custom.googleapis.com/ion/queue_depth"
    aligner = "ALIGN_MEAN"
    reducer = "REDUCE_MAX"

Filters may use `{service}`, replaced by the configured service name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ioncli.errors import DataError

if TYPE_CHECKING:
    from ioncli.config import Settings

RUN = "run.googleapis.com/"
PROM = "prometheus.googleapis.com/"
RUN_RESOURCE = "cloud_run_revision"
PROM_RESOURCE = "prometheus_target"
RUN_SERVICE = 'resource.labels.service_name = "{service}"'
# Managed Service for Prometheus on Cloud Run files the service's own metrics under a
# prometheus_target whose namespace is the service name and whose location is the region.
PROM_SERVICE = 'resource.labels.namespace = "{service}"'


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


def _run(metric: str, aligner: str, reducer: str, extra: str = "") -> GcpQuery:
    terms = RUN_SERVICE + (f" AND {extra}" if extra else "")
    return GcpQuery(RUN + metric, aligner, reducer, terms)


def _prom(metric: str, aligner: str, reducer: str, extra: str = "", **kw: Any) -> GcpQuery:
    terms = PROM_SERVICE + (f" AND {extra}" if extra else "")
    return GcpQuery(PROM + metric, aligner, reducer, terms, PROM_RESOURCE, **kw)


_REQUESTS = _run("request_count", "ALIGN_RATE", "REDUCE_SUM")
_REQ_5XX = _run(
    "request_count", "ALIGN_RATE", "REDUCE_SUM", 'metric.labels.response_code_class = "5xx"'
)
_REQ_4XX = _run(
    "request_count", "ALIGN_RATE", "REDUCE_SUM", 'metric.labels.response_code_class = "4xx"'
)
_CACHE = "ion_cache_requests_total/counter"
_PERSONA = "ion_persona_selections_total/counter"


def _latency(p: int) -> GcpQuery:
    return _run("request_latencies", "ALIGN_DELTA", f"REDUCE_PERCENTILE_{p}")


def _dist(metric: str, p: int, extra: str = "") -> GcpQuery:
    return _run(metric, "ALIGN_DELTA", f"REDUCE_PERCENTILE_{p}", extra)


def _share(persona: str) -> MetricSpec:
    return MetricSpec(
        f"persona_share_{persona}",
        "ratio",
        "pipeline",
        bad_direction="both",
        query=_prom(_PERSONA, "ALIGN_RATE", "REDUCE_SUM", f'metric.labels.persona = "{persona}"'),
        denominator=_prom(_PERSONA, "ALIGN_RATE", "REDUCE_SUM"),
    )


DEFAULT_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("request_rate", "req/s", "traffic", bad_direction="both", query=_REQUESTS),
    MetricSpec("latency_p50", "ms", "traffic", query=_latency(50)),
    MetricSpec("latency_p95", "ms", "traffic", query=_latency(95)),
    MetricSpec("latency_p99", "ms", "traffic", query=_latency(99)),
    MetricSpec("error_ratio_5xx", "ratio", "traffic", query=_REQ_5XX, denominator=_REQUESTS),
    MetricSpec("error_ratio_4xx", "ratio", "traffic", query=_REQ_4XX, denominator=_REQUESTS),
    MetricSpec(
        "availability",
        "ratio",
        "traffic",
        bad_direction="low",
        query=_REQ_5XX,
        denominator=_REQUESTS,
        complement=True,
    ),
    MetricSpec(
        "instances_active",
        "count",
        "instances",
        bad_direction="both",
        query=_run(
            "container/instance_count", "ALIGN_MEAN", "REDUCE_SUM", 'metric.labels.state = "active"'
        ),
    ),
    MetricSpec(
        "instances_idle",
        "count",
        "instances",
        bad_direction="both",
        query=_run(
            "container/instance_count", "ALIGN_MEAN", "REDUCE_SUM", 'metric.labels.state = "idle"'
        ),
    ),
    MetricSpec(
        "cpu_utilization", "ratio", "instances", query=_dist("container/cpu/utilizations", 95)
    ),
    MetricSpec(
        "memory_utilization", "ratio", "instances", query=_dist("container/memory/utilizations", 95)
    ),
    MetricSpec(
        "billable_instance_time",
        "s/s",
        "instances",
        query=_run("container/billable_instance_time", "ALIGN_RATE", "REDUCE_SUM"),
    ),
    MetricSpec(
        "startup_latency_p95", "ms", "instances", query=_dist("container/startup_latencies", 95)
    ),
    MetricSpec(
        "max_concurrency_p95",
        "count",
        "instances",
        query=_dist("container/max_request_concurrencies", 95),
    ),
    MetricSpec(
        "cache_hit_ratio_l1",
        "ratio",
        "cache",
        bad_direction="low",
        query=_prom(
            _CACHE,
            "ALIGN_RATE",
            "REDUCE_SUM",
            'metric.labels.tier = "l1" AND metric.labels.result = "hit"',
        ),
        denominator=_prom(_CACHE, "ALIGN_RATE", "REDUCE_SUM", 'metric.labels.tier = "l1"'),
    ),
    MetricSpec(
        "cache_hit_ratio_l2",
        "ratio",
        "cache",
        bad_direction="low",
        query=_prom(
            _CACHE,
            "ALIGN_RATE",
            "REDUCE_SUM",
            'metric.labels.tier = "l2" AND metric.labels.result = "hit"',
        ),
        denominator=_prom(_CACHE, "ALIGN_RATE", "REDUCE_SUM", 'metric.labels.tier = "l2"'),
    ),
    MetricSpec(
        "cache_hit_ratio",
        "ratio",
        "cache",
        bad_direction="low",
        # Every lookup starts in L1, so L1 lookups count all lookups; a hit in either tier counts.
        query=_prom(_CACHE, "ALIGN_RATE", "REDUCE_SUM", 'metric.labels.result = "hit"'),
        denominator=_prom(_CACHE, "ALIGN_RATE", "REDUCE_SUM", 'metric.labels.tier = "l1"'),
    ),
    MetricSpec(
        "cache_evictions",
        "1/s",
        "cache",
        query=_prom("ion_cache_evictions_total/counter", "ALIGN_RATE", "REDUCE_SUM"),
    ),
    MetricSpec(
        "pipeline_latency_p95",
        "ms",
        "pipeline",
        labels=("region", "endpoint"),
        query=_prom(
            "ion_pipeline_duration_seconds/histogram",
            "ALIGN_DELTA",
            "REDUCE_PERCENTILE_95",
            group_by=("metric.label.endpoint",),
        ),
        scale=1000.0,
    ),
    MetricSpec(
        "routing_confidence_mean",
        "ratio",
        "pipeline",
        bad_direction="low",
        query=_prom("ion_routing_confidence/histogram", "ALIGN_DELTA", "REDUCE_MEAN"),
    ),
    _share("lua"),
    _share("elro"),
    _share("riri"),
    _share("nana"),
    MetricSpec(
        "replica_lag",
        "s",
        "database",
        query=GcpQuery(
            "cloudsql.googleapis.com/database/replication/replica_lag",
            "ALIGN_MEAN",
            "REDUCE_MAX",
            resource_type="cloudsql_database",
            region_label="resource.label.region",
        ),
    ),
)

_DEFAULTS = {spec.name: spec for spec in DEFAULT_METRICS}


def catalog(settings: Settings | None = None) -> dict[str, MetricSpec]:
    """The defaults with the user's `[metrics.NAME]` entries applied (added or overridden)."""
    merged = dict(_DEFAULTS)
    if settings is None:
        return merged
    where = settings.source_file or "configuration"
    from ioncli.sources.overrides import user_entry

    for name, raw in settings.metrics.items():
        merged[name] = user_entry(name, raw, merged.get(name), where)
    return merged


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


def units(settings: Settings | None = None) -> dict[str, str]:
    return {name: spec.unit for name, spec in catalog(settings).items()}


def filter_problem(text: str) -> str | None:
    """Why an extra filter cannot work (None when it looks well formed); see overrides."""
    from ioncli.sources.overrides import filter_problem as check

    return check(text)

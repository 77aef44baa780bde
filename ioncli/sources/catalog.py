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

from typing import TYPE_CHECKING, Any

from ioncli.errors import DataError
from ioncli.sources.overrides import filter_problem, user_entry
from ioncli.sources.spec import RUN_RESOURCE, GcpQuery, MetricSpec

if TYPE_CHECKING:
    from ioncli.config import Settings

__all__ = [
    "DEFAULT_METRICS",
    "RUN_RESOURCE",
    "GcpQuery",
    "MetricSpec",
    "catalog",
    "check_metrics",
    "filter_problem",
    "keeps_worst",
    "known_names",
    "units",
]

RUN = "run.googleapis.com/"
PROM = "prometheus.googleapis.com/"
PROM_RESOURCE = "prometheus_target"
RUN_SERVICE = 'resource.labels.service_name = "{service}"'
# Managed Service for Prometheus on Cloud Run files the service's own metrics under a
# prometheus_target whose namespace is the service name and whose location is the region.
PROM_SERVICE = 'resource.labels.namespace = "{service}"'


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


# Downsampling keeps the worst value of a percentile (percentiles cannot be averaged: the mean
# of two p95s is nobody's p95) and the mean of everything else. Matched on the name, so a
# user's `[metrics.latency_p90]` downsamples like the defaults.
_WORST_PREFIXES = ("latency_", "pipeline_latency_", "startup_latency_", "max_concurrency_")


def keeps_worst(name: str) -> bool:
    """Whether downsampling keeps the worst (largest) value of `name` rather than the mean;
    `name` is a metric name or a series id that starts with one."""
    return name.startswith(_WORST_PREFIXES)

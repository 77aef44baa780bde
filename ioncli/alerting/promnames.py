"""A series as PromQL: the catalog's Cloud Monitoring query under Cloud Monitoring's PromQL names.

Cloud Monitoring names a Google Cloud metric for PromQL by replacing the dots of its domain
with `_`, its first `/` with `:` and the others with `_` (`run.googleapis.com/request_count`
is `run_googleapis_com:request_count`), and takes the monitored resource type as the label
`monitored_resource`. Metrics collected by Managed Service for Prometheus keep their
Prometheus names (`prometheus.googleapis.com/NAME/KIND` is `NAME`). Metric and resource
labels are both plain labels.

The aligner and reducer become the usual PromQL forms: ALIGN_RATE is `rate(...[step])`,
ALIGN_MEAN `avg_over_time(...[step])`, a distribution's percentile `histogram_quantile` over
the per-step increase of its buckets, its mean `sum / count`; the reducer groups by the
series' labels. A ratio divides two such expressions (a missing numerator is 0, as in the
frame), `availability` is one minus it, and a scale multiplies.

A query this module cannot write (an unknown aligner, a filter it cannot read) gives None:
such a series can still page through a threshold condition, but not through a PromQL one.
A series that is not in the catalog (a file's column) is taken to be a Prometheus metric of
the same name, with its labels as matchers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ioncli.frame import SeriesKey

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ioncli.frame import MetricFrame
    from ioncli.sources.catalog import GcpQuery, MetricSpec

_TERM = re.compile(r'^\s*(metric|resource)\.labels?\.([A-Za-z_][\w]*)\s*=\s*"([^"\\]*)"\s*$')
_REDUCERS = {"REDUCE_SUM": "sum", "REDUCE_MAX": "max", "REDUCE_MIN": "min", "REDUCE_MEAN": "avg"}


def metric_name(metric_type: str) -> str:
    """Cloud Monitoring's PromQL name for a metric type."""
    if metric_type.startswith("prometheus.googleapis.com/"):
        return metric_type.split("/")[1]
    domain, _, path = metric_type.partition("/")
    return domain.replace(".", "_") + ":" + path.replace("/", "_")


def _label(name: str) -> str:
    clean = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return clean if clean and not clean[0].isdigit() else "_" + clean


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _matchers(query: GcpQuery, key: SeriesKey, service: str) -> list[str] | None:
    out = []
    if not query.metric_type.startswith("prometheus.googleapis.com/"):
        out.append(f"monitored_resource={_quote(query.resource_type)}")
    if query.filter:
        for term in query.filter.replace("{service}", service).split(" AND "):
            match = _TERM.match(term)
            if not match:
                return None
            out.append(f"{_label(match.group(2))}={_quote(match.group(3))}")
    fields = dict(_fields(query, key))
    for name, value in key.labels:
        if name in fields:
            out.append(f"{fields[name]}={_quote(value)}")
    return out


def _fields(query: GcpQuery, key: SeriesKey) -> list[tuple[str, str]]:
    """(series label, PromQL label) for every label the series is grouped by."""
    pairs = [("region", query.region_label.rsplit(".", 1)[-1])]
    pairs += [(g.rsplit(".", 1)[-1], g.rsplit(".", 1)[-1]) for g in query.group_by]
    return [(name, _label(field)) for name, field in pairs]


def query_promql(query: GcpQuery, key: SeriesKey, service: str, step: int) -> str | None:
    """One catalog query for one series as PromQL (None when it cannot be written)."""
    matchers = _matchers(query, key, service)
    if matchers is None:
        return None
    name = metric_name(query.metric_type)
    sel = "{" + ", ".join(matchers) + "}"
    by = ", ".join(field for _, field in _fields(query, key))
    span = f"[{max(60, step)}s]"
    reducer = query.reducer
    percentile = query.percentile
    if reducer.startswith("REDUCE_PERCENTILE_"):
        percentile = float(reducer.rsplit("_", 1)[-1])
    if query.aligner == "ALIGN_DELTA" and percentile:
        return (
            f"histogram_quantile({percentile / 100:g}, "
            f"sum by ({by}, le) (increase({name}_bucket{sel}{span})))"
        )
    if query.aligner == "ALIGN_DELTA" and reducer in ("REDUCE_MEAN", "REDUCE_NONE"):
        return (
            f"sum by ({by}) (increase({name}_sum{sel}{span})) / "
            f"sum by ({by}) (increase({name}_count{sel}{span}))"
        )
    inner = {"ALIGN_RATE": "rate", "ALIGN_MEAN": "avg_over_time", "ALIGN_MAX": "max_over_time"}
    fn = inner.get(query.aligner)
    agg = _REDUCERS.get(reducer)
    if fn is None or agg is None:
        return None
    return f"{agg} by ({by}) ({fn}({name}{sel}{span}))"


def series_promql(spec: MetricSpec | None, series_id: str, service: str, step: int) -> str | None:
    """The series as PromQL, from its catalog entry (None when the entry cannot be written)."""
    key = SeriesKey.parse(series_id)
    if spec is None or spec.query is None:
        return fallback(key)
    expr = query_promql(spec.query, key, service, step)
    if expr is None:
        return None
    if spec.denominator is not None:
        den = query_promql(spec.denominator, key, service, step)
        if den is None:
            return None
        expr = f"(({expr}) or (({den}) * 0)) / ({den})"
    if spec.complement:
        expr = f"1 - ({expr})"
    if spec.scale != 1.0:
        expr = f"({expr}) * {spec.scale!r}"
    return expr


def series_queries(
    frame: MetricFrame, specs: Mapping[str, MetricSpec], service: str
) -> dict[str, str | None]:
    """Each of the frame's series as PromQL (Cloud Monitoring's names), for the conditions
    that run."""
    return {
        column: series_promql(
            specs.get(column.split("{", 1)[0]), column, service, frame.step_seconds
        )
        for column in frame.data.columns
    }


def fallback(key: SeriesKey) -> str:
    """A column that is no catalog metric: a Prometheus metric of its name and labels."""
    name = re.sub(r"[^A-Za-z0-9_:]", "_", key.metric) or "series"
    if name[0].isdigit():
        name = "_" + name
    labels = ", ".join(f"{_label(k)}={_quote(v)}" for k, v in key.labels)
    return f"{name}{{{labels}}}" if labels else name

"""What the fake MetricService computes: filters, alignment, reduction (a model of Cloud
Monitoring's ListTimeSeries semantics, only as far as ion relies on them).

- filters: terms joined by AND; `=`/`!=` with a quoted value or one_of, starts_with,
  ends_with, has_substring; exactly one metric.type, or INVALID_ARGUMENT;
- interval (start, end]; aligned periods end at `end` and step back by the period;
- aligners: DELTA, RATE, MEAN, MIN, MAX, SUM, COUNT, NEXT_OLDER, PERCENTILE_xx (distributions);
  reducers: SUM, MEAN, MIN, MAX, COUNT, PERCENTILE_xx (numbers, or the merged distribution);
- group-by on resource and metric labels.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

KIND = {"GAUGE": 1, "DELTA": 2, "CUMULATIVE": 3}
VALUE = {"INT64": 2, "DOUBLE": 3, "DISTRIBUTION": 5}


@dataclass
class FakeSeries:
    """One stored series. Numeric values are (n,); distributions are bucket counts (n, B)
    over explicit finite `bounds` (B = len(bounds) + 1), with per-point `sums` for the mean.
    `times` are point end times (epoch seconds); a DELTA point covers (t - 60, t]."""

    metric_type: str
    resource_type: str
    metric_labels: dict[str, str]
    resource_labels: dict[str, str]
    kind: str
    value_type: str
    times: np.ndarray
    values: np.ndarray
    bounds: np.ndarray | None = None
    sums: np.ndarray | None = None

    def label(self, field_name: str) -> str | None:
        scope, name = _split_field(field_name)
        if scope == "metric":
            return self.metric_labels.get(name)
        if scope == "resource":
            return self.resource_labels.get(name)
        return None


# ---- filters ---------------------------------------------------------------------------------

_TERM = re.compile(
    r"""^\s*(?P<field>[a-z_]+(?:\.[A-Za-z0-9_]+)+)\s*(?P<op>=|!=)\s*"""
    r"""(?:"(?P<value>[^"]*)"|(?P<fn>one_of|starts_with|ends_with|has_substring)"""
    r"""\((?P<args>\s*"[^"]*"(?:\s*,\s*"[^"]*")*\s*)\))\s*$"""
)


def _split_field(field_name: str) -> tuple[str, str]:
    parts = field_name.split(".")
    if len(parts) == 3 and parts[1] in ("label", "labels"):
        return parts[0], parts[2]
    return field_name, ""


def parse_filter(text: str) -> list[tuple[str, str, Any]]:
    """Terms joined by AND; raises ValueError for what Cloud Monitoring would reject."""
    if text.count('"') % 2:
        raise ValueError(f"Could not parse filter {text!r}: unbalanced quotes")
    terms = []
    for part in re.split(r"\s+AND\s+", text.strip()):
        match = _TERM.match(part)
        if not match:
            raise ValueError(f"Could not parse filter {text!r} at {part!r}")
        field_name, op = match.group("field"), match.group("op")
        if match.group("fn"):
            args = re.findall(r'"([^"]*)"', match.group("args"))
            terms.append((field_name, op, (match.group("fn"), args)))
        else:
            terms.append((field_name, op, ("eq", [match.group("value")])))
    types = [t for t in terms if t[0] == "metric.type" and t[1] == "="]
    if len(types) != 1:
        raise ValueError("A filter must name exactly one metric.type")
    return terms


def _matches(series: FakeSeries, terms: list[tuple[str, str, Any]]) -> bool:
    for field_name, op, (fn, args) in terms:
        if field_name == "metric.type":
            value: str | None = series.metric_type
        elif field_name == "resource.type":
            value = series.resource_type
        else:
            value = series.label(field_name)
        if value is None:
            ok = False
        elif fn == "eq":
            ok = value == args[0]
        elif fn == "one_of":
            ok = value in args
        elif fn == "starts_with":
            ok = value.startswith(args[0])
        elif fn == "ends_with":
            ok = value.endswith(args[0])
        else:
            ok = args[0] in value
        if ok == (op == "!="):
            return False
    return True


# ---- aggregation ------------------------------------------------------------------------------

ALIGN = {
    0: "NONE",
    1: "DELTA",
    2: "RATE",
    10: "MIN",
    11: "MAX",
    12: "MEAN",
    13: "COUNT",
    14: "SUM",
    4: "NEXT_OLDER",
    18: "P99",
    19: "P95",
    20: "P50",
    21: "P05",
}
REDUCE = {
    0: "NONE",
    1: "MEAN",
    2: "MIN",
    3: "MAX",
    4: "SUM",
    6: "COUNT",
    9: "P99",
    10: "P95",
    11: "P50",
    12: "P05",
}


@dataclass
class Out:
    """One output series: header fields and points (ascending here; sent newest first)."""

    metric_type: str
    metric_labels: dict[str, str]
    resource_type: str
    resource_labels: dict[str, str]
    kind: int
    value_type: int
    times: np.ndarray
    starts: np.ndarray
    values: np.ndarray  # (n,) doubles or (n, B) counts
    bounds: np.ndarray | None = None
    sums: np.ndarray | None = None


def query(store: list[FakeSeries], pb: Any) -> list[Out]:
    terms = parse_filter(pb.filter)
    start, end = pb.interval.start_time.seconds, pb.interval.end_time.seconds
    if not end:
        raise ValueError("interval.end_time is required")
    if start and start >= end:
        raise ValueError("The start time must be before the end time")
    agg = pb.aggregation
    aligner = ALIGN.get(agg.per_series_aligner)
    reducer = REDUCE.get(agg.cross_series_reducer)
    if aligner is None or reducer is None:
        raise ValueError("This aligner or reducer is not supported by the fake")
    period = agg.alignment_period.seconds
    if aligner != "NONE" and period < 60:
        raise ValueError("The alignment period must be at least 60 seconds")
    if reducer != "NONE" and aligner == "NONE":
        raise ValueError("A cross-series reducer requires a per-series aligner")
    matched = [s for s in store if _matches(s, terms)]
    if aligner == "NONE":
        return [_raw(s, start, end) for s in matched]
    aligned = [a for a in (_align(s, aligner, start, end, period) for s in matched) if a]
    if reducer == "NONE":
        return aligned
    groups: dict[tuple[str | None, ...], list[Out]] = {}
    fields = list(agg.group_by_fields)
    for series, out in zip(matched, aligned, strict=False):
        key = tuple(series.label(f) for f in fields)
        groups.setdefault(key, []).append(out)
    return [_reduce(outs, reducer, fields, key) for key, outs in groups.items()]


def _raw(s: FakeSeries, start: int, end: int) -> Out:
    keep = (s.times > start) & (s.times <= end)
    times = s.times[keep]
    starts = times - 60 if s.kind == "DELTA" else times
    sums = s.sums[keep] if s.sums is not None else None
    return Out(
        s.metric_type,
        s.metric_labels,
        s.resource_type,
        s.resource_labels,
        KIND[s.kind],
        VALUE[s.value_type],
        times,
        starts,
        s.values[keep],
        s.bounds,
        sums,
    )


def _deltas(s: FakeSeries, values: np.ndarray | None = None) -> np.ndarray:
    """Per-point increments of a CUMULATIVE series (a drop is a counter reset)."""
    values = s.values if values is None else values
    if s.kind != "CUMULATIVE":
        return values
    previous = np.concatenate([values[:1] * 0, values[:-1]])
    diff = values - previous
    return np.where(diff < 0, values, diff)


def _align(s: FakeSeries, aligner: str, start: int, end: int, period: int) -> Out | None:
    keep = (s.times > start) & (s.times <= end)
    if not keep.any():
        return None
    bucket = (end - s.times[keep]) // period  # 0 is the newest period, ending at `end`
    nb = int(bucket.max()) + 1
    ends = end - np.arange(nb) * period
    is_dist = s.value_type == "DISTRIBUTION"
    if is_dist:
        if aligner not in ("DELTA", "P99", "P95", "P50", "P05"):
            raise ValueError(f"ALIGN_{aligner} is not valid for a distribution metric")
        counts = np.zeros((nb, s.values.shape[1]))
        np.add.at(counts, bucket, _deltas(s)[keep])
        sums = np.zeros(nb)
        point_sums = s.sums if s.sums is not None else np.zeros(len(s.times))
        np.add.at(sums, bucket, _deltas(s, point_sums)[keep])
        present = counts.sum(axis=1) > 0
        order = np.argsort(ends[present])
        times, counts, sums = ends[present][order], counts[present][order], sums[present][order]
        if aligner == "DELTA":
            return Out(
                s.metric_type,
                s.metric_labels,
                s.resource_type,
                s.resource_labels,
                KIND["DELTA"],
                VALUE["DISTRIBUTION"],
                times,
                times - period,
                counts,
                s.bounds,
                sums,
            )
        assert s.bounds is not None
        q = {"P99": 99, "P95": 95, "P50": 50, "P05": 5}[aligner]
        values = np.array([_percentile(s.bounds, c, q) for c in counts])
        return Out(
            s.metric_type,
            s.metric_labels,
            s.resource_type,
            s.resource_labels,
            KIND["GAUGE"],
            VALUE["DOUBLE"],
            times,
            times,
            values,
        )
    if aligner in ("DELTA", "RATE") and s.kind == "GAUGE":
        raise ValueError(f"ALIGN_{aligner} is not valid for a GAUGE metric")
    raw = _deltas(s)[keep] if aligner in ("DELTA", "RATE") else s.values[keep]
    count = np.bincount(bucket, minlength=nb).astype(float)
    total = np.bincount(bucket, weights=raw, minlength=nb)
    if aligner == "RATE":
        values = total / period
    elif aligner in ("DELTA", "SUM"):
        values = total
    elif aligner == "MEAN":
        values = np.divide(total, count, out=np.full(nb, np.nan), where=count > 0)
    elif aligner == "COUNT":
        values = count
    elif aligner in ("MAX", "MIN", "NEXT_OLDER"):
        values = np.full(nb, np.nan)
        for b, v in zip(
            bucket[::-1], raw[::-1], strict=True
        ):  # oldest last: NEXT_OLDER keeps newest
            if aligner == "MAX":
                values[b] = v if np.isnan(values[b]) else max(values[b], v)
            elif aligner == "MIN":
                values[b] = v if np.isnan(values[b]) else min(values[b], v)
            elif np.isnan(values[b]):
                values[b] = v
    else:
        raise ValueError(f"ALIGN_{aligner} is not valid for a numeric metric")
    present = count > 0
    order = np.argsort(ends[present])
    times = ends[present][order]
    kind = KIND["DELTA"] if aligner == "DELTA" else KIND["GAUGE"]
    return Out(
        s.metric_type,
        s.metric_labels,
        s.resource_type,
        s.resource_labels,
        kind,
        VALUE["DOUBLE"],
        times,
        times - period if aligner == "DELTA" else times,
        values[present][order],
    )


def _reduce(outs: list[Out], reducer: str, fields: list[str], key: tuple[str | None, ...]) -> Out:
    metric_labels, resource_labels = {}, {}
    for f, v in zip(fields, key, strict=True):
        scope, name = _split_field(f)
        if v is not None:
            (metric_labels if scope == "metric" else resource_labels)[name] = v
    times = np.unique(np.concatenate([o.times for o in outs]))
    first = outs[0]
    if first.value_type == VALUE["DISTRIBUTION"]:
        counts = np.zeros((len(times), first.values.shape[1]))
        sums = np.zeros(len(times))
        for o in outs:
            pos = np.searchsorted(times, o.times)
            counts[pos] += o.values
            sums[pos] += o.sums if o.sums is not None else 0.0
        if reducer == "SUM":
            return Out(
                first.metric_type,
                metric_labels,
                first.resource_type,
                resource_labels,
                first.kind,
                VALUE["DISTRIBUTION"],
                times,
                times - 60,
                counts,
                first.bounds,
                sums,
            )
        if reducer == "MEAN":
            total = counts.sum(axis=1)
            values = np.divide(sums, total, out=np.full(len(times), np.nan), where=total > 0)
        elif reducer in ("P99", "P95", "P50", "P05"):
            assert first.bounds is not None
            q = {"P99": 99, "P95": 95, "P50": 50, "P05": 5}[reducer]
            values = np.array([_percentile(first.bounds, c, q) for c in counts])
        else:
            raise ValueError(f"REDUCE_{reducer} is not valid for a distribution metric")
        return Out(
            first.metric_type,
            metric_labels,
            first.resource_type,
            resource_labels,
            KIND["GAUGE"],
            VALUE["DOUBLE"],
            times,
            times,
            values,
        )
    table = np.full((len(outs), len(times)), np.nan)
    for i, o in enumerate(outs):
        table[i, np.searchsorted(times, o.times)] = o.values
    with np.errstate(all="ignore"), _quiet():
        if reducer == "SUM":
            values = np.nansum(table, axis=0)
        elif reducer == "MEAN":
            values = np.nanmean(table, axis=0)
        elif reducer == "MAX":
            values = np.nanmax(table, axis=0)
        elif reducer == "MIN":
            values = np.nanmin(table, axis=0)
        elif reducer == "COUNT":
            values = np.sum(~np.isnan(table), axis=0).astype(float)
        else:
            q = {"P99": 99, "P95": 95, "P50": 50, "P05": 5}[reducer]
            values = np.nanpercentile(table, q, axis=0)
    return Out(
        first.metric_type,
        metric_labels,
        first.resource_type,
        resource_labels,
        first.kind,
        VALUE["DOUBLE"],
        times,
        times,
        values,
    )


@contextmanager
def _quiet() -> Iterator[None]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _percentile(bounds: np.ndarray, counts: np.ndarray, q: float) -> float:
    total = counts.sum()
    if total <= 0:
        return float("nan")
    rank = q / 100.0 * total
    cumulative = np.cumsum(counts)
    i = min(int(np.searchsorted(cumulative, rank)), len(counts) - 1)
    if i == 0:
        return float(bounds[0])
    if i >= len(bounds):
        return float(bounds[-1])
    before = cumulative[i - 1]
    fraction = (rank - before) / counts[i] if counts[i] else 0.0
    return float(bounds[i - 1] + (bounds[i] - bounds[i - 1]) * fraction)

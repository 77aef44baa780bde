"""Active alerts and anomalies: what is beyond its threshold now, and what broke from its
own recent baseline during the range."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np

from ioncli.dashboards import definitions as defs
from ioncli.dashboards import series as S
from ioncli.dashboards.context import Context, bad_direction, info
from ioncli.dashboards.model import Alert, AlertList, Anomaly, AnomalyList, Level
from ioncli.thresholds import Threshold

MAX_ANOMALIES = 20
ANOMALY_SIGMAS = 5.0


def alerts(ctx: Context, spec: defs.AlertsSpec) -> AlertList:
    found: list[Alert] = []
    for col, key in enumerate(ctx.keys):
        rule = ctx.threshold(col)
        status = ctx.level(col)
        if rule is None or status not in (Level.WARNING, Level.CRITICAL):
            continue
        value, last = ctx.current(col)
        assert value is not None and last is not None
        since, held, firing = _run(ctx, col, rule, status, last)
        found.append(
            Alert(
                key.id,
                key.metric,
                dict(key.labels),
                ctx.unit(key.metric, col),
                value,
                status,
                info(rule),  # type: ignore[arg-type]
                since,
                held,
                firing,
            )
        )
    found.sort(key=lambda a: (-a.status.rank, not a.firing, a.series))
    return AlertList(spec.title, tuple(found))


def _run(
    ctx: Context, col: int, rule: Threshold, status: Level, last: int
) -> tuple[datetime | None, int, bool]:
    """The latest run of points beyond the status' level: its start, its length in seconds,
    and whether it is still going and has lasted the rule's duration (the alert fires)."""
    level = rule.critical if status is Level.CRITICAL else rule.warning
    if level is None:
        return None, 0, False
    values = ctx.matrix[: last + 1, col]
    with np.errstate(invalid="ignore"):
        bad = values > level if rule.direction == "high" else values < level
    hits = np.flatnonzero(bad)
    if hits.size == 0:
        return None, 0, False
    end = int(hits[-1])
    start = S.trailing_run_start(bad, end)
    held = (end - start + 1) * ctx.step
    return ctx.time(start), held, end == last and held >= rule.duration_seconds


def anomalies(ctx: Context, spec: defs.AnomaliesSpec) -> AnomalyList:
    """Runs of points far from the median of the preceding hour.

    A trailing median follows the daily cycle, so a busy afternoon is not an anomaly while a
    sudden jump is; the scale is each series' robust spread around that median.
    """
    window = max(10, round(3600 / max(ctx.step, 1)))
    method = (
        f"points more than {ANOMALY_SIGMAS:g} robust standard deviations from the median of "
        f"the preceding {window * ctx.step // 60} minutes, in the metric's bad direction, "
        f"for at least {_min_run(ctx.step)} consecutive points"
    )
    cols = [c for m in spec.metrics for c in ctx.by_metric.get(m, [])]
    if not cols or ctx.n < window + 3:
        return AnomalyList(spec.title, method + " (not enough history)", (), 0)
    sub = ctx.matrix[:, cols]
    median = S.rolling_median(sub, window)
    deviation = sub - median
    scale = S.robust_scale(deviation)
    with np.errstate(invalid="ignore"):
        level = np.nanmedian(np.abs(sub), axis=0) if sub.size else np.zeros(len(cols))
    # A flat series has no spread at all; without a floor any wiggle would be infinitely
    # many deviations away. 1% of the series' level is below anything worth a look.
    scale = np.maximum(np.nan_to_num(scale), np.maximum(np.nan_to_num(level) * 0.01, 1e-9))
    z = deviation / scale
    found: list[Anomaly] = []
    for i, col in enumerate(cols):
        key = ctx.keys[col]
        bad = bad_direction(key.metric)
        zi = np.nan_to_num(z[:, i])
        flags = zi > ANOMALY_SIGMAS if bad == "high" else zi < -ANOMALY_SIGMAS
        if bad == "both":
            flags = np.abs(zi) > ANOMALY_SIGMAS
        for start, end in S.runs(flags, _min_run(ctx.step)):
            seg = np.abs(zi[start : end + 1])
            peak = start + int(np.argmax(seg))
            found.append(
                Anomaly(
                    key.id,
                    key.metric,
                    dict(key.labels),
                    ctx.unit(key.metric, col),
                    ctx.time(start),
                    ctx.time(end),
                    (end - start + 1) * ctx.step,
                    float(sub[peak, i]),
                    float(median[peak, i]),
                    round(float(zi[peak]), 1),
                    "above" if zi[peak] > 0 else "below",
                    _incident(ctx, key.id, ctx.time(start), ctx.time(end)),
                )
            )
    found.sort(key=lambda a: (-abs(a.score), a.series, a.start))
    return AnomalyList(spec.title, method, tuple(found[:MAX_ANOMALIES]), len(found))


def _min_run(step: int) -> int:
    return max(2, math.ceil(180 / max(step, 1)))


def _incident(ctx: Context, series_id: str, start: datetime, end: datetime) -> str:
    for incident in ctx.frame.incidents:
        if incident.series and series_id not in incident.series:
            continue
        if incident.start <= end and incident.end >= start:
            return incident.name or "labelled incident"
    return ""

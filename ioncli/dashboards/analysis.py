"""Frame + thresholds -> DashboardReport. Pure: nothing here reads files, clocks or the network.

Conventions a reader of any format relies on:
- a value's *current* level is the mean of the last 5 minutes of its series (the window the
  default rules judge), its status comes from that series' threshold (baselines first, else
  the default rule for its metric); no threshold -> `unknown`, no data -> `missing`;
- a fleet value combines series (sum for rates, request-weighted mean for ratios, worst region
  for percentiles) and its status is the worst of the series it combines;
- chart points keep the worst value of each bucket, so a short spike stays visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from ioncli.dashboards import definitions as defs
from ioncli.dashboards import events
from ioncli.dashboards import series as S
from ioncli.dashboards.context import Context, bucket_reduce, describe, info
from ioncli.dashboards.model import (
    AlertList,
    Chart,
    Column,
    Dashboard,
    DashboardReport,
    Level,
    Line,
    Reading,
    Row,
    Stat,
    Table,
    Thresholds,
    Widget,
    dashboard_readings,
    worst,
)
from ioncli.errors import DataError
from ioncli.frame import MetricFrame, SeriesKey
from ioncli.slo.board import budget_table
from ioncli.thresholds import Threshold, ThresholdSet, default_thresholds

CHART_POINTS = 160
SPARK_POINTS = 24
STALE_SECONDS = 900


def _reading(ctx: Context, metric: str, cols: list[int], label: str) -> Reading:
    unit = ctx.unit(metric, cols[0] if len(cols) == 1 else None)
    if not cols:
        return Reading(label, metric, unit, None, Level.MISSING, note="not in this source")
    ids = tuple(ctx.keys[c].id for c in cols)
    how = defs.aggregate_of(metric)
    weights = ctx.weights(cols) if how == "weighted" and len(cols) > 1 else None
    fleet = S.combine(ctx.matrix[:, cols], how, weights)
    value, last = S.current(fleet, ctx.step)
    spark = S.downsample(fleet, S.buckets(ctx.n, SPARK_POINTS), bucket_reduce(metric))
    levels = [ctx.level(c) for c in cols]
    status = worst(levels) if value is not None else Level.MISSING
    ranked = max(range(len(cols)), key=lambda i: levels[i].rank)
    rule = ctx.threshold(cols[ranked]) or ctx.thresholds.by_metric.get(metric)
    note = ""
    if len(cols) > 1 and status in (Level.WARNING, Level.CRITICAL):
        note = f"worst: {describe(ctx.keys[cols[ranked]])}"
    elif value is None:
        note = "no points in the time range"
    elif last is not None and (ctx.n - 1 - last) * ctx.step > STALE_SECONDS:
        # The value is real but old: say so rather than pass it off as current.
        note = f"stale: last point {ctx.time(last):%m-%d %H:%M} UTC"
    return Reading(label, metric, unit, value, status, ids, info(rule), S.to_tuple(spark), note)


def _stat(ctx: Context, spec: defs.StatSpec) -> Stat:
    cols = ctx.by_metric.get(spec.metric, [])
    title = spec.title or defs.title_of(spec.metric)
    return Stat(title, _reading(ctx, spec.metric, cols, title))


def _table(ctx: Context, spec: defs.TableSpec) -> Table:
    present = [m for m in spec.metrics if ctx.by_metric.get(m) or m not in spec.optional]
    groups: dict[tuple[str, ...], dict[str, list[int]]] = {}
    unlabelled = False
    for metric in present:
        for col in ctx.by_metric.get(metric, []):
            values = tuple(ctx.keys[col].label(k) or "" for k in spec.group_by)
            if not all(values):
                unlabelled = True
                continue
            groups.setdefault(values, {}).setdefault(metric, []).append(col)
    columns = tuple(Column(m, defs.title_of(m), ctx.unit(m)) for m in present)
    rows = []
    for values in sorted(groups):
        label = " / ".join(values)
        cells = tuple(_reading(ctx, m, groups[values].get(m, []), label) for m in present)
        rows.append(Row(label, dict(zip(spec.group_by, values, strict=True)), cells))
    note = ""
    if not rows and unlabelled:
        plural = "s" if len(spec.group_by) > 1 else ""
        note = f"no series here has the label{plural} {', '.join(spec.group_by)}"
    elif not rows:
        rows.append(Row("–", {}, tuple(_reading(ctx, m, [], "–") for m in present)))
    absent = [m for m in spec.optional if m not in present]
    if absent:
        note = "; ".join(filter(None, [note, f"not configured: {', '.join(absent)}"]))
    return Table(spec.title, spec.group_by, columns, tuple(rows), note)


def _chart(ctx: Context, spec: defs.ChartSpec) -> Chart | None:
    size = S.buckets(ctx.n, CHART_POINTS)
    times = tuple(t.to_pydatetime() for t in ctx.index[::size])
    unit = ctx.unit(spec.metrics[0])
    reduce = bucket_reduce(spec.metrics[0])
    lines: list[Line] = []
    rules: list[Threshold | None] = []
    for metric in spec.metrics:
        cols = ctx.by_metric.get(metric, [])
        if spec.split:
            for col in cols:
                values = S.downsample(ctx.matrix[:, col], size, reduce)
                name = describe(ctx.keys[col])
                ids = (ctx.keys[col].id,)
                lines.append(Line(name, ids, S.to_tuple(values), ctx.level(col)))
                rules.append(ctx.threshold(col))
        elif cols:
            reading = _reading(ctx, metric, cols, defs.title_of(metric))
            weights = ctx.weights(cols) if defs.aggregate_of(metric) == "weighted" else None
            fleet = S.combine(ctx.matrix[:, cols], defs.aggregate_of(metric), weights)
            values = S.downsample(fleet, size, reduce)
            lines.append(Line(reading.label, reading.series, S.to_tuple(values), reading.status))
            rules.append(ctx.thresholds.by_metric.get(metric))
    if not lines and spec.optional:
        return None
    note = "" if lines else "missing: not in this source"
    judged = [(line.name, info(rule)) for line, rule in zip(lines, rules, strict=True) if rule]
    shared = {rule_info for _, rule_info in judged}
    threshold = shared.pop() if len(shared) == 1 else None
    if len(shared) > 1:
        note = "thresholds differ per series; the tables show each one's"
    elif threshold is not None and len(judged) < len(lines):
        note = "the threshold applies to " + ", ".join(name for name, _ in judged)
    return Chart(spec.title, unit, times, tuple(lines), size * ctx.step, reduce, threshold, note)


def _widget(ctx: Context, spec: defs.WidgetSpec) -> Widget | None:
    if isinstance(spec, defs.StatSpec):
        return _stat(ctx, spec)
    if isinstance(spec, defs.TableSpec):
        return _table(ctx, spec)
    if isinstance(spec, defs.ChartSpec):
        return _chart(ctx, spec)
    if isinstance(spec, defs.AlertsSpec):
        return events.alerts(ctx, spec)
    if isinstance(spec, defs.SloBoardSpec):
        return budget_table(ctx.frame, ctx.slos, spec.title)
    return events.anomalies(ctx, spec)


def _dashboard(ctx: Context, spec: defs.DashboardSpec) -> Dashboard:
    widgets = tuple(w for w in (_widget(ctx, s) for s in spec.widgets) if w is not None)
    board = Dashboard(spec.name, spec.title, spec.description, Level.MISSING, widgets)
    levels = [r.status for r in dashboard_readings(board)]
    levels += [a.status for w in widgets if isinstance(w, AlertList) for a in w.alerts]
    notes = tuple(
        f"{w.title}: {w.note}" for w in widgets if isinstance(w, Table | Chart) and w.note
    )
    return Dashboard(spec.name, spec.title, spec.description, worst(levels), widgets, notes)


def build_report(
    frame: MetricFrame,
    thresholds: ThresholdSet,
    specs: Sequence[defs.DashboardSpec],
    *,
    service: str,
    generated_at: datetime,
    regions: Sequence[str] = (),
    slos: Sequence[Any] = (),
) -> DashboardReport:
    """The report for `specs` over the whole frame; DataError when the frame holds no points.
    `slos` (SloSpec) are the objectives the slo dashboard shows."""
    data = frame.data
    if regions:
        keep = [c for c in data.columns if SeriesKey.parse(c).label("region") in (None, *regions)]
        data = data[keep]
    start, end = frame.start, frame.end
    if start is None or end is None or data.empty or not data.notna().to_numpy().any():
        raise DataError(f"no data points in the time range from source {frame.source}")
    keys = [SeriesKey.parse(c) for c in data.columns]
    ctx = Context(
        frame,
        thresholds,
        keys,
        data.to_numpy(dtype=np.float64),
        data.index,  # type: ignore[arg-type]
        frame.step_seconds,
    )
    ctx.slos = tuple(slos)
    for col, key in enumerate(keys):
        ctx.by_metric.setdefault(key.metric, []).append(col)
    dashboards = tuple(_dashboard(ctx, s) for s in specs)
    readings = [r for d in dashboards for r in dashboard_readings(d)]
    alerts = [
        a for d in dashboards for w in d.widgets if isinstance(w, AlertList) for a in w.alerts
    ]
    counts = {lv.value: sum(r.status is lv for r in readings) for lv in Level}
    counts["alerts"] = len(alerts)
    status = worst([r.status for r in readings] + [a.status for a in alerts])
    kind = "defaults" if thresholds.origin == default_thresholds().origin else "baselines"
    found_regions = sorted({r for k in keys if (r := k.label("region"))})
    end_dt = end.to_pydatetime() + timedelta(seconds=frame.step_seconds)
    report = DashboardReport(
        service=service,
        source=frame.source,
        simulated=frame.simulated,
        generated_at=generated_at,
        start=start.to_pydatetime(),
        end=end_dt,
        step_seconds=frame.step_seconds,
        thresholds=Thresholds(kind, thresholds.origin),
        status=status,
        counts=counts,
        summary="",
        dashboards=dashboards,
        warnings=tuple(frame.warnings),
        regions=tuple(found_regions),
    )
    return _with_summary(report)


def _with_summary(report: DashboardReport) -> DashboardReport:
    c = report.counts
    parts = [f"{c['critical']} critical", f"{c['warning']} warning", f"{c['ok']} ok"]
    if c["missing"]:
        parts.append(f"{c['missing']} missing")
    if any(d.name == "overview" for d in report.dashboards):
        parts.append(f"{c['alerts']} active alert{'s' if c['alerts'] != 1 else ''}")
    span = f"{report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M} UTC"
    judged = "baselines" if report.thresholds.kind == "baselines" else "default rules"
    summary = (
        f"{report.service} is {report.status.value.upper()}: {', '.join(parts)} ({span}, {judged})"
    )
    return replace(report, summary=summary)

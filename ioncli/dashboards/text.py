"""The terminal view: rich tables per dashboard, status marks that survive a plain pipe,
and unicode sparklines. Labels are always rich `Text`, never markup, so `[b]` in a region
name prints as itself.
"""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.table import Table as RichTable
from rich.text import Text

from ioncli.dashboards.context import bucket_reduce
from ioncli.dashboards.model import (
    AlertList,
    AnomalyList,
    Chart,
    Dashboard,
    DashboardReport,
    Level,
    Reading,
    Stat,
    Table,
)
from ioncli.dashboards.units import (
    STYLE,
    TEXT_MARK,
    clip,
    duration,
    fmt,
    fmt_threshold,
    series_label,
    spark,
    trend_span,
)
from ioncli.render.parts import warning_lines

STAT_TREND = 16
CHART_TREND = 32


def _mark(level: Level) -> Text:
    return Text(TEXT_MARK[level.value], style=STYLE[level.value])


def _value(reading: Reading) -> Text:
    text = Text(TEXT_MARK[reading.status.value] + " ", style=STYLE[reading.status.value])
    text.append(fmt(reading.value, reading.unit), style=STYLE[reading.status.value])
    return text


def _table(title: str) -> RichTable:
    return RichTable(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        expand=False,
    )


def _stats(stats: list[Stat]) -> RichTable:
    table = _table("Fleet")
    table.add_column("metric", overflow="ellipsis", no_wrap=True, min_width=12, max_width=24)
    table.add_column("now", justify="right", no_wrap=True, min_width=12)
    table.add_column("trend", no_wrap=True, width=STAT_TREND)
    table.add_column("note", overflow="ellipsis", no_wrap=True, min_width=6)
    for stat in stats:
        r = stat.reading
        table.add_row(
            Text(clip(stat.title)),
            _value(r),
            Text(spark(r.spark, STAT_TREND, bucket_reduce(r.metric)), style="cyan"),
            Text(clip(r.note), style="dim"),
        )
    return table


def _grid(widget: Table) -> RenderableType:
    if not widget.rows:
        return Text.assemble((widget.title, "bold"), (f": {widget.note}", "dim"))
    table = _table(widget.title)
    table.add_column(" / ".join(widget.group_by), overflow="fold", max_width=30)
    for column in widget.columns:
        table.add_column(column.title, justify="right", no_wrap=True)
    for row in widget.rows:
        table.add_row(Text(clip(row.label)), *(_value(c) for c in row.cells))
    notes = [*widget.cell_notes(), widget.note]
    return Group(table, *(Text(f"  {clip(n, 76)}", style="dim") for n in notes if n))


def _chart(chart: Chart) -> RenderableType:
    # One character stands for several chart points when the range is long: say how much.
    per = trend_span(chart.bucket_seconds, len(chart.times), CHART_TREND)
    table = _table(f"{chart.title} ({chart.bucket_reduce} per {per})")
    table.add_column("", width=1, no_wrap=True)
    table.add_column("series", overflow="ellipsis", max_width=22)
    table.add_column("trend", no_wrap=True, max_width=CHART_TREND)
    table.add_column("low", justify="right", no_wrap=True)
    table.add_column("high", justify="right", no_wrap=True)
    for line in chart.lines:
        real = [v for v in line.values if v is not None]
        table.add_row(
            _mark(line.status),
            Text(clip(line.name)),
            Text(spark(line.values, CHART_TREND, chart.bucket_reduce), style="cyan"),
            fmt(min(real), chart.unit) if real else "–",
            fmt(max(real), chart.unit) if real else "–",
        )
    parts: list[RenderableType] = [table]
    if chart.threshold:
        parts.append(Text(f"  threshold: {fmt_threshold(chart.threshold, chart.unit)}", "dim"))
    if chart.note:
        parts.append(Text(f"  {chart.note}", style="dim"))
    return Group(*parts)


def _held(seconds: int, firing: bool) -> str:
    return f"{duration(seconds)} firing" if firing else duration(seconds)


def _alerts(widget: AlertList) -> RenderableType:
    if not widget.alerts:
        return Text(f"{widget.title}: none", style="green")
    table = _table(f"{widget.title} ({len(widget.alerts)})")
    table.add_column("", width=1, no_wrap=True)
    table.add_column("series", overflow="fold", max_width=32)
    table.add_column("now", justify="right", no_wrap=True)
    table.add_column("threshold", overflow="fold", max_width=22)
    table.add_column("since", no_wrap=True)
    table.add_column("for", no_wrap=True)
    for alert in widget.alerts:
        table.add_row(
            _mark(alert.status),
            Text(clip(series_label(alert.metric, alert.labels))),
            Text(fmt(alert.value, alert.unit), style=STYLE[alert.status.value]),
            fmt_threshold(alert.threshold, alert.unit),
            f"{alert.since:%m-%d %H:%M}" if alert.since else "–",
            Text(_held(alert.held_seconds, alert.firing), style="bold" if alert.firing else ""),
        )
    return table


def _anomalies(widget: AnomalyList) -> RenderableType:
    if not widget.anomalies:
        return Group(
            Text(f"{widget.title}: none", style="green"), Text(f"  {widget.method}", style="dim")
        )
    shown = len(widget.anomalies)
    more = f", top {shown} of {widget.total}" if widget.total > shown else ""
    table = _table(f"{widget.title} ({widget.total}{more})")
    table.add_column("series", overflow="fold", max_width=30)
    table.add_column("start", no_wrap=True)
    table.add_column("for", justify="right", no_wrap=True)
    table.add_column("peak", justify="right", no_wrap=True)
    table.add_column("σ", justify="right", no_wrap=True)
    table.add_column("incident", overflow="ellipsis", max_width=16)
    for a in widget.anomalies:
        table.add_row(
            Text(clip(series_label(a.metric, a.labels))),
            f"{a.start:%m-%d %H:%M}",
            duration(a.seconds),
            fmt(a.peak, a.unit),
            f"{a.score:+.0f}",
            Text(clip(a.incident or "–"), style="dim"),
        )
    return Group(table, Text(f"  {widget.method}", style="dim"))


def render_dashboard(board: Dashboard) -> RenderableType:
    heading = Text.assemble(
        (f"{board.title} ", "bold"), (f"{TEXT_MARK[board.status.value]} ", STYLE[board.status])
    )
    heading.append(board.status.value, style=STYLE[board.status.value])
    parts: list[RenderableType] = [Rule(heading, align="left", style="dim")]
    stats = [w for w in board.widgets if isinstance(w, Stat)]
    if stats:
        parts.append(_stats(stats))
        parts.append(Text(""))
    for widget in board.widgets:
        if isinstance(widget, Table):
            parts.append(_grid(widget))
        elif isinstance(widget, Chart):
            parts.append(_chart(widget))
        elif isinstance(widget, AlertList):
            parts.append(_alerts(widget))
        elif isinstance(widget, AnomalyList):
            parts.append(_anomalies(widget))
        else:
            continue
        parts.append(Text(""))
    return Group(*parts)


def render_text(report: DashboardReport) -> RenderableType:
    """The whole report as one rich renderable (printed as-is on a terminal or to a file)."""
    sim = " (simulated)" if report.simulated else ""
    head = Text()
    head.append(f"{TEXT_MARK[report.status.value]} ", style=STYLE[report.status.value])
    head.append(report.summary, style="bold")
    meta = Text(
        f"source {report.source}{sim} · step {duration(report.step_seconds)} · thresholds: "
        f"{report.thresholds.origin}",
        style="dim",
    )
    parts: list[RenderableType] = [head, meta]
    parts.extend(warning_lines(report.warnings))
    parts.append(Text(""))
    parts.extend(render_dashboard(board) for board in report.dashboards)
    legend = "  ".join(f"{mark} {name}" for name, mark in TEXT_MARK.items())
    parts.append(Text(f"{legend} (unknown: no threshold)", style="dim"))
    return Group(*parts)

"""Geometry for the HTML report's inline SVG charts: scales, nice ticks, time labels, paths.

The template draws what this computes; only numbers and already-formatted labels cross
over, and the template escapes the labels. No chart library, so the page stays one file.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ioncli.dashboards.model import Chart

WIDTH, HEIGHT = 720, 230
LEFT, RIGHT, TOP, BOTTOM = 70, 14, 12, 40
PALETTE = ("#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#0891b2", "#65a30d", "#dc2626")
_TIME_STEPS = (60, 300, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Path:
    name: str
    color: str
    d: str
    status: str


@dataclass(frozen=True)
class Level:
    y: float
    label: str
    level: str  # warning or critical


@dataclass(frozen=True)
class Svg:
    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    paths: tuple[Path, ...]
    levels: tuple[Level, ...]
    off_chart: tuple[str, ...]
    y_caption: str
    empty: bool


def unit_caption(unit: str) -> str:
    return {"ratio": "%", "1/s": "per second", "count": "count"}.get(unit, unit)


def nice_step(span: float, count: int = 5) -> float:
    raw = span / max(count, 1)
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def tick_label(value: float, step: float, unit: str) -> str:
    if unit == "ratio":
        value, step = value * 100, step * 100
    decimals = max(0, math.ceil(-math.log10(step))) if step > 0 else 0
    text = f"{value:,.{min(decimals, 4)}f}"
    return text + ("%" if unit == "ratio" else "")


def _time_ticks(times: Sequence[datetime], x: Callable[[float], float]) -> tuple[Tick, ...]:
    t0, t1 = times[0].timestamp(), times[-1].timestamp()
    span = max(t1 - t0, 1)
    step = next((s for s in _TIME_STEPS if span / s <= 6), _TIME_STEPS[-1])
    if step >= 86400:
        fmt = "%b %d"
    elif span > 86400:
        fmt = "%b %d %H:%M"
    else:
        fmt = "%H:%M"
    first = math.ceil(t0 / step) * step
    ticks = []
    t = first
    while t <= t1:
        moment = datetime.fromtimestamp(t, UTC)
        ticks.append(Tick(round(x(t), 1), moment.strftime(fmt)))
        t += step
    return tuple(ticks)


def chart_svg(chart: Chart, fmt_value: Callable[[float | None, str], str]) -> Svg:
    """Scale `chart` into a WIDTH x HEIGHT box with axes, ticks and threshold levels."""
    real = [v for line in chart.lines for v in line.values if v is not None]
    if not real or len(chart.times) < 2:
        return Svg(WIDTH, HEIGHT, LEFT, TOP, RIGHT, BOTTOM, (), (), (), (), (), "", True)
    lo, hi = min(real), max(real)
    data_span = hi - lo or abs(hi) * 0.1 or 1.0
    marks: list[tuple[float, str]] = []
    if chart.threshold:
        pairs = ((chart.threshold.warning, "warning"), (chart.threshold.critical, "critical"))
        marks = [(value, name) for value, name in pairs if value is not None]
    shown: list[tuple[float, str]] = []
    off: list[str] = []
    for value, name in marks:
        # A level within reach of the data is worth squeezing the data for (within twice its
        # range, or up to double its peak); a far one would flatten every line, so it is named.
        near = lo - 2 * data_span <= value <= hi + 2 * data_span
        if near or (0 < value <= 2 * hi and value >= lo / 2):
            shown.append((value, name))
            lo, hi = min(lo, value), max(hi, value)
        else:
            off.append(f"{name} level {fmt_value(value, chart.unit)} is off the chart")
    step = nice_step(hi - lo or data_span)
    y0 = math.floor(lo / step) * step
    y1 = math.ceil(hi / step) * step
    if y1 <= y0:
        y1 = y0 + step
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    t0, t1 = chart.times[0].timestamp(), chart.times[-1].timestamp()

    def x(t: float) -> float:
        return LEFT + (t - t0) / max(t1 - t0, 1) * plot_w

    def y(v: float) -> float:
        return TOP + (1 - (v - y0) / (y1 - y0)) * plot_h

    y_ticks = []
    count = round((y1 - y0) / step)
    for i in range(count + 1):
        value = y0 + i * step
        y_ticks.append(Tick(round(y(value), 1), tick_label(value, step, chart.unit)))
    xs = [x(t.timestamp()) for t in chart.times]
    paths = []
    for i, line in enumerate(chart.lines):
        parts = []
        pen_up = True
        for px, v in zip(xs, line.values, strict=False):
            if v is None:
                pen_up = True
                continue
            parts.append(f"{'M' if pen_up else 'L'}{px:.1f},{y(v):.1f}")
            pen_up = False
        color = PALETTE[i % len(PALETTE)]
        paths.append(Path(line.name, color, " ".join(parts), line.status.value))
    levels = tuple(
        Level(round(y(v), 1), f"{name} {fmt_value(v, chart.unit)}", name) for v, name in shown
    )
    return Svg(
        WIDTH,
        HEIGHT,
        LEFT,
        TOP,
        RIGHT,
        BOTTOM,
        _time_ticks(chart.times, x),
        tuple(y_ticks),
        tuple(paths),
        levels,
        tuple(off),
        unit_caption(chart.unit),
        False,
    )


def spark_path(values: Sequence[float | None], width: int = 120, height: int = 28) -> str:
    """An SVG path for a small trend line, scaled to its own range."""
    real = [v for v in values if v is not None]
    if not real or len(values) < 2:
        return ""
    lo, hi = min(real), max(real)
    span = hi - lo or 1.0
    parts = []
    pen_up = True
    for i, v in enumerate(values):
        if v is None:
            pen_up = True
            continue
        px = i / (len(values) - 1) * width
        py = 2 + (1 - (v - lo) / span) * (height - 4)
        parts.append(f"{'M' if pen_up else 'L'}{px:.1f},{py:.1f}")
        pen_up = False
    return " ".join(parts)

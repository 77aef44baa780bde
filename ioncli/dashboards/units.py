"""How values, levels and trends read in every format (one place, so formats agree)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ioncli.dashboards.definitions import title_of
from ioncli.dashboards.model import ThresholdInfo

SPARK_CHARS = "▁▂▃▄▅▆▇█"
LONG_LABEL = 48

# Marks that survive a plain pipe (NO_COLOR): the colour is never the only signal.
TEXT_MARK = {"ok": "✓", "warning": "▲", "critical": "✖", "unknown": "·", "missing": "?"}
MD_MARK = {"ok": "🟢", "warning": "🟡", "critical": "🔴", "unknown": "⚪", "missing": "❔"}
STYLE = {
    "ok": "green",
    "warning": "yellow",
    "critical": "bold red",
    "unknown": "dim",
    "missing": "magenta",
}


def _num(value: float, digits: int) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}" if digits < 2 else f"{value:.1f}"
    return f"{value:.{digits}f}"


def fmt(value: float | None, unit: str) -> str:
    """A value with its unit: ratios as percentages, latency in ms, rates per second."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "missing"
    if unit == "ratio":
        pct = value * 100
        if pct >= 99 or abs(pct) < 1:
            return f"{pct:.3f}%"
        return f"{pct:.1f}%"
    if unit == "ms":
        return f"{_num(value, 1)} ms"
    if unit == "s":
        return f"{_num(value, 2)} s"
    if unit == "count":
        return _num(value, 1)
    if unit == "1/s":
        return f"{_num(value, 2)}/s"
    if unit:
        return f"{_num(value, 1)} {unit}"
    return _num(value, 2)


def fmt_threshold(info: ThresholdInfo | None, unit: str) -> str:
    """ "warn > 100 ms, crit > 200 ms" (or "none")."""
    if info is None:
        return "none"
    sign = ">" if info.direction == "high" else "<"
    parts = []
    if info.warning is not None:
        parts.append(f"warn {sign} {fmt(info.warning, unit)}")
    if info.critical is not None:
        parts.append(f"crit {sign} {fmt(info.critical, unit)}")
    return ", ".join(parts) or "none"


def squeeze(values: Sequence[float | None], width: int, how: str = "mean") -> list[float | None]:
    """At most `width` points: runs of neighbours reduced the way the chart was (max, min
    or mean), so the whole range stays in view and a spike is not averaged away."""
    points = list(values)
    if len(points) <= width:
        return points
    size = math.ceil(len(points) / width)
    out: list[float | None] = []
    for start in range(0, len(points), size):
        real = [v for v in points[start : start + size] if v is not None]
        if not real:
            out.append(None)
        elif how == "max":
            out.append(max(real))
        elif how == "min":
            out.append(min(real))
        else:
            out.append(sum(real) / len(real))
    return out


def trend_span(bucket_seconds: int, points: int, width: int) -> str:
    """How much time one character of a `width`-wide trend of `points` chart points covers."""
    return duration(bucket_seconds * max(1, math.ceil(points / width)))


def spark(values: Sequence[float | None], width: int | None = None, how: str = "mean") -> str:
    """A unicode sparkline scaled to the series' own range; gaps are spaces."""
    points = list(values) if width is None else squeeze(values, width, how)
    real = [v for v in points if v is not None]
    if not real:
        return ""
    lo, hi = min(real), max(real)
    span = hi - lo
    top = len(SPARK_CHARS) - 1
    out = []
    for v in points:
        if v is None:
            out.append(" ")
        elif span <= abs(hi) * 1e-9 or span == 0:
            out.append(SPARK_CHARS[0])
        else:
            out.append(SPARK_CHARS[round((v - lo) / span * top)])
    return "".join(out)


def clip(label: str, limit: int = LONG_LABEL) -> str:
    """Very long labels keep their head and tail; the full text stays in JSON."""
    if len(label) <= limit:
        return label
    keep = limit - 1
    return label[: keep - keep // 3] + "…" + label[-(keep // 3) :]


def series_label(metric: str, labels: Mapping[str, str]) -> str:
    """ "Latency p95 · europe-west1": the catalog title and the label values."""

    values = [v for _, v in sorted(labels.items())]
    return " · ".join([title_of(metric), *values])


def duration(seconds: float) -> str:
    """A short duration: 45s, 25m, 1h05m, 2d03h."""
    total = int(seconds)
    if total < 60:
        return f"{total}s"
    minutes, hours, days = total // 60, total // 3600, total // 86400
    if total < 3600:
        return f"{minutes}m"
    if total < 86400:
        return f"{hours}h{minutes % 60:02d}m"
    return f"{days}d{hours % 24:02d}h"

"""Query results on a regular time grid, and decoding ListTimeSeries pages into them.

Decoding reads the raw protobuf messages (`response._pb`): proto-plus attribute access wraps
every field in Python objects and was measured ~17-20x slower (benchmarks/results/pull.md).
The proto-plus path stays for that side-by-side measurement and as a cross-check in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ioncli.sources.distribution import share_below, value_of


@dataclass
class Grid:
    """Series of one query on a regular grid: start (epoch s), step, values by label tuple."""

    start: int
    step: int
    n: int
    values: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict)

    @property
    def end(self) -> int:
        return self.start + self.n * self.step

    def place(self, key: tuple[str, ...], times: np.ndarray, values: np.ndarray) -> int:
        """Put points on the grid (later pages may continue a series); returns how many fit."""
        column = self.values.get(key)
        if column is None:
            column = self.values[key] = np.full(self.n, np.nan)
        offsets = times - self.start
        positions = offsets // self.step
        ok = (offsets % self.step == 0) & (positions >= 0) & (positions < self.n)
        column[positions[ok]] = values[ok]
        return int(ok.sum())


def _dist(distribution: Any, q: float, below: float) -> float:
    return share_below(distribution, below) if below > 0 else value_of(distribution, q)


def decode_raw(
    response: Any, fields: tuple[str, ...], q: float, grid: Grid, below: float = 0.0
) -> int:
    """A raw `ListTimeSeriesResponse` onto the grid; `q` is the percentile for distributions
    (`below` > 0: the share of the count under that bucket bound instead)."""
    placed = 0
    for ts in response.time_series:
        key = tuple(_label(ts, f) for f in fields)
        points = ts.points
        n = len(points)
        if n == 0:
            continue
        times = np.fromiter((p.interval.end_time.seconds for p in points), np.int64, n)
        kind = points[0].value.WhichOneof("value")
        if kind == "double_value":
            vals = np.fromiter((p.value.double_value for p in points), np.float64, n)
        elif kind == "int64_value":
            vals = np.fromiter((p.value.int64_value for p in points), np.float64, n)
        elif kind == "distribution_value":
            vals = np.fromiter(
                (_dist(p.value.distribution_value, q, below) for p in points), np.float64, n
            )
        elif kind == "bool_value":
            vals = np.fromiter((p.value.bool_value for p in points), np.float64, n)
        else:
            continue
        placed += grid.place(key, times, vals)
    return placed


def decode_proto_plus(
    response: Any, fields: tuple[str, ...], q: float, grid: Grid, below: float = 0.0
) -> int:
    """The same through proto-plus attributes: the slow way, kept to measure the difference."""
    placed = 0
    for ts in response.time_series:
        key = tuple(_label(ts, f) for f in fields)
        times: list[int] = []
        values: list[float] = []
        for point in ts.points:
            times.append(int(point.interval.end_time.timestamp()))
            value = point.value
            if "distribution_value" in value:
                raw = type(value.distribution_value).pb(value.distribution_value)
                values.append(_dist(raw, q, below))
            elif "int64_value" in value:
                values.append(float(value.int64_value))
            else:
                values.append(float(value.double_value))
        if times:
            placed += grid.place(key, np.array(times), np.array(values))
    return placed


def ratios(num: Grid, den: Grid) -> dict[tuple[str, ...], np.ndarray]:
    """num / den per label tuple. No numerator series means no such events (0); a zero or
    missing denominator means nothing to divide (a gap, never a made-up 0)."""
    out = {}
    for key, total in den.values.items():
        part = num.values.get(key)
        part = np.zeros_like(total) if part is None else np.where(np.isnan(part), 0.0, part)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[key] = np.where(total > 0, part / total, np.nan)
    return out


def _label(ts: Any, field_name: str) -> str:
    """The value of a group-by field (`resource.label.location`) on a series (raw or plus)."""
    scope, _, name = field_name.partition(".label.")
    if not name:
        scope, _, name = field_name.partition(".labels.")
    labels = ts.resource.labels if scope == "resource" else ts.metric.labels
    return str(labels.get(name, ""))

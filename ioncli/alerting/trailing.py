"""Trailing windows computed exactly the way PromQL's range functions compute them.

Every adaptive rule kind that `auto` may choose is built only from these two operations, so
that its condition is the same number at every step in ion's backtest and in Prometheus or
a Cloud Monitoring PromQL condition (the translator in `promql` writes the same windows):

- `trailing(x, n, offset, fn, need)`: at the point t, `fn` over the n grid points ending
  `offset` points back, i.e. the values in (t - (offset + n) step, t - offset step]; None
  (NaN) where fewer than `need` of them are values. PromQL: `fn_over_time(s[n*step - 1s :
  step] offset offset*step)` and `count_over_time(...) >= need`. Gaps are skipped (a NaN
  in the frame is an absent sample in Prometheus).
- `Sampled`: the same on a coarser grid of `every` points, aligned to whole multiples of
  the sample interval since the Unix epoch (how Prometheus places a subquery's points).
  The value at a sample time s is the last frame point at or before s (an instant selector
  at s; a gap stays a gap), and a point t reads the statistic of the last sample time at or
  before t - offset. PromQL: a subquery `[n*g - 1s : g]` with g = every × step.

pandas' rolling windows do the work (one pass each), so a statistic over a week of one-minute
points costs no more than the frame itself.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
Stat = Literal["max", "min", "median", "mean"]
NS = 1_000_000_000


def trailing(values: FloatArray, points: int, offset: int, fn: Stat, need: int) -> FloatArray:
    """`fn` over the `points` grid points ending `offset` points before each point."""
    s = pd.Series(values)
    if offset:
        s = s.shift(offset)
    roll = s.rolling(max(1, points), min_periods=max(1, min(need, points)))
    out: FloatArray = getattr(roll, fn)().to_numpy(dtype=np.float64)
    return out


class Sampled:
    """A series read on an epoch-aligned coarser grid (a PromQL subquery's points)."""

    def __init__(self, values: FloatArray, index: pd.DatetimeIndex, every_seconds: int) -> None:
        self.every = int(every_seconds)
        self._positions: dict[int, npt.NDArray[np.intp]] = {}
        ns = index.as_unit("ns").asi8
        self._ns = ns
        g = self.every * NS
        if ns.size == 0:
            self.times = np.zeros(0, dtype=np.int64)
            self.values: FloatArray = np.zeros(0)
            return
        first = -(-int(ns[0]) // g) * g
        last = (int(ns[-1]) // g) * g
        self.times = np.arange(first, last + 1, g, dtype=np.int64)
        at = np.searchsorted(ns, self.times, side="right") - 1
        self.values = np.asarray(values, dtype=np.float64)[at]

    def trailing(
        self, stat: FloatArray, points: int, offset: int, fn: Stat, need: int
    ) -> FloatArray:
        """`fn` over `points` sample times ending `offset` samples back (on the samples)."""
        return trailing(stat, points, offset, fn, need)

    def back(self, stat: FloatArray, offset_seconds: int = 0) -> FloatArray:
        """A statistic on the samples, read at every frame point: the value at the last
        sample time at or before t - offset (NaN before the first)."""
        k = self._positions.get(offset_seconds)
        if k is None:
            k = np.searchsorted(self.times, self._ns - offset_seconds * NS, side="right") - 1
            self._positions[offset_seconds] = k
        out = np.full(self._ns.size, np.nan)
        ok = k >= 0
        out[ok] = stat[k[ok]]
        return out

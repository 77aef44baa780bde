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
# Means over at most this many points are summed afresh for every window (see `short_mean`).
SHORT_MEAN = 64


def trailing(values: FloatArray, points: int, offset: int, fn: Stat, need: int) -> FloatArray:
    """`fn` over the `points` grid points ending `offset` points before each point."""
    if fn in ("max", "min"):
        fast = extreme(values, points, offset, fn, need)
        if fast is not None:
            return fast
    if fn == "mean" and points <= SHORT_MEAN:
        return short_mean(values, points, offset, need)
    s = pd.Series(values)
    if offset:
        s = s.shift(offset)
    roll = s.rolling(max(1, points), min_periods=max(1, min(need, points)))
    out: FloatArray = getattr(roll, fn)().to_numpy(dtype=np.float64)
    return out


def extreme(
    values: FloatArray, points: int, offset: int, fn: Literal["max", "min"], need: int
) -> FloatArray | None:
    """The trailing max or min of `trailing`, equal value for value to pandas' rolling
    window (which skips NaN and infinities alike), in log2(points) whole-array passes: the
    extreme over the last 2^j points doubles j each pass, and two overlapping powers of two
    cover the window. About 8x faster than pandas on a 2-week window of minutes. None when
    the values hold a negative zero: which of two equal zeros pandas keeps is its own
    business, so that case stays with pandas."""
    x = np.asarray(values, dtype=np.float64)
    n = x.size
    if n == 0 or bool(np.any((x == 0) & np.signbit(x))):
        return None
    w = min(max(1, points), n)  # a window longer than the data is the data so far
    need = max(1, min(need, points))
    present = np.zeros(n, dtype=np.bool_)
    ext = np.full(n, -np.inf if fn == "max" else np.inf)
    if offset < n:
        ok = np.isfinite(x[: n - offset])
        present[offset:] = ok
        np.copyto(ext[offset:], x[: n - offset], where=ok)
    pair = np.maximum if fn == "max" else np.minimum
    span = 1
    while span * 2 <= w:  # ext[i]: the extreme of the `span` points ending at i
        wider = ext.copy()
        pair(ext[span:], ext[:-span], out=wider[span:])
        ext, span = wider, span * 2
    out: FloatArray = ext.copy()
    if w > span:
        pair(ext[w - span :], ext[: n - (w - span)], out=out[w - span :])
    counts = np.cumsum(present, dtype=np.int64)
    counts[w:] -= counts[:-w].copy()
    out[counts < need] = np.nan
    return out


def short_mean(values: FloatArray, points: int, offset: int, need: int) -> FloatArray:
    """The trailing mean of `trailing` for a short window, each window summed afresh from
    its oldest value to its newest (as a PromQL range function reads it). pandas keeps one
    running sum, so two windows holding the same values can differ in their last bit, and
    a comparison of an hour's mean with an earlier hour's then depends on where the hours
    fall; summed afresh, the same values give the same mean wherever they sit."""
    x = np.asarray(values, dtype=np.float64)
    n = x.size
    w = max(1, points)
    need = max(1, min(need, w))
    present = np.isfinite(x)
    filled = np.where(present, x, 0.0)
    total = np.zeros(n)
    count = np.zeros(n)
    for age in range(w - 1 + offset, offset - 1, -1):  # the oldest point of the window first
        if age >= n:
            continue
        total[age:] += filled[: n - age]
        count[age:] += present[: n - age]
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = total / count
    out[count < need] = np.nan
    return out


class Sampled:
    """A series read on an epoch-aligned coarser grid (a PromQL subquery's points)."""

    def __init__(self, values: FloatArray, index: pd.DatetimeIndex, every_seconds: int) -> None:
        self.every = int(every_seconds)
        # offset -> (the sample each frame point reads, the first point that reads one)
        self._positions: dict[int, tuple[npt.NDArray[np.intp], int]] = {}
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
        found = self._positions.get(offset_seconds)
        if found is None:
            k = np.searchsorted(self.times, self._ns - offset_seconds * NS, side="right") - 1
            # k rises with t, so the points before any sample are a prefix: slicing past it
            # replaces a boolean mask (the same values, a third of the time).
            found = (k, int(np.searchsorted(k, 0)))
            self._positions[offset_seconds] = found
        k, first = found
        out = np.empty(self._ns.size)
        out[:first] = np.nan
        out[first:] = stat[k[first:]]
        return out

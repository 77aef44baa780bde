"""Candidate rule kinds: each turns one series into a condition array for a sensitivity k.

Kinds, in the order `auto` prefers them when several fit the paging budget:

- `envelope`: page when a value breaks the trailing window's range (max/min) by a margin of
  k × half the range's width, the same on both sides. Once k fits the budget, a level side
  is added: the hourly median beyond the trailing range of hourly medians by the smallest
  margin that never fires over the learning window (a hump or shift too small to break the
  range), a volume side the same way (the hourly mean: bursts inside the range more often
  than ever), a spread side (the 6-hour median of successive differences beyond the
  trailing range of it: lasting new noise, such as an oscillation) and a same-hour side
  (the hourly median against the same hour of the last 7 days); those four only with 3 or
  more points an hour. Adapts after a level shift: the new level becomes part of the window.
- `seasonal`: an hour-of-day profile (2+ days of history) of medians ± k × the slot's
  robust σ; below 2 days, one flat slot (the robust band). Hour of day even when two weeks
  would allow hour of week: a 168-slot lookup is too heavy to evaluate as PromQL (measured
  with promtool; see benchmarks/results/tune_alerts.md), and the rule must run as backtested.
- `zscore`: the hourly mean's z-score against the trailing week's hourly means beyond ±k.
- `robust`: the learning window's median ± k × MAD·1.4826 (a static band).
- `sigma`: the report's method, mean + 3σ (critical) and + 2σ (warning); not tuned.

Every condition is computed for all points at once (pandas rolling windows, numpy compares);
`levels(k)` gives the static numbers written to baselines/ and to Cloud Monitoring (for the
adaptive kinds: the band as of the end of the data, refreshed by rerunning ion).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from ioncli.alerting.adaptive import ENVELOPE_FLOOR, Envelope, ZScore
from ioncli.alerting.backtest import BoolArray
from ioncli.alerting.rulebase import (
    Candidate,
    Context,
    Direction,
    FloatArray,
    Levels,
    pick,
    sides,
)
from ioncli.alerting.stats import MAD_SCALE

KINDS = ("envelope", "seasonal", "zscore", "robust", "sigma")


def _slot_medians(slots: npt.NDArray[np.int64], values: FloatArray, size: int) -> FloatArray:
    """The median of `values` per slot 0..size-1 (NaN for an empty slot), from one sort.

    One float sort of `slot * 2 + value scaled to 0..1` orders by slot, then by value (3x
    faster than a two-key lexsort); the values come back from the key.
    """
    if values.size == 0:
        return np.full(size, np.nan)
    low = float(values.min())
    span = float(values.max()) - low or 1.0
    keys = np.sort(slots * 2.0 + (values - low) / span)
    ordered = (keys - np.floor(keys / 2.0) * 2.0) * span + low
    counts = np.bincount(slots, minlength=size)
    first = np.cumsum(counts) - counts
    lo = first + np.maximum(counts - 1, 0) // 2
    hi = first + counts // 2
    safe = np.minimum(np.maximum(hi, lo), max(ordered.size - 1, 0))
    if ordered.size == 0:
        return np.full(size, np.nan)
    mid = (ordered[np.minimum(lo, ordered.size - 1)] + ordered[safe]) / 2
    return np.where(counts > 0, mid, np.nan)


class Sigma(Candidate):
    kind = "sigma"
    grid = (3.0,)

    def condition(self, k: float) -> BoolArray:
        b = self.ctx.baseline
        x = self.ctx.values
        with np.errstate(invalid="ignore"):
            return sides(self.ctx, x > b.mean + k * b.std, x < b.mean - k * b.std)

    def levels(self, k: float) -> Levels:
        b = self.ctx.baseline
        warn = pick(self.ctx, b.mean + 2 * b.std, b.mean - 2 * b.std)
        crit = pick(self.ctx, b.mean + k * b.std, b.mean - k * b.std)
        return Levels(warn[0], crit[0], warn[1], crit[1])

    def explain(self, k: float) -> str:
        b = self.ctx.baseline
        return (
            f"the report's method: mean {b.mean:.4g} ± {k:g}σ (σ {b.std:.4g}) of "
            f"{b.count} points, outliers removed by {b.outlier_method}"
        )


class Robust(Candidate):
    kind = "robust"
    grid = (3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 25.0, 30.0, 40.0, 60.0)

    def condition(self, k: float) -> BoolArray:
        b = self.ctx.baseline
        x = self.ctx.values
        with np.errstate(invalid="ignore"):
            return sides(self.ctx, x > b.median + k * b.spread, x < b.median - k * b.spread)

    def levels(self, k: float) -> Levels:
        b = self.ctx.baseline
        warn = pick(self.ctx, b.median + 0.75 * k * b.spread, b.median - 0.75 * k * b.spread)
        crit = pick(self.ctx, b.median + k * b.spread, b.median - k * b.spread)
        return Levels(warn[0], crit[0], warn[1], crit[1])

    def explain(self, k: float) -> str:
        b = self.ctx.baseline
        return f"median {b.median:.4g} ± {k:g} × robust σ {b.spread:.4g} (MAD·1.4826)"


class Seasonal(Candidate):
    kind = "seasonal"
    grid = Robust.grid

    @property
    def profile(self) -> str:
        return "none" if self.ctx.baseline.profile == "none" else "hour_of_day"

    def _slots(self, index: pd.DatetimeIndex) -> npt.NDArray[np.int64]:
        # Below 2 days there is no profile: one slot, i.e. the flat robust band.
        profile = self.profile
        if profile == "none":
            return np.zeros(len(index), dtype=np.int64)
        hours_since_epoch = (
            index.as_unit("ns").asi8 // 3_600_000_000_000
        )  # UTC: no zone arithmetic needed
        if profile == "hour_of_week":
            # 1970-01-01 was a Thursday: shift so that Monday 00:00 is slot 0.
            return np.asarray((hours_since_epoch + 72) % 168, dtype=np.int64)
        return np.asarray(hours_since_epoch % 24, dtype=np.int64)

    def _profile(self) -> tuple[FloatArray, FloatArray]:
        if self._arrays is not None:
            return self._arrays["median"], self._arrays["mad"]
        ctx = self.ctx
        slots = self._slots(ctx.index)
        learn_slots = slots[ctx.learn_start : ctx.learn_end]
        size = {"hour_of_week": 168, "hour_of_day": 24}.get(self.profile, 1)
        ok = np.isfinite(ctx.learn_values)
        s, v = learn_slots[ok], ctx.learn_values[ok]
        med = _slot_medians(s, v, size)
        mad = _slot_medians(s, np.abs(v - med[s]), size) * MAD_SCALE
        floor = 0.5 * ctx.baseline.spread
        med_a = np.where(np.isfinite(med), med, ctx.baseline.median)
        mad_a = np.maximum(np.where(np.isfinite(mad), mad, ctx.baseline.spread), floor)
        self._arrays = {
            "median": med_a,
            "mad": mad_a,
            "centre": med_a[slots],
            "width": mad_a[slots],
        }
        return med_a, mad_a

    def condition(self, k: float) -> BoolArray:
        self._profile()
        assert self._arrays is not None
        centre, width = self._arrays["centre"], self._arrays["width"]
        x = self.ctx.values
        with np.errstate(invalid="ignore"):
            return sides(self.ctx, x > centre + k * width, x < centre - k * width)

    def levels(self, k: float) -> Levels:
        # Cloud Monitoring has no seasonal threshold: the static level is the loosest slot.
        med, mad = self._profile()
        warn = pick(
            self.ctx, float(np.max(med + 0.75 * k * mad)), float(np.min(med - 0.75 * k * mad))
        )
        crit = pick(self.ctx, float(np.max(med + k * mad)), float(np.min(med - k * mad)))
        return Levels(warn[0], crit[0], warn[1], crit[1])

    def explain(self, k: float) -> str:
        if self.profile == "none":
            return f"median ± {k:g} × robust σ (under 2 days: no daily profile)"
        return f"hour-of-day profile of medians ± {k:g} × slot robust σ"


CANDIDATES: dict[str, type[Candidate]] = {
    c.kind: c for c in (Envelope, Seasonal, ZScore, Robust, Sigma)
}

__all__ = [
    "CANDIDATES",
    "ENVELOPE_FLOOR",
    "KINDS",
    "Candidate",
    "Context",
    "Direction",
    "Levels",
]

"""Candidate rule kinds: each turns one series into a condition array for a sensitivity k.

Kinds, in the order `auto` prefers them when several fit the paging budget:

- `envelope`: page when a value breaks the trailing week's range (max/min) by a margin of
  k × (max − median), or when the hourly median leaves the trailing week's 1st..99th
  percentile band (a lasting level change). Adapts after a level shift: the new level
  becomes part of the trailing week.
- `seasonal`: an hour-of-week (2+ weeks of history) or hour-of-day (2+ days) profile of
  medians ± k × the slot's robust σ; below 2 days, one flat slot (the robust band).
- `zscore`: the hourly mean's z-score against the trailing week's hourly means beyond ±k.
- `robust`: the learning window's median ± k × MAD·1.4826 (a static band).
- `sigma`: the report's method, mean + 3σ (critical) and + 2σ (warning); not tuned.

Every condition is computed for all points at once (pandas rolling windows, numpy compares);
`levels(k)` gives the static numbers written to baselines/ and to Cloud Monitoring (for the
adaptive kinds: the band as of the end of the data, refreshed by rerunning ion).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ioncli.alerting.backtest import BoolArray
from ioncli.alerting.stats import DAY, MAD_SCALE, WEEK, Baseline

FloatArray = npt.NDArray[np.float64]
Direction = Literal["high", "low", "both"]
KINDS = ("envelope", "seasonal", "zscore", "robust", "sigma")
ENVELOPE_FLOOR = 0.1  # the smallest margin offered (see benchmarks/results/tune_alerts.md)


@dataclass(frozen=True)
class Levels:
    """Static thresholds: upper (warning, critical) and lower (warning, critical)."""

    warning: float | None
    critical: float | None
    low_warning: float | None
    low_critical: float | None


@dataclass
class Context:
    """One series as every kind sees it."""

    values: FloatArray  # the whole range
    index: pd.DatetimeIndex
    step_seconds: int
    learn_start: int  # first index of the learning window (after the last level shift)
    learn_end: int  # one past its last index
    learn_values: FloatArray  # values[learn_start:learn_end] with incident points as NaN
    baseline: Baseline
    direction: Direction

    @property
    def per_hour(self) -> int:
        return max(1, round(3600 / self.step_seconds))

    @property
    def per_week(self) -> int:
        return max(1, round(WEEK / self.step_seconds))

    def warm(self) -> int:
        """Points a trailing window needs before it judges anything: half the learning
        window, at most a week. An in-sample backtest of an adaptive kind starts after it."""
        half = (self.learn_end - self.learn_start) // 2
        return min(self.per_week, max(self.per_hour, half))


def _sides(ctx: Context, above: BoolArray, below: BoolArray) -> BoolArray:
    if ctx.direction == "high":
        return above
    if ctx.direction == "low":
        return below
    return above | below


def _pick(ctx: Context, up: float, down: float) -> tuple[float | None, float | None]:
    return (
        up if ctx.direction in ("high", "both") else None,
        down if ctx.direction in ("low", "both") else None,
    )


class Candidate:
    kind: str = ""
    parameter: str = "k"
    grid: tuple[float, ...] = ()
    adaptive = False

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._arrays: dict[str, FloatArray] | None = None  # expensive bands, computed once
        self._last: tuple[float, float] = (np.nan, np.nan)
        self._history: dict[str, FloatArray] | None = None

    def available(self) -> str | None:
        """None when the kind can run on this series, else why not."""
        return None

    def condition(self, k: float) -> BoolArray:
        raise NotImplementedError

    def history_condition(self, k: float) -> BoolArray | None:
        """For adaptive kinds: the rule over the learning window in steady state (its trailing
        statistics taken from the whole window but the point's own hour), so the budget is
        judged on all of history rather than on what is left after a warm-up. None for
        static kinds, whose `condition` over the learning window is already that."""
        return None

    def levels(self, k: float) -> Levels:
        raise NotImplementedError

    def explain(self, k: float) -> str:
        raise NotImplementedError


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
            return _sides(self.ctx, x > b.mean + k * b.std, x < b.mean - k * b.std)

    def levels(self, k: float) -> Levels:
        b = self.ctx.baseline
        warn = _pick(self.ctx, b.mean + 2 * b.std, b.mean - 2 * b.std)
        crit = _pick(self.ctx, b.mean + k * b.std, b.mean - k * b.std)
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
            return _sides(self.ctx, x > b.median + k * b.spread, x < b.median - k * b.spread)

    def levels(self, k: float) -> Levels:
        b = self.ctx.baseline
        warn = _pick(self.ctx, b.median + 0.75 * k * b.spread, b.median - 0.75 * k * b.spread)
        crit = _pick(self.ctx, b.median + k * b.spread, b.median - k * b.spread)
        return Levels(warn[0], crit[0], warn[1], crit[1])

    def explain(self, k: float) -> str:
        b = self.ctx.baseline
        return f"median {b.median:.4g} ± {k:g} × robust σ {b.spread:.4g} (MAD·1.4826)"


class Seasonal(Candidate):
    kind = "seasonal"
    grid = Robust.grid

    def _slots(self, index: pd.DatetimeIndex) -> npt.NDArray[np.int64]:
        # Below 2 days there is no profile: one slot, i.e. the flat robust band.
        profile = self.ctx.baseline.profile
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
        size = {"hour_of_week": 168, "hour_of_day": 24}.get(ctx.baseline.profile, 1)
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
            return _sides(self.ctx, x > centre + k * width, x < centre - k * width)

    def levels(self, k: float) -> Levels:
        # Cloud Monitoring has no seasonal threshold: the static level is the loosest slot.
        med, mad = self._profile()
        warn = _pick(
            self.ctx, float(np.max(med + 0.75 * k * mad)), float(np.min(med - 0.75 * k * mad))
        )
        crit = _pick(self.ctx, float(np.max(med + k * mad)), float(np.min(med - k * mad)))
        return Levels(warn[0], crit[0], warn[1], crit[1])

    def explain(self, k: float) -> str:
        profile = self.ctx.baseline.profile.replace("_", "-")
        return f"{profile} profile of medians ± {k:g} × slot robust σ"


class ZScore(Candidate):
    kind = "zscore"
    grid = (3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 30.0)
    adaptive = True

    def _z(self) -> FloatArray:
        if self._arrays is not None:
            return self._arrays["z"]
        ctx = self.ctx
        ph = ctx.per_hour
        hourly = pd.Series(ctx.values).rolling(ph, min_periods=max(1, ph // 2)).mean()
        past = hourly.shift(ph).rolling(ctx.per_week, min_periods=ctx.warm())
        mu, sd = past.mean(), past.std()
        floor = 0.05 * ctx.baseline.spread
        z: FloatArray = ((hourly - mu) / np.maximum(sd, floor)).to_numpy(dtype=np.float64)
        self._arrays = {"z": z}
        self._last = (float(mu.iloc[-1]), float(max(sd.iloc[-1], floor)))
        return z

    def condition(self, k: float) -> BoolArray:
        z = self._z()
        with np.errstate(invalid="ignore"):
            return _sides(self.ctx, z > k, z < -k)

    def levels(self, k: float) -> Levels:
        self._z()
        mu, sd = self._last
        warn = _pick(self.ctx, mu + 0.75 * k * sd, mu - 0.75 * k * sd)
        crit = _pick(self.ctx, mu + k * sd, mu - k * sd)
        return Levels(warn[0], crit[0], warn[1], crit[1])

    def history_condition(self, k: float) -> BoolArray | None:
        ctx = self.ctx
        if self._history is None:
            ph = ctx.per_hour
            hourly = pd.Series(ctx.learn_values).rolling(ph, min_periods=max(1, ph // 2)).mean()
            mu, sd = float(hourly.mean()), float(hourly.std())
            spread = max(sd, 0.05 * ctx.baseline.spread)
            self._history = {"z": ((hourly - mu) / spread).to_numpy(dtype=np.float64)}
        z = self._history["z"]
        with np.errstate(invalid="ignore"):
            return _sides(ctx, z > k, z < -k)

    def explain(self, k: float) -> str:
        return f"hourly mean beyond ±{k:g} σ of the trailing week's hourly means"


class Envelope(Candidate):
    kind = "envelope"
    parameter = "margin"
    grid = (ENVELOPE_FLOOR, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
    adaptive = True

    def _bands(self) -> dict[str, FloatArray]:
        if self._arrays is not None:
            return self._arrays
        ctx = self.ctx
        ph, pw, warm = ctx.per_hour, ctx.per_week, ctx.warm()
        x = pd.Series(ctx.values)
        past = x.shift(1).rolling(pw, min_periods=warm)
        arrays = {
            "max": past.max().to_numpy(dtype=np.float64),
            "min": past.min().to_numpy(dtype=np.float64),
        }
        # Sorting windows (medians, percentiles) is the costly part: below a 5-minute step,
        # take them over samples 10 minutes apart, each judging the points up to the next.
        every = 1 if ph <= 12 else max(1, ph // 6)
        sampled = x.iloc[::every].reset_index(drop=True)
        per_h = max(1, ph // every)
        hourly = sampled.rolling(per_h, min_periods=max(1, per_h // 2)).median()
        past_h = sampled.shift(-(-ph // every)).rolling(
            max(1, pw // every), min_periods=max(1, warm // every)
        )
        back = np.arange(len(x)) // every
        arrays["hourly"] = hourly.to_numpy(dtype=np.float64)[back]
        quantiles = {"median": 0.5}
        if ctx.direction in ("high", "both"):
            quantiles["q_hi"] = 0.99
        if ctx.direction in ("low", "both"):
            quantiles["q_lo"] = 0.01
        for name, q in quantiles.items():
            found = past_h.median() if q == 0.5 else past_h.quantile(q)
            arrays[name] = found.to_numpy(dtype=np.float64)[back]
        self._arrays = arrays
        return arrays

    def _limits(self, k: float, at: slice | int) -> dict[str, FloatArray]:
        return self._limits_of(self._bands(), k, at)

    def _limits_of(
        self, b: dict[str, FloatArray], k: float, at: slice | int
    ) -> dict[str, FloatArray]:
        extra = k - ENVELOPE_FLOOR
        med = b["median"][at]
        out = {
            "spike_hi": b["max"][at] + k * (b["max"][at] - med),
            "spike_lo": b["min"][at] - k * (med - b["min"][at]),
        }
        # A wider margin widens the level band too, on the range's scale (the percentile
        # band of a mostly-zero series has no width of its own).
        if "q_hi" in b:
            out["level_hi"] = b["q_hi"][at] + extra * (b["max"][at] - med)
        if "q_lo" in b:
            out["level_lo"] = b["q_lo"][at] - extra * (med - b["min"][at])
        return out

    def _history_bands(self) -> dict[str, FloatArray]:
        """The bands over the learning window, each point judged against all the others but
        its own hour (top-two trick per hourly block for the extremes)."""
        if self._history is not None:
            return self._history
        ctx = self.ctx
        x = ctx.learn_values
        n, ph = x.size, ctx.per_hour
        blocks = np.arange(n) // ph
        finite = np.isfinite(x)
        size = -(-n // ph)
        padded = np.full(size * ph, np.nan)
        padded[:n] = x
        out: dict[str, FloatArray] = {}
        for name, sign in (("max", 1.0), ("min", -1.0)):
            signed = np.where(np.isfinite(padded), sign * padded, -np.inf).reshape(size, ph)
            peak = signed.max(axis=1)
            top = int(np.argmax(peak))
            second = np.max(np.delete(peak, top)) if peak.size > 1 else -np.inf
            loo = np.where(blocks == top, second, peak[top])
            out[name] = sign * loo
        finite_x = x[finite]
        q_lo, med, q_hi = (
            np.quantile(finite_x, [0.01, 0.5, 0.99]) if finite_x.size else [np.nan] * 3
        )
        out["median"] = np.full(n, float(med))
        out["q_hi"] = np.full(n, float(q_hi))
        out["q_lo"] = np.full(n, float(q_lo))
        # The current hour's median is the same function of the past hour as in `_bands`.
        out["hourly"] = self._bands()["hourly"][ctx.learn_start : ctx.learn_end]
        self._history = out
        return out

    def history_condition(self, k: float) -> BoolArray | None:
        if self.ctx.learn_values.size == 0:
            return None
        return self._condition(k, self._history_bands(), self.ctx.learn_values)

    def condition(self, k: float) -> BoolArray:
        return self._condition(k, self._bands(), self.ctx.values)

    def _condition(self, k: float, b: dict[str, FloatArray], x: FloatArray) -> BoolArray:
        lim = self._limits_of(b, k, slice(None))
        h = b["hourly"]
        with np.errstate(invalid="ignore"):
            above = x > lim["spike_hi"]
            below = x < lim["spike_lo"]
            if "level_hi" in lim:
                above |= h > lim["level_hi"]
            if "level_lo" in lim:
                below |= h < lim["level_lo"]
        return _sides(self.ctx, above & np.isfinite(x), below & np.isfinite(x))

    def levels(self, k: float) -> Levels:
        lim = {name: float(v) for name, v in self._limits(k, -1).items()}
        warn = _pick(self.ctx, lim.get("level_hi", np.nan), lim.get("level_lo", np.nan))
        crit = _pick(self.ctx, lim["spike_hi"], lim["spike_lo"])
        return Levels(warn[0], crit[0], warn[1], crit[1])

    def explain(self, k: float) -> str:
        return (
            f"trailing week's range widened by {k:g} × (max − median), or the hourly median "
            "outside the trailing week's 1st..99th percentiles"
        )


CANDIDATES: dict[str, type[Candidate]] = {
    c.kind: c for c in (Envelope, Seasonal, ZScore, Robust, Sigma)
}

__all__ = ["CANDIDATES", "DAY", "KINDS", "Candidate", "Context", "Direction", "Levels"]

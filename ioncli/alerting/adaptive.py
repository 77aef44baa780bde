"""The adaptive kinds: bands that move with the trailing week (`zscore`, `envelope`).

Every band is a trailing-window statistic (`trailing.trailing`, `trailing.Sampled`), so a
Prometheus rule evaluated every step computes the same numbers. The envelope, exactly (x the
series, s the frame's step, ph points per hour, pw points in the trailing window
(`window_weeks` weeks), g the sample interval: s when s >= 5
min, else 10 min, with e = g/s, h = ph/e and w = pw/e samples per hour/week; `med_n`,
`max_n`, `min_n` over n points or samples, each "needing" a count of values or it is absent;
warm = `Context.warm()`, lv_warm = max(1, min(pw, max(ph, learning points // 4)) // e)):

- hi, lo: max/min of x over the pw points before t (need warm);
  `max_over_time(x[pw*s-1s:s] offset s)`
- step: median of abs(x - x one sample earlier) over the w samples ending one sample back
  (need lv_warm): the series' typical step;
  `quantile_over_time(0.5, abs(x - x offset g)[w*g-1s:g] offset g)`
- hourly: median of the h samples up to t (need h // 2);
  `quantile_over_time(0.5, x[h*g-1s:g])`
- lv_hi, lv_lo: max/min of `hourly` over the w samples ending 1 h back (need lv_warm);
  `max_over_time(hourly[w*g-1s:g] offset 1h)`
- mean: mean of the h samples up to t (need h // 2), each hour summed afresh oldest first;
  `avg_over_time(x[h*g-1s:g])`
- mn_hi, mn_lo: max/min of `mean` over the w samples ending 1 h back (need lv_warm);
  `max_over_time(mean[w*g-1s:g] offset 1h)`
- spread: median of abs(x - x one sample earlier) over the 6h samples up to t (need 3h);
  `quantile_over_time(0.5, abs(x - x offset g)[6*h*g-1s:g])`
- sp_hi, sp_lo: max/min of `spread` over the w samples ending 6 h back (need lv_warm);
  `max_over_time(spread[w*g-1s:g] offset 6h)`
- day_hi, day_lo: max/min of `hourly` at t - 1 day, ..., t - 7 days (those present; absent
  when none is); the largest of `quantile_over_time(0.5, x[h*g-1s:g] offset Nd)`, N = 1..7

Pages when (each side only when `refine` kept it; high/low by the direction):
spike `x > hi + M` or `x < lo - M` with M the larger of `k/2 (hi - lo)` and step (only the
first while step is absent); level `hourly > lv_hi + m (lv_hi - lv_lo)` or `hourly < lv_lo -
m (lv_hi - lv_lo)`; volume `mean > mn_hi + v (mn_hi - mn_lo) + s |mean|` or `mean < mn_lo - v
(mn_hi - mn_lo) - s |mean|` (s = `MEAN_SLACK`); spread (either
direction) `spread > sp_hi + m' (sp_hi - sp_lo)`; day `hourly > day_hi + d (lv_hi - lv_lo)`
or `hourly < day_lo - d (lv_hi - lv_lo)`. The level, volume, spread and day sides exist only
with 3 or more points an hour. A sample at a subquery point is the last frame point at or before it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ioncli.alerting.backtest import BoolArray
from ioncli.alerting.rulebase import Candidate, FloatArray, Levels, pick, sides
from ioncli.alerting.trailing import Sampled, trailing
from ioncli.times import short_duration

ENVELOPE_FLOOR = 0.1  # the smallest margin offered (see benchmarks/results/tune_alerts.md)
# The level and volume sides' margins, as shares of the trailing range of hourly medians
# (means), most sensitive first (see `Envelope.refine`).
LEVEL_GRID = (0.1, 0.15, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
# How far (as a share of its own size) an hourly mean must also clear the volume side's
# limit. A mean's last bits depend on how it is summed, and each engine sums its own way:
# an hour holding the same values as every other one (a metric stuck at 0.95, with one
# sample missing) can come out a rounding error above them all. A billionth is far above
# that error (a dozen values: about 1e-15) and far below any change worth a page; medians
# and extremes need none (they are values of the series).
MEAN_SLACK = 1e-9
# The spread side: the median over SPREAD_HOURS of the absolute difference between successive
# samples (a robust noise scale a level change does not move), so only a change of noise that
# lasts hours counts (bursts of an hour or two are the spike side's); its margins start at the
# trailing range itself (see `Envelope.refine`).
SPREAD_HOURS = 6
SPREAD_GRID = (1.0, 1.5, 2.0, 3.0)
# The same-hour side compares the hourly median with the same hour of the last SEASON_DAYS
# days (a day of the week's cycle: a jump, a missing peak, a flat stretch inside the range).
SEASON_DAYS = 7
# The longest trailing window, whatever the budget (a quarter: Prometheus keeps that much).
MAX_WINDOW_WEEKS = 13.0


@dataclass(frozen=True)
class EnvelopeWindows:
    """The envelope's window sizes, in frame points (`points`, `warm`) or in samples of
    `every` points (the rest), as `Envelope.windows` computes them for one series."""

    step: int  # seconds between frame points
    every: int  # frame points per sample (1 at a 5-minute step and above)
    points: int  # the trailing window of the extremes, in frame points
    warm: int  # values the extremes need
    per_hour: int  # samples an hour
    samples: int  # the trailing window of the other statistics, in samples
    level_warm: int  # values the level and spread ranges need
    span: int  # samples in the spread's median (SPREAD_HOURS)
    per_day: int  # frame points a day (the same-hour side's offsets)


def window_weeks(budget: float, direction: str) -> float:
    """How long the envelope's trailing window is, from the paging budget.

    In a series whose values are exchangeable, the chance that a point is the largest of the
    window before it is 1 / (points in the window + 1), so a trailing window of W weeks sees
    about 1 / W new records a week on each side it watches. The budget says how many pages a
    week the rule may raise, so the window is as long as makes the bare "new record" rate
    equal the budget: 1 / budget weeks per side watched (2 weeks both ways at the default
    1 a week). The margins tuned on history then only have to pay for what is not
    exchangeable (bursts, drifts)."""
    sides = 2.0 if direction == "both" else 1.0
    if budget <= 0:
        return MAX_WINDOW_WEEKS
    return min(MAX_WINDOW_WEEKS, max(1.0, sides / budget))


def widest_need(  # noqa: PLR0917 (one formula's operands)
    high: FloatArray,
    low: FloatArray,
    top: FloatArray,
    bottom: FloatArray,
    width: FloatArray,
    direction: str,
    need: int,
    first: int,
) -> float:
    """The widest margin a run of history needs to stay quiet (`Envelope._quiet_margin`).

    A point above the band needs (high - top) / width, one below it (bottom - low) / width;
    a run of `need` points fires at every margin below the smallest of theirs, so history
    needs the largest such smallest over the runs ending at or after `first` (-inf when
    none: any margin is quiet; NaN needs nothing, as a comparison with NaN never fires).
    Only the points beyond the band are visited: a quiet history has few."""
    none = np.zeros(high.size, dtype=np.bool_)
    with np.errstate(invalid="ignore"):
        over = high > top if direction != "low" else none
        under = low < bottom if direction != "high" else none
    points = np.flatnonzero(over | under)
    if points.size == 0:
        return -np.inf
    with np.errstate(invalid="ignore", divide="ignore"):
        w = width[points]
        up = np.where(over[points], (high[points] - top[points]) / w, -np.inf)
        down = np.where(under[points], (bottom[points] - low[points]) / w, -np.inf)
    needed = np.nan_to_num(np.maximum(up, down), nan=-np.inf, posinf=np.inf, neginf=-np.inf)
    # A run is `need` consecutive points beyond the band (fewer only where the window
    # starts at the first point: the run so far), ending at a point of the learning window.
    span = np.minimum(need, points + 1)
    start = np.arange(points.size) - span + 1
    whole = start >= 0
    whole[whole] = points[start[whole]] == (points - span + 1)[whole]
    whole &= points >= first
    if not whole.any():
        return -np.inf
    run = needed.copy()
    for back in range(1, min(need, needed.size)):
        run[back:] = np.minimum(run[back:], needed[:-back])
    return float(run[whole].max())


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
            return sides(self.ctx, z > k, z < -k)

    def levels(self, k: float) -> Levels:
        self._z()
        mu, sd = self._last
        warn = pick(self.ctx, mu + 0.75 * k * sd, mu - 0.75 * k * sd)
        crit = pick(self.ctx, mu + k * sd, mu - k * sd)
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
            return sides(ctx, z > k, z < -k)

    def explain(self, k: float) -> str:
        return f"hourly mean beyond ±{k:g} σ of the trailing week's hourly means"


class Envelope(Candidate):
    kind = "envelope"
    parameter = "margin"
    grid = (ENVELOPE_FLOOR, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
    adaptive = True
    level: float | None = None  # the level side's margin once `refine` found one
    volume: float | None = None  # the volume side's margin once `refine` found one
    spread: float | None = None  # the spread side's margin once `refine` found one
    day: float | None = None  # the same-hour side's margin once `refine` found one
    _spikes: tuple[float, BoolArray] | None = None  # the last k's spike-side condition

    def windows(self) -> EnvelopeWindows:
        """The window sizes every band uses (the translator to PromQL reads the same)."""
        ctx = self.ctx
        ph, warm = ctx.per_hour, ctx.warm()
        pw = max(1, round(ctx.per_week * window_weeks(ctx.budget, ctx.direction)))
        # Below a 5-minute step the statistics other than the extremes read 10-minute
        # samples (a subquery with a 10-minute step), so a week is 1,008 values, not 10,080.
        every = 1 if ph <= 12 else max(1, ph // 6)
        per_h = max(1, ph // every)
        # The level and spread ranges start judging after a quarter of the learning window
        # (the spike side after half), so a two-day history has a day and a half to check.
        lv_warm = max(1, min(pw, max(ph, (ctx.learn_end - ctx.learn_start) // 4)) // every)
        return EnvelopeWindows(
            step=ctx.step_seconds,
            every=every,
            points=pw,
            warm=warm,
            per_hour=per_h,
            samples=max(1, pw // every),
            level_warm=lv_warm,
            span=SPREAD_HOURS * per_h,
            per_day=max(1, round(86_400 / ctx.step_seconds)),
        )

    def _bands(self) -> dict[str, FloatArray]:
        """Every trailing statistic of the sides, as exact window operations (see `trailing`
        and the list in the module docstring)."""
        if self._arrays is not None:
            return self._arrays
        ctx = self.ctx
        win = self.windows()
        pw, warm, every = win.points, win.warm, win.every
        x = ctx.values
        arrays = {
            "max": trailing(x, pw, 1, "max", warm),
            "min": trailing(x, pw, 1, "min", warm),
        }
        if every == 1:
            sampled = x

            def back(stat: FloatArray) -> FloatArray:
                return stat
        else:
            grid = Sampled(x, ctx.index, every * ctx.step_seconds)
            sampled, back = grid.values, grid.back
        per_h, per_w = win.per_hour, win.samples
        hourly = trailing(sampled, per_h, 0, "median", per_h // 2)
        arrays["hourly"] = back(hourly)
        lv_warm = win.level_warm
        # The volume side: the hourly mean, the work done in the hour. It rises when bursts
        # inside the range come more often than ever, which neither a single value's band
        # (each burst is inside the range) nor the hourly median (it ignores bursts) sees.
        mean = trailing(sampled, per_h, 0, "mean", per_h // 2)
        arrays["mean"] = back(mean)
        arrays["mn_max"] = back(trailing(mean, per_w, per_h, "max", lv_warm))
        arrays["mn_min"] = back(trailing(mean, per_w, per_h, "min", lv_warm))
        # The change between successive samples: the spread side's raw material, and over
        # the whole trailing window (ending a sample back) the series' typical step, the
        # least a new record must clear (see `_limits_of`).
        jumps = np.full(sampled.size, np.nan)
        with np.errstate(invalid="ignore"):
            jumps[1:] = np.abs(sampled[1:] - sampled[:-1])
        arrays["step"] = back(trailing(jumps, per_w, 1, "median", lv_warm))
        arrays["lv_max"] = back(trailing(hourly, per_w, per_h, "max", lv_warm))
        arrays["lv_min"] = back(trailing(hourly, per_w, per_h, "min", lv_warm))
        # The spread side: the noise scale over SPREAD_HOURS against the trailing range of
        # the same statistic over the windows before this one.
        span = win.span
        # The spread: the median absolute difference between successive samples over
        # SPREAD_HOURS (a robust noise scale that a level change does not move).
        spread = trailing(jumps, span, 0, "median", span // 2)
        arrays["spread"] = back(spread)
        arrays["sp_max"] = back(trailing(spread, per_w, span, "max", lv_warm))
        arrays["sp_min"] = back(trailing(spread, per_w, span, "min", lv_warm))
        # The same-hour side: the hourly median at this time on each of the last SEASON_DAYS
        # days (the hourly median `offset 1d`, `offset 2d`, ...), their highest and lowest.
        per_day = win.per_day
        frame_hourly = arrays["hourly"]
        day_max = np.full(frame_hourly.size, np.nan)
        day_min = np.full(frame_hourly.size, np.nan)
        for day in range(1, SEASON_DAYS + 1):
            shift = day * per_day
            if shift >= frame_hourly.size:
                break
            # fmax/fmin skip NaN: absent only when every earlier day is absent.
            day_max[shift:] = np.fmax(day_max[shift:], frame_hourly[:-shift])
            day_min[shift:] = np.fmin(day_min[shift:], frame_hourly[:-shift])
        arrays["day_max"], arrays["day_min"] = day_max, day_min
        self._arrays = arrays
        return arrays

    def _limits(self, k: float, at: slice | int) -> dict[str, FloatArray]:
        b = self._bands()
        out = self._limits_of(b, k, at)
        if self.level is not None:
            width = b["lv_max"][at] - b["lv_min"][at]
            out["level_hi"] = b["lv_max"][at] + self.level * width
            out["level_lo"] = b["lv_min"][at] - self.level * width
        return out

    @staticmethod
    def _limits_of(b: dict[str, FloatArray], k: float, at: slice | int) -> dict[str, FloatArray]:
        # The margin is a share of the range's half-width, the same on both sides: a skewed
        # series (costs, latencies, counts near zero) keeps as wide a margin on its short
        # side as on its long one, instead of a hair trigger a little below its floor.
        # For a symmetric series the half-width is max - median, the scale the grid's
        # floor was first chosen with (see benchmarks/results/tune_alerts.md).
        # The margin is at least the series' typical step (the median change between
        # successive samples over the window): a record by less than that is the series
        # moving as it always does, not news. fmax: without enough steps yet, the share.
        half = 0.5 * k
        width = b["max"][at] - b["min"][at]
        margin = np.fmax(half * width, b["step"][at])
        return {
            "spike_hi": b["max"][at] + margin,
            "spike_lo": b["min"][at] - margin,
        }

    def _history_bands(self) -> dict[str, FloatArray]:
        """The bands over the learning window, each point judged against all the others but
        its own hour (top-two trick per hourly block for the extremes)."""
        if self._history is not None:
            return self._history
        ctx = self.ctx
        x = ctx.learn_values
        n, ph = x.size, ctx.per_hour
        blocks = np.arange(n) // ph
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
        # The typical step over the whole learning window, between values a sample apart
        # as the live rule measures it.
        every = self.windows().every
        thinned = x[::every]
        with np.errstate(invalid="ignore"):
            steps = np.abs(np.diff(thinned))
        steps = steps[np.isfinite(steps)]
        out["step"] = np.full(n, float(np.median(steps)) if steps.size else np.nan)
        self._history = out
        return out

    def history_condition(self, k: float) -> BoolArray | None:
        if self.ctx.learn_values.size == 0:
            return None
        return self._condition(k, self._history_bands(), self.ctx.learn_values)

    def condition(self, k: float) -> BoolArray:
        if self._spikes is None or self._spikes[0] != k:
            self._spikes = (k, self._condition(k, self._bands(), self.ctx.values))
        cond = self._spikes[1]
        if self.level is not None:
            cond = cond | self._level_condition(self.level)
        if self.volume is not None:
            cond = cond | self._volume_condition(self.volume)
        if self.spread is not None:
            cond = cond | self._spread_condition(self.spread)
        if self.day is not None:
            cond = cond | self._day_condition(self.day)
        return cond

    def _day_condition(self, m: float) -> BoolArray:
        """The hourly median beyond the range of the same hour on the last SEASON_DAYS days
        by m × the trailing range of hourly medians: a change of the daily shape (a missing
        peak, a jump, a flat stretch) that stays inside the week's range."""
        b = self._bands()
        width = b["lv_max"] - b["lv_min"]
        with np.errstate(invalid="ignore"):
            above = b["hourly"] > b["day_max"] + m * width
            below = b["hourly"] < b["day_min"] - m * width
        return sides(self.ctx, above, below)

    def _level_condition(self, m: float) -> BoolArray:
        """The hourly median beyond the trailing range of hourly medians by m × that range:
        a lasting departure too small to break the spike band (a hump, a slow shift)."""
        b = self._bands()
        h, top, bottom = b["hourly"], b["lv_max"], b["lv_min"]
        width = top - bottom
        with np.errstate(invalid="ignore"):
            above = h > top + m * width
            below = h < bottom - m * width
        return sides(self.ctx, above, below)

    def _volume_condition(self, m: float) -> BoolArray:
        """The hourly mean beyond the trailing range of hourly means by m × that range (and
        by `MEAN_SLACK` of itself): bursts inside the range coming more often than ever."""
        b = self._bands()
        h, top, bottom = b["mean"], b["mn_max"], b["mn_min"]
        width = top - bottom
        slack = MEAN_SLACK * np.abs(h)
        with np.errstate(invalid="ignore"):
            above = h > top + m * width + slack
            below = h < bottom - m * width - slack
        return sides(self.ctx, above, below)

    def _spread_condition(self, m: float) -> BoolArray:
        """The lasting spread beyond the trailing range of spreads by m × that range: noise
        that grows and stays (an oscillation, flapping) while the level stays put. More noise
        is a worry whichever direction is bad, so this side ignores the direction."""
        b = self._bands()
        top = b["sp_max"]
        with np.errstate(invalid="ignore"):
            return np.asarray(b["spread"] > top + m * (top - b["sp_min"]), dtype=np.bool_)

    def refine(self, k: float, need: int) -> bool:
        """Add the level, volume, spread and same-hour sides, each with the smallest margin of
        its grid that
        never fires over the learning window (or not at all when none is quiet enough): the
        budget was spent by the spike side at `k`, so these sides may only page for what
        history never showed."""
        ctx = self.ctx
        b = self._bands()
        # An hour of fewer than 3 values has no median worth the name (one value is the
        # spike side's business): the level, spread and same-hour sides need a few values
        # an hour. On hourly data the same-hour side would judge single values against
        # single values, a second spike side with a narrower scale that pages for noise.
        if ctx.per_hour >= 3:
            self.level = self._quiet_margin(
                b["hourly"], b["lv_max"], b["lv_min"], ctx.direction, need, LEVEL_GRID
            )
            self.volume = self._quiet_margin(
                b["mean"],
                b["mn_max"],
                b["mn_min"],
                ctx.direction,
                need,
                LEVEL_GRID,
                slack=MEAN_SLACK * np.abs(b["mean"]),
            )
            self.spread = self._quiet_margin(
                b["spread"], b["sp_max"], b["sp_min"], "high", need, SPREAD_GRID
            )
            self.day = self._quiet_margin(
                b["hourly"],
                b["day_max"],
                b["day_min"],
                ctx.direction,
                need,
                LEVEL_GRID,
                b["lv_max"] - b["lv_min"],
            )
        kept = (self.level, self.volume, self.spread, self.day)
        return any(m is not None for m in kept)

    def _quiet_margin(  # noqa: PLR0917 (private helper, three call sites)
        self,
        stat: FloatArray,
        top: FloatArray,
        bottom: FloatArray,
        direction: str,
        need: int,
        grid: tuple[float, ...],
        scale: FloatArray | None = None,
        slack: FloatArray | None = None,
    ) -> float | None:
        """The smallest margin of `grid` (× `scale`, default top − bottom) at which `stat`
        beyond the band (and by `slack` more) never fires over the learning window, in one
        pass instead of a replay per margin."""
        ctx = self.ctx
        at = slice(max(0, ctx.learn_start - need + 1), ctx.learn_end)
        h, hi, lo = stat[at], top[at], bottom[at]
        width = hi - lo if scale is None else scale[at]
        high, low = (h, h) if slack is None else (h - slack[at], h + slack[at])
        worst = widest_need(high, low, hi, lo, width, direction, need, ctx.learn_start - at.start)
        fits = [m for m in grid if m >= worst]
        return fits[0] if fits else None

    def _condition(self, k: float, b: dict[str, FloatArray], x: FloatArray) -> BoolArray:
        lim = self._limits_of(b, k, slice(None))
        with np.errstate(invalid="ignore"):
            above = x > lim["spike_hi"]
            below = x < lim["spike_lo"]
        return sides(self.ctx, above & np.isfinite(x), below & np.isfinite(x))

    def levels(self, k: float) -> Levels:
        # Critical: the spike band; warning: the level side (on the hourly median), if any.
        lim = {name: float(v) for name, v in self._limits(k, -1).items()}
        warn = pick(self.ctx, lim.get("level_hi", np.nan), lim.get("level_lo", np.nan))
        crit = pick(self.ctx, lim["spike_hi"], lim["spike_lo"])
        return Levels(warn[0], crit[0], warn[1], crit[1])

    def explain(self, k: float) -> str:
        weeks = window_weeks(self.ctx.budget, self.ctx.direction)
        apart = self.windows().every * self.ctx.step_seconds
        text = (
            f"trailing {weeks:g}-week range widened on each side by {k:g} × half its width "
            f"or, if more, by its typical step (the median change between values "
            f"{short_duration(apart)} apart)"
        )
        if self.level is not None:
            text += (
                f", or the hourly median beyond the trailing range of hourly medians "
                f"by {self.level:g} × that range"
            )
        if self.volume is not None:
            text += (
                f", or the hourly mean (the work done in the hour) beyond the trailing range "
                f"of hourly means by {self.volume:g} × that range"
            )
        if self.spread is not None:
            text += (
                f", or the {SPREAD_HOURS}-hour spread (median absolute difference of "
                f"successive values) beyond the trailing range of spreads by "
                f"{self.spread:g} × that range"
            )
        if self.day is not None:
            text += (
                f", or the hourly median beyond its range at the same hour of the last "
                f"{SEASON_DAYS} days by {self.day:g} × the trailing range of hourly medians"
            )
        return text

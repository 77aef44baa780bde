"""The envelope as PromQL: the windows of `adaptive.Envelope._bands`, one expression each.

The envelope's module docstring lists every statistic with its PromQL form; this writes
them, with the same window sizes, offsets, "needs" (count guards) and margins the backtest
used, and the sides `refine` kept. Statistics other than the extremes read samples on an
epoch-aligned grid of g seconds (a subquery step: the frame's step from 5 minutes up, else
10 minutes), which is where `trailing.Sampled` puts them.
"""

from __future__ import annotations

from ioncli.alerting.adaptive import SEASON_DAYS, SPREAD_HOURS, Envelope, window_weeks
from ioncli.alerting.promql import Translation, num, seconds
from ioncli.alerting.rulebase import Candidate


class _Windows:
    """Window sizes as `Envelope._bands` computes them."""

    def __init__(self, env: Envelope) -> None:
        ctx = env.ctx
        self.step = ctx.step_seconds
        ph, warm = ctx.per_hour, ctx.warm()
        self.pw = max(1, round(ctx.per_week * window_weeks(ctx.budget, ctx.direction)))
        self.every = 1 if ph <= 12 else max(1, ph // 6)
        self.g = self.every * self.step
        self.warm = warm
        self.per_h = max(1, ph // self.every)
        self.per_w = max(1, self.pw // self.every)
        self.lv_warm = max(1, min(self.pw, max(ph, (ctx.learn_end - ctx.learn_start) // 4)))
        self.lv_warm //= self.every
        self.lv_warm = max(1, self.lv_warm)
        self.span = SPREAD_HOURS * self.per_h
        self.per_day = max(1, round(86_400 / self.step))


def _over(fn: str, inner: str, points: int, step: int, *, offset: int, need: int) -> str:
    """`fn` over `points` grid points of `step` ending `offset` seconds back, only where at
    least min(need, points) of them are values (pandas' min_periods; 1 at the least)."""
    rng = f"({inner})[{seconds(points * step - 1)}:{seconds(step)}]"
    if offset:
        rng += f" offset {seconds(offset)}"
    call = f"quantile_over_time(0.5, {rng})" if fn == "median" else f"{fn}_over_time({rng})"
    need = max(1, min(need, points))
    if need <= 1:
        return call  # any value at all: a range function over no values is already absent
    return f"({call} and count_over_time({rng}) >= {need})"


def translate_envelope(cand: Candidate, k: float, series: str) -> Translation:
    assert isinstance(cand, Envelope)
    w = _Windows(cand)
    s, g, ph = w.step, w.g, w.per_h
    direction = cand.ctx.direction
    hi = _over("max", series, w.pw, s, offset=s, need=w.warm)
    lo = _over("min", series, w.pw, s, offset=s, need=w.warm)
    med = _over("median", series, w.per_w, g, offset=ph * g, need=w.warm // w.every)

    def hourly(offset: int = 0) -> str:
        return _over("median", series, ph, g, offset=offset, need=ph // 2)

    h = hourly()
    lv_hi = _over("max", h, w.per_w, g, offset=ph * g, need=w.lv_warm)
    lv_lo = _over("min", h, w.per_w, g, offset=ph * g, need=w.lv_warm)
    parts: list[str] = []
    up, down = direction in ("high", "both"), direction in ("low", "both")
    # The same double operations, in the same order, as Envelope's conditions.
    if up:
        parts.append(f"({series}) > ({hi} + {num(k)} * ({hi} - {med}))")
    if down:
        parts.append(f"({series}) < ({lo} - {num(k)} * ({med} - {lo}))")
    if cand.level is not None:
        m = num(cand.level)
        if up:
            parts.append(f"{h} > ({lv_hi} + {m} * ({lv_hi} - {lv_lo}))")
        if down:
            parts.append(f"{h} < ({lv_lo} - {m} * ({lv_hi} - {lv_lo}))")
    if cand.spread is not None:
        mad = _over("median", f"abs(({series}) - {h})", ph, g, offset=0, need=ph // 2)
        spread = _over("median", mad, w.span, g, offset=0, need=w.span // 2)
        sp_hi = _over("max", spread, w.per_w, g, offset=w.span * g, need=w.lv_warm)
        sp_lo = _over("min", spread, w.per_w, g, offset=w.span * g, need=w.lv_warm)
        parts.append(f"{spread} > ({sp_hi} + {num(cand.spread)} * ({sp_hi} - {sp_lo}))")
    if cand.day is not None:
        # Each day's hourly median tagged with its lag, so `or` keeps them all and `max` /
        # `min` take the extremes of those present (absent when none is), as nanmax does.
        lags = " or ".join(
            f'label_replace({hourly(d * w.per_day * s)}, "ion_lag", "{d}", "", "")'
            for d in range(1, SEASON_DAYS + 1)
        )
        m = num(cand.day)
        if up:
            parts.append(f"{h} > (max without (ion_lag) ({lags}) + {m} * ({lv_hi} - {lv_lo}))")
        if down:
            parts.append(f"{h} < (min without (ion_lag) ({lags}) - {m} * ({lv_hi} - {lv_lo}))")
    query = " or ".join(f"({p})" for p in parts)
    note = "trailing windows (range, hourly medians, spread, same hour of past days): PromQL"
    return Translation("promql", query, None, None, note)

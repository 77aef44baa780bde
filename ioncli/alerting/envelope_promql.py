"""The envelope rule as one PromQL expression: the same windows, constants and guards.

`envelope_query(env, k, series)` writes what `Envelope.condition(k)` computes (see the list
in `adaptive`'s docstring), for an alerting rule evaluated every frame step on a grid aligned
to the step (Cloud Monitoring's alignment, or Prometheus scraping at the step):

- a trailing window of n points of g seconds is a subquery `(e)[n*g - 1s : g]`: Prometheus
  2 counts both ends of a range and Prometheus 3 only the right one, and n*g - 1s holds
  exactly the n aligned points at or before the evaluation time under both;
- pandas' `min_periods` is `and count_over_time(window) >= need`;
- `offset` moves a window back by whole points (the bands judge a value against what came
  before it);
- the largest of the same hour on the last days is a union of the offset hourly medians,
  each with its own `ion_day` label, reduced with `max without (ion_day)`;
- constants are written as the exact decimal of the same double (`repr`), and every sum
  and product is written in the order numpy evaluates it, so the comparisons agree bit for
  bit; the one exception is the volume side's hourly mean, whose last bit depends on how
  an engine sums (Prometheus has changed its `avg_over_time` more than once): ion sums each
  hour afresh, oldest value first, and the volume side asks the mean to clear its limit by
  a billionth of itself more (`MEAN_SLACK`), far above any engine's rounding: the hours of
  a series stuck at one value stay equal to each other whoever sums them.

Gaps are absent samples (stale markers): range functions skip them as pandas skips NaN, and
an instant comparison at a gap is not met, as in the backtest.
"""

from __future__ import annotations

from ioncli.alerting.adaptive import MEAN_SLACK, SEASON_DAYS, Envelope

DAY_SECONDS = 86_400


def num(value: float) -> str:
    """A PromQL number literal for exactly this double."""
    return repr(float(value))


def window(expr: str, n: int, g: int, offset: int = 0) -> str:
    """The n points (g seconds apart) at or before the evaluation time minus `offset` s."""
    text = f"({expr})[{n * g - 1}s:{g}s]"
    return f"{text} offset {offset}s" if offset else text


def over(fn: str, expr: str, n: int, g: int, need: int, *, offset: int = 0) -> str:
    """`fn` (max, min, avg or median) over a trailing window, present only with `need`
    values."""
    w = window(expr, n, g, offset)
    body = f"quantile_over_time(0.5, {w})" if fn == "median" else f"{fn}_over_time({w})"
    least = max(1, min(need, n))
    return f"(({body}) and (count_over_time({w}) >= {least}))"


def _sides(direction: str, above: str, below: str) -> list[str]:
    if direction == "high":
        return [above]
    if direction == "low":
        return [below]
    return [above, below]


def envelope_query(env: Envelope, k: float, series: str) -> str:
    """The whole envelope rule (every side `refine` kept) as one PromQL condition."""
    win = env.windows()
    direction = env.ctx.direction
    s = win.step
    g = s * win.every
    h, w = win.per_hour, win.samples
    hi = over("max", series, win.points, s, win.warm, offset=s)
    lo = over("min", series, win.points, s, win.warm, offset=s)
    # The value one sample back as a one-point subquery: `offset` only follows a selector
    # or a subquery, and the series may be any expression (a ratio, a rate).
    before = f"last_over_time(({series})[{g - 1}s:{g}s] offset {g}s)"
    jumps = f"abs(({series}) - {before})"
    step = over("median", jumps, w, g, win.level_warm, offset=g)
    share = f"({num(0.5 * k)} * ({hi} - {lo}))"
    # numpy's fmax: the larger of the two, the share alone while the step is absent.
    margin = f"(({step} > {share}) or {share})"
    parts = _sides(
        direction,
        f"({series}) > ({hi} + {margin})",
        f"({series}) < ({lo} - {margin})",
    )
    hourly = over("median", series, h, g, h // 2)
    level_hi = over("max", hourly, w, g, win.level_warm, offset=h * g)
    level_lo = over("min", hourly, w, g, win.level_warm, offset=h * g)
    if env.level is not None:
        m = num(env.level)
        parts += _sides(
            direction,
            f"{hourly} > ({level_hi} + {m} * ({level_hi} - {level_lo}))",
            f"{hourly} < ({level_lo} - {m} * ({level_hi} - {level_lo}))",
        )
    if env.volume is not None:
        mean = over("avg", series, h, g, h // 2)
        mean_hi = over("max", mean, w, g, win.level_warm, offset=h * g)
        mean_lo = over("min", mean, w, g, win.level_warm, offset=h * g)
        m = num(env.volume)
        slack = f"{num(MEAN_SLACK)} * abs({mean})"
        parts += _sides(
            direction,
            f"{mean} > (({mean_hi} + {m} * ({mean_hi} - {mean_lo})) + {slack})",
            f"{mean} < (({mean_lo} - {m} * ({mean_hi} - {mean_lo})) - {slack})",
        )
    if env.spread is not None:
        spread = over("median", jumps, win.span, g, win.span // 2)
        sp_hi = over("max", spread, w, g, win.level_warm, offset=win.span * g)
        sp_lo = over("min", spread, w, g, win.level_warm, offset=win.span * g)
        m = num(env.spread)
        parts.append(f"{spread} > ({sp_hi} + {m} * ({sp_hi} - {sp_lo}))")
    if env.day is not None:
        lags = [
            f"label_replace({over('median', series, h, g, h // 2, offset=d * DAY_SECONDS)}, "
            f'"ion_day", "{d}", "", "")'
            for d in range(1, SEASON_DAYS + 1)
        ]
        union = " or ".join(lags)
        day_hi = f"(max without (ion_day) ({union}))"
        day_lo = f"(min without (ion_day) ({union}))"
        m = num(env.day)
        parts += _sides(
            direction,
            f"{hourly} > ({day_hi} + {m} * ({level_hi} - {level_lo}))",
            f"{hourly} < ({day_lo} - {m} * ({level_hi} - {level_lo}))",
        )
    return " or ".join(f"({p})" for p in parts)

"""The translator registry: each rule kind's backtest computation, written as PromQL.

A kind that `auto` may choose has one function here, `(candidate, k, series) -> Translation`,
where `series` is the PromQL expression of the series the rule watches (see `promnames`).
The function writes the same computation the kind's `condition(k)` does over the frame:
the same windows, the same constants (as exact decimal forms of the same doubles), the same
"needs this many values before it judges" guards. `backtest.fire_spans` then matches an
alerting rule's `for` evaluated every step (see `for_seconds`), which the promtool test
proves against the real Prometheus engine for every kind registered here.

How windows are written: a trailing window of n points at step s is a subquery
`(series)[n*s - 1s : s]`. Prometheus 2 counts both ends of a window and Prometheus 3 only
the right one; one second less than n steps holds exactly n grid points under both. Frame
gaps are absent samples (a stale marker in Prometheus terms): range functions skip them the
way pandas' rolling windows skip NaN, and an instant comparison at a gap is simply not met.

A kind with no function here cannot be applied exactly, so `auto` never chooses it
(`tune.auto_kinds`); forced with `--rule`, it is reported as "not applied".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ioncli.alerting.adaptive import Envelope, ZScore
from ioncli.alerting.candidates import Seasonal
from ioncli.alerting.envelope_promql import envelope_query
from ioncli.alerting.rulebase import Candidate

ConditionType = Literal["threshold", "promql"]


@dataclass(frozen=True)
class Translation:
    """How Cloud Monitoring and Prometheus run one tuned rule."""

    condition: ConditionType  # "threshold" when static thresholds say it all
    query: str  # the whole rule as PromQL over the series (always set)
    above: float | None  # threshold condition: page above this (None: no upper side)
    below: float | None  # ... below this
    note: str  # one line: why this condition type


Translator = Callable[[Candidate, float, str], Translation]


def num(value: float) -> str:
    """A PromQL number literal for exactly this double (repr round-trips)."""
    f = float(value)
    if np.isnan(f):
        return "NaN"
    if np.isinf(f):
        return "Inf" if f > 0 else "-Inf"
    return repr(f)


def seconds(value: int) -> str:
    return f"{int(value)}s"


def window(series: str, points: int, step: int, offset_points: int = 0) -> str:
    """The trailing `points` grid points of `series` (ending `offset_points` steps back)."""
    text = f"({series})[{seconds(points * step - 1)}:{seconds(step)}]"
    if offset_points:
        text += f" offset {seconds(offset_points * step)}"
    return text


def guarded(value: str, series: str, points: int, step: int, *, need: int) -> str:
    """`value` only where the window holds at least `need` values (pandas' min_periods)."""
    if need <= 0:
        return value
    count = f"count_over_time({window(series, points, step)})"
    return f"({value}) and ({count} >= {need})"


def compare(series: str, direction: str, above: float | None, below: float | None) -> str:
    parts = []
    if above is not None and direction in ("high", "both"):
        parts.append(f"({series}) > {num(above)}")
    if below is not None and direction in ("low", "both"):
        parts.append(f"({series}) < {num(below)}")
    if not parts:
        raise ValueError("a rule with no side to page on")
    # `or` keeps one alert per series across both sides, as the backtest's single run does.
    return " or ".join(f"({p})" for p in parts) if len(parts) > 1 else parts[0]


def _static(cand: Candidate, k: float, series: str) -> Translation:
    """Static kinds: the critical levels are the rule, compared with each value."""
    lv = cand.levels(k)
    direction = cand.ctx.direction
    above = lv.critical if direction in ("high", "both") else None
    below = lv.low_critical if direction in ("low", "both") else None
    query = compare(series, direction, above, below)
    if above is not None and below is not None:
        # Two threshold conditions would each count their own duration; one PromQL
        # condition keeps a single run across both sides, as backtested.
        note = "static band, both sides under one duration: PromQL condition"
        return Translation("promql", query, above, below, note)
    return Translation("threshold", query, above, below, "static threshold")


def _seasonal(cand: Candidate, k: float, series: str) -> Translation:
    assert isinstance(cand, Seasonal)
    med, mad = cand._profile()
    ctx = cand.ctx
    if cand.profile == "none":
        return _static(cand, k, series)
    hi = med + k * mad  # the same double ops as Seasonal.condition
    lo = med - k * mad
    slot = "hour()"  # UTC, as ion's slots

    def lookup(values: np.ndarray) -> str:
        terms = " or ".join(
            f"(vector({num(v)}) and on() ({slot} == {i}))" for i, v in enumerate(values)
        )
        return f"scalar({terms})"

    parts = []
    if ctx.direction in ("high", "both"):
        parts.append(f"({series}) > {lookup(hi)}")
    if ctx.direction in ("low", "both"):
        parts.append(f"({series}) < {lookup(lo)}")
    query = " or ".join(f"({p})" for p in parts) if len(parts) > 1 else parts[0]
    note = "hour-of-day profile: one constant per UTC hour"
    return Translation("promql", query, None, None, note)


def _zscore(cand: Candidate, k: float, series: str) -> Translation:
    assert isinstance(cand, ZScore)
    ctx = cand.ctx
    step, ph, pw = ctx.step_seconds, ctx.per_hour, ctx.per_week
    hourly = guarded(
        f"avg_over_time({window(series, ph, step)})", series, ph, step, need=max(1, ph // 2)
    )
    # The trailing week of hourly means, ending an hour back (pandas shift(ph)).
    past = window(hourly, pw, step, ph)
    count = f"count_over_time({past})"
    mean = f"avg_over_time({past})"
    # pandas' rolling std is the sample deviation (n - 1); Prometheus' is the population's.
    sd = f"(stddev_over_time({past}) * sqrt({count} / ({count} - 1)))"
    floor = 0.05 * ctx.baseline.spread
    z = f"(({hourly}) - {mean}) / clamp_min({sd}, {num(floor)})"
    z = f"({z}) and ({count} >= {ctx.warm()})"
    if ctx.direction == "high":
        query = f"({z}) > {num(k)}"
    elif ctx.direction == "low":
        query = f"({z}) < {num(-k)}"
    else:
        query = f"abs({z}) > {num(k)}"
    note = "trailing windows (hourly mean against the trailing week): PromQL condition"
    return Translation("promql", query, None, None, note)


def _envelope(cand: Candidate, k: float, series: str) -> Translation:
    assert isinstance(cand, Envelope)
    # Name only the sides this series runs (on hourly data the range alone).
    sides = ["range"]
    if cand.level is not None:
        sides.append("hourly medians")
    if cand.volume is not None:
        sides.append("hourly means")
    if cand.spread is not None:
        sides.append("spread")
    if cand.day is not None:
        sides.append("same hour of past days")
    note = f"trailing windows ({', '.join(sides)}): PromQL condition"
    return Translation("promql", envelope_query(cand, k, series), None, None, note)


# One entry per kind `auto` may choose. A new kind adds its function here (and a promtool
# proof comes with it: tests/alerting/test_promtool.py is parametrised over this registry).
TRANSLATORS: dict[str, Translator] = {
    "envelope": _envelope,
    "seasonal": _seasonal,
    "zscore": _zscore,
    "robust": _static,
    "sigma": _static,
}

# Kinds that exist but have no exact translation, and why (said in the report).
NOT_EXPRESSIBLE: dict[str, str] = {}


def translate(cand: Candidate, k: float, series: str) -> Translation | None:
    fn = TRANSLATORS.get(cand.kind)
    return None if fn is None else fn(cand, k, series)


def for_seconds(need: int, step_seconds: int) -> int:
    """The alert's `for`: the condition met at `need` consecutive evaluations, one step apart."""
    return max(0, need - 1) * step_seconds

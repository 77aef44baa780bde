"""Compliance, error budget, burn rates, exhaustion and episodes: pure functions of events.

Definitions (those of the SRE Workbook, Sloth and slo-generator):

- compliance = good / total over the SLO window; undefined (None) without traffic;
- error budget = (1 − objective) × total requests in the window (allowed bad requests; when
  part of the window has no data, the traffic seen projected over the whole window), or
  (1 − objective) × the window's minutes (allowed minutes of full outage);
- consumed = bad / budget; remaining = 1 − consumed (negative once overspent);
- burn rate over w = (bad_w / total_w) / (1 − objective): 1 spends exactly the budget over
  the window; undefined without traffic in w;
- at burn rate b the remaining budget lasts remaining × window / b;
- an episode is a run of steps burning faster than 1, joined across gaps of at most
  `EPISODE_JOIN_SECONDS`; it is budget-burning (an incident the rules should catch) when it
  spends at least `SIGNIFICANT_SHARE` of the budget, the smallest share the Workbook's
  fastest page is designed for (2% in an hour).

Gaps (NaN) count as neither good nor bad; coverage says how much of the window had data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from ioncli.slo.events import Events

BURN_WINDOWS = (("5m", 300), ("1h", 3600), ("6h", 6 * 3600), ("3d", 3 * 86400))
CURRENT_WINDOW = "1h"  # the burn rate called "current": long enough not to flicker
EPISODE_JOIN_SECONDS = 15 * 60
SIGNIFICANT_SHARE = 0.02
WORST_EPISODES = 5


@dataclass
class BurnRate:
    window: str
    seconds: int
    burn_rate: float | None
    bad_events: float
    total_events: float


@dataclass
class Episode:
    start: datetime
    end: datetime  # the end of its last bad step
    minutes: float
    bad_events: float
    budget_consumed: float  # share of the window's budget
    peak_burn_rate: float
    significant: bool


@dataclass
class Exhaustion:
    burn_rate: float | None
    hours: float | None  # None: never at this burn (or undefined)
    at: datetime | None


@dataclass
class ScopeResult:
    scope: str
    total_events: float
    good_events: float
    bad_events: float
    compliance: float | None
    met: bool | None
    budget_events: float
    budget_minutes: float
    consumed: float
    remaining: float
    consumed_minutes: float
    exhausted_at: datetime | None  # when the window's budget was used up, if it was
    burn_rates: list[BurnRate]
    at_current_burn: Exhaustion
    at_average_burn: Exhaustion
    coverage: float  # share of the window's steps with data
    episodes: list[Episode]  # the worst, most budget first


def window_bounds(
    index: pd.DatetimeIndex, step: int, window_days: int | None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) of the SLO window ending with the data: rolling days or calendar month."""
    end = index[-1] + pd.Timedelta(seconds=step)
    if window_days is None:
        last = index[-1]
        start = pd.Timestamp(year=last.year, month=last.month, day=1, tz="UTC")
    else:
        start = end - pd.Timedelta(days=window_days)
    return start, end


def month_seconds(start: pd.Timestamp) -> float:
    nxt = (start + pd.offsets.MonthBegin(1)).normalize()
    return float((nxt - start).total_seconds())


def analyse(
    events: Events,
    index: pd.DatetimeIndex,
    step: int,
    *,
    objective: float,
    window_days: int | None,
) -> tuple[ScopeResult, list[Episode]]:
    """The scope's result over its SLO window, and every episode over the whole data (the
    replay's incidents are the budget-burning ones)."""
    start, end = window_bounds(index, step, window_days)
    window_s = month_seconds(start) if window_days is None else window_days * 86400.0
    stamps = _stamps(events, index)
    end_s = int(end.timestamp())
    lo, hi = (int(i) for i in np.searchsorted(stamps, [int(start.timestamp()), end_s]))
    run_total, run_bad, run_seen = events.prefix()
    steps_in_window = max(1, round(window_s / step))
    with_data = int(_between(run_seen, lo, hi))
    coverage = with_data / steps_in_window
    if window_days is None:  # the month so far is all the window there can be yet
        coverage = with_data / max(1, round((end - start).total_seconds() / step))
    t_sum = _between(run_total, lo, hi)
    b_sum = _between(run_bad, lo, hi)
    ratio = 1.0 - objective
    # The budget is the window's: with part of it missing, the traffic seen is projected over
    # the whole window at its average, so shares and exhaustion times mean the same thing.
    budget_events = ratio * t_sum * (steps_in_window / with_data) if with_data else 0.0
    consumed = b_sum / budget_events if budget_events > 0 else 0.0
    budget_minutes = ratio * window_s / 60.0
    compliance = (t_sum - b_sum) / t_sum if t_sum > 0 else None
    rates = []
    for name, secs in BURN_WINDOWS:
        first = int(np.searchsorted(stamps, end_s - secs))
        t, b = _between(run_total, first, hi), _between(run_bad, first, hi)
        rates.append(BurnRate(name, secs, (b / t / ratio) if t > 0 else None, b, t))
    current = next(r.burn_rate for r in rates if r.window == CURRENT_WINDOW)
    average = b_sum / t_sum / ratio if t_sum > 0 else None
    remaining = 1.0 - consumed
    end_dt = end.to_pydatetime()
    found = episodes(events, index, step, ratio, budget_events)
    exhausted = None
    if hi > lo and b_sum > budget_events:
        spent = run_bad[lo:hi] - (run_bad[lo - 1] if lo > 0 else 0.0)
        at = int(np.searchsorted(spent, budget_events, side="right"))
        exhausted = datetime.fromtimestamp(int(stamps[lo + at]), UTC)
    result = ScopeResult(
        scope=events.scope,
        total_events=t_sum,
        good_events=t_sum - b_sum,
        bad_events=b_sum,
        compliance=compliance,
        met=None if compliance is None else compliance >= objective,
        budget_events=budget_events,
        budget_minutes=budget_minutes,
        consumed=consumed,
        remaining=remaining,
        consumed_minutes=consumed * budget_minutes,
        exhausted_at=exhausted,
        burn_rates=rates,
        at_current_burn=_exhaustion(remaining, window_s, current, end_dt),
        at_average_burn=_exhaustion(remaining, window_s, average, end_dt),
        coverage=min(coverage, 1.0),
        episodes=found[:WORST_EPISODES],
    )
    return result, found


def _stamps(events: Events, index: pd.DatetimeIndex) -> np.ndarray:
    if events.stamps is not None:
        return events.stamps
    out: np.ndarray = index.as_unit("s").asi8
    return out


def _between(running: np.ndarray, lo: int, hi: int) -> float:
    """The sum over steps [lo, hi) from a running sum."""
    if hi <= lo:
        return 0.0
    return float(running[hi - 1] - (running[lo - 1] if lo > 0 else 0.0))


def _exhaustion(remaining: float, window_s: float, burn: float | None, end: datetime) -> Exhaustion:
    if burn is None or burn <= 0 or remaining <= 0:
        return Exhaustion(burn, 0.0 if remaining <= 0 else None, end if remaining <= 0 else None)
    seconds = remaining * window_s / burn
    return Exhaustion(burn, seconds / 3600.0, end + timedelta(seconds=seconds))


def episodes(
    events: Events, index: pd.DatetimeIndex, step: int, ratio: float, budget_events: float
) -> list[Episode]:
    """The worst runs of steps burning faster than 1 and every budget-burning one, most
    budget first (vectorised: a noisy month holds thousands of one-minute blips)."""
    total, bad = events.total, events.bad
    burn = np.full(len(total), -np.inf)
    np.divide(bad, total * ratio, out=burn, where=total > 0)
    burn = np.where(np.isnan(burn), -np.inf, burn)
    hot = np.flatnonzero(burn > 1.0)
    if len(hot) == 0:
        return []
    join = max(1, EPISODE_JOIN_SECONDS // step)
    breaks = np.flatnonzero(np.diff(hot) > join)
    firsts = np.concatenate([[hot[0]], hot[breaks + 1]])
    lasts = np.concatenate([hot[breaks], [hot[-1]]])
    run_bad = events.prefix()[1]
    before = np.where(firsts > 0, run_bad[np.maximum(firsts - 1, 0)], 0.0)
    spent = run_bad[lasts] - before
    share = spent / budget_events if budget_events > 0 else np.zeros(len(spent))
    # Between episodes nothing burns faster than 1, so each segment's maximum is its peak.
    peaks = np.maximum.reduceat(burn, firsts)
    order = np.argsort(-share, kind="stable")
    keep = sorted(
        set(order[:WORST_EPISODES].tolist())
        | set(np.flatnonzero(share >= SIGNIFICANT_SHARE).tolist()),
        key=lambda k: -share[k],
    )
    stamps = _stamps(events, index)
    return [
        Episode(
            start=datetime.fromtimestamp(int(stamps[firsts[k]]), UTC),
            end=datetime.fromtimestamp(int(stamps[lasts[k]]) + step, UTC),
            minutes=(int(lasts[k]) - int(firsts[k]) + 1) * step / 60.0,
            bad_events=float(spent[k]),
            budget_consumed=float(share[k]),
            peak_burn_rate=float(peaks[k]),
            significant=bool(share[k] >= SIGNIFICANT_SHARE),
        )
        for k in keep
    ]

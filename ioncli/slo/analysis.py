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

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from ioncli import __version__
from ioncli.alerting.window import regular
from ioncli.frame import MetricFrame
from ioncli.slo.config import SloSpec
from ioncli.slo.events import Events, SliData, sli_events
from ioncli.slo.model import (
    SCHEMA_VERSION,
    ApplySummary,
    BurnRate,
    Episode,
    Exhaustion,
    Gate,
    RuleReplay,
    ScopeReplay,
    ScopeResult,
    SloReport,
    SloResult,
)
from ioncli.slo.replay import replay_rule, replay_static

BURN_WINDOWS = (("5m", 300), ("1h", 3600), ("6h", 6 * 3600), ("3d", 3 * 86400))
CURRENT_WINDOW = "1h"  # the burn rate called "current": long enough not to flicker
EPISODE_JOIN_SECONDS = 15 * 60
SIGNIFICANT_SHARE = 0.02
WORST_EPISODES = 5
STATIC_5XX = 0.01  # the original report's critical error-rate rule: 5xx above 1%


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


def build_report(frame: MetricFrame, slos: tuple[SloSpec, ...], *, service: str) -> SloReport:
    frame, note = regular(frame)
    warnings = list(frame.warnings) + ([note] if note else [])
    index = frame.data.index
    results = [_one(frame, spec) for spec in slos]
    return SloReport(
        schema_version=SCHEMA_VERSION,
        ion_version=__version__,
        generated_at=datetime.now(UTC),
        service=service,
        source=frame.source,
        simulated=frame.simulated,
        step_seconds=frame.step_seconds,
        data_start=index[0].to_pydatetime() if len(index) else None,
        data_end=(index[-1] + np.timedelta64(frame.step_seconds, "s")).to_pydatetime()
        if len(index)
        else None,
        significant_share=SIGNIFICANT_SHARE,
        objectives=results,
        warnings=warnings,
    )


def _one(frame: MetricFrame, spec: SloSpec) -> SloResult:
    data = sli_events(frame, spec)
    base = SloResult(
        name=spec.name,
        sli=spec.sli,
        objective=spec.objective_percent,
        threshold_ms=spec.threshold_ms,
        window=spec.window_label,
        window_start=None,
        window_end=None,
        partial=False,
        description=spec.description,
        status="unsupported",
        note=data.unsupported or "",
    )
    if data.unsupported or len(data.index) == 0:
        return base
    start, end = window_bounds(data.index, data.step_seconds, spec.window_days)
    base.window_start, base.window_end = start.to_pydatetime(), end.to_pydatetime()
    window_s = int(month_seconds(start) if spec.window_days is None else spec.window_days * 86400)
    found = []
    for events in data.scopes:
        result, all_episodes = analyse(
            events,
            data.index,
            data.step_seconds,
            objective=spec.objective,
            window_days=spec.window_days,
        )
        base.scopes.append(result)
        found.append(all_episodes)
    fleet = base.scopes[0]
    base.partial = data.index[0] > start or fleet.coverage < 0.999
    notes = []
    if base.partial:
        notes.append(
            f"partial: data covers {_share(fleet.coverage)} of the {spec.window_label} window"
        )
    if fleet.compliance is None:
        base.status = "undefined"
        notes.append("no traffic in the window: compliance is undefined, the budget untouched")
    else:
        base.status = "met" if fleet.met else "breached"
    base.note = "; ".join(notes)
    base.replay = [
        _replay(spec, data, (events, result, eps), window_s)
        for events, result, eps in zip(data.scopes, base.scopes, found, strict=True)
    ]
    return base


def _share(value: float) -> str:
    """A share that stays readable when small: 3.6%, 0.012%."""
    return f"{value:.1%}" if value >= 0.001 else f"{value:.3%}"


def _replay(
    spec: SloSpec, data: SliData, scope: tuple[Any, ScopeResult, list[Episode]], window_s: int
) -> ScopeReplay:
    events, result, found = scope
    ratio = spec.budget_ratio
    incidents = [e for e in found if e.significant]
    rules: list[RuleReplay] = [
        replay_rule(
            events,
            data.index,
            data.step_seconds,
            rule,
            ratio=ratio,
            window_seconds=window_s,
            incidents=incidents,
            budget_events=result.budget_events,
            minimum=spec.min_bad_events,
        )
        for rule in spec.alerts
    ]
    with np.errstate(divide="ignore", invalid="ignore"):
        per_step = np.where(events.total > 0, events.bad / events.total, np.nan)
    statics = [
        (
            "static-slo",
            f"bad ratio > {ratio:.4%} (the objective) for 5 min",
            per_step > ratio,
        )
    ]
    if spec.sli == "availability":
        statics.append(("static-5xx", "5xx ratio > 1% for 5 min", per_step > STATIC_5XX))
    for name, text, condition in statics:
        rules.append(
            replay_static(
                name,
                text,
                condition,
                data.index,
                data.step_seconds,
                incidents=incidents,
                events=events,
                budget_events=result.budget_events,
            )
        )
    return ScopeReplay(events.scope, len(incidents), rules)


def with_extras(
    report: SloReport, *, apply: ApplySummary | None = None, gate: Sequence[str] = ()
) -> SloReport:
    """The report with what the command did after building it: the `--apply` plan or result
    and what crossed the `--fail-on` gate."""
    return replace(report, apply=apply, gate=list(gate))


def tripped(report: SloReport, gate: Gate) -> list[str]:
    """What crosses the --fail-on gate, one line each (the exit code is 5 when any does)."""
    if gate is None:
        return []
    what, value = gate
    tripped = []
    for o in report.objectives:
        for s in o.scopes:
            if what == "budget-remaining-below" and s.remaining * 100.0 < value:
                tripped.append(
                    f"{o.name} ({s.scope}): {s.remaining * 100:.1f}% of the error budget left, "
                    f"below {value:g}%"
                )
            if what == "burn-rate-above":
                current = next((b.burn_rate for b in s.burn_rates if b.window == "1h"), None)
                if current is not None and current > value:
                    tripped.append(
                        f"{o.name} ({s.scope}): burning {current:.2f}x over the last hour, "
                        f"above {value:g}x"
                    )
    return tripped

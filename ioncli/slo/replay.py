"""Replay burn-rate rules (and static thresholds) over history with tune-alerts' engine.

A multiwindow rule's condition holds at a step when the burn rate over its long window and
over its short window both exceed its factor, and, traffic-aware, when the long window holds
at least `min_bad_events` bad requests. `ioncli.alerting.backtest.fire_spans` turns the
condition into alert episodes exactly as it does for tune-alerts (fires at the first step
the condition holds, closes at the first step it does not; a gap never meets it).

The traffic-aware minimum (what Pyrra's open request #1602 asks for): a burn rate f over a
long window L means f × (1 − objective) × L × (average request rate) bad requests when the
traffic is average. At night a handful of failures gives a huge burn *ratio* but a small
share of the budget; requiring that many bad requests (the average request rate taken over
the SLO window before each step) keeps the rule's meaning "this share of the budget burned
in L" at any traffic. The report replays every rule with and without it.

Incidents to catch are the budget-burning episodes of the analysis (see analysis.py); a rule
caught one when it was firing at some point from the episode's start to its end plus the
rule's short window (the short window still sees the burn that long).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

import numpy as np
import pandas as pd

from ioncli.alerting.backtest import fire_spans, need_points, summarise
from ioncli.slo.config import AlertRule
from ioncli.slo.events import Events
from ioncli.slo.model import Alert, Detection, Episode, RuleReplay

STATIC_DURATION_SECONDS = 300  # the original report's evaluation window for its rules


def window_sum(running: np.ndarray, n: int) -> np.ndarray:
    """From a running sum, the sum over the last n steps (fewer at the start)."""
    out = running.copy()
    if n < len(out):
        out[n:] -= running[:-n]
    return out


def rolling_sum(values: np.ndarray, n: int) -> np.ndarray:
    """Sum over the last n steps (fewer at the start), gaps counted as nothing."""
    return window_sum(np.cumsum(np.where(np.isnan(values), 0.0, values)), n)


def burn_rates(events: Events, n: int, ratio: float) -> np.ndarray:
    total, bad, _ = events.prefix()
    t, b = window_sum(total, n), window_sum(bad, n)
    out = np.full(len(t), np.nan)
    np.divide(b, t * ratio, out=out, where=t > 0)
    return out


def average_traffic(events: Events, step: int, window_seconds: int) -> np.ndarray:
    """Per step: the mean requests per step over the SLO window before it (steps with data)."""
    total, _, seen = events.prefix()
    n_window = max(1, window_seconds // step)
    traffic, steps = window_sum(total, n_window), window_sum(seen, n_window)
    out = np.zeros(len(traffic))
    np.divide(traffic, steps, out=out, where=steps > 0)
    return out


def min_bad_events(
    events: Events, rule: AlertRule, step: int, ratio: float, window_seconds: int
) -> np.ndarray:
    """Per step: rule factor × (1 − objective) × requests in the long window at the average
    rate of the SLO window before the step."""
    per_step = average_traffic(events, step, window_seconds)
    out: np.ndarray = rule.burn_rate * ratio * per_step * (rule.long_seconds / step)
    return out


def replay_rule(
    events: Events,
    index: pd.DatetimeIndex,
    step: int,
    rule: AlertRule,
    *,
    ratio: float,
    window_seconds: int,
    incidents: list[Episode],
    budget_events: float,
    minimum: int | None,
) -> RuleReplay:
    long_n = need_points(rule.long_seconds, step)
    short_n = need_points(rule.short_seconds, step)
    with np.errstate(invalid="ignore"):  # NaN (no traffic) never meets the condition
        condition = (burn_rates(events, long_n, ratio) > rule.burn_rate) & (
            burn_rates(events, short_n, ratio) > rule.burn_rate
        )
    floor = (
        min_bad_events(events, rule, step, ratio, window_seconds)
        if minimum is None
        else np.full(len(index), float(minimum))
    )
    bad_long = window_sum(events.prefix()[1], long_n)
    outcome = partial(
        _result,
        index=index,
        step=step,
        grace_seconds=rule.short_seconds,
        incidents=incidents,
        events=events,
        budget_events=budget_events,
        need=1,
    )
    plain = outcome(condition)
    aware = outcome(condition & (bad_long >= floor))
    window_label = f"{_fmt_seconds(rule.long_seconds)}/{_fmt_seconds(rule.short_seconds)}"
    return aware.replay(
        name=rule.name,
        kind="burn-rate",
        severity=rule.severity,
        description=f"burn rate > {rule.burn_rate:g} over {window_label}",
        min_bad_events=float(floor[-1]) if len(floor) else None,
        without_minimum={
            "episodes": plain.episodes,
            "false_alerts": plain.false_alerts,
            "incidents_caught": plain.incidents_caught,
            "alerts_per_week": plain.alerts_per_week,
        },
    )


def replay_static(
    name: str,
    description: str,
    condition: np.ndarray,
    index: pd.DatetimeIndex,
    step: int,
    *,
    incidents: list[Episode],
    events: Events,
    budget_events: float,
) -> RuleReplay:
    """A threshold on the per-step ratio held for 5 minutes, as Cloud Monitoring would page."""
    out = _result(
        condition,
        index=index,
        step=step,
        grace_seconds=0,
        incidents=incidents,
        events=events,
        budget_events=budget_events,
        need=need_points(STATIC_DURATION_SECONDS, step),
    )
    return out.replay(name=name, kind="static", severity="page", description=description)


@dataclass
class _Outcome:
    alerts: list[Alert]
    detections: list[Detection]
    episodes: int
    alerts_per_week: float
    false_alerts: int
    incidents_caught: int
    incidents_missed: int

    def replay(
        self,
        *,
        name: str,
        kind: str,
        severity: str,
        description: str,
        min_bad_events: float | None = None,
        without_minimum: dict[str, float] | None = None,
    ) -> RuleReplay:
        caught = [d for d in self.detections if d.fired_at is not None]
        minutes = [d.minutes_after_start for d in caught if d.minutes_after_start is not None]
        burned = [d.budget_burned_before for d in caught if d.budget_burned_before is not None]
        return RuleReplay(
            name=name,
            kind=kind,
            severity=severity,
            description=description,
            alerts_per_week=self.alerts_per_week,
            episodes=self.episodes,
            false_alerts=self.false_alerts,
            incidents_caught=self.incidents_caught,
            incidents_missed=self.incidents_missed,
            median_detection_minutes=float(np.median(minutes)) if minutes else None,
            median_budget_before_detection=float(np.median(burned)) if burned else None,
            min_bad_events=min_bad_events,
            without_minimum=without_minimum,
            alerts=self.alerts,
            detections=self.detections,
        )


def _result(
    condition: np.ndarray,
    *,
    index: pd.DatetimeIndex,
    step: int,
    grace_seconds: int,
    incidents: list[Episode],
    events: Events,
    budget_events: float,
    need: int,
) -> _Outcome:
    starts, ends = fire_spans(condition, need)
    stats = summarise(starts, ends, 0, len(index), step)
    n = len(index)
    stamps = events.stamps if events.stamps is not None else index.as_unit("s").asi8
    alerts = []
    for s, e in zip(starts, ends, strict=True):
        end_s = int(stamps[int(e)]) if e < n else int(stamps[-1]) + step
        alerts.append(Alert(_utc(int(stamps[int(s)])), _utc(end_s), bool(e >= n)))
    detections = []
    spent = events.prefix()[1]
    for inc in sorted(incidents, key=lambda i: i.start):
        lo = int(pd.Timestamp(inc.start).timestamp())
        hi = int(pd.Timestamp(inc.end).timestamp()) + grace_seconds
        fired = None
        for alert, s, e in zip(alerts, starts, ends, strict=True):
            a_lo = int(stamps[int(s)])
            a_hi = int(stamps[int(e)]) if e < n else int(stamps[-1]) + step
            if a_lo < hi and a_hi > lo:
                fired = max(a_lo, lo)
                alert.caught = alert.caught or inc.start.isoformat()
                break
        if fired is None:
            detections.append(Detection(inc.start, None, None, None))
            continue
        i0 = int(np.searchsorted(stamps, lo))
        i1 = int(np.searchsorted(stamps, fired))
        before = float(spent[i1] - (spent[i0 - 1] if i0 > 0 else 0.0)) if i1 < n else 0.0
        detections.append(
            Detection(
                inc.start,
                _utc(fired),
                (fired - lo) / 60.0,
                before / budget_events if budget_events > 0 else None,
            )
        )
    caught = sum(1 for d in detections if d.fired_at is not None)
    return _Outcome(
        alerts=alerts,
        detections=detections,
        episodes=stats.episodes,
        alerts_per_week=stats.alerts_per_week,
        false_alerts=sum(1 for a in alerts if not a.caught),
        incidents_caught=caught,
        incidents_missed=len(detections) - caught,
    )


def _utc(stamp: int) -> datetime:
    return datetime.fromtimestamp(stamp, UTC)


def _fmt_seconds(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"

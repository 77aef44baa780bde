"""Min-instance recommendations: a flat min per region, an hour-of-week schedule, the
original report's "predictive scaling" windows re-computed, and warm instances held by
revisions that take no traffic. Every saving is computed from the range's own data.

The trade-off is a cold-start budget: the share of requests that may newly wait for an
instance to start (`max_cold_start_share`, default 1 in 10,000). The flat min is the
smallest value between the configured floor and today's min whose added cold-start
requests stay within that budget. The schedule spends the same budget across the 168 hours
of the week, keeping instances warm first where they avoid the most waiting requests per
dollar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ioncli.cost.costing import WEEK_SECONDS, Evaluator
from ioncli.cost.pricing import Billing, RateTable, idle_price
from ioncli.cost.service_config import RegionService
from ioncli.cost.usage import RegionSeries

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# The original report's predictive-scaling table (hour ranges, UTC assumed; default min).
REPORT_WINDOWS: dict[str, tuple[tuple[tuple[int, int, int], ...], int]] = {
    "us-central1": (((8, 9, 4), (12, 13, 4), (17, 18, 3)), 2),
    "europe-west1": (((9, 10, 2), (13, 14, 2)), 1),
    "asia-southeast1": (((9, 11, 2),), 1),
}
REPORT_SERVICE = "ion-mentoring"  # the windows are the original report's, for its service only


@dataclass(frozen=True)
class CurvePoint:
    min_instances: int
    monthly_cost: float
    cold_starts_per_week: float


@dataclass(frozen=True)
class MinRecommendation:
    region: str
    current: int
    recommended: int
    monthly_before: float
    monthly_after: float
    dollars_saved_per_month: float
    cold_starts_per_week_before: float
    cold_starts_per_week_after: float
    cold_starts_added_per_week: float
    delayed_requests_added_per_week: float
    added_wait_seconds_per_week: float
    startup_p95_ms: float
    reason: str
    curve: tuple[CurvePoint, ...]


@dataclass(frozen=True)
class Window:
    start: str  # "Mon 08:00" (UTC)
    end: str
    min_instances: int


@dataclass(frozen=True)
class Schedule:
    region: str
    name: str  # "computed" or "original report"
    default_min: int
    windows: tuple[Window, ...]
    monthly_cost: float
    dollars_saved_vs_current: float
    cold_starts_per_week: float
    note: str = ""


@dataclass(frozen=True)
class HeldRevision:
    region: str
    revision: str
    tags: tuple[str, ...]
    warm_instances: int
    monthly_cost: float


@dataclass(frozen=True)
class BillingOption:
    """The same usage and min priced under the other billing setting."""

    region: str
    current: str
    alternative: str
    monthly_current: float
    monthly_alternative: float
    difference: float  # alternative minus current (negative: the alternative is cheaper)


def candidates(series: RegionSeries, config: RegionService, floor: int) -> range:
    peak = math.ceil(float(series.busy.max()) - 1e-9) if series.busy.size else 0
    top = min(config.max_instances, max(config.min_instances, peak, floor) + 1)
    return range(min(floor, top), top + 1)


def recommend_min(
    series: RegionSeries,
    config: RegionService,
    table: RateTable,
    *,
    floor: int,
    share: float,
) -> MinRecommendation:
    current = config.min_instances
    budget = share * series.summary.requests_per_second * WEEK_SECONDS
    ev = Evaluator(series, config, table)
    curve, delayed = [], {}
    for m in candidates(series, config, floor):
        starts, waiting = ev.per_week(m)
        delayed[m] = waiting
        curve.append(CurvePoint(m, ev.monthly(m), starts))
    before_cost = ev.monthly(current)
    before_starts, before_delayed = ev.per_week(current)
    if current < floor:
        pick, reason = floor, f"raised to the configured floor {floor}"
    else:
        within = [m for m in range(floor, current + 1) if delayed[m] - before_delayed <= budget]
        pick = min(within)
        reason = (
            f"smallest min whose added waiting requests (requests that wait for an instance "
            f"to start) stay within {share:.4%} of requests ({budget:,.0f} a week)"
        )
        if pick == floor and floor > 0:
            reason += f"; not below the floor {floor}"
    after_cost = ev.monthly(pick)
    after_starts, after_delayed = ev.per_week(pick)
    return MinRecommendation(
        region=config.region,
        current=current,
        recommended=pick,
        monthly_before=before_cost,
        monthly_after=after_cost,
        dollars_saved_per_month=before_cost - after_cost,
        cold_starts_per_week_before=before_starts,
        cold_starts_per_week_after=after_starts,
        cold_starts_added_per_week=after_starts - before_starts,
        delayed_requests_added_per_week=after_delayed - before_delayed,
        added_wait_seconds_per_week=(after_delayed - before_delayed) * series.startup_ms / 1000,
        startup_p95_ms=series.startup_ms,
        reason=reason,
        curve=tuple(curve),
    )


def hour_of_week(series: RegionSeries) -> np.ndarray:
    times = series.times
    return np.asarray(times.day_of_week * 24 + times.hour, dtype=np.int64)


def computed_schedule(
    series: RegionSeries,
    config: RegionService,
    table: RateTable,
    *,
    floor: int,
    share: float,
) -> Schedule:
    """Spend the weekly cold-start budget hour by hour where warm instances pay off most."""
    how = hour_of_week(series)
    options = [
        m for m in candidates(series, config, floor) if m <= max(config.min_instances, floor)
    ]
    weeks = series.busy.size * series.step_seconds / WEEK_SECONDS or 1.0
    # Per candidate min: waiting requests and dollars in each hour-of-week bucket, per week.
    waiting = np.zeros((len(options), 168))
    dollars = np.zeros((len(options), 168))
    ev = Evaluator(series, config, table)
    for i, m in enumerate(options):
        waiting[i] = np.bincount(how, weights=ev.starts(m).delayed, minlength=168) / weeks
        dollars[i] = np.bincount(how, weights=ev.step_total(m), minlength=168) / weeks
    hours = np.arange(168)
    current = options.index(max(config.min_instances, floor))
    allowed = waiting[current].sum() + share * series.summary.requests_per_second * WEEK_SECONDS
    level = np.zeros(168, dtype=np.int64)
    while waiting[level, hours].sum() > allowed:
        # Best jump in any hour: waiting requests avoided per extra dollar.
        best, best_ratio = None, 0.0
        for k in range(1, len(options)):
            target = np.minimum(level + k, len(options) - 1)
            gain = waiting[level, hours] - waiting[target, hours]
            extra = np.maximum(dollars[target, hours] - dollars[level, hours], 1e-12)
            ratio = np.where(target > level, gain / extra, 0.0)
            h = int(np.argmax(ratio))
            if ratio[h] > best_ratio:
                best, best_ratio = (h, int(target[h])), float(ratio[h])
        if best is None:
            break
        level[best[0]] = best[1]
    per_hour = np.asarray([options[i] for i in level], dtype=np.float64)
    floor_t = per_hour[how]
    cost = ev.monthly(floor_t)
    starts_week, _ = ev.per_week(floor_t)
    default = int(np.bincount(level, minlength=len(options)).argmax())
    return Schedule(
        region=config.region,
        name="computed",
        default_min=options[default],
        windows=_windows(per_hour, options[default]),
        monthly_cost=cost,
        dollars_saved_vs_current=ev.monthly(config.min_instances) - cost,
        cold_starts_per_week=starts_week,
        note="hours in UTC; needs a scheduler (e.g. Cloud Scheduler) to switch the min",
    )


def _label(hour: int) -> str:
    hour %= 168
    return f"{DAYS[hour // 24]} {hour % 24:02d}:00"


def _windows(per_hour: np.ndarray, default: int) -> tuple[Window, ...]:
    out: list[Window] = []
    start = None
    for h in range(169):
        value = int(per_hour[h]) if h < 168 else default
        if start is not None and (h == 168 or value != int(per_hour[start])):
            out.append(Window(_label(start), _label(h), int(per_hour[start])))
            start = None
        if h < 168 and value != default and start is None:
            start = h
    return tuple(out)


def report_schedule(
    series: RegionSeries, config: RegionService, table: RateTable
) -> Schedule | None:
    """The original report's time-of-day windows, priced on this range's data."""
    spec = REPORT_WINDOWS.get(config.region)
    if spec is None:
        return None
    windows, default = spec
    per_hour = np.full(168, float(default))
    for day in range(7):
        for start, end, value in windows:
            per_hour[day * 24 + start : day * 24 + end] = value
    per_hour = np.minimum(per_hour, config.max_instances)
    floor_t = per_hour[hour_of_week(series)]
    ev = Evaluator(series, config, table)
    cost = ev.monthly(floor_t)
    starts_week, _ = ev.per_week(floor_t)
    return Schedule(
        region=config.region,
        name="original report",
        default_min=default,
        windows=tuple(Window(f"daily {s:02d}:00", f"{e:02d}:00", v) for s, e, v in windows),
        monthly_cost=cost,
        dollars_saved_vs_current=ev.monthly(config.min_instances) - cost,
        cold_starts_per_week=starts_week,
        note="the original report's predictive-scaling windows, priced on this range; "
        "hours taken as UTC",
    )


def held_revisions(config: RegionService, table: RateTable) -> tuple[HeldRevision, ...]:
    out = []
    for rev in config.held_elsewhere:
        price = idle_price(table, config.region, config.billing, rev.size).total
        out.append(
            HeldRevision(
                config.region,
                rev.name,
                rev.tags,
                rev.warm,
                price * rev.warm * table.month_seconds,
            )
        )
    return tuple(out)


def billing_option(series: RegionSeries, config: RegionService, table: RateTable) -> BillingOption:
    """What the other billing setting would cost: instance-based bills every instance
    (lingering idle ones too) at a lower rate and no request fee; request-based bills busy
    time, idle min instances at the idle rate, and each request."""

    other = Billing.INSTANCE if config.billing is Billing.REQUEST else Billing.REQUEST
    now = Evaluator(series, config, table).monthly(config.min_instances)
    then = Evaluator(series, replace(config, billing=other), table).monthly(config.min_instances)
    return BillingOption(config.region, config.billing.value, other.value, now, then, then - now)

"""Building the cost report (pure: frame, service configuration and rate table in, report
out), the totals net of the free tier and commitments, and the plan an `--apply` would make.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from ioncli.cost.cloud_run import ApplyResult, Plan, make_plan
from ioncli.cost.costing import Evaluator, StepCosts, monthly, step_costs
from ioncli.cost.model import (
    Breakdown,
    Comparison,
    CostReport,
    Options,
    RegionCost,
    Totals,
    WhatIf,
)
from ioncli.cost.pricing import Billing, RateTable, commitment_discount, describe, free_tier
from ioncli.cost.recommend import (
    REPORT_SERVICE,
    BillingOption,
    HeldRevision,
    MinRecommendation,
    Schedule,
    billing_option,
    computed_schedule,
    held_revisions,
    recommend_min,
    report_schedule,
)
from ioncli.cost.rightsize import Sizing
from ioncli.cost.rightsize import recommend as rightsize
from ioncli.cost.service_config import FleetConfig
from ioncli.cost.usage import METRICS, extract
from ioncli.errors import ConfigError, DataError, UsageError
from ioncli.frame import MetricFrame


def _month_bounds(end: datetime) -> tuple[datetime, datetime]:
    """The calendar month of the range's last instant (the range is half-open, so a range
    ending at midnight on the 1st belongs to the month before): its first instant and the
    next month's."""
    last = end - timedelta(microseconds=1)
    start = last.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    days = calendar.monthrange(start.year, start.month)[1]
    return start, start + timedelta(days=days)


def _calendar(costs: Any, times: Any, step: int, end: datetime) -> tuple[float, float]:
    """Month to date of a per-step cost array (measured where the range covers the month,
    its run rate elsewhere) and the projected calendar month."""
    if costs.size == 0:
        return 0.0, 0.0
    run_rate_per_s = float(costs.mean()) / step
    start, month_end = _month_bounds(end)
    inside = (times >= start) & (times < end)
    covered = float(inside.sum()) * step
    measured = float(costs[inside].sum())
    elapsed = (end - start).total_seconds()
    mtd = measured + max(0.0, elapsed - covered) * run_rate_per_s
    projected = mtd + (month_end - end).total_seconds() * run_rate_per_s
    return mtd, projected


@dataclass(frozen=True)
class Credited:
    """What the free tier can offset, as monthly run rate, month to date and projection."""

    monthly: tuple[float, float, float]  # CPU, memory, requests
    to_date: tuple[float, float, float]
    projected: tuple[float, float, float]


def credited_parts(
    costs: StepCosts, billing: Billing, times: Any, *, step: int, end: datetime,
    month_seconds: float,
) -> Credited:  # fmt: skip
    """The free tier offsets active CPU, memory and requests; under instance-based billing
    all instance time is one SKU, idle or busy, so all of it counts."""
    base = costs.active
    if billing is Billing.INSTANCE:
        base = base + costs.idle + costs.held
    parts = (base * costs.active_cpu_share, base * (1 - costs.active_cpu_share), costs.requests)
    cal = [_calendar(p, times, step, end) for p in parts]
    mon = [monthly(p, step, month_seconds) for p in parts]
    return Credited(
        (mon[0], mon[1], mon[2]),
        (cal[0][0], cal[1][0], cal[2][0]),
        (cal[0][1], cal[1][1], cal[2][1]),
    )


# Below a day the run rate is a few minutes' noise: no month projection, no budget verdict,
# no schedule (a daily cycle has not even been seen once).
MIN_PROJECTION_HOURS = 24.0


def _limited(span_hours: float, start: datetime, end: datetime) -> str:
    if span_hours >= MIN_PROJECTION_HOURS:
        return ""
    have = f"{span_hours * 60:.0f} minutes" if span_hours < 1 else f"{span_hours:.1f} h"
    return (
        f"too little data to project: {have} ({start:%Y-%m-%d %H:%M} .. {end:%Y-%m-%d %H:%M} "
        f"UTC); the month is not projected, the budget is not judged and no min-instance "
        f"schedule is proposed (at least {MIN_PROJECTION_HOURS:.0f} h are needed)"
    )


def build_report(
    frame: MetricFrame,
    fleet: FleetConfig,
    table: RateTable,
    options: Options,
    *,
    now: datetime,
    version: str = "",
) -> CostReport:
    regions = tuple(r.region for r in fleet.regions)
    series, warnings = extract(frame, regions, table.month_seconds)
    end_ts, start_ts = frame.end, frame.start
    if end_ts is None or start_ts is None:
        raise DataError(f"source {frame.source} returned no data")
    end = end_ts.to_pydatetime() + timedelta(seconds=frame.step_seconds)
    start = start_ts.to_pydatetime()
    month_start, _ = _month_bounds(end)
    span_hours = (end - start).total_seconds() / 3600
    limited = _limited(span_hours, start, end)  # said in the report itself, not as a warning
    if not limited and span_hours < 7 * 24:
        warnings.append(
            f"the range is {span_hours:,.1f} h, less than a week: weekly cold starts and the "
            "hour-of-week schedule are extrapolated from the hours it covers"
        )
    for r in regions:
        if not table.knows(r):
            warnings.append(f"{r}: not in the rate table's region tiers; priced as Tier 2")
    costs_out: list[RegionCost] = []
    recs: list[MinRecommendation] = []
    schedules: list[Schedule] = []
    held: list[HeldRevision] = []
    billing: list[BillingOption] = []
    sizing: list[Sizing] = []
    credited: list[Credited] = []
    for config in fleet.regions:
        s = series[config.region]
        floor = options.floor
        if floor > config.max_instances:
            warnings.append(
                f"{config.region}: [cost] min_instance_floor {floor} is above the max instances "
                f"({config.max_instances}); the floor there is {config.max_instances}"
            )
            floor = config.max_instances
        if config.billing is Billing.INSTANCE and s.idle is None and s.summary.coverage > 0:
            warnings.append(
                f"{config.region}: no instances_idle metric; instance-based idle time is "
                "estimated as instances lingering 15 minutes after they were last busy"
            )
        costs = step_costs(s, config, table, config.warm_serving)
        mo = table.month_seconds
        breakdown = Breakdown.of(
            monthly(costs.idle, s.step_seconds, mo),
            monthly(costs.active, s.step_seconds, mo),
            monthly(costs.requests, s.step_seconds, mo),
            monthly(costs.held, s.step_seconds, mo),
        )
        mtd, projected = _calendar(costs.total, s.times, s.step_seconds, end)
        credited.append(
            credited_parts(
                costs, config.billing, s.times, step=s.step_seconds, end=end, month_seconds=mo
            )
        )
        costs_out.append(
            RegionCost(
                region=config.region,
                tier=table.tier(config.region),
                billing=config.billing.value,
                cpu=config.size.cpu,
                memory_gib=config.size.memory_gib,
                concurrency=config.concurrency,
                min_instances=config.min_instances,
                max_instances=config.max_instances,
                warm_instances=config.warm_serving,
                monthly=breakdown,
                monthly_net=breakdown.total,
                month_to_date=mtd,
                projected_month=projected,
                usage=s.summary,
            )
        )
        share = options.max_cold_start_share
        recs.append(recommend_min(s, config, table, floor=floor, share=share))
        if not limited:  # an hour-of-week schedule from minutes of data would be invented
            schedules.append(computed_schedule(s, config, table, floor=floor, share=share))
            theirs = report_schedule(s, config, table) if fleet.service == REPORT_SERVICE else None
            if theirs is not None:
                schedules.append(theirs)
        held_here = held_revisions(config, table)
        held.extend(held_here)
        sizing.extend(rightsize(s, config, table, held_here))
        billing.append(billing_option(s, config, table))
    totals = _totals(
        costs_out, table, options, fleet, credited=credited, month_start=month_start, end=end
    )
    totals = replace(totals, over_budget=False, budget_used=None) if limited else totals
    if totals.monthly_on_demand > 0:
        share_kept = totals.monthly_net / totals.monthly_on_demand
        costs_out = [replace(r, monthly_net=r.monthly.total * share_kept) for r in costs_out]
    return CostReport(
        service=fleet.service,
        generated_at=now,
        source=frame.source,
        simulated=frame.simulated,
        window_start=start,
        window_end=end,
        step_seconds=frame.step_seconds,
        month=month_start.strftime("%Y-%m"),
        configuration=fleet.origin,
        offline=fleet.offline,
        pricing=describe(table),
        assumptions=_assumptions(table, options),
        regions=tuple(costs_out),
        totals=totals,
        recommendations=tuple(recs),
        schedules=tuple(schedules),
        held_revisions=tuple(held),
        billing_options=tuple(billing),
        rightsizing=tuple(sorted(sizing, key=lambda r: r.monthly_change)),
        max_cold_start_share=options.max_cold_start_share,
        warnings=tuple(warnings) + tuple(frame.warnings),
        version=version,
        limited=limited,
    )


def _credit(table: RateTable, options: Options, usage: list[tuple[float, float, float]]) -> float:
    """The free tier used by this usage: each allowance up to what it can offset."""
    if not options.free_tier:
        return 0.0
    ft = free_tier(table)
    cpu, mem, req = (sum(u[i] for u in usage) for i in range(3))
    return min(ft.cpu, cpu) + min(ft.memory, mem) + min(ft.requests, req)


def net_of(
    regions: list[tuple[float, Billing]],
    credited: list[tuple[float, float, float]],
    table: RateTable,
    options: Options,
) -> tuple[float, float, float, float]:
    """(on demand, free-tier credit, commitment discount, net) of monthly region costs.

    The free tier comes off first; a commitment then discounts each region's share of what
    is left at its billing mode's rate (assumed to cover all of it, as the report says)."""
    on_demand = sum(cost for cost, _ in regions)
    credit = _credit(table, options, credited)
    after_free = on_demand - credit
    discount = 0.0
    if options.commitment != "none" and on_demand > 0:
        for cost, billing in regions:
            rate = commitment_discount(table, billing, options.commitment)
            discount += rate * cost * (after_free / on_demand)
    return on_demand, credit, discount, after_free - discount


def _totals(
    regions: list[RegionCost],
    table: RateTable,
    options: Options,
    fleet: FleetConfig,
    *,
    credited: list[Credited],
    month_start: datetime,
    end: datetime,
) -> Totals:
    on_demand, credit, discount, net = net_of(
        [(r.monthly.total, c.billing) for r, c in zip(regions, fleet.regions, strict=True)],
        [c.monthly for c in credited],
        table,
        options,
    )
    after_free = on_demand - credit
    kept = 1.0 - (discount / after_free if after_free > 0 else 0.0)
    # The free tier is used up first in a month: month to date it offsets what was credited
    # so far (never idle min-instance charges), and the projection what the calendar month
    # (not a 730-hour one) credits.
    credit_mtd = _credit(table, options, [c.to_date for c in credited])
    credit_month = _credit(table, options, [c.projected for c in credited])
    mtd = max(0.0, sum(r.month_to_date for r in regions) - credit_mtd) * kept
    projected = max(0.0, sum(r.projected_month for r in regions) - credit_month) * kept
    budget = options.budget
    return Totals(
        monthly_on_demand=on_demand,
        free_tier_credit=credit,
        commitment=options.commitment,
        commitment_discount=discount,
        monthly_net=net,
        month_to_date=mtd,
        projected_month=projected,
        budget=budget,
        budget_used=(projected / budget) if budget else None,
        over_budget=budget is not None and projected > budget,
    )


def _assumptions(table: RateTable, options: Options) -> tuple[str, ...]:
    out = [
        f"a month is {table.month_hours:g} hours; monthly figures are the range's run rate",
        "idle min instances = max(0, warm floor - busy instances) per step (request-based); "
        "instance-based bills every instance, idle or busy",
        "per-instance rounding up to 100 ms is not modelled (metrics are per step)",
        "cold starts: an instance starts when busy instances exceed the floor and what ran "
        "in the last 15 minutes",
    ]
    if options.free_tier:
        out.append(
            "the free tier is applied once (per billing account) to active CPU, memory and "
            "requests (instance-based: all instance time); set free_tier = false when other "
            "services use it"
        )
    else:
        out.append("no free tier applied (free_tier = false)")
    out.append(
        "no committed-use discount"
        if options.commitment == "none"
        else f"committed-use discount for {options.commitment} applied to all of this "
        "service's spend after the free tier (a commitment covering it entirely; spend above "
        "a real commitment is billed on demand)"
    )
    flagged = [r.key for r in table.rates.values() if r.flagged]
    if flagged:
        out.append(f"unconfirmed rates in the table: {', '.join(flagged)}")
    return tuple(out)


def estimator(
    frame: MetricFrame, fleet: FleetConfig, table: RateTable
) -> Callable[[str, int], tuple[float, float]]:
    """(dollar change per month, cold starts added per week) of a new min in a region."""

    regions = tuple(c.region for c in fleet.regions)
    series, _ = extract(frame, regions, table.month_seconds)
    evaluators = {r: Evaluator(series[r], fleet.region(r), table) for r in regions}

    def estimate(region: str, new: int) -> tuple[float, float]:
        ev, now = evaluators[region], fleet.region(region).min_instances
        return ev.monthly(new) - ev.monthly(now), ev.per_week(new)[0] - ev.per_week(now)[0]

    return estimate


def plan_apply(
    report: CostReport,
    frame: MetricFrame,
    fleet: FleetConfig,
    table: RateTable,
    options: Options,
    *,
    targets: Mapping[str, int],
    force: bool,
) -> Plan:
    """The min instances `--apply` would set, each priced and checked against the service's
    limits and the floor."""
    if fleet.offline:
        raise UsageError(
            "--apply changes Cloud Run: it needs the live configuration, not a file",
            hint="set `project` (and credentials) or ION_RUN_EMULATOR_HOST; drop --service-config",
        )
    # --set names exactly the regions to change; without it, every recommendation.
    wanted = targets or {r.region: r.recommended for r in report.recommendations}
    estimate = estimator(frame, fleet, table)
    return make_plan(fleet, wanted, floor=options.floor, force=force, estimate=estimate)


def priced_regions(
    asked: Sequence[str],
    configured: Sequence[str],
    table: RateTable,
    *,
    live: bool,
    configured_where: str,
) -> tuple[str, ...]:
    """The regions to price: `--region` (deduplicated) or the configured ones, each known to
    the rate table. With a live Cloud Run (`live`) any name passes: Cloud Run itself says
    whether a region exists."""
    regions = tuple(dict.fromkeys(asked)) if asked else tuple(configured)
    for r in regions:
        if table.knows(r) or live:
            continue
        where = "--region" if asked else configured_where
        message = f"{where}: unknown Cloud Run region {r!r} (not in the rate table's tiers)"
        if asked:
            raise UsageError(message)
        raise ConfigError(message, hint="point [cost] rates_file at a table that lists it")
    return regions


def with_extras(
    report: CostReport,
    *,
    comparison: Comparison | None = None,
    plan: Plan | None = None,
    applied: ApplyResult | None = None,
    warnings: list[str] | tuple[str, ...] = (),
    what_if: WhatIf | None = None,
) -> CostReport:
    notes = report.notes
    if applied is not None and any(s.outcome.value == "applied" for s in applied.steps):
        notes = (
            *notes,
            "costs and recommendations above describe the configuration read before this "
            "apply; rerun to see the new one",
        )
    return replace(
        report,
        comparison=comparison,
        plan=plan,
        applied=applied,
        what_if=what_if,
        warnings=(*warnings, *report.warnings),
        notes=notes,
    )


__all__ = [
    "METRICS",
    "build_report",
    "estimator",
    "net_of",
    "plan_apply",
    "priced_regions",
    "with_extras",
]

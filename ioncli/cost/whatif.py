"""What-if pricing: the same measured traffic under a changed configuration, side by side
with today's, per region and in total (what infracost does for a change before it is made).

Changes are `KEY=VALUE` (every region) or `KEY@REGION=VALUE` (one region), with the keys in
`KEYS`. Price and min/max changes need no model. Concurrency, CPU size and traffic volume
change how many instances are busy, through the queueing model of `projection`. The model
ignores: the autoscaler's target utilisation (it scales out before instances are full),
latency changing with CPU size or load (the latency is kept), requests refused or queued
above max instances (capped, not priced), and start-up time of the extra instances (cold
starts are counted by the same model as the report's).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from ioncli.cost.analysis import net_of
from ioncli.cost.costing import Evaluator, monthly, step_costs
from ioncli.cost.limits import service_problem, size_problem
from ioncli.cost.model import Options, RegionWhatIf, Scenario, WhatIf
from ioncli.cost.pricing import Billing, RateTable, Size
from ioncli.cost.projection import project
from ioncli.cost.service_config import FleetConfig, RegionService, parse_cpu, parse_memory
from ioncli.cost.usage import RegionSeries, extract
from ioncli.errors import ConfigError, UsageError
from ioncli.frame import MetricFrame

KEYS = ("cpu", "memory", "min", "max", "concurrency", "billing", "region", "requests-scale")
MAX_SCALE = 1000.0  # a traffic multiplier beyond this is a typo, not a plan
MAX_INSTANCES_LIMIT = 1000
MODEL = (
    "busy instances per step = max(1 - exp(-L), L / concurrency, CPU work / vCPU), "
    "L = arrivals x median latency (Little's law), capped by max instances; scaled from "
    "today's measured busy time by the model's ratio, so an unchanged configuration prices "
    "to today's figure"
)
IGNORES = (
    "the autoscaler's target utilisation (it adds instances before they are full)",
    "latency changing with CPU size or load (today's latency is kept)",
    "requests refused or queued above max instances (busy time is capped, not priced)",
)


@dataclass(frozen=True)
class Change:
    key: str
    value: str
    region: str | None = None  # None: every region

    @property
    def text(self) -> str:
        at = f"@{self.region}" if self.region else ""
        return f"{self.key}{at}={self.value}"


def parse_changes(items: Iterable[str]) -> tuple[Change, ...]:
    """`--what-if` values, checked for shape and value (one UsageError line each)."""
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        key, _, region = key.strip().partition("@")
        key, value, region = key.strip().lower(), value.strip(), region.strip()
        if not sep or not key or not value:
            raise UsageError(f"--what-if {item!r}: expected KEY=VALUE, like cpu=2 or min=1")
        if key not in KEYS:
            raise UsageError(f"--what-if {item!r}: unknown key {key!r} (known: {', '.join(KEYS)})")
        if key == "region" and region:
            raise UsageError(f"--what-if {item!r}: region=A,B names the regions; no @REGION")
        change = Change(key, value, region or None)
        _check_value(change, item)
        out.append(change)
    _check_pairs(out)
    return tuple(out)


def _check_pairs(changes: list[Change]) -> None:
    """A CPU and memory given together are checked before any data is read (a pair that
    needs today's configuration is checked once it is known)."""

    for scope in dict.fromkeys(c.region for c in changes):
        picked = {c.key: c for c in changes if c.region == scope}
        if "cpu" in picked and "memory" in picked:
            cpu = parse_cpu(picked["cpu"].value, "--what-if")
            mem = parse_memory(picked["memory"].value, "--what-if")
            problem = size_problem(cpu, mem)
            if problem:
                said = f"{picked['cpu'].text}, {picked['memory'].text}"
                raise UsageError(f"--what-if {said}: Cloud Run does not allow {problem}")


def _check_value(change: Change, item: str) -> None:
    key, value = change.key, change.value
    where = f"--what-if {item}"
    try:
        if key == "cpu":
            parse_cpu(value, where)
        elif key == "memory":
            parse_memory(value, where)
        elif key in ("min", "max", "concurrency"):
            number = int(value)
            if number < 0 or (key != "min" and number == 0):
                raise ValueError
            if key == "max" and number > MAX_INSTANCES_LIMIT:
                raise UsageError(f"{where}: max instances above {MAX_INSTANCES_LIMIT} is absurd")
        elif key == "billing":
            _billing(value, where)
        elif key == "requests-scale":
            scale = float(value)
            if not math.isfinite(scale) or not 0 <= scale <= MAX_SCALE:
                raise UsageError(
                    f"{where}: requests-scale must be a finite factor from 0 to {MAX_SCALE:g}"
                )
        elif key == "region" and not [r for r in value.split(",") if r.strip()]:
            raise ValueError
    except ValueError:
        kinds = {
            "min": "a whole number >= 0",
            "max": "a whole number >= 1",
            "concurrency": "a whole number >= 1",
            "requests-scale": "a number, like 1.5",
            "region": "a comma-separated list of regions",
        }
        raise UsageError(f"{where}: expected {kinds.get(key, 'a value')}") from None
    except ConfigError as exc:
        raise UsageError(exc.message) from None


def _billing(value: str, where: str) -> Billing:
    text = value.strip().lower()
    aliases = {"request": "request-based", "instance": "instance-based"}
    try:
        return Billing(aliases.get(text, text))
    except ValueError:
        raise UsageError(
            f"{where}: billing must be request-based or instance-based, found {value!r}"
        ) from None


def changed_fleet(fleet: FleetConfig, changes: tuple[Change, ...]) -> FleetConfig:
    """The fleet after the changes (regions added copy the first region's new settings)."""
    known = {r.region for r in fleet.regions}
    for c in changes:
        if c.region and c.region not in known:
            raise UsageError(
                f"--what-if {c.text}: {c.region} is not one of the regions "
                f"({', '.join(sorted(known))})"
            )
    regions = []
    for config in fleet.regions:
        regions.append(_apply(config, [c for c in changes if c.region in (None, config.region)]))
    wanted = [c for c in changes if c.key == "region"]
    if wanted:
        names = [r.strip() for r in wanted[-1].value.split(",") if r.strip()]
        by_name = {r.region: r for r in regions}
        regions = [
            by_name.get(n) or replace(regions[0], region=n, resource="", revisions=(), etag="")
            for n in dict.fromkeys(names)
        ]
    return replace(fleet, regions=tuple(regions), origin=f"{fleet.origin}, changed")


def _apply(config: RegionService, changes: list[Change]) -> RegionService:
    size, billing = config.size, config.billing
    lo, hi, conc = config.min_instances, config.max_instances, config.concurrency
    for c in changes:
        where = f"--what-if {c.text}"
        if c.key == "cpu":
            size = Size(parse_cpu(c.value, where), size.memory_gib)
        elif c.key == "memory":
            size = Size(size.cpu, parse_memory(c.value, where))
        elif c.key == "min":
            lo = int(c.value)
        elif c.key == "max":
            hi = int(c.value)
        elif c.key == "concurrency":
            conc = int(c.value)
        elif c.key == "billing":
            billing = _billing(c.value, where)
    said = ", ".join(c.text for c in changes if c.key != "requests-scale") or "today's settings"
    if lo > hi:
        raise UsageError(f"--what-if {said}: min instances {lo} above max {hi} in {config.region}")
    problem = service_problem(size.cpu, size.memory_gib, conc, billing.value)
    if problem:
        raise UsageError(
            f"--what-if {said}: Cloud Run does not allow {problem} (in {config.region})"
        )
    # Revisions keep their own sizes; the service-level min is spread over them as today.
    return replace(
        config, size=size, billing=billing, min_instances=lo, max_instances=hi, concurrency=conc
    )


def _scale(changes: tuple[Change, ...], region: str) -> float:
    scale = 1.0
    for c in changes:
        if c.key == "requests-scale" and c.region in (None, region):
            scale *= float(c.value)
    return scale


def _scenario(series: RegionSeries, config: RegionService, table: RateTable,
              ev: Evaluator) -> Scenario:  # fmt: skip
    return Scenario(
        billing=config.billing.value,
        cpu=config.size.cpu,
        memory_gib=config.size.memory_gib,
        concurrency=config.concurrency,
        min_instances=config.min_instances,
        max_instances=config.max_instances,
        busy_instances_mean=series.summary.busy_instances_mean,
        requests_per_second=series.summary.requests_per_second,
        monthly=ev.monthly(config.min_instances),
        cold_starts_per_week=ev.per_week(config.min_instances)[0],
    )


def what_if(
    series: Mapping[str, RegionSeries],
    fleet: FleetConfig,
    changes: tuple[Change, ...],
    table: RateTable,
    options: Options,
    *,
    traffic: str = "measured",
) -> WhatIf:
    """Price the fleet today and after the changes on the same traffic."""
    new_fleet = changed_fleet(fleet, changes)
    today_by = {c.region: c for c in fleet.regions}
    new_by = {c.region: c for c in new_fleet.regions}
    moved = _moved_traffic(series, today_by, new_by)
    rows: list[RegionWhatIf] = []
    risks: list[str] = []
    today_parts: list[tuple[float, Billing]] = []
    new_parts: list[tuple[float, Billing]] = []
    today_credit: list[tuple[float, float, float]] = []
    new_credit: list[tuple[float, float, float]] = []
    for region in dict.fromkeys([*today_by, *new_by]):
        before = after = None
        if region in today_by:
            s, config = series[region], today_by[region]
            ev = Evaluator(s, config, table)
            before = _scenario(s, config, table, ev)
            today_parts.append((before.monthly, config.billing))
            today_credit.append(_credit_parts(s, config, table))
        if region in new_by:
            config = new_by[region]
            base = series.get(region)
            reference = today_by.get(region, fleet.regions[0])
            if base is None:
                base = _empty_like(next(iter(series.values())), region)
            scale = _scale(changes, region) * moved.get(region, 1.0)
            s, capped = project(base, reference, config, scale)
            if capped > 0:
                risks.append(
                    f"{region}: max {config.max_instances} instances caps the modelled busy "
                    f"instances in {capped:.1%} of steps; requests beyond it would queue or be "
                    "refused (not priced)"
                )
            risks.extend(_size_risks(base, reference, config))
            ev = Evaluator(s, config, table)
            after = _scenario(s, config, table, ev)
            new_parts.append((after.monthly, config.billing))
            new_credit.append(_credit_parts(s, config, table))
        rows.append(
            RegionWhatIf(
                region,
                before,
                after,
                (after.monthly if after else 0.0) - (before.monthly if before else 0.0),
            )
        )
    t_od, _, _, t_net = net_of(today_parts, today_credit, table, options)
    n_od, _, _, n_net = net_of(new_parts, new_credit, table, options)
    removed = [r for r in today_by if r not in new_by and series[r].requests.sum() > 0]
    if removed and not moved:
        risks.append(
            f"the traffic of {', '.join(removed)} has no measured region left to go to: the "
            "new regions are priced without it"
        )
    for region in new_by:
        if region not in today_by and not table.knows(region):
            risks.append(f"{region}: not in the rate table's region tiers; priced as Tier 2")
    for region, share in moved.items():
        if share != 1.0:
            risks.append(
                f"{region}: takes the traffic of the regions the change removes "
                f"(x{share:.2f} its own)"
            )
    return WhatIf(
        changes=tuple(c.text for c in changes),
        regions=tuple(rows),
        today_on_demand=t_od,
        what_if_on_demand=n_od,
        today_net=t_net,
        what_if_net=n_net,
        difference_on_demand=n_od - t_od,
        difference_net=n_net - t_net,
        model=MODEL,
        ignores=IGNORES,
        risks=tuple(risks),
        traffic=traffic,
    )


def what_if_of(
    frame: MetricFrame,
    fleet: FleetConfig,
    changes: tuple[Change, ...],
    table: RateTable,
    options: Options,
    *,
    traffic: str = "measured",
) -> WhatIf:
    """`what_if` on a source's frame: each configured region's series, then both sides."""
    series, _ = extract(frame, tuple(c.region for c in fleet.regions), table.month_seconds)
    return what_if(series, fleet, changes, table, options, traffic=traffic)


def _credit_parts(
    series: RegionSeries, config: RegionService, table: RateTable
) -> tuple[float, float, float]:
    """The monthly amounts the free tier can offset, as the report counts them."""
    costs = step_costs(series, config, table, config.warm_serving)
    base = costs.active
    if config.billing is Billing.INSTANCE:
        base = base + costs.idle + costs.held
    step, month = series.step_seconds, table.month_seconds
    share = costs.active_cpu_share
    return (
        monthly(base * share, step, month),
        monthly(base * (1 - share), step, month),
        monthly(costs.requests, step, month),
    )


def _moved_traffic(
    series: Mapping[str, RegionSeries],
    today: Mapping[str, RegionService],
    new: Mapping[str, RegionService],
) -> dict[str, float]:
    """Traffic multipliers when the change removes regions: their requests go to the
    remaining measured regions in proportion to their own (evenly if none has any)."""
    removed = [r for r in today if r not in new]
    if not removed:
        return {}
    volume = {r: float(series[r].requests.sum()) for r in today}
    lost = sum(volume[r] for r in removed)
    kept = {r: volume[r] for r in new if r in volume and volume[r] > 0}
    if lost <= 0 or not kept:
        return {}
    total = sum(kept.values())
    return {r: 1.0 + lost * (v / total) / v for r, v in kept.items()}


def _empty_like(series: RegionSeries, region: str) -> RegionSeries:
    zeros = np.zeros_like(series.busy)
    summary = replace(
        series.summary,
        busy_instances_mean=0.0,
        busy_instances_peak=0.0,
        idle_instances_mean=None,
        requests_per_second=0.0,
        requests_per_month=0.0,
    )
    return replace(
        series, region=region, busy=zeros, idle=None, requests=zeros.copy(), summary=summary,
        latency_ms=None, cpu_util=None, memory_util=None, concurrency=None,
    )  # fmt: skip


def _size_risks(series: RegionSeries, today: RegionService, new: RegionService) -> list[str]:
    out = []
    if new.size.memory_gib < today.size.memory_gib and series.memory_util is not None:
        p99 = float(np.nanpercentile(series.memory_util, 99)) * today.size.memory_gib
        if p99 > 0.9 * new.size.memory_gib:
            out.append(
                f"{new.region}: memory p99 {p99:.2f} GiB would be "
                f"{p99 / new.size.memory_gib:.0%} of {new.size.memory_gib:g} GiB: "
                "out-of-memory restarts likely"
            )
    if new.size.cpu < today.size.cpu and series.cpu_util is not None:
        p95 = float(np.nanpercentile(series.cpu_util, 95)) * today.size.cpu / new.size.cpu
        if p95 > 0.8:
            out.append(
                f"{new.region}: CPU p95 would be {p95:.0%} of {new.size.cpu:g} vCPU: throttling "
                "and slower requests likely (latency is kept in the model)"
            )
    return out

"""Right-sizing, the way krr does it for Kubernetes but priced: each recommendation carries
the evidence it used (percentiles, window), what it saves or costs a month (priced by the
what-if model on the same traffic) and its risk, plus the command that makes the change.

Rules (each a reason, not a fitted constant):

- **CPU**: the vCPU the busiest instances use at p95 (CPU utilisation is already the p95
  across instances per step) with 30% headroom, rounded up to a size Cloud Run allows. Cloud
  Run adds instances near 60% CPU and requests slow past ~80%, so p95 / 1.3 leaves room.
- **Memory**: p99 of memory used with 15% headroom (krr's buffer), never below the largest
  value seen, rounded up to a memory step that fits the CPU (Cloud Run's pairs). Memory is not
  elastic: going over the limit kills the instance, hence the higher percentile.
- **Concurrency**: when instances reach their concurrency limit (p99 of the per-instance
  in-flight peak, or without that metric arrivals x latency per busy instance, at 80% or
  more of the setting) with CPU to spare (p95 under 50%), the limit
  forces extra instances: raise it by the CPU headroom (to 70% CPU), at most double. When
  CPU is saturated (p95 over 85%) at the limit, lower it by the same ratio (it costs money and
  buys latency). Below 80% of the setting the limit does not bind and nothing is proposed.
- **Billing**: the other billing setting priced on the same usage; proposed when it saves at
  least $1 and 5% a month.
- **Idle regions**: a region with min instances and no requests in the whole window: min 0.
- **Idle revisions**: a revision without traffic that keeps instances warm: remove its tag
  or its revision-level min.

Startup CPU boost is not recommended: ion cannot read whether it is on from metrics, and its
price (the boosted CPU during start-up) is not in the metrics either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ioncli.cost.costing import Evaluator
from ioncli.cost.limits import WHOLE_CPUS, service_problem, smallest_memory
from ioncli.cost.pricing import Billing, RateTable, Size
from ioncli.cost.projection import project
from ioncli.cost.recommend import HeldRevision
from ioncli.cost.service_config import RegionService
from ioncli.cost.usage import RegionSeries

CPU_HEADROOM = 1.3
MEMORY_HEADROOM = 1.15
CPU_TARGET = 0.7  # CPU utilisation a concurrency change aims at
BINDING_SHARE = 0.8  # in-flight peak / concurrency at which the limit binds
CPU_SPARE, CPU_SATURATED = 0.5, 0.85
MIN_SAVING, MIN_SAVING_SHARE = 1.0, 0.05
MIN_POINTS = 60  # fewer utilisation points than this is no evidence


@dataclass(frozen=True)
class Sizing:
    kind: str  # "cpu and memory", "concurrency", "billing", "idle region", "idle revision"
    region: str
    current: str
    proposed: str
    monthly_change: float  # proposed minus current (negative saves money)
    evidence: str
    risk: str
    command: str  # how to make the change (ion --apply sets min instances only)


def _window(series: RegionSeries) -> str:
    days = series.busy.size * series.step_seconds / 86400
    return f"{days:,.1f} days at {series.step_seconds} s ({series.busy.size:,} steps)"


def _monthly(series: RegionSeries, config: RegionService, table: RateTable) -> float:
    return Evaluator(series, config, table).monthly(config.min_instances)


def _priced(series: RegionSeries, today: RegionService, new: RegionService,
            table: RateTable) -> float:  # fmt: skip
    """What `new` costs a month on today's traffic (the what-if model)."""
    projected, _ = project(series, today, new, 1.0)
    return Evaluator(projected, new, table).monthly(new.min_instances)


def _gcloud(config: RegionService, *flags: str) -> str:
    return " ".join(
        ["gcloud", "run", "services", "update", config.service, "--region", config.region, *flags]
    )


def _active(values: np.ndarray | None, busy: np.ndarray) -> np.ndarray | None:
    """Utilisation only where instances were busy (idle steps say nothing about size)."""
    if values is None:
        return None
    kept = values[(busy > 0) & np.isfinite(values)]
    return kept if kept.size >= MIN_POINTS else None


def size(
    series: RegionSeries, config: RegionService, table: RateTable, today: float
) -> Sizing | None:
    cpu_util = _active(series.cpu_util, series.busy)
    mem_util = _active(series.memory_util, series.busy)
    if cpu_util is None or mem_util is None:
        return None
    cpu_p95, cpu_p99 = (float(np.percentile(cpu_util, q)) for q in (95, 99))
    mem_p99, mem_max = float(np.percentile(mem_util, 99)), float(mem_util.max())
    cpu_used = cpu_p95 * config.size.cpu
    mem_used = mem_p99 * config.size.memory_gib
    cpu_needed = cpu_used * CPU_HEADROOM
    mem_needed = max(mem_used * MEMORY_HEADROOM, mem_max * config.size.memory_gib)
    choice = _pair(cpu_needed, mem_needed, config)
    if choice is None or choice == (config.size.cpu, config.size.memory_gib):
        return None
    cpu, mem = choice
    new = replace(config, size=Size(cpu, mem))
    change = _priced(series, config, new, table) - today
    risks = []
    if cpu < config.size.cpu:
        risks.append(
            f"CPU p99 would be {cpu_p99 * config.size.cpu / cpu:.0%} of {cpu:g} vCPU "
            "(throttling at peaks; more instances when busy)"
        )
    if mem < config.size.memory_gib:
        margin = 1 - mem_max * config.size.memory_gib / mem
        risks.append(f"out-of-memory margin {margin:.0%} over the largest use seen")
    if not risks:
        risks.append("larger than today: costs more, removes a bottleneck")
    return Sizing(
        kind="cpu and memory",
        region=config.region,
        current=f"{config.size.cpu:g} vCPU / {config.size.memory_gib:g} GiB",
        proposed=f"{cpu:g} vCPU / {mem:g} GiB",
        monthly_change=change,
        evidence=(
            f"CPU p95 {cpu_p95:.0%} (p99 {cpu_p99:.0%}) of {config.size.cpu:g} vCPU = "
            f"{cpu_used:.2f} vCPU, +30% headroom; memory p99 {mem_p99:.0%} of "
            f"{config.size.memory_gib:g} GiB = {mem_used:.2f} GiB (max "
            f"{mem_max * config.size.memory_gib:.2f}), +15%; busy steps of {_window(series)}"
        ),
        risk="; ".join(risks),
        command=_gcloud(config, f"--cpu={cpu:g}", f"--memory={_mem_flag(mem)}"),
    )


def _mem_flag(gib: float) -> str:
    return f"{gib * 1024:g}Mi" if gib < 1 else f"{gib:g}Gi"


def _pair(
    cpu_needed: float, mem_needed: float, config: RegionService
) -> tuple[float, float] | None:
    """The smallest CPU, then memory, that Cloud Run allows with today's concurrency and
    billing and that covers what is needed."""
    for cpu in WHOLE_CPUS:
        if cpu < cpu_needed - 1e-9:
            continue
        mem = smallest_memory(cpu, mem_needed)
        if mem is None:
            continue
        if service_problem(cpu, mem, config.concurrency, config.billing.value) is None:
            return cpu, mem
    return None


def _in_flight_per_instance(series: RegionSeries) -> tuple[np.ndarray | None, str]:
    """Per-instance in-flight requests: the measured per-instance peak when there is one,
    else arrivals x median latency over busy instances (Little's law, an average, so it
    understates peaks)."""
    if series.concurrency is not None:
        return series.concurrency, "per-instance in-flight peak"
    if series.latency_ms is None:
        return None, ""
    with np.errstate(divide="ignore", invalid="ignore"):
        flight = series.requests * series.latency_ms / 1000.0 / series.busy
    return np.where(series.busy > 0, flight, np.nan), "in flight per busy instance (Little's law)"


def concurrency(
    series: RegionSeries, config: RegionService, table: RateTable, today: float
) -> Sizing | None:
    measured, how = _in_flight_per_instance(series)
    peaks = _active(measured, series.busy)
    cpu_util = _active(series.cpu_util, series.busy)
    if peaks is None or cpu_util is None:
        return None
    peak, cpu_p95 = float(np.percentile(peaks, 99)), float(np.percentile(cpu_util, 95))
    setting = config.concurrency
    if peak < BINDING_SHARE * setting or cpu_p95 <= 0:
        return None
    if cpu_p95 < CPU_SPARE:
        proposed = min(1000, math.floor(setting * min(2.0, CPU_TARGET / cpu_p95)))
        risk = "more requests share an instance: latency may rise if requests are CPU-heavy"
    elif cpu_p95 > CPU_SATURATED:
        proposed = max(1, math.floor(setting * CPU_TARGET / cpu_p95))
        risk = "costs more: more instances at the same traffic, in return for less throttling"
    else:
        return None
    if proposed == setting or (config.size.cpu < 1 and proposed != 1):
        return None
    new = replace(config, concurrency=proposed)
    change = _priced(series, config, new, table) - today
    return Sizing(
        kind="concurrency",
        region=config.region,
        current=str(setting),
        proposed=str(proposed),
        monthly_change=change,
        evidence=(
            f"{how} p99 {peak:.0f} of {setting} allowed; CPU p95 "
            f"{cpu_p95:.0%}; busy steps of {_window(series)}"
        ),
        risk=risk,
        command=_gcloud(config, f"--concurrency={proposed}"),
    )


def billing(
    series: RegionSeries, config: RegionService, table: RateTable, today: float
) -> Sizing | None:
    other = Billing.INSTANCE if config.billing is Billing.REQUEST else Billing.REQUEST
    if config.size.cpu < 1 and other is Billing.INSTANCE:
        return None  # Cloud Run allows instance-based billing from 1 vCPU
    now = today
    then = Evaluator(series, replace(config, billing=other), table).monthly(config.min_instances)
    if not (now - then >= MIN_SAVING and now - then >= MIN_SAVING_SHARE * now):
        return None
    busy = float(series.busy.mean()) if series.busy.size else 0.0
    risk = (
        "instance-based bills idle instances too: a drop in traffic no longer lowers the bill "
        "as fast; CPU stays on between requests"
        if other is Billing.INSTANCE
        else "CPU is throttled outside requests: background work after a response stops"
    )
    flag = "--no-cpu-throttling" if other is Billing.INSTANCE else "--cpu-throttling"
    return Sizing(
        kind="billing",
        region=config.region,
        current=config.billing.value,
        proposed=other.value,
        monthly_change=then - now,
        evidence=(
            f"{busy:.2f} busy instances on average, min {config.min_instances}, "
            f"{series.summary.requests_per_second:,.2f} req/s; {_window(series)}"
        ),
        risk=risk,
        command=_gcloud(config, flag),
    )


def idle_region(
    series: RegionSeries, config: RegionService, table: RateTable, today: float
) -> Sizing | None:
    if config.min_instances == 0 or float(series.requests.sum()) > 0:
        return None
    new = replace(config, min_instances=0)
    change = Evaluator(series, config, table).monthly(0) - today
    if change > -0.005:
        return None
    return Sizing(
        kind="idle region",
        region=config.region,
        current=f"min {config.min_instances}",
        proposed="min 0 (or remove the region)",
        monthly_change=change,
        evidence=f"no requests in {_window(series)}",
        risk="the first request after a quiet spell waits for an instance to start",
        command=_gcloud(new, "--min=0"),
    )


def idle_revision(held: HeldRevision, service: str) -> Sizing:
    tags = ", ".join(held.tags)
    command = (
        f"gcloud run services update-traffic {service} --region {held.region} "
        f"--remove-tags {','.join(held.tags)}"
        if held.tags
        else f"gcloud run services update-traffic {service} --region {held.region} "
        f"--to-revisions {held.revision}=0 (then remove it from the traffic block)"
    )
    return Sizing(
        kind="idle revision",
        region=held.region,
        current=f"{held.revision} keeps {held.warm_instances} warm"
        + (f" (tag {tags})" if tags else ""),
        proposed="no warm instances: remove the tag or the revision's own min",
        monthly_change=-held.monthly_cost,
        evidence=(
            "takes no traffic; referenced by the traffic block or a tag, with a revision-level min"
        ),
        risk="the tag's URL cold-starts on its next request",
        command=command,
    )


def recommend(
    series: RegionSeries,
    config: RegionService,
    table: RateTable,
    held: tuple[HeldRevision, ...] = (),
) -> tuple[Sizing, ...]:
    """Every right-sizing recommendation for one region, biggest saving first."""
    today = _monthly(series, config, table)
    found = [
        r
        for r in (
            idle_region(series, config, table, today),
            size(series, config, table, today),
            concurrency(series, config, table, today),
            billing(series, config, table, today),
        )
        if r is not None
    ]
    found.extend(idle_revision(h, config.service) for h in held if h.region == config.region)
    return tuple(sorted(found, key=lambda r: r.monthly_change))

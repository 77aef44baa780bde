"""The traffic of a region under another configuration: the queueing model what-if pricing,
right-sizing and `--traffic` share. Per step t:

    in flight   L_t = arrivals_t x latency_t                 (Little's law)
    busy        B_t = max(1 - exp(-L_t), L_t / concurrency, cpu work_t / vCPU per instance)
                      capped by max instances

`1 - exp(-L)` is the share of time at least one request is in flight when arrivals are
random (an instance is billable then, whatever its concurrency); `L / concurrency` is full
instances; CPU work is today's busy instances x vCPU x CPU utilisation (so a smaller size
needs more instances). The measured busy time is kept as the anchor: projected busy =
measured busy x B_t(new) / B_t(today), so an unchanged configuration projects to exactly
today's series.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ioncli.cost.costing import natural_instances
from ioncli.cost.service_config import RegionService
from ioncli.cost.usage import RegionSeries


def occupancy(in_flight: np.ndarray, concurrency: int, cpu_work: np.ndarray | None,
              cpu: float) -> np.ndarray:  # fmt: skip
    """Busy instances the queueing model expects (see the module doc)."""
    busy = np.maximum(-np.expm1(-in_flight), in_flight / max(concurrency, 1))
    if cpu_work is not None:
        busy = np.maximum(busy, cpu_work / cpu)
    out: np.ndarray = busy
    return out


def _in_flight(series: RegionSeries) -> np.ndarray:
    """Requests in flight per step: arrivals x median latency; without latency, one per busy
    instance (the least a billable instance holds)."""
    if series.latency_ms is None:
        return series.busy.copy()
    latency = np.nan_to_num(series.latency_ms, nan=float(np.nanmedian(series.latency_ms)))
    out: np.ndarray = series.requests * latency / 1000.0
    return out


def _cpu_work(series: RegionSeries, cpu: float) -> np.ndarray | None:
    if series.cpu_util is None:
        return None
    util = np.nan_to_num(series.cpu_util, nan=0.0)
    out: np.ndarray = series.busy * cpu * util
    return out


def project(
    series: RegionSeries, today: RegionService, new: RegionService, scale: float
) -> tuple[RegionSeries, float]:
    """The series under the new configuration and traffic scale, and the share of steps the
    new max capped."""
    same_shape = (
        scale == 1.0 and new.concurrency == today.concurrency and new.size.cpu == today.size.cpu
    )
    if same_shape:
        busy = np.minimum(series.busy, new.max_instances)
        capped = float(np.mean(series.busy > new.max_instances)) if busy.size else 0.0
        # Idle instances as they would be without today's min, so a new min is priced on the
        # instances that run on their own (see model.natural_instances).
        idle = natural_instances(series, today.warm_serving) - series.busy
    else:
        flight = _in_flight(series)
        work = _cpu_work(series, today.size.cpu)
        before = occupancy(flight, today.concurrency, work, today.size.cpu)
        after = occupancy(
            flight * scale, new.concurrency, None if work is None else work * scale, new.size.cpu
        )
        ratio = np.divide(after, before, out=np.ones_like(after), where=before > 1e-12)
        modelled = np.where(before > 1e-12, series.busy * ratio, after)
        busy = np.minimum(modelled, new.max_instances)
        capped = float(np.mean(modelled > new.max_instances + 1e-9)) if busy.size else 0.0
        idle = None  # the observed idle instances belong to today's busy pattern
    requests = series.requests * scale
    summary = replace(
        series.summary,
        busy_instances_mean=float(busy.mean()) if busy.size else 0.0,
        busy_instances_peak=float(busy.max()) if busy.size else 0.0,
        requests_per_second=series.summary.requests_per_second * scale,
        requests_per_month=series.summary.requests_per_month * scale,
    )
    return replace(
        series, region=new.region, busy=busy, idle=idle, requests=requests, summary=summary
    ), capped

"""What a min-instance setting costs and how many cold starts it causes, step by step.

For each step t of the range, with busy instances a_t (billable instance time, s/s) and a
min-instance floor m_t:

- request-based: busy time at the active rate, idle min instances max(0, m_t - a_t) at the
  idle rate, requests at the per-request price;
- instance-based: every instance at the instance rate, i.e. max(m_t, a_t + observed idle);
- warm instances held by revisions without traffic cost their idle rate all the time.

Cold starts: an instance must start when the busy count ceil(a_t) exceeds the instances
still around: the floor, or what ran in the last 15 minutes (Cloud Run keeps idle
instances about that long). Each start delays the requests that reach it while it starts
(the start-up latency p95 times the per-instance arrival rate, at least 1, at most the
concurrency).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ioncli.cost.pricing import Billing, Dollars, RateTable, active_price, idle_price, request_price
from ioncli.cost.service_config import RegionService
from ioncli.cost.usage import RegionSeries

LINGER_SECONDS = 15 * 60
WEEK_SECONDS = 7 * 86400


@dataclass(frozen=True)
class StepCosts:
    """Dollars per step in each category (arrays aligned with the region's series)."""

    idle: np.ndarray
    active: np.ndarray
    requests: np.ndarray
    held: np.ndarray
    active_cpu_share: float  # share of active dollars that are CPU (for the free tier)
    idle_cpu_share: float

    @property
    def total(self) -> np.ndarray:
        out: np.ndarray = self.idle + self.active + self.requests + self.held
        return out


def step_costs(
    series: RegionSeries, config: RegionService, table: RateTable, floor: np.ndarray | int
) -> StepCosts:
    step = float(series.step_seconds)
    m = np.broadcast_to(np.asarray(floor, dtype=np.float64), series.busy.shape)
    busy = series.busy
    act = active_price(table, config.region, config.billing, config.size)
    idl = idle_price(table, config.region, config.billing, config.size)
    if config.billing is Billing.REQUEST:
        idle_instances = np.maximum(0.0, m - busy)
    else:
        observed = busy + (series.idle if series.idle is not None else 0.0)
        idle_instances = np.maximum(m, observed) - busy
    held = sum(
        (idle_price(table, config.region, config.billing, r.size).total * r.warm
         for r in config.held_elsewhere),
        0.0,
    )  # fmt: skip
    return StepCosts(
        idle=idle_instances * idl.total * step,
        active=busy * act.total * step,
        requests=series.requests * request_price(table, config.billing) * step,
        held=np.full(busy.shape, held * step),
        active_cpu_share=_share(act),
        idle_cpu_share=_share(idl),
    )


def _share(d: Dollars) -> float:
    return d.cpu / d.total if d.total > 0 else 0.0


def monthly(costs: np.ndarray, step_seconds: int, month_seconds: float) -> float:
    """The run rate of a per-step cost array over a month of `month_seconds`."""
    if costs.size == 0:
        return 0.0
    return float(costs.mean()) / step_seconds * month_seconds


@dataclass(frozen=True)
class ColdStarts:
    starts: np.ndarray  # instance starts per step
    delayed: np.ndarray  # requests that waited for a start, per step

    def per_week(self, step_seconds: int) -> tuple[float, float]:
        covered = self.starts.size * step_seconds
        if covered == 0:
            return 0.0, 0.0
        scale = WEEK_SECONDS / covered
        return float(self.starts.sum()) * scale, float(self.delayed.sum()) * scale


def _rolling_previous_max(values: np.ndarray, window: int) -> np.ndarray:
    """max(values[t-window .. t-1]) for each t (0 before the first step)."""
    from numpy.lib.stride_tricks import sliding_window_view

    padded = np.concatenate([np.zeros(window), values])
    out: np.ndarray = sliding_window_view(padded, window).max(axis=1)[: values.size]
    return out


def cold_starts(series: RegionSeries, floor: np.ndarray | int, concurrency: int) -> ColdStarts:
    busy = series.busy
    needed = np.ceil(busy - 1e-9)
    m = np.broadcast_to(np.asarray(floor, dtype=np.float64), busy.shape)
    linger = max(1, round(LINGER_SECONDS / series.step_seconds))
    recent = _rolling_previous_max(needed, linger)
    # The first step has no history: assume the range started in a steady state.
    if recent.size:
        recent[0] = needed[0]
    warm = np.maximum(m, recent)
    starts = np.maximum(0.0, needed - warm)
    per_instance_rps = np.divide(
        series.requests, np.maximum(busy, 1e-9), out=np.zeros_like(busy), where=busy > 0
    )
    waiting = np.clip(per_instance_rps * series.startup_ms / 1000.0, 1.0, float(concurrency))
    return ColdStarts(starts=starts, delayed=starts * waiting)

"""What a min-instance setting costs and how many cold starts it causes, step by step.

For each step t of the range, with busy instances a_t (billable instance time, s/s) and a
min-instance floor m_t:

- request-based: busy time at the active rate, idle min instances max(0, m_t - a_t) at the
  idle rate, requests at the per-request price;
- instance-based: every instance at the instance rate, i.e. max(m_t, n_t), where n_t is the
  instances that would run with no min at all: busy ones plus those lingering idle after
  traffic (see `natural_instances`);
- warm instances held by revisions without traffic cost their idle rate all the time.

Cold starts: an instance must start when the busy count ceil(a_t) exceeds the instances
still around: the floor, or what ran in the last 15 minutes (Cloud Run keeps idle
instances about that long). Each start delays the requests that reach it while it starts
(the start-up latency p95 times the per-instance arrival rate, at least 1, at most the
concurrency, and at most the requests of that step).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ioncli.cost.pricing import (
    Billing,
    Dollars,
    RateTable,
    active_price,
    idle_price,
    request_price,
)
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


_RECENT: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _needed_and_recent(busy: np.ndarray, step_seconds: int) -> tuple[np.ndarray, np.ndarray]:
    """Instances needed per step (ceil of busy) and the most needed in the 15 minutes before.

    Every Evaluator of a region asks for these (one per candidate, what-if and right-sizing
    price), so they are kept for the last few busy arrays (by identity; the array is held so
    its id cannot be reused)."""
    hit = _RECENT.get(id(busy))
    if hit is not None and hit[0] is busy:
        return hit[1], hit[2]
    needed = np.ceil(busy - 1e-9)
    window = max(1, round(LINGER_SECONDS / step_seconds))
    recent = _rolling_previous_max(needed, window)
    if len(_RECENT) >= 32:
        _RECENT.pop(next(iter(_RECENT)))
    _RECENT[id(busy)] = (busy, needed, recent)
    return needed, recent


def linger_instances(busy: np.ndarray, step_seconds: int) -> np.ndarray:
    """Instances alive with no min: every instance needed in the last 15 minutes (Cloud Run
    keeps an idle instance about that long after its last request)."""
    needed, recent = _needed_and_recent(busy, step_seconds)
    out: np.ndarray = np.maximum(needed, recent)
    return out


def natural_instances(series: RegionSeries, current_warm: int) -> np.ndarray:
    """Instances that would run with no min at all, per step.

    Where the observed count (busy + idle) is above today's warm floor, the floor did not
    bind and the observation is the answer. Where it is at or below the floor, idle min
    instances hide the natural count: the 15-minute linger model estimates it, never above
    what was observed. Without an idle-instance metric the linger model is all there is.
    """
    linger: np.ndarray = np.maximum(series.busy, linger_instances(series.busy, series.step_seconds))
    if series.idle is None:
        return linger
    observed = series.busy + series.idle
    seen = np.where(observed > current_warm + 1e-9, observed, np.minimum(observed, linger))
    out: np.ndarray = np.maximum(seen, series.busy)
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
        natural = natural_instances(series, config.warm_serving)
        idle_instances = np.maximum(m, natural) - busy
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
    """max(values[t-window .. t-1]) for each t (0 before the first step).

    Van Herk / Gil-Werman: running maxima forward and backward inside blocks of `window`
    give every window's maximum from two lookups, in time linear in the length (a sliding
    view costs length x window, which dominated a 30-day what-if)."""
    n = values.size
    if n == 0:
        return values.copy()
    padded = np.concatenate([np.zeros(window), values])  # window i covers padded[i : i+window]
    blocks = -(-padded.size // window)
    full = np.full(blocks * window, -np.inf)
    full[: padded.size] = padded
    grid = full.reshape(blocks, window)
    forward = np.maximum.accumulate(grid, axis=1).ravel()
    backward = np.maximum.accumulate(grid[:, ::-1], axis=1)[:, ::-1].ravel()
    start = np.arange(n)
    out: np.ndarray = np.maximum(backward[start], forward[start + window - 1])
    return out


def cold_starts(series: RegionSeries, floor: np.ndarray | int, concurrency: int) -> ColdStarts:
    """Instance starts and waiting requests per step for one floor (see the module doc)."""
    return StartModel(series, concurrency).starts(floor)


class StartModel:
    """The floor-independent part of the cold-start model, computed once per region."""

    def __init__(self, series: RegionSeries, concurrency: int) -> None:
        busy = series.busy
        self.step_seconds = series.step_seconds
        self._needed, recent = _needed_and_recent(busy, series.step_seconds)
        self._recent = recent.copy()
        # The first step has no history: assume the range started in a steady state.
        if self._recent.size:
            self._recent[0] = self._needed[0]
        per_instance_rps = np.divide(
            series.requests, np.maximum(busy, 1e-9), out=np.zeros_like(busy), where=busy > 0
        )
        waiting = np.clip(per_instance_rps * series.startup_ms / 1000.0, 1.0, float(concurrency))
        # Never more waiting requests than arrived in the step (a lone request waits alone).
        arrived = np.maximum(1.0, series.requests * series.step_seconds)
        self._waiting = np.minimum(waiting, arrived)

    def starts(self, floor: np.ndarray | int) -> ColdStarts:
        warm = np.maximum(np.asarray(floor, dtype=np.float64), self._recent)
        starts = np.maximum(0.0, self._needed - warm)
        return ColdStarts(starts=starts, delayed=starts * self._waiting)

    def per_week(self, floor: np.ndarray | int) -> tuple[float, float]:
        return self.starts(floor).per_week(self.step_seconds)


class Evaluator:
    """Prices many floors on one region: what does not depend on the floor (busy time,
    requests, held revisions, the cold-start basis) is computed once."""

    def __init__(self, series: RegionSeries, config: RegionService, table: RateTable) -> None:
        self.series, self.config, self.table = series, config, table
        base = step_costs(series, config, table, 0)
        self._fixed = base.active + base.requests + base.held
        self._idle_price = idle_price(table, config.region, config.billing, config.size).total
        self._natural = natural_instances(series, config.warm_serving)
        self.cold = StartModel(series, config.concurrency)

    def warm(self, floor: np.ndarray | int) -> np.ndarray:
        """Service-level min(s) -> instances the serving revisions keep warm."""
        values = np.asarray(floor).astype(np.int64)
        top = int(values.max()) if values.size else 0
        lookup = np.array([self.config.warm_for(m) for m in range(top + 1)], dtype=np.float64)
        out: np.ndarray = lookup[values]
        return out

    def step_total(self, floor: np.ndarray | int) -> np.ndarray:
        m = self.warm(floor)
        busy = self.series.busy
        if self.config.billing is Billing.REQUEST:
            idle = np.maximum(0.0, m - busy)
        else:
            idle = np.maximum(m, self._natural) - busy
        out: np.ndarray = self._fixed + idle * self._idle_price * self.series.step_seconds
        return out

    def monthly(self, floor: np.ndarray | int) -> float:
        return monthly(self.step_total(floor), self.series.step_seconds, self.table.month_seconds)

    def starts(self, floor: np.ndarray | int) -> ColdStarts:
        return self.cold.starts(self.warm(floor))

    def per_week(self, floor: np.ndarray | int) -> tuple[float, float]:
        return self.cold.per_week(self.warm(floor))

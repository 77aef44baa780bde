"""Source `sim[:SEED]`: a deterministic simulated 3-region fleet for demos, docs and tests.

Every value is a pure function of (seed, series, timestamp): noise comes from a counter-based
hash (splitmix64) instead of a stateful generator, and incidents are scheduled on a fixed
grid of absolute time. So a 24 h window and a 7 day window of the same seed agree where they
overlap, and a test can ask for any range without replaying history.

The model, per region, in the region's local time:
- traffic follows a daily cycle (quiet around 04:00, busy mid-afternoon) and a weekly one
  (weekends lighter); instances follow traffic, billable time follows instances;
- latency grows with load and with cache misses; errors grow a little with load;
- incidents are real anomalies: latency spikes, 5xx bursts, L2 cache outages (hit ratio
  drops and latency rises) and lasting level shifts (a slow release), each recorded in
  `MetricFrame.incidents` with the series it touches;
- error-budget burners for `ion slo`: regional outages (most requests fail for minutes) and
  slow burns (a few tenths of a percent of 5xx for hours), labelled like the others; and
  unlabelled error blips (a few dozen failed requests in one minute, a client's retry storm)
  that look like a huge burn rate only when traffic is low;
- the latency distribution behind the percentiles: a CDF through (p50/2, 0), (p50, 0.5),
  (p95, 0.95), (p99, 0.99) and (1.5 p99, 1), read at the bucket bounds `LATENCY_BOUNDS` as
  `latency_share_le_<bound>` (the share of requests faster than the bound) when asked for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from ioncli.errors import UsageError
from ioncli.frame import Incident, MetricFrame, SeriesKey
from ioncli.sources.base import FetchRequest
from ioncli.sources.catalog import DEFAULT_METRICS

DEFAULT_SEED = 7
# The endpoint label `ion serve` itself uses for POST /api/v2/process.
ENDPOINT = "process"


@dataclass(frozen=True)
class RegionModel:
    name: str
    tz: str
    peak_rps: float
    min_instances: float


REGIONS: dict[str, RegionModel] = {
    "us-central1": RegionModel("us-central1", "America/Chicago", 140.0, 1.0),
    "europe-west1": RegionModel("europe-west1", "Europe/Brussels", 100.0, 1.0),
    "asia-southeast1": RegionModel("asia-southeast1", "Asia/Singapore", 60.0, 0.0),
}

# Incident grid: every 8 h slot of every region may hold one short incident; every 7 day
# block may hold one lasting level shift.
_SLOT = 8 * 3600
_INCIDENT_PROBABILITY = 0.15
_WEEK = 7 * 86400
_SHIFT_PROBABILITY = 0.5
_KINDS = ("latency_spike", "error_burst", "cache_drop")
_DURATIONS = {"latency_spike": (15, 45), "error_burst": (5, 20), "cache_drop": (30, 90)}

# Error-budget burners (ion slo): per region, each 14-day block may hold an outage and each
# 7-day block a slow burn; each hour may hold an error blip.
_OUTAGE_BLOCK = 14 * 86400
_OUTAGE_PROBABILITY = 0.6
_BURN_PROBABILITY = 0.35
_BLIP_PROBABILITY = 0.03
# Bucket bounds (ms) of the simulated latency distribution; a latency SLO's threshold must be
# one of them, as it must be a bound of Cloud Monitoring's distribution.
LATENCY_BOUNDS = (
    5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 150.0, 200.0, 250.0, 300.0, 400.0, 500.0,
    750.0, 1000.0, 1500.0, 2000.0, 3000.0, 5000.0, 10000.0,
)  # fmt: skip
LATENCY_SHARE_PREFIX = "latency_share_le_"

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _salt(*parts: object) -> int:
    """A stable 64-bit salt for a name (Python's hash() is randomised per process)."""
    value = 1469598103934665603
    for ch in "|".join(str(p) for p in parts).encode():
        value = ((value ^ ch) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return value


def _mix(x: np.ndarray) -> np.ndarray:
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    out: np.ndarray = z ^ (z >> np.uint64(31))
    return out


def _uniform(keys: np.ndarray, salt: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = _mix(keys.astype(np.uint64) ^ np.uint64(salt))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def _normal(keys: np.ndarray, salt: int) -> np.ndarray:
    u1 = np.maximum(_uniform(keys, salt), 1e-12)
    u2 = _uniform(keys, salt ^ 0x5DEECE66D)
    out: np.ndarray = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    return out


def _scalar(seed: int, *parts: object) -> float:
    return float(_uniform(np.array([_salt(seed, *parts)], dtype=np.uint64), _salt("s"))[0])


class SimSource:
    """A MetricSource over the simulated fleet."""

    def __init__(self, seed: int = DEFAULT_SEED, service: str = "ion-mentoring") -> None:
        self.seed = seed
        self.service = service
        self.name = f"sim:{seed}"

    def fetch(
        self, request: FetchRequest, progress: Callable[[], None] | None = None
    ) -> MetricFrame:
        return simulate(
            request.start,
            request.end,
            step_seconds=request.step_seconds,
            seed=self.seed,
            regions=request.regions,
            metrics=request.metrics,
            progress=(lambda _done, _total: progress()) if progress is not None else None,
        )

    def chunks(self, request: FetchRequest) -> int:
        """How many progress steps `fetch` reports for this request."""
        step = max(1, request.step_seconds)
        steps = int((request.end - request.start).total_seconds() // step) + 1
        return max(1, -(-steps // _CHUNK_STEPS)) * max(1, len(request.regions) or len(REGIONS))


def _utc(moment: datetime) -> pd.Timestamp:
    ts = pd.Timestamp(moment)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


# Steps generated at once: bounds the working arrays (about 40 per region) whatever the range.
_CHUNK_STEPS = 262_144


def simulate(
    start: datetime,
    end: datetime,
    *,
    step_seconds: int = 60,
    seed: int = DEFAULT_SEED,
    regions: tuple[str, ...] = (),
    metrics: tuple[str, ...] = (),
    progress: Callable[[int, int], None] | None = None,
) -> MetricFrame:
    """The simulated fleet over [start, end), points on multiples of `step_seconds`.

    Values depend only on the seed and the timestamp, so the range is generated in chunks
    straight into one preallocated block: memory is the frame's own 8 bytes a point plus a
    chunk's working set, however long the range. `progress(done, total)` counts chunks.
    """
    step = max(1, int(step_seconds))
    t0 = int(_utc(start).timestamp())
    t1 = int(_utc(end).timestamp())
    first = -(-t0 // step) * step
    seconds = np.arange(first, t1, step, dtype=np.int64)
    index = pd.DatetimeIndex(pd.to_datetime(seconds, unit="s", utc=True), name="time")
    wanted_regions = [r for r in (regions or tuple(REGIONS)) if r]
    unknown = [r for r in wanted_regions if r not in REGIONS]
    if unknown:
        raise UsageError(
            f"region {', '.join(unknown)} is not simulated; the simulator's regions are "
            + ", ".join(REGIONS)
        )
    units = {spec.name: spec.unit for spec in DEFAULT_METRICS}
    n = len(seconds)
    starts = list(range(0, n, _CHUNK_STEPS)) or [0]
    total = len(starts) * len(wanted_regions)
    ids: list[str] = []
    block: np.ndarray | None = None
    incidents: set[Incident] = set()
    done = 0
    for r, region in enumerate(wanted_regions):
        model = REGIONS[region]
        for a in starts:
            part = seconds[a : a + _CHUNK_STEPS]
            values, found = _region(model, part, seed, step, _bounds_asked(metrics))
            picked = [(m, arr) for m, arr in values.items() if not metrics or m in metrics]
            if block is None:
                per_region = len(picked)
                block = np.empty((n, per_region * len(wanted_regions)), dtype=np.float64)
            if a == 0:
                for metric, _ in picked:
                    labels = {"region": region}
                    if metric == "pipeline_latency_p95":
                        labels["endpoint"] = ENDPOINT
                    ids.append(SeriesKey.of(metric, labels).id)
            width = len(picked)
            for j, (_, array) in enumerate(picked):
                block[a : a + len(part), r * width + j] = array
            incidents.update(found)
            done += 1
            if progress is not None:
                progress(done, total)
    if block is None:
        block = np.empty((n, 0), dtype=np.float64)
    data = pd.DataFrame(block, index=index, columns=ids, copy=False)
    columns = set(ids)
    # Keep an incident only where it touches a series in the frame, naming just those.
    kept = [
        dataclasses.replace(i, series=tuple(s for s in i.series if s in columns))
        for i in incidents
        if any(s in columns for s in i.series)
    ]
    kept.sort(key=lambda i: (i.start, i.name))
    frame_units = {c: units.get(SeriesKey.parse(c).metric, "ratio") for c in data.columns}
    return MetricFrame(
        data,
        frame_units,
        source=f"sim:{seed}",
        step_seconds=step,
        simulated=True,
        incidents=kept,
    )


def _bounds_asked(metrics: tuple[str, ...]) -> tuple[float, ...]:
    """The latency bucket shares asked for by name (never part of the default fleet)."""
    asked = {m.removeprefix(LATENCY_SHARE_PREFIX) for m in metrics}
    return tuple(b for b in LATENCY_BOUNDS if f"{b:g}" in asked)


def _region(
    model: RegionModel, seconds: np.ndarray, seed: int, step: int, bounds: tuple[float, ...] = ()
) -> tuple[dict[str, np.ndarray], list[Incident]]:
    n = len(seconds)
    load, hour, weekday = _load(model, seconds, seed)

    def noise(metric: str) -> np.ndarray:
        return _normal(seconds, _salt(seed, model.name, metric))

    rate = model.peak_rps * load * (1.0 + 0.04 * noise("request_rate"))
    rate = np.clip(rate, 0.0, None)
    u = np.clip(load, 0.0, 1.2)

    effects = _Effects(n)
    incidents = _incidents(model.name, seconds, seed, step, effects)
    incidents += _budget_burners(model.name, seconds, seed, step, effects)
    _blips(model.name, seconds, seed, step, rate=rate, effects=effects)

    l1 = np.clip(0.52 + 0.12 * u + 0.015 * noise("cache_hit_ratio_l1"), 0.0, 1.0)
    l2 = np.clip((0.62 + 0.02 * noise("cache_hit_ratio_l2")) * effects.l2_factor, 0.0, 1.0)
    hit = l1 + (1.0 - l1) * l2
    miss = 1.0 - hit
    evictions = np.clip(0.015 * rate * (1.0 - l1) * (1.0 + 0.1 * noise("cache_evictions")), 0, None)

    p50 = (22.0 + 10.0 * u**2 + 45.0 * miss) * effects.latency_factor
    p50 = p50 * (1.0 + 0.04 * noise("latency_p50"))
    p95 = p50 * (2.0 + 0.08 * noise("latency_p95"))
    p99 = p50 * (3.2 + 0.2 * noise("latency_p99"))
    pipeline = (p95 * 0.85 + 4.0) * (1.0 + 0.05 * noise("pipeline_latency_p95"))

    # A healthy fleet stays inside the 99.95% availability rule; bursts break it clearly.
    err5 = 0.00012 * (1.0 + 0.8 * u) * np.exp(0.3 * noise("error_ratio_5xx"))
    err5 = np.clip(err5 + effects.error_add, 0.0, 1.0)
    err4 = np.clip(0.021 + 0.003 * noise("error_ratio_4xx"), 0.0, 1.0)
    availability = 1.0 - err5

    # About 18 req/s per instance; slow requests hold instances longer.
    active = rate / 18.0 * (effects.latency_factor**0.5) * (1.0 + 0.05 * noise("instances_active"))
    active = np.clip(active, 0.0, None)
    idle = np.maximum(model.min_instances - active, 0.0) + 0.22 * active * (
        1.0 + 0.1 * noise("instances_idle")
    )
    idle = np.clip(idle, 0.0, None)
    # Billed while starting or serving, rounded up to 100 ms per request.
    billable = active * 1.04 + 0.02 * np.clip(noise("billable_instance_time"), 0, None)
    cpu = np.clip(0.18 + 0.42 * u * effects.latency_factor**0.3 + 0.02 * noise("cpu"), 0, 1)
    memory = np.clip(
        0.46 + 0.08 * u + 0.04 * np.sin(2 * np.pi * seconds / 86400.0 / 7.0) + 0.01 * noise("mem"),
        0,
        1,
    )
    # Cold starts are slower while traffic ramps up (many instances start at once).
    earlier, _, _ = _load(model, seconds - 600, seed)
    ramp = np.clip((load - earlier) * 24.0, 0.0, 1.0)
    startup = (1650.0 + 500.0 * ramp) * np.exp(0.06 * noise("startup_latency_p95"))
    concurrency = np.clip(rate / np.maximum(active, 0.05) * p50 / 1000.0 * 2.4 + 1.0, 1.0, 80.0) * (
        1.0 + 0.05 * noise("max_concurrency_p95")
    )
    confidence = np.clip(0.71 + 0.015 * noise("routing_confidence_mean"), 0.0, 1.0)

    # Elro (focused work) leads during working hours, Lua (warm, reflective) in the evening.
    work = np.clip(np.sin(np.pi * (hour - 8.0) / 10.0), 0.0, None) * (weekday < 5)
    raw_shares = {
        "lua": 0.30 + 0.08 * (1.0 - work) + 0.01 * noise("lua"),
        "elro": 0.22 + 0.10 * work + 0.01 * noise("elro"),
        "riri": 0.24 + 0.03 * work + 0.01 * noise("riri"),
        "nana": 0.22 + 0.01 * noise("nana"),
    }
    total = sum(raw_shares.values())
    lag = np.clip(0.06 + 0.14 * u + 0.02 * noise("replica_lag"), 0.0, None) + effects.lag_add

    values: dict[str, np.ndarray] = {
        "request_rate": rate,
        "latency_p50": p50,
        "latency_p95": p95,
        "latency_p99": p99,
        "error_ratio_5xx": err5,
        "error_ratio_4xx": err4,
        "availability": availability,
        "instances_active": active,
        "instances_idle": idle,
        "cpu_utilization": cpu,
        "memory_utilization": memory,
        "billable_instance_time": billable,
        "startup_latency_p95": startup,
        "max_concurrency_p95": concurrency,
        "cache_hit_ratio_l1": l1,
        "cache_hit_ratio_l2": l2,
        "cache_hit_ratio": hit,
        "cache_evictions": evictions,
        "pipeline_latency_p95": pipeline,
        "routing_confidence_mean": confidence,
        "persona_share_lua": raw_shares["lua"] / total,
        "persona_share_elro": raw_shares["elro"] / total,
        "persona_share_riri": raw_shares["riri"] / total,
        "persona_share_nana": raw_shares["nana"] / total,
        "replica_lag": lag,
    }
    for bound in bounds:
        values[f"{LATENCY_SHARE_PREFIX}{bound:g}"] = latency_share(p50, p95, p99, bound)
    return values, incidents


def latency_share(p50: np.ndarray, p95: np.ndarray, p99: np.ndarray, bound: float) -> np.ndarray:
    """Share of requests at or under `bound` ms: the simulated CDF (see the module docstring)."""
    knots = np.stack([p50 * 0.5, p50, p95, p99, p99 * 1.5], axis=1)
    levels = (0.0, 0.5, 0.95, 0.99, 1.0)
    cdf = np.zeros(len(p50))
    for j in range(4):
        lo, hi = knots[:, j], knots[:, j + 1]
        width = np.maximum(hi - lo, 1e-9)
        cdf += np.clip((bound - lo) / width, 0.0, 1.0) * (levels[j + 1] - levels[j])
    out: np.ndarray = np.clip(cdf, 0.0, 1.0)
    return out


def _load(
    model: RegionModel, seconds: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Traffic relative to the region's peak, with the local hour and weekday it came from."""
    index = pd.DatetimeIndex(pd.to_datetime(seconds, unit="s", utc=True))
    local = index.tz_convert(model.tz)
    hour = np.asarray(local.hour, dtype=np.float64) + np.asarray(local.minute) / 60.0
    weekday = np.asarray(local.day_of_week)
    # Daily cycle: trough near 04:00, peak mid-afternoon; a second harmonic gives the
    # evening shoulder. Weekends carry 60% of a weekday's traffic.
    angle = 2.0 * np.pi * (hour - 4.0) / 24.0
    daily = 0.55 - 0.45 * np.cos(angle) + 0.06 * np.sin(2.0 * angle)
    weekly = np.where(weekday >= 5, 0.6, 1.0)
    # A slow wobble so that days are not identical copies.
    phase = _scalar(seed, model.name, "w")
    wobble = 1.0 + 0.08 * np.sin(2 * np.pi * (seconds / 86400.0 / 3.1 + phase))
    return np.clip(daily * weekly * wobble, 0.03, None), hour, weekday


class _Effects:
    """Multipliers and offsets that incidents apply on top of the healthy model."""

    def __init__(self, n: int) -> None:
        self.latency_factor = np.ones(n)
        self.l2_factor = np.ones(n)
        self.error_add = np.zeros(n)
        self.lag_add = np.zeros(n)


_AFFECTED = {
    "latency_spike": ("latency_p50", "latency_p95", "latency_p99", "pipeline_latency_p95"),
    "error_burst": ("error_ratio_5xx", "availability"),
    "outage": ("error_ratio_5xx", "availability"),
    "slow_burn": ("error_ratio_5xx", "availability"),
    "cache_drop": (
        "cache_hit_ratio_l2",
        "cache_hit_ratio",
        "latency_p50",
        "latency_p95",
        "latency_p99",
        "pipeline_latency_p95",
    ),
    "level_shift": ("latency_p50", "latency_p95", "latency_p99", "pipeline_latency_p95"),
}


def _budget_burners(
    region: str, seconds: np.ndarray, seed: int, step: int, effects: _Effects
) -> list[Incident]:
    """Outages and slow burns on their own absolute-time grids (new salts: the incidents
    above stay where they were)."""
    if len(seconds) == 0:
        return []
    lo, hi = int(seconds[0]), int(seconds[-1]) + step
    found: list[Incident] = []

    def place(kind: str, start: int, end: int, extra: float) -> None:
        if end <= lo or start >= hi:
            return
        a, b = np.searchsorted(seconds, [start, end], side="left")
        effects.error_add[int(a) : int(b)] += extra
        name = f"{kind.replace('_', ' ')} in {region}"
        found.append(
            Incident(
                datetime.fromtimestamp(start, UTC),
                datetime.fromtimestamp(end, UTC),
                name,
                _series_ids(kind, region),
            )
        )

    for block in range(lo // _OUTAGE_BLOCK - 1, hi // _OUTAGE_BLOCK + 1):
        if _scalar(seed, region, "outage", block) < _OUTAGE_PROBABILITY:
            minutes = 5 + int(_scalar(seed, region, "outage-m", block) * 16)
            span = _OUTAGE_BLOCK - minutes * 60
            start = block * _OUTAGE_BLOCK + int(_scalar(seed, region, "outage-at", block) * span)
            start -= start % 60
            share = 0.1 + 0.3 * _scalar(seed, region, "outage-sev", block)
            place("outage", start, start + minutes * 60, share)
    for week in range(lo // _WEEK - 1, hi // _WEEK + 1):
        if _scalar(seed, region, "burn", week) < _BURN_PROBABILITY:
            hours = 6 + int(_scalar(seed, region, "burn-h", week) * 19)
            span = _WEEK - hours * 3600
            start = week * _WEEK + int(_scalar(seed, region, "burn-at", week) * span)
            start -= start % 600
            extra = 0.001 + 0.003 * _scalar(seed, region, "burn-sev", week)
            place("slow_burn", start, start + hours * 3600, extra)
    return found


def _blips(
    region: str, seconds: np.ndarray, seed: int, step: int, *, rate: np.ndarray, effects: _Effects
) -> None:
    """A few dozen failed requests in one minute of some hours: a blip at any traffic, but a
    huge burn rate when traffic is low. Not labelled: nothing that deserves a page."""
    if len(seconds) == 0:
        return
    hours = np.arange(int(seconds[0]) // 3600, int(seconds[-1]) // 3600 + 1, dtype=np.int64)
    hours = hours[_uniform(hours, _salt(seed, region, "blip")) < _BLIP_PROBABILITY]
    at = hours * 3600 + (_uniform(hours, _salt(seed, region, "blip-at")) * 3600).astype(np.int64)
    at -= at % step
    failed = 20 + (_uniform(hours, _salt(seed, region, "blip-n")) * 41).astype(np.int64)
    i = np.searchsorted(seconds, at, side="left")
    ok = i < len(seconds)
    i, at, failed = i[ok], at[ok], failed[ok]
    ok = seconds[i] == at
    i, failed = i[ok], failed[ok]
    requests = rate[i] * step
    share = np.divide(failed, requests, out=np.zeros(len(i)), where=requests > 0)
    effects.error_add[i] += np.minimum(share, 1.0)


def _series_ids(kind: str, region: str) -> tuple[str, ...]:
    ids = []
    for metric in _AFFECTED[kind]:
        labels = {"region": region}
        if metric == "pipeline_latency_p95":
            labels["endpoint"] = ENDPOINT
        ids.append(SeriesKey.of(metric, labels).id)
    return tuple(ids)


def _incidents(
    region: str, seconds: np.ndarray, seed: int, step: int, effects: _Effects
) -> list[Incident]:
    """Place incidents on the absolute-time grid and apply their effects; return them."""
    if len(seconds) == 0:
        return []
    lo, hi = int(seconds[0]), int(seconds[-1]) + step
    found: list[Incident] = []

    def apply(kind: str, start: int, end: int, action: Callable[[slice], None]) -> None:
        if end <= lo or start >= hi:
            return
        a, b = np.searchsorted(seconds, [start, end], side="left")
        action(slice(int(a), int(b)))
        found.append(
            Incident(
                datetime.fromtimestamp(start, UTC),
                datetime.fromtimestamp(end, UTC),
                f"{kind.replace('_', ' ')} in {region}",
                _series_ids(kind, region),
            )
        )

    for slot in range(lo // _SLOT - 1, hi // _SLOT + 1):
        if _scalar(seed, region, "slot", slot) >= _INCIDENT_PROBABILITY:
            continue
        kind = _KINDS[int(_scalar(seed, region, "kind", slot) * len(_KINDS))]
        low, high = _DURATIONS[kind]
        minutes = low + int(_scalar(seed, region, "dur", slot) * (high - low + 1))
        start = slot * _SLOT + int(_scalar(seed, region, "at", slot) * (_SLOT - minutes * 60))
        start -= start % 60
        end = start + minutes * 60
        severity = _scalar(seed, region, "sev", slot)
        if kind == "latency_spike":
            factor = 2.5 + 2.5 * severity

            def spike(s: slice, f: float = factor) -> None:
                effects.latency_factor[s] *= f

            apply(kind, start, end, spike)
        elif kind == "error_burst":
            extra = 0.02 + 0.12 * severity

            def burst(s: slice, e: float = extra) -> None:
                effects.error_add[s] += e
                effects.lag_add[s] += 0.4

            apply(kind, start, end, burst)
        else:
            keep = 0.05 + 0.15 * severity

            def drop(s: slice, k: float = keep) -> None:
                effects.l2_factor[s] *= k

            apply(kind, start, end, drop)

    for week in range(lo // _WEEK - 1, hi // _WEEK + 1):
        if _scalar(seed, region, "shift", week) >= _SHIFT_PROBABILITY:
            continue
        hours = 18 + int(_scalar(seed, region, "shift-h", week) * 31)
        start = week * _WEEK + int(_scalar(seed, region, "shift-at", week) * (_WEEK - hours * 3600))
        start -= start % 3600

        def shift(s: slice) -> None:
            effects.latency_factor[s] *= 1.4

        apply("level_shift", start, start + hours * 3600, shift)
    return found

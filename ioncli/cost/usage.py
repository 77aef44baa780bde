"""Usage per region from the canonical frame: busy instances, observed idle instances,
requests, utilisation and start-up latency, with how much of the range each metric covers.

A region needs `billable_instance_time` (or `instances_active`) and `request_rate`; other
metrics are optional. Gaps inside the range are bridged for the cold-start model and
reported as coverage, never silently: a metric missing for part of the range is a warning.
A configured region with no traffic metrics at all (Cloud Monitoring writes no request points
for a service nobody calls) is priced as a region without traffic, with a warning: its warm
min instances still cost money, so it must not vanish from the total.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ioncli.errors import DataError
from ioncli.frame import MetricFrame, SeriesKey

METRICS = (
    "billable_instance_time",
    "instances_active",
    "instances_idle",
    "request_rate",
    "latency_p50",
    "cpu_utilization",
    "memory_utilization",
    "startup_latency_p95",
    "max_concurrency_p95",
)
DEFAULT_STARTUP_MS = 2000.0  # used, and said, when the frame has no start-up latency


@dataclass(frozen=True)
class UsageSummary:
    """What the report shows about one region's usage over the range."""

    busy_instances_mean: float  # average billable instances (s/s)
    busy_instances_peak: float
    idle_instances_mean: float | None  # observed, when the metric exists
    requests_per_second: float
    requests_per_month: float
    cpu_utilization: float | None
    memory_utilization: float | None
    startup_p95_ms: float
    coverage: float  # share of the range with billable time (or active instances)


@dataclass(frozen=True)
class RegionSeries:
    """Aligned per-step arrays for one region; gaps bridged, coverage kept."""

    region: str
    times: pd.DatetimeIndex
    step_seconds: int
    busy: np.ndarray  # billable instance-seconds per second
    idle: np.ndarray | None  # observed idle instances
    requests: np.ndarray  # requests per second
    startup_ms: float
    summary: UsageSummary
    # Optional per-step detail for what-if pricing and right-sizing (None when absent).
    latency_ms: np.ndarray | None = None  # median request latency
    cpu_util: np.ndarray | None = None  # CPU utilisation, 0..1 (p95 over instances)
    memory_util: np.ndarray | None = None
    concurrency: np.ndarray | None = None  # in-flight requests per instance (p95 of the max)


@functools.lru_cache(maxsize=8)
def _index(columns: tuple[str, ...]) -> dict[tuple[str, str], list[str]]:
    """(metric, region) -> column names, parsed once per set of columns."""

    out: dict[tuple[str, str], list[str]] = {}
    for c in columns:
        key = SeriesKey.parse(c)
        out.setdefault((key.metric, key.label("region") or ""), []).append(c)
    return out


def _column(frame: MetricFrame, metric: str, region: str) -> pd.Series | None:
    names = _index(tuple(map(str, frame.data.columns))).get((metric, region), [])
    if not names:
        return None
    # One column is read as it is (no sub-frame copy: this runs for every metric and region).
    series: pd.Series = (
        frame.data[names[0]] if len(names) == 1 else frame.data[names].sum(axis=1, min_count=1)
    )
    if bool(series.isna().all()):
        return None
    return series


def _mean(series: pd.Series | None) -> float | None:
    return None if series is None else float(series.mean())


def _bridge(series: pd.Series) -> np.ndarray:
    filled = series.interpolate(limit_direction="both")
    return np.asarray(filled.fillna(0.0).to_numpy(dtype=np.float64))


def _busy(
    frame: MetricFrame, region: str, requests: pd.Series | None, warnings: list[str]
) -> pd.Series | None:
    """Billable instance time, or the best estimate the frame allows (said in a warning)."""
    busy = _column(frame, "billable_instance_time", region)
    if busy is not None:
        return busy
    active = _column(frame, "instances_active", region)
    latency = _column(frame, "latency_p50", region)
    if requests is not None and latency is not None:
        # Little's law: requests in flight = arrival rate x time in the service. A request-
        # based instance is billed while at least one is in flight, so this bounds it.
        in_flight = requests * latency / 1000.0
        if active is not None:
            in_flight = in_flight.clip(upper=active)
        warnings.append(
            f"{region}: no billable_instance_time; estimated as request rate x median "
            "latency (requests in flight)"
            + (", at most the active instances" if active is not None else "")
        )
        return in_flight
    if active is not None:
        warnings.append(f"{region}: no billable_instance_time; active instances used instead")
    return active


def frame_regions(frame: MetricFrame) -> tuple[str, ...]:
    """The region labels the frame's series carry, in first-seen order."""
    seen = (key.label("region") for key in frame.series)
    return tuple(dict.fromkeys(r for r in seen if r))


def _moved(series_id: str, old: str, new: str) -> str:
    key = SeriesKey.parse(series_id)
    if key.label("region") != old:
        return series_id
    return SeriesKey.of(key.metric, {**dict(key.labels), "region": new}).id


def relabel_region(frame: MetricFrame, old: str, new: str) -> MetricFrame:
    """The same frame with the series of region `old` moved to region `new`."""
    data = frame.data.set_axis([_moved(str(c), old, new) for c in frame.data.columns], axis=1)
    units = {_moved(k, old, new): v for k, v in frame.units.items()}
    return MetricFrame(
        data, units, frame.source, frame.step_seconds, frame.simulated,
        list(frame.incidents), list(frame.warnings),
    )  # fmt: skip


def align_regions(
    frame: MetricFrame, wanted: tuple[str, ...], explicit: bool
) -> tuple[MetricFrame, tuple[str, ...], list[str]]:
    """Which regions to report on, given what the frame holds.

    Asked-for regions (--region) are taken as they are. Configured regions without data are
    left out with a warning. A frame with one region none of them names (a local `ion serve`
    labels its series region=local) is priced as if it ran in the first configured region.
    """
    if explicit:
        return frame, wanted, []
    present = frame_regions(frame)
    hit = tuple(r for r in wanted if r in present)
    if hit:
        return frame, wanted, []
    if len(present) == 1 and wanted:
        note = (
            f"source {frame.source} labels its series region={present[0]}: priced as if it ran "
            f"in {wanted[0]} (the first of `regions`)"
        )
        return relabel_region(frame, present[0], wanted[0]), (wanted[0],), [note]
    raise DataError(
        f"source {frame.source} has no metrics for the configured regions "
        f"({', '.join(wanted)}); it has: {', '.join(present) or 'no region labels'}",
        hint="pass --region, or set `regions` in ion.toml",
    )


def _idle_region(frame: MetricFrame, region: str) -> RegionSeries:
    index = frame.data.index
    assert isinstance(index, pd.DatetimeIndex)
    zeros = np.zeros(len(index))
    idle = _column(frame, "instances_idle", region)
    summary = UsageSummary(
        busy_instances_mean=0.0,
        busy_instances_peak=0.0,
        idle_instances_mean=_mean(idle),
        requests_per_second=0.0,
        requests_per_month=0.0,
        cpu_utilization=None,
        memory_utilization=None,
        startup_p95_ms=DEFAULT_STARTUP_MS,
        coverage=0.0,
    )
    return RegionSeries(
        region=region,
        times=index,
        step_seconds=frame.step_seconds,
        busy=zeros,
        idle=None if idle is None else np.clip(_bridge(idle), 0.0, None),
        requests=zeros.copy(),
        startup_ms=DEFAULT_STARTUP_MS,
        summary=summary,
    )


def extract(
    frame: MetricFrame, regions: tuple[str, ...], month_seconds: float
) -> tuple[dict[str, RegionSeries], list[str]]:
    """Per-region series for the cost model, plus warnings about partial data."""
    warnings: list[str] = []
    out: dict[str, RegionSeries] = {}
    n = len(frame.data.index)
    if n == 0:
        raise DataError(f"source {frame.source} returned no data for the range")
    for region in regions:
        requests = _column(frame, "request_rate", region)
        busy = _busy(frame, region, requests, warnings)
        if requests is None and (busy is None or not float(busy.fillna(0).abs().max()) > 0):
            warnings.append(
                f"{region}: no request or busy-instance metrics from source {frame.source} in "
                "the range: priced as a region without traffic (its min instances idle all "
                "the time)"
            )
            out[region] = _idle_region(frame, region)
            continue
        if busy is None or requests is None:
            missing = "billable_instance_time" if busy is None else "request_rate"
            raise DataError(
                f"no {missing} for region {region} in source {frame.source} "
                f"({frame.start} .. {frame.end}): cannot estimate its cost",
                hint="check --region and the source's metrics",
            )
        for name, series in (("billable instance time", busy), ("request_rate", requests)):
            share = float(series.notna().mean())
            if share < 1.0:
                warnings.append(
                    f"{region}: {name} has data for {share:.0%} of the range; the cost is "
                    "extrapolated from the covered part"
                )
        idle = _column(frame, "instances_idle", region)
        startup = _column(frame, "startup_latency_p95", region)
        startup_ms = float(startup.median()) if startup is not None else DEFAULT_STARTUP_MS
        if startup is None:
            warnings.append(
                f"{region}: no startup_latency_p95; cold starts priced at {DEFAULT_STARTUP_MS:g} ms"
            )
        rps = float(requests.mean())
        summary = UsageSummary(
            busy_instances_mean=float(busy.mean()),
            busy_instances_peak=float(busy.max()),
            idle_instances_mean=_mean(idle),
            requests_per_second=rps,
            requests_per_month=rps * month_seconds,
            cpu_utilization=_mean(_column(frame, "cpu_utilization", region)),
            memory_utilization=_mean(_column(frame, "memory_utilization", region)),
            startup_p95_ms=startup_ms,
            coverage=float(busy.notna().mean()),
        )
        index = frame.data.index
        assert isinstance(index, pd.DatetimeIndex)
        out[region] = RegionSeries(
            region=region,
            times=index,
            step_seconds=frame.step_seconds,
            busy=np.clip(_bridge(busy), 0.0, None),
            idle=None if idle is None else np.clip(_bridge(idle), 0.0, None),
            requests=np.clip(_bridge(requests), 0.0, None),
            startup_ms=startup_ms,
            summary=summary,
            latency_ms=_optional(frame, "latency_p50", region),
            cpu_util=_optional(frame, "cpu_utilization", region),
            memory_util=_optional(frame, "memory_utilization", region),
            concurrency=_optional(frame, "max_concurrency_p95", region),
        )
    return out, warnings


def _optional(frame: MetricFrame, metric: str, region: str) -> np.ndarray | None:
    """A metric's per-step values with gaps kept as NaN (percentiles skip them)."""
    series = _column(frame, metric, region)
    return None if series is None else np.asarray(series.to_numpy(dtype=np.float64))

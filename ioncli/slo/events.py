"""From the canonical frame to events: requests and bad requests per step, per scope.

Availability: total = request_rate × step, bad = total × error_ratio_5xx. Latency: bad =
total × (1 − latency_share_le_<threshold>), the share of requests under the threshold
counted from the latency distribution's buckets (never from a percentile). A gap (NaN) stays
a gap: it is neither good nor bad. A step without traffic has total 0 and bad 0.
The fleet scope sums the regions' events step by step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ioncli.errors import ConfigError
from ioncli.frame import MetricFrame, SeriesKey
from ioncli.slo.config import SloSpec

FLEET = "fleet"
LATENCY_PREFIX = "latency_share_le_"


@dataclass
class Events:
    scope: str  # "fleet" or a region
    total: np.ndarray  # requests per step; NaN where there is no data
    bad: np.ndarray  # bad requests per step; NaN where total is NaN
    stamps: np.ndarray | None = None  # epoch seconds of the steps (shared by every scope)
    _prefix: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def prefix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Running sums of total, bad and steps with data (gaps add nothing), computed once:
        every window sum is then one subtraction."""
        if self._prefix is None:
            gap = np.isnan(self.total)
            self._prefix = (
                np.cumsum(np.where(gap, 0.0, self.total)),
                np.cumsum(np.where(np.isnan(self.bad), 0.0, self.bad)),
                np.cumsum(~gap, dtype=np.float64),
            )
        return self._prefix


@dataclass
class SliData:
    index: pd.DatetimeIndex
    step_seconds: int
    scopes: list[Events]  # fleet first, then regions in name order
    unsupported: str | None = None  # why the source cannot measure this SLI


def latency_metric(threshold_ms: float) -> str:
    return f"{LATENCY_PREFIX}{threshold_ms:g}"


def metrics_for(spec: SloSpec) -> tuple[str, ...]:
    if spec.sli == "latency" and spec.threshold_ms is not None:
        return ("request_rate", latency_metric(spec.threshold_ms))
    return ("request_rate", "error_ratio_5xx")


def check_threshold(spec: SloSpec, bounds: Sequence[float], source: str, where: str) -> None:
    """A latency threshold must be a bucket bound: between two bounds the count is a guess."""
    if spec.threshold_ms is None or not bounds:
        return
    t = spec.threshold_ms
    if any(math.isclose(t, b, rel_tol=1e-9) for b in bounds):
        return
    ordered = sorted(bounds)
    below = [b for b in ordered if b < t]
    above = [b for b in ordered if b > t]
    if below and above:
        where_t = f"falls between the latency buckets {below[-1]:g} and {above[0]:g} ms"
    elif above:
        where_t = f"is under the first latency bucket bound {above[0]:g} ms"
    else:
        where_t = f"is over the last latency bucket bound {below[-1]:g} ms"
    raise ConfigError(
        f"{where}: key 'slo.{spec.name}.threshold_ms' = {t:g} {where_t} of source {source}; "
        "use a bucket bound (good requests are counted from whole buckets)"
    )


def bounds_in(frame: MetricFrame) -> list[float]:
    """The latency bucket bounds a frame carries shares for."""
    out = set()
    for key in frame.series:
        if key.metric.startswith(LATENCY_PREFIX):
            try:
                out.add(float(key.metric.removeprefix(LATENCY_PREFIX)))
            except ValueError:
                continue
    return sorted(out)


def sli_events(frame: MetricFrame, spec: SloSpec) -> SliData:
    """Events per region and for the fleet; `unsupported` says what the frame lacks."""
    index = frame.data.index
    assert isinstance(index, pd.DatetimeIndex)
    step = frame.step_seconds
    rates = _by_region(frame, "request_rate", spec.regions)
    if spec.sli == "latency" and spec.threshold_ms is not None:
        name = latency_metric(spec.threshold_ms)
        shares = _by_region(frame, name, spec.regions)
        missing = f"no {name} series (latency buckets) in source {frame.source}"
    else:
        shares = {r: 1.0 - v for r, v in _by_region(frame, "error_ratio_5xx", spec.regions).items()}
        missing = f"no request_rate and error_ratio_5xx series in source {frame.source}"
    regions = sorted(set(rates) & set(shares))
    if not regions:
        return SliData(index, step, [], missing)
    stamps = index.as_unit("s").asi8
    scopes = []
    for region in regions:
        rate = rates[region]
        total = rate * step
        good_share = np.clip(shares[region], 0.0, 1.0)
        # No traffic: nothing to divide, so the ratio is a gap, but no request went bad.
        bad = np.where(total == 0, 0.0, total * (1.0 - good_share))
        total = np.where(np.isnan(bad), np.nan, total)
        scopes.append(Events(region, total, bad, stamps))
    stacked_total = np.vstack([s.total for s in scopes])
    stacked_bad = np.vstack([s.bad for s in scopes])
    none = np.all(np.isnan(stacked_total), axis=0)
    fleet_total = np.where(none, np.nan, np.nansum(stacked_total, axis=0))
    fleet_bad = np.where(none, np.nan, np.nansum(stacked_bad, axis=0))
    return SliData(index, step, [Events(FLEET, fleet_total, fleet_bad, stamps), *scopes])


def _by_region(frame: MetricFrame, metric: str, regions: Sequence[str]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for column in frame.data.columns:
        key = SeriesKey.parse(column)
        if key.metric != metric:
            continue
        if any(name not in ("region",) for name, _ in key.labels):
            continue  # per-endpoint and other breakdowns are not the service's SLI
        region = key.label("region") or "global"
        if regions and region not in regions:
            continue
        out[region] = frame.data[column].to_numpy(dtype=np.float64)
    return out

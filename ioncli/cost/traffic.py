"""`--traffic FILE|RATE`: a traffic profile for a service with no history.

RATE is the whole service's request rate, split evenly over its regions, with an optional
median latency: `50/s`, `3000/min`, `1.2M/day`, `10M/month` (a bare number is per second),
`50/s@120ms`. It becomes a flat week at `--step`. FILE is anything `--source file:` reads
(Parquet from `ion pull`, or CSV) with at least `request_rate`; missing busy time is filled in
by the queueing model of `projection` under today's configuration, so the report and any
`--what-if` price it like measured traffic, and say that it is not.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from ioncli.cost.projection import occupancy
from ioncli.cost.service_config import FleetConfig
from ioncli.errors import UsageError
from ioncli.frame import MetricFrame, SeriesKey

DEFAULT_LATENCY_MS = 100.0
MAX_RPS = 10_000_000.0  # beyond this the number is a typo (Cloud Run quotas stop far lower)
_PER = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "hour": 3600.0, "day": 86400.0,
        "d": 86400.0, "month": 730 * 3600.0}  # fmt: skip
_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9}
_RATE = re.compile(
    r"^\s*(?P<num>[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*(?P<mult>[kmb]?)\s*"
    r"(?:/\s*(?P<per>[a-z]+))?\s*(?:@\s*(?P<lat>[0-9]*\.?[0-9]+)\s*(?P<lu>ms|s)?)?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Rate:
    per_second: float
    latency_ms: float
    latency_given: bool

    def describe(self) -> str:
        return (
            f"a flat {self.per_second:,.4g} requests/s for the whole service, split evenly "
            f"over its regions, median latency {self.latency_ms:g} ms"
            + ("" if self.latency_given else " (assumed; give it as RATE@LATENCY)")
        )


def parse_rate(text: str) -> Rate | None:
    """A RATE, or None when the text does not look like one (then it is a FILE)."""
    match = _RATE.match(text)
    if not match:
        return None
    per = (match.group("per") or "s").lower()
    if per not in _PER:
        raise UsageError(
            f"--traffic {text!r}: unknown period {per!r} (use /s, /min, /h, /day or /month)"
        )
    rps = float(match.group("num")) * _SUFFIX[match.group("mult").lower()] / _PER[per]
    if not math.isfinite(rps) or not 0 <= rps <= MAX_RPS:
        raise UsageError(
            f"--traffic {text!r}: {rps:g} requests/s is not a plausible rate (0 to {MAX_RPS:,.0f})"
        )
    latency, given = DEFAULT_LATENCY_MS, match.group("lat") is not None
    if given:
        latency = float(match.group("lat")) * (1000.0 if match.group("lu") == "s" else 1.0)
        if not 0 < latency <= 3_600_000:
            raise UsageError(f"--traffic {text!r}: latency must be above 0 and at most 60 min")
    return Rate(rps, latency, given)


def flat_frame(
    rate: Rate, fleet: FleetConfig, start: datetime, end: datetime, step: int
) -> MetricFrame:
    """A flat week (or the asked range) of `rate` over the fleet's regions."""
    times = pd.date_range(start, end - timedelta(seconds=step), freq=f"{step}s", tz="UTC")
    per_region = rate.per_second / max(len(fleet.regions), 1)
    data: dict[str, np.ndarray] = {}
    for config in fleet.regions:
        labels = {"region": config.region}
        data[SeriesKey.of("request_rate", labels).id] = np.full(len(times), per_region)
        data[SeriesKey.of("latency_p50", labels).id] = np.full(len(times), rate.latency_ms)
    frame = MetricFrame(
        pd.DataFrame(data, index=times), source="traffic", step_seconds=step, simulated=True
    )
    return with_modelled_busy(frame, fleet, rate.latency_ms)


def with_modelled_busy(
    frame: MetricFrame, fleet: FleetConfig, latency_ms: float = DEFAULT_LATENCY_MS
) -> MetricFrame:
    """Fill in billable instance time where the frame has requests but no busy time."""

    data = frame.data.copy()
    for config in fleet.regions:
        labels = {"region": config.region}
        busy_id = SeriesKey.of("billable_instance_time", labels).id
        rate_id = SeriesKey.of("request_rate", labels).id
        if busy_id in data.columns or rate_id not in data.columns:
            continue
        lat_id = SeriesKey.of("latency_p50", labels).id
        latency = data[lat_id] if lat_id in data.columns else latency_ms
        in_flight = (data[rate_id] * latency / 1000.0).to_numpy(dtype=np.float64)
        busy = occupancy(np.nan_to_num(in_flight), config.concurrency, None, config.size.cpu)
        data[busy_id] = np.minimum(busy, config.max_instances)
    return MetricFrame(
        data, dict(frame.units), frame.source, frame.step_seconds, True,
        list(frame.incidents), list(frame.warnings),
    )  # fmt: skip

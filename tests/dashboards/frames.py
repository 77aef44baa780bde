"""Small literal frames for the dashboard tests: every value written out or one line of numpy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from ioncli.frame import MetricFrame, SeriesKey, from_points

START = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
REGIONS = ("us-central1", "europe-west1")
NASTY = '<script>alert("x")</script> | a|b *bold* `code` [link](http://example.com) ' + "z" * 120


def frame(
    series: Mapping[str, Sequence[float]],
    *,
    step: int = 60,
    start: datetime = START,
    source: str = "test",
) -> MetricFrame:
    """Each series id -> values at start, start + step, ... (NaN for a gap)."""
    points = {}
    for sid, values in series.items():
        times = [start + timedelta(seconds=step * i) for i in range(len(values))]
        points[SeriesKey.parse(sid)] = (times, [float(v) for v in values])
    return from_points(points, source=source, step_seconds=step)


def flat(value: float, n: int = 120) -> list[float]:
    return [value] * n


def healthy_fleet(n: int = 120, regions: Sequence[str] = REGIONS) -> dict[str, list[float]]:
    """Every dashboard metric, per region, comfortably inside the default rules."""
    out: dict[str, list[float]] = {}
    for i, region in enumerate(regions):
        base = {
            "request_rate": 100.0 * (i + 1),
            "latency_p50": 20.0,
            "latency_p95": 50.0,
            "latency_p99": 90.0,
            "error_ratio_5xx": 0.001,
            "error_ratio_4xx": 0.02,
            "availability": 0.9999,
            "instances_active": 3.0,
            "instances_idle": 1.0,
            "cpu_utilization": 0.4,
            "memory_utilization": 0.5,
            "startup_latency_p95": 1500.0,
            "max_concurrency_p95": 12.0,
            "cache_hit_ratio_l1": 0.6,
            "cache_hit_ratio_l2": 0.5,
            "cache_hit_ratio": 0.85,
            "cache_evictions": 0.2,
            "billable_instance_time": 3.5,
            "routing_confidence_mean": 0.7,
            "persona_share_lua": 0.4,
            "persona_share_elro": 0.2,
            "persona_share_riri": 0.2,
            "persona_share_nana": 0.2,
        }
        for metric, value in base.items():
            out[f"{metric}{{region={region}}}"] = flat(value, n)
        out[f"pipeline_latency_p95{{endpoint=/api/v2/process,region={region}}}"] = flat(40.0, n)
    return out


def with_spike(values: list[float], at: int, length: int, value: float) -> list[float]:
    out = list(values)
    out[at : at + length] = [value] * length
    return out


def noisy(value: float, n: int, seed: int = 1, scale: float = 0.02) -> list[float]:
    rng = np.random.default_rng(seed)
    return list(value * (1 + scale * rng.standard_normal(n)))

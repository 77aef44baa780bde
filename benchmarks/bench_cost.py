"""How long `ion cost-report`'s analysis takes: the simulated fleet over 7 and 30 days, and a
bursty service that scales to 100 instances (the worst case for the schedule search).

Usage: python benchmarks/bench_cost.py [--runs N]

Loads each frame once, then times `build_report` (usage, cost model, recommendation curve,
hour-of-week schedule, the report's windows) and the three text renderers, N times each,
and prints the medians. Goal: a 30-day report in well under a second on 2 cores.

Then the what-if target: `--what-if cpu=1 --what-if concurrency=40 --what-if min=1
--what-if billing=instance-based` over 30 days x 3 regions at 1 minute, from the loaded frame
(usage extraction, both sides priced, cold starts, risks): under 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from ioncli.config import Settings
from ioncli.cost import pricing, service_config
from ioncli.cost.analysis import METRICS, build_report
from ioncli.cost.model import Options
from ioncli.cost.render import RENDERERS
from ioncli.cost.usage import extract
from ioncli.cost.whatif import parse_changes, what_if
from ioncli.frame import MetricFrame, SeriesKey


def sim_frame(since: str) -> MetricFrame:
    from ioncli.commands._source import load_frame

    now = datetime(2026, 11, 28, tzinfo=UTC)
    return load_frame(Settings(), "sim", since, None, "1m", METRICS, now=now)


def bursty_frame(days: int) -> MetricFrame:
    """One region: quiet nights near zero, 30-minute bursts up to 100 busy instances."""
    n = days * 1440
    times = pd.date_range("2026-10-01", periods=n, freq="60s", tz="UTC")
    rng = np.random.default_rng(7)
    hour = times.hour.to_numpy()
    base = np.where((hour >= 8) & (hour < 20), 20.0, 0.3)
    burst = (rng.random(n // 30) < 0.1).repeat(30)[:n] * rng.uniform(20, 80, n // 30).repeat(30)[:n]
    busy = np.clip(base + burst + rng.normal(0, 2, n), 0, 100)
    region = {"region": "us-central1"}
    data = pd.DataFrame(
        {
            SeriesKey.of("billable_instance_time", region).id: busy,
            SeriesKey.of("request_rate", region).id: busy * 15,
            SeriesKey.of("startup_latency_p95", region).id: np.full(n, 1800.0),
        },
        index=times,
    )
    return MetricFrame(data, source="bench:bursty", step_seconds=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    table = pricing.load_table()
    regions = ("us-central1", "europe-west1", "asia-southeast1")
    fleet = service_config.from_settings("ion-mentoring", regions, {}, {}, where="bench")
    bursty_fleet = service_config.from_settings(
        "ion-mentoring",
        ("us-central1",),
        {"min_instances": 10, "max_instances": 100},
        {},
        where="bench",
    )
    cases = {
        "sim, 3 regions, 7 d at 1 min": (sim_frame("7d"), fleet),
        "sim, 3 regions, 30 d at 1 min": (sim_frame("30d"), fleet),
        "bursty to 100 instances, 30 d": (bursty_frame(30), bursty_fleet),
    }
    print(
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {args.runs} runs each"
    )
    print(f"{'case':<32} {'points':>8} {'build ms':>9} {'render ms':>10}")
    for name, (frame, config) in cases.items():
        build, render = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            report = build_report(frame, config, table, Options(), now=datetime.now(UTC))
            mid = time.perf_counter()
            for fmt in ("json", "markdown", "html"):
                getattr(RENDERERS, fmt)(report)
            build.append(mid - start)
            render.append(time.perf_counter() - mid)
        points = frame.data.size
        print(
            f"{name:<32} {points:>8,} {statistics.median(build) * 1000:>9.0f} "
            f"{statistics.median(render) * 1000:>10.0f}"
        )
    frame, config = cases["sim, 3 regions, 30 d at 1 min"]
    changes = parse_changes(["cpu=1", "concurrency=40", "min=1", "billing=instance-based"])
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        series, _ = extract(frame, regions, table.month_seconds)
        result = what_if(series, config, changes, table, Options())
        times.append(time.perf_counter() - start)
    print(
        f"what-if, 3 regions, 30 d at 1 min: median {statistics.median(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms (target < 500 ms); "
        f"difference {result.difference_on_demand:+,.2f} $/month"
    )


if __name__ == "__main__":
    main()

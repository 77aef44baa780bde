"""Benchmark the `gcp` source against the in-process fake MetricService (real client, gRPC).

    .venv/bin/python benchmarks/bench_pull.py [--repeat 3]

1. decode: 75 series x 7 days at 1 minute (756,000 points) pulled through the real
   MetricServiceClient, decoded from the raw protobuf vs through proto-plus attributes,
   side by side in one run (targets: raw <= 2 s wall, >= 10x faster than proto-plus);
2. cache: the same week pulled again from the on-disk cache vs the first pull
   (target: >= 10x faster);
3. concurrency: 75 queries with 100 ms of injected latency each, bounded thread pool vs
   one at a time (target: <= 1.5 s; serially it is 7.5 s).

It also times the simulator: 30 days x 75 series at 1 minute (target: < 1 s).

The fake aggregates each request once and keeps the serialized pages, and every measured
pull follows a warm-up pull, so the numbers are the client's work (network stack, protobuf
parsing, decoding, frame building), not the fake's Python loops.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from ioncli.config import Settings  # noqa: E402
from ioncli.sources import FetchRequest  # noqa: E402
from ioncli.sources.cache import QueryCache  # noqa: E402
from ioncli.sources.cloud_monitoring import DEFAULT_WORKERS, CloudMonitoringSource  # noqa: E402
from tests.fakes.monitoring import FakeSeries, serve_monitoring  # noqa: E402

END = datetime(2026, 11, 28, tzinfo=UTC)
REGIONS = ("us-central1", "europe-west1", "asia-southeast1")


def bench_series(metrics: int, start: datetime, end: datetime) -> list[FakeSeries]:
    """`metrics` gauges in 3 regions at 1-minute points over [start, end)."""
    times = np.arange(int(start.timestamp()), int(end.timestamp()), 60, dtype=np.int64)
    rng = np.random.default_rng(1)
    out = []
    for m in range(metrics):
        for region in REGIONS:
            out.append(
                FakeSeries(
                    f"custom.googleapis.com/ion/bench_{m:02d}",
                    "cloud_run_revision",
                    {},
                    {"service_name": "ion-mentoring", "location": region},
                    "GAUGE",
                    "DOUBLE",
                    times,
                    rng.normal(100.0, 10.0, len(times)),
                )
            )
    return out


def bench_settings(metrics: int) -> Settings:
    entries = {
        f"bench_{m:02d}": {
            "unit": "ms",
            "metric_type": f"custom.googleapis.com/ion/bench_{m:02d}",
            "filter": 'resource.labels.service_name = "{service}"',
            "aligner": "ALIGN_MEAN",
            "reducer": "REDUCE_MEAN",
        }
        for m in range(metrics)
    }
    return Settings(project="bench", metrics=entries)


def timed(fn: Any, repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(
        f"# bench_pull  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  python {platform.python_version()}"
    )
    print(f"# machine: {platform.machine()}, {_cpus()} CPUs, {platform.platform()}")
    bench_sim(args.repeat)
    bench_decode_and_cache(args.repeat)
    bench_concurrency(args.repeat)


def bench_sim(repeat: int) -> None:
    from ioncli.sources.sim import simulate

    sim_s, sim = timed(lambda: simulate(END - timedelta(days=30), END), repeat)
    print("\n## 0. the simulated fleet (vectorised numpy; the source behind demos and tests)")
    print(
        f"30 days x {sim.data.shape[1]} series at 1 min ({sim.data.size:,} values)  {sim_s:.3f} s"
    )


def bench_decode_and_cache(repeat: int) -> None:
    week = END - timedelta(days=7)
    settings = bench_settings(25)
    request = FetchRequest(start=week, end=END, step_seconds=60)
    with serve_monitoring(bench_series(25, week, END)) as fake:

        def pull(decode: str, cache: QueryCache | None = None) -> Any:
            src = CloudMonitoringSource(
                fake.client(), settings, decode=decode, cache=cache, progress=False
            )
            return src.fetch(request)

        pull("raw")  # warm-up: the fake aggregates and serializes each page once
        raw_s, frame = timed(lambda: pull("raw"), repeat)
        # One proto-plus pull is enough to see the gap (and it is the slow one).
        plus_s, frame_plus = timed(lambda: pull("proto-plus"), 1)
        points = int(frame.data.notna().sum().sum())
        assert frame.data.shape == (10080, 75) and frame.data.equals(frame_plus.data)
        print("\n## 1. decode: 75 series x 7 days at 1 min, 25 queries, real client over gRPC")
        print(f"points decoded             {points:,}")
        print(f"raw protobuf (median)      {raw_s:.3f} s")
        print(f"proto-plus attrs (median)  {plus_s:.3f} s")
        print(f"speed-up                   {plus_s / raw_s:.1f}x")

        with tempfile.TemporaryDirectory() as folder:

            def cold() -> Any:
                for old in Path(folder).glob("gcp/*.npz"):
                    old.unlink()
                return pull("raw", QueryCache(Path(folder)))

            first_s, _ = timed(cold, repeat)
            cold()
            calls = len(fake.service.calls)
            cached_s, cached = timed(lambda: pull("raw", QueryCache(Path(folder))), repeat)
            assert len(fake.service.calls) == calls and cached.data.equals(frame.data)
        print("\n## 2. cache: the same week again")
        print(f"first pull, empty cache    {first_s:.3f} s")
        print(f"repeat pull, from cache    {cached_s:.3f} s  (0 calls to Cloud Monitoring)")
        print(f"speed-up                   {first_s / cached_s:.1f}x")


def bench_concurrency(repeat: int) -> None:
    hour = END - timedelta(hours=1)
    settings75 = bench_settings(75)
    small = FetchRequest(start=hour, end=END, step_seconds=60, regions=("us-central1",))
    with serve_monitoring(bench_series(75, hour, END), latency=0.1) as fake:

        def spread(workers: int) -> Any:
            src = CloudMonitoringSource(
                fake.client(), settings75, max_workers=workers, progress=False
            )
            return src.fetch(small)

        spread(DEFAULT_WORKERS)
        pooled_s, frame = timed(lambda: spread(DEFAULT_WORKERS), repeat)
        assert frame.data.shape[1] == 75
        most = fake.service.max_in_flight
        serial_s, _ = timed(lambda: spread(1), 1)
    print("\n## 3. concurrency: 75 queries, 100 ms injected latency each")
    print(f"bounded pool, {DEFAULT_WORKERS} workers   {pooled_s:.3f} s (max in flight {most})")
    print(f"one at a time              {serial_s:.3f} s")
    print(f"speed-up                   {serial_s / pooled_s:.1f}x")


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


if __name__ == "__main__":
    main()

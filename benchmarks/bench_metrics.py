"""What recording one request costs: ion's pre-bound metrics against prometheus-client.

Usage: python benchmarks/bench_metrics.py [--runs N] [--requests N]

ion's hot path (ioncli.serve.app) looks its RouteStats up once per route and then, per request,
calls `Metrics.observe_request(stats, status, seconds)`: one histogram per (route, status) and
the raw-latency window the history sampler reads. The comparison is what the same information
costs with prometheus-client the usual way: a counter and a histogram labelled by route and
status, `.labels(...)` looked up per request. Both run interleaved in one process, N rounds;
the script prints the median nanoseconds per request of each and their ratio. This backs the
figure in the docstring of ioncli/serve/metrics.py.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

from ioncli.serve.metrics import LATENCY_BUCKETS, Metrics

STATUSES = (200, 200, 200, 200, 200, 200, 200, 422, 404, 500)
ROUTES = ("/api/v2/process", "/api/v2/health", "/api/v2/personas")


def ion_recorder() -> Callable[[int], None]:
    metrics = Metrics()
    bound = [metrics.route(r) for r in ROUTES]

    def record(i: int) -> None:
        metrics.observe_request(bound[i % 3], STATUSES[i % 10], 0.001 + (i % 50) * 1e-4)

    return record


def prometheus_recorder() -> Callable[[int], None]:
    from prometheus_client import CollectorRegistry, Counter, Histogram

    registry = CollectorRegistry()
    requests = Counter("ion_requests", "requests", ["route", "status"], registry=registry)
    latency = Histogram(
        "ion_request_seconds", "latency", ["route", "status"], buckets=LATENCY_BUCKETS,
        registry=registry,
    )  # fmt: skip

    def record(i: int) -> None:
        route, status = ROUTES[i % 3], str(STATUSES[i % 10])
        requests.labels(route, status).inc()
        latency.labels(route, status).observe(0.001 + (i % 50) * 1e-4)

    return record


def per_request_ns(record: Callable[[int], None], n: int) -> float:
    started = time.perf_counter_ns()
    for i in range(n):
        record(i)
    return (time.perf_counter_ns() - started) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--requests", type=int, default=200_000)
    args = parser.parse_args()
    recorders = {"ion": ion_recorder(), "prometheus-client": prometheus_recorder()}
    times: dict[str, list[float]] = {name: [] for name in recorders}
    for record in recorders.values():
        per_request_ns(record, 10_000)  # warm up
    for _ in range(args.runs):
        for name, record in recorders.items():
            times[name].append(per_request_ns(record, args.requests))
    print(f"python {platform.python_version()}, load {os.getloadavg()[0]:.2f}, "
          f"{args.runs} interleaved rounds of {args.requests:,} requests")  # fmt: skip
    for name, values in times.items():
        print(f"{name:18s} median {statistics.median(values):7.0f} ns/request "
              f"(min {min(values):.0f}, max {max(values):.0f})")  # fmt: skip
    ratio = statistics.median(times["prometheus-client"]) / statistics.median(times["ion"])
    print(f"prometheus-client / ion: {ratio:.2f}x")


if __name__ == "__main__":
    main()

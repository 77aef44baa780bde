"""The service's own metrics: pre-bound counters on the hot path, Prometheus text on demand.

Hand-written rather than prometheus-client: a request touches two attributes and one list
slot of an object looked up once per (route, status); the exposition walks them only when
`/metrics` is scraped. benchmarks/bench_metrics.py measures recording one request at about
1.5-2 µs, about 5x less than a prometheus-client counter and histogram labelled by route and
status (benchmarks/results/metrics.md). The same objects feed the history sampler.
"""

from __future__ import annotations

import os
import random
import resource
import time
from bisect import bisect_left
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ioncli.serve.cache import TwoTierCache

LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
CONFIDENCE_BUCKETS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0)
WINDOW_SAMPLES = 20_000  # latencies kept per 10 s window for exact-enough percentiles


class Histogram:
    __slots__ = ("bounds", "count", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value
        self.count += 1


class Window:
    """Raw values since the last history sample; a reservoir once it is full (bounded)."""

    __slots__ = ("seen", "values")

    def __init__(self) -> None:
        self.values: list[float] = []
        self.seen = 0

    def add(self, value: float) -> None:
        self.seen += 1
        if len(self.values) < WINDOW_SAMPLES:
            self.values.append(value)
        else:
            slot = random.randrange(self.seen)
            if slot < WINDOW_SAMPLES:
                self.values[slot] = value

    def take(self) -> list[float]:
        values, self.values, self.seen = self.values, [], 0
        return values


class RouteStats:
    """Counters for one route template; one histogram per status code."""

    __slots__ = ("by_status", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self.by_status: dict[int, Histogram] = {}

    def observe(self, status: int, seconds: float) -> None:
        hist = self.by_status.get(status)
        if hist is None:
            hist = self.by_status[status] = Histogram(LATENCY_BUCKETS)
        hist.observe(seconds)


class Metrics:
    def __init__(self) -> None:
        self.started = time.time()
        self.routes: dict[str, RouteStats] = {}
        self.latency_window = Window()  # milliseconds, every request
        self.pipeline: dict[str, Histogram] = {}
        self.pipeline_windows: dict[str, Window] = {}
        self.personas: dict[str, int] = {"Lua": 0, "Elro": 0, "Riri": 0, "Nana": 0}
        self.confidence = Histogram(CONFIDENCE_BUCKETS)
        self.cache: TwoTierCache | None = None
        self.inflight = 0
        self.inflight_peak = 0  # since the last history sample
        self.busy_since = 0.0  # perf_counter() when the service last went from idle to busy
        self.busy_seconds = 0.0  # total time with at least one request in flight, closed spans

    def busy_until(self, now: float) -> float:
        """Busy seconds up to `now` (perf_counter), counting a span still open."""
        return self.busy_seconds + (now - self.busy_since if self.inflight else 0.0)

    def route(self, name: str) -> RouteStats:
        stats = self.routes.get(name)
        if stats is None:
            stats = self.routes[name] = RouteStats(name)
        return stats

    def observe_request(self, route: RouteStats, status: int, seconds: float) -> None:
        route.observe(status, seconds)
        self.latency_window.add(seconds * 1000.0)

    def observe_pipeline(self, endpoint: str, seconds: float) -> None:
        hist = self.pipeline.get(endpoint)
        if hist is None:
            hist = self.pipeline[endpoint] = Histogram(LATENCY_BUCKETS)
            self.pipeline_windows[endpoint] = Window()
        hist.observe(seconds)
        self.pipeline_windows[endpoint].add(seconds * 1000.0)

    def observe_routing(self, persona: str, confidence: float) -> None:
        self.personas[persona] = self.personas.get(persona, 0) + 1
        self.confidence.observe(confidence)

    def requests_total(self) -> int:
        return sum(h.count for r in self.routes.values() for h in r.by_status.values())

    def errors_5xx(self) -> int:
        return sum(
            h.count for r in self.routes.values() for code, h in r.by_status.items() if code >= 500
        )

    # ---- exposition ---------------------------------------------------------------------

    def exposition(self) -> str:
        lines: list[str] = []
        add = lines.append
        add("# HELP ion_http_requests_total HTTP requests answered, by route and status.")
        add("# TYPE ion_http_requests_total counter")
        for route in self.routes.values():
            for status, hist in sorted(route.by_status.items()):
                labels = f'route="{route.name}",status="{status}"'
                add(f"ion_http_requests_total{{{labels}}} {hist.count}")
        add("# HELP ion_http_request_duration_seconds Time from request to response body.")
        add("# TYPE ion_http_request_duration_seconds histogram")
        for route in self.routes.values():
            for status, hist in sorted(route.by_status.items()):
                labels = f'route="{route.name}",status="{status}"'
                lines.extend(_histogram("ion_http_request_duration_seconds", labels, hist))
        add("# HELP ion_pipeline_duration_seconds Pipeline time per endpoint (cache misses).")
        add("# TYPE ion_pipeline_duration_seconds histogram")
        for endpoint, hist in sorted(self.pipeline.items()):
            lines.extend(
                _histogram("ion_pipeline_duration_seconds", f'endpoint="{endpoint}"', hist)
            )
        add("# HELP ion_persona_selections_total Answers by the persona that gave them.")
        add("# TYPE ion_persona_selections_total counter")
        for persona, count in self.personas.items():
            add(f'ion_persona_selections_total{{persona="{persona}"}} {count}')
        add("# HELP ion_routing_confidence Routing confidence of each routed request.")
        add("# TYPE ion_routing_confidence histogram")
        lines.extend(_histogram("ion_routing_confidence", "", self.confidence))
        if self.cache is not None:
            lines.extend(_cache_lines(self.cache))
        lines.extend(_process_lines(self.started))
        return "\n".join(lines) + "\n"


def _fmt(value: float) -> str:
    return "+Inf" if value == float("inf") else repr(float(value))


def _histogram(name: str, labels: str, hist: Histogram) -> Iterable[str]:
    sep = "," if labels else ""
    running = 0
    for bound, count in zip((*hist.bounds, float("inf")), hist.counts, strict=True):
        running += count
        yield f'{name}_bucket{{{labels}{sep}le="{_fmt(bound)}"}} {running}'
    brace = f"{{{labels}}}" if labels else ""
    yield f"{name}_sum{brace} {hist.sum!r}"
    yield f"{name}_count{brace} {hist.count}"


def _cache_lines(cache: TwoTierCache) -> Iterable[str]:
    tiers = [("l1", cache.l1.counters)]
    if cache.l2 is not None:
        tiers.append(("l2", cache.l2.counters))
    yield "# HELP ion_cache_requests_total Cache lookups by tier and result."
    yield "# TYPE ion_cache_requests_total counter"
    for tier, c in tiers:
        yield f'ion_cache_requests_total{{tier="{tier}",result="hit"}} {c.hits}'
        yield f'ion_cache_requests_total{{tier="{tier}",result="miss"}} {c.misses}'
    yield "# HELP ion_cache_evictions_total Entries pushed out of a full tier."
    yield "# TYPE ion_cache_evictions_total counter"
    for tier, c in tiers:
        yield f'ion_cache_evictions_total{{tier="{tier}"}} {c.evictions}'
    yield "# HELP ion_cache_errors_total Failed calls to a tier (Redis down or slow)."
    yield "# TYPE ion_cache_errors_total counter"
    for tier, c in tiers:
        yield f'ion_cache_errors_total{{tier="{tier}"}} {c.errors}'
    yield "# HELP ion_cache_entries Entries held in L1."
    yield "# TYPE ion_cache_entries gauge"
    yield f'ion_cache_entries{{tier="l1"}} {len(cache.l1)}'
    yield "# HELP ion_cache_l2_up 1 when Redis answers, 0 while degraded."
    yield "# TYPE ion_cache_l2_up gauge"
    if cache.l2 is not None:
        yield f"ion_cache_l2_up {0 if cache.l2.degraded else 1}"


def rss_bytes() -> int:
    """Resident memory now (Linux /proc), else the peak from getrusage."""
    try:
        with open("/proc/self/statm", "rb") as fh:  # noqa: PTH123 - hot enough to skip pathlib
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _process_lines(started: float) -> Iterable[str]:
    times = os.times()
    yield "# HELP process_cpu_seconds_total User and system CPU time of this process."
    yield "# TYPE process_cpu_seconds_total counter"
    yield f"process_cpu_seconds_total {times.user + times.system!r}"
    yield "# HELP process_resident_memory_bytes Resident memory."
    yield "# TYPE process_resident_memory_bytes gauge"
    yield f"process_resident_memory_bytes {rss_bytes()}"
    yield "# HELP process_start_time_seconds Start time since the epoch."
    yield "# TYPE process_start_time_seconds gauge"
    yield f"process_start_time_seconds {started!r}"

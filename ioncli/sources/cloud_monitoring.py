"""Source `gcp`: Cloud Monitoring through the official MetricServiceClient (passed in).

Each catalog entry becomes one ListTimeSeries call (a ratio becomes two; identical calls are
made once): aligned and reduced on the server to one series per region at `--step`, paged,
decoded straight from the raw protobuf (proto-plus attribute access is ~17x slower), and
placed on a regular grid (ioncli.sources.grid). Calls run in a bounded thread pool; UNAVAILABLE,
RESOURCE_EXHAUSTED and DEADLINE_EXCEEDED are retried with exponential backoff and full
jitter. A call that still fails leaves its metrics out and says so in `frame.warnings`; a
call the server rejects (bad filter, permission) stops the pull with a SourceError.

Time convention: an aligned point carries the end of its period. A frame window [S, E)
asks for the interval (S - step, E - step], so points land on S, S + step, ..., E - step.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ioncli.errors import ConfigError, SourceError
from ioncli.frame import MetricFrame, SeriesKey
from ioncli.gcp import require_project
from ioncli.render.progress import progress_bar
from ioncli.sources.base import FetchRequest
from ioncli.sources.catalog import GcpQuery, MetricSpec, catalog, filter_problem
from ioncli.sources.grid import Grid, decode_proto_plus, decode_raw, ratios

if TYPE_CHECKING:
    from ioncli.config import Settings
    from ioncli.sources.cache import QueryCache

PAGE_SIZE = 100_000  # the API's maximum, counted in points
# Calls in flight at once: enough to hide latency (75 queries at 100 ms take ~0.5 s), few
# enough to stay far below the read quota and not to starve a 2-core machine's decoding.
DEFAULT_WORKERS = 16


@dataclass
class Stats:
    """What a pull did, for progress, tests and benchmarks."""

    calls: int = 0
    pages: int = 0
    retries: int = 0
    points: int = 0
    cached_queries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


class QueryFailed(Exception):
    """A query that failed after its retries; its metrics are left out of the frame."""


class CloudMonitoringSource:
    """A MetricSource over Cloud Monitoring; `client` is a `MetricServiceClient`."""

    def __init__(
        self,
        client: Any,
        settings: Settings,
        *,
        max_workers: int = DEFAULT_WORKERS,
        attempts: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        timeout: float = 60.0,
        page_size: int = PAGE_SIZE,
        cache: QueryCache | None = None,
        progress: bool | None = None,
        sleep: Callable[[float], None] = time.sleep,
        decode: str = "raw",
    ) -> None:
        self.client = client
        self.settings = settings
        self.name = "gcp"
        self.max_workers = max(1, max_workers)
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        self.page_size = page_size
        self.cache = cache
        self.progress = progress
        self.sleep = sleep
        self.decode = decode  # "raw" (protobuf) or "proto-plus" (benchmarks compare them)
        self.stats = Stats()
        self._rng = random.Random()

    # ---- the MetricSource seam ------------------------------------------------------------

    def fetch(self, request: FetchRequest) -> MetricFrame:
        project = require_project(self.settings)
        specs = catalog(self.settings)
        names = request.metrics or tuple(n for n, s in specs.items() if s.query is not None)
        wanted = [specs[n] for n in names]
        missing = [s.name for s in wanted if s.query is None]
        if missing:
            raise ConfigError(f"metric {missing[0]!r} has no Cloud Monitoring query in the catalog")
        service = request.service or self.settings.service
        queries: dict[str, tuple[str, GcpQuery]] = {}
        for spec in wanted:
            for query in (spec.query, spec.denominator):
                if query is not None:
                    text = self._filter(query, service, request.regions)
                    queries.setdefault(_key(text, query), (text, query))
        step = int(request.step_seconds)
        start = _ceil(int(request.start.timestamp()), step)
        end = _ceil(int(request.end.timestamp()), step)
        grids, failures = self._run_all(project, queries, start, end, step)
        frame = self._assemble(
            wanted, grids=grids, service=service, request=request, start=start, end=end, step=step
        )
        for key, error in failures.items():
            affected = [s.name for s in wanted if self._uses(s, key, service, request.regions)]
            frame.warnings.append(
                f"Cloud Monitoring query failed, left out {', '.join(affected)}: {error}"
            )
        return frame

    # ---- queries --------------------------------------------------------------------------

    def _filter(self, query: GcpQuery, service: str, regions: tuple[str, ...]) -> str:
        problem = filter_problem(query.filter)
        if problem:
            raise ConfigError(f"filter for {query.metric_type} is malformed: {problem}")
        text = query.full_filter(service)
        if regions:
            field_name = query.region_label.replace(".label.", ".labels.")
            quoted = ", ".join(f'"{r}"' for r in regions)
            text += f" AND {field_name} = one_of({quoted})"
        return text

    def _uses(self, spec: MetricSpec, key: str, service: str, regions: tuple[str, ...]) -> bool:
        return any(
            q is not None and _key(self._filter(q, service, regions), q) == key
            for q in (spec.query, spec.denominator)
        )

    def _run_all(
        self,
        project: str,
        queries: dict[str, tuple[str, GcpQuery]],
        start: int,
        end: int,
        step: int,
    ) -> tuple[dict[str, Grid], dict[str, str]]:
        grids: dict[str, Grid] = {}
        failures: dict[str, str] = {}
        with (
            progress_bar("Cloud Monitoring queries", len(queries), show=self.progress) as advance,
            ThreadPoolExecutor(self.max_workers, thread_name_prefix="ion-gcp") as pool,
        ):
            futures: dict[Future[Grid], str] = {
                pool.submit(self._query, project, text, q, start=start, end=end, step=step): key
                for key, (text, q) in queries.items()
            }
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for future in done:
                    key = futures[future]
                    advance()
                    try:
                        grids[key] = future.result()
                    except QueryFailed as exc:
                        failures[key] = str(exc)
                    except Exception:
                        for other in pending:
                            other.cancel()
                        raise
        if failures and not grids:
            first = next(iter(failures.values()))
            raise SourceError(f"Cloud Monitoring is unreachable or failing: {first}")
        return grids, failures

    def _query(
        self, project: str, text: str, query: GcpQuery, *, start: int, end: int, step: int
    ) -> Grid:
        def fetch(lo: int, hi: int) -> Grid:
            return self._fetch_grid(project, text, query, start=lo, end=hi, step=step)

        if self.cache is not None:
            grid: Grid
            grid, hit = self.cache.get_or_fetch(
                project, text, query, start=start, end=end, step=step, fetch=fetch
            )
            if hit:
                self.stats.add(cached_queries=1)
            return grid
        return fetch(start, end)

    def _fetch_grid(
        self, project: str, text: str, query: GcpQuery, *, start: int, end: int, step: int
    ) -> Grid:
        from google.cloud import monitoring_v3

        n = max(0, (end - start) // step)
        grid = Grid(start, step, n)
        if n == 0:
            return grid
        aggregation = monitoring_v3.Aggregation(
            alignment_period={"seconds": step},
            per_series_aligner=getattr(monitoring_v3.Aggregation.Aligner, query.aligner),
            cross_series_reducer=getattr(monitoring_v3.Aggregation.Reducer, query.reducer),
            group_by_fields=list(query.group_by_fields()),
        )
        request = monitoring_v3.ListTimeSeriesRequest(
            name=f"projects/{project}",
            filter=text,
            interval=monitoring_v3.TimeInterval(
                start_time={"seconds": start - step}, end_time={"seconds": end - step}
            ),
            aggregation=aggregation,
            view=monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.FULL,
            page_size=self.page_size,
        )
        fields = query.group_by_fields()
        token = ""
        while True:
            request.page_token = token
            response = self._call(request, query.metric_type)
            self.stats.add(pages=1)
            if self.decode == "raw":
                placed = decode_raw(response._pb, fields, query.percentile, grid, query.below)
            else:
                placed = decode_proto_plus(response, fields, query.percentile, grid, query.below)
            self.stats.add(points=placed)
            token = response.next_page_token
            if not token:
                return grid

    def _call(self, request: Any, what: str) -> Any:
        from google.api_core import exceptions

        for attempt in range(self.attempts):
            try:
                self.stats.add(calls=1)
                pager = self.client.list_time_series(
                    request=request, retry=None, timeout=self.timeout
                )
                return next(iter(pager.pages))
            except exceptions.GoogleAPICallError as exc:
                if not isinstance(exc, _retryable()):
                    raise SourceError(
                        f"Cloud Monitoring rejected the query for {what}: "
                        f"{_status(exc)} {exc.message}"
                    ) from None
                if attempt + 1 == self.attempts:
                    raise QueryFailed(
                        f"{what}: {_status(exc)} after {self.attempts} attempts ({exc.message})"
                    ) from None
                self.stats.add(retries=1)
                cap = min(self.max_backoff, self.backoff * (2**attempt))
                self.sleep(self._rng.uniform(0.0, cap))
        raise AssertionError("unreachable")

    # ---- the frame ------------------------------------------------------------------------

    def _assemble(
        self,
        wanted: list[MetricSpec],
        *,
        grids: dict[str, Grid],
        service: str,
        request: FetchRequest,
        start: int,
        end: int,
        step: int,
    ) -> MetricFrame:
        n = max(0, (end - start) // step)
        index = pd.DatetimeIndex(
            pd.to_datetime(np.arange(start, start + n * step, step), unit="s", utc=True),
            name="time",
        )
        columns: dict[str, np.ndarray] = {}
        units: dict[str, str] = {}
        for spec in wanted:
            assert spec.query is not None
            num = grids.get(_key(self._filter(spec.query, service, request.regions), spec.query))
            if num is None:
                continue
            if spec.denominator is None:
                series = dict(num.values)
            else:
                den_text = self._filter(spec.denominator, service, request.regions)
                den = grids.get(_key(den_text, spec.denominator))
                if den is None:
                    continue
                series = ratios(num, den)
            extra = [f.rsplit(".", 1)[-1] for f in spec.query.group_by]
            for key, values in series.items():
                region = key[0]
                if request.regions and region not in request.regions:
                    continue
                labels = {"region": region or "global"}
                labels.update({name: v for name, v in zip(extra, key[1:], strict=False) if v})
                out = values * spec.scale if spec.scale != 1.0 else values
                if spec.complement:
                    out = 1.0 - out
                sid = SeriesKey.of(spec.name, labels).id
                columns[sid] = out
                units[sid] = spec.unit
        data = pd.DataFrame(columns, index=index) if columns else pd.DataFrame(index=index)
        return MetricFrame(data, units, source="gcp", step_seconds=step)


def _key(text: str, query: GcpQuery) -> str:
    """What makes two calls the same call: the filter and the whole aggregation."""
    group_by = ",".join(query.group_by_fields())
    below = f" le{query.below:g}" if query.below else ""
    return f"{text} | {query.aligner} {query.reducer} by {group_by} p{query.percentile:g}{below}"


def _retryable() -> tuple[type[Exception], ...]:
    """The errors worth another attempt: the server is busy, over quota or slow, not wrong
    (ResourceExhausted is a TooManyRequests)."""
    from google.api_core import exceptions

    return (exceptions.ServiceUnavailable, exceptions.TooManyRequests, exceptions.DeadlineExceeded)


def _status(exc: Any) -> str:
    code = getattr(exc, "grpc_status_code", None)
    return code.name if code is not None else type(exc).__name__


def _ceil(value: int, step: int) -> int:
    return -(-value // step) * step

"""The service's own metric history: sampled every 10 s into SQLite, served over HTTP.

This is what lets `ion dashboard --source local` and friends read a running `ion serve` with
no cloud: the sampler turns the live counters of metrics.py into the catalog's metrics
(request rate, latency percentiles, error ratios, cache hit ratios per tier, persona shares,
routing confidence, ...) for each 10-second step, and a restart keeps what was written.
A step with no traffic has no latency or ratio (a gap), never an invented zero.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from ioncli.errors import ConfigError
from ioncli.serve.errors import HTTPError, invalid
from ioncli.serve.metrics import Metrics, rss_bytes
from ioncli.serve.schemas import HistoryResponse, SeriesOut
from ioncli.sources.catalog import catalog, keeps_worst
from ioncli.times import parse_iso

if TYPE_CHECKING:
    from ioncli.serve.cache import TwoTierCache

STEP_SECONDS = 10
MAX_STEP_SECONDS = 3600

# What the sampler writes, in this order (the order of the series in an answer); each is a
# catalog metric under its own name, so units and the downsampling rule come from there.
SAMPLED = (
    "request_rate",
    "latency_p50",
    "latency_p95",
    "latency_p99",
    "error_ratio_5xx",
    "error_ratio_4xx",
    "availability",
    "instances_active",
    "cpu_utilization",
    "billable_instance_time",
    "max_concurrency_p95",
    "memory_utilization",
    "cache_hit_ratio_l1",
    "cache_hit_ratio_l2",
    "cache_hit_ratio",
    "cache_evictions",
    "pipeline_latency_p95",
    "routing_confidence_mean",
    "persona_share_lua",
    "persona_share_elro",
    "persona_share_riri",
    "persona_share_nana",
)
_CATALOG = catalog()
UNITS = {name: _CATALOG[name].unit for name in SAMPLED}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (
    metric TEXT NOT NULL,
    endpoint TEXT NOT NULL DEFAULT '',
    ts INTEGER NOT NULL,
    value REAL,
    PRIMARY KEY (metric, endpoint, ts)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS samples_ts ON samples (ts);
CREATE TABLE IF NOT EXISTS hot_entries (
    key TEXT PRIMARY KEY,
    rank INTEGER NOT NULL,
    value BLOB NOT NULL
);
"""


def percentile(values: list[float], q: float, *, is_sorted: bool = False) -> float | None:
    """Nearest-rank percentile (q in 0..100); None when empty."""
    if not values:
        return None
    ordered = values if is_sorted else sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


def memory_limit_bytes() -> int | None:
    """The cgroup memory limit (a container's), else the machine's memory."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        with contextlib.suppress(OSError, ValueError):
            text = Path(path).read_text().strip()
            if text != "max" and int(text) < 1 << 60:
                return int(text)
    with contextlib.suppress(ValueError, OSError, AttributeError):
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return None


@dataclass
class _Snapshot:
    at: float
    cpu: float
    by_class: dict[str, int]
    l1_hits: int
    l1_misses: int
    l1_evictions: int
    l2_hits: int
    l2_misses: int
    personas: dict[str, int]
    confidence_sum: float
    confidence_count: int
    busy: float


Row = tuple[str, str, int, float | None]


class HistoryUnavailable(Exception):
    """The history file cannot be used; the message names it."""


class HistoryStore:
    """SQLite at `path`; every call opens its own connection so threads never share one.

    A write that fails is counted and remembered (`last_error`): health reports the history
    as degraded until a write succeeds again.
    """

    def __init__(self, path: Path, retention_seconds: float = 8 * 86400) -> None:
        self.path = path
        self.retention_seconds = retention_seconds
        self.last_error: str | None = None
        self.failed_writes = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=5.0)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            with db:
                yield db
        finally:
            db.close()

    def write(self, rows: list[Row]) -> None:
        try:
            with self._connect() as db:
                db.executemany("INSERT OR REPLACE INTO samples VALUES (?, ?, ?, ?)", rows)
                if rows:
                    cutoff = rows[0][2] - int(self.retention_seconds)
                    db.execute("DELETE FROM samples WHERE ts < ?", (cutoff,))
        except (sqlite3.Error, OSError) as exc:
            self.failed_writes += 1
            self.last_error = f"{self.path}: {exc}"[:300]
            raise
        self.last_error = None

    def read_steps(
        self, since: int, until: int, step: int, metrics: tuple[str, ...] = ()
    ) -> dict[tuple[str, str], list[tuple[int, float | None]]]:
        """One value per `step` bucket, downsampled by SQLite itself (worst value for the
        percentiles, mean for the rest): an 8-day read never builds 1.5 million tuples."""
        names = metrics or tuple(UNITS)
        out: dict[tuple[str, str], list[tuple[int, float | None]]] = {}
        try:
            with self._connect() as db:
                for metric in names:
                    agg = "MAX(value)" if keeps_worst(metric) else "AVG(value)"
                    # The primary key (metric, endpoint, ts) serves this range directly.
                    rows = db.execute(
                        f"SELECT endpoint, ts / ? * ? AS bucket, {agg} FROM samples "
                        "WHERE metric = ? AND ts >= ? AND ts < ? "
                        "GROUP BY endpoint, bucket ORDER BY endpoint, bucket",
                        (step, step, metric, since, until),
                    )
                    for endpoint, bucket, value in rows:
                        out.setdefault((metric, endpoint), []).append((bucket, value))
        except sqlite3.Error as exc:
            self.last_error = f"{self.path}: {exc}"[:300]
            raise HistoryUnavailable(
                f"the metric history file {self.path} cannot be read ({exc}); "
                "it is moved aside and started fresh at the next start"
            ) from None
        return out

    def read(
        self, since: int, until: int, metrics: tuple[str, ...] = ()
    ) -> dict[tuple[str, str], list[tuple[int, float | None]]]:
        query = "SELECT metric, endpoint, ts, value FROM samples WHERE ts >= ? AND ts < ?"
        args: list[object] = [since, until]
        if metrics:
            query += f" AND metric IN ({','.join('?' * len(metrics))})"
            args.extend(metrics)
        out: dict[tuple[str, str], list[tuple[int, float | None]]] = {}
        with self._connect() as db:
            for metric, endpoint, ts, value in db.execute(
                query + " ORDER BY metric, endpoint, ts", args
            ):
                out.setdefault((metric, endpoint), []).append((ts, value))
        return out

    def save_hot(self, entries: list[tuple[str, bytes]]) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM hot_entries")
            db.executemany(
                "INSERT OR REPLACE INTO hot_entries VALUES (?, ?, ?)",
                [(key, rank, value) for rank, (key, value) in enumerate(entries)],
            )

    def load_hot(self, limit: int) -> list[tuple[str, bytes]]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT key, value FROM hot_entries ORDER BY rank LIMIT ?", (limit,)
            ).fetchall()
        return [(str(k), bytes(v)) for k, v in rows]


class Sampler:
    """Turns counters into one row per metric per 10-second step."""

    def __init__(self, metrics: Metrics, cache: TwoTierCache) -> None:
        self.metrics = metrics
        self.cache = cache
        self.cpus = os.cpu_count() or 1
        self.memory_limit = memory_limit_bytes()
        self._last = self._snapshot(time.time())
        self._last_ts = 0

    def _snapshot(self, now: float) -> _Snapshot:
        times = os.times()
        l1 = self.cache.l1.counters
        l2 = self.cache.l2.counters if self.cache.l2 is not None else None
        m = self.metrics
        return _Snapshot(
            at=now,
            cpu=times.user + times.system,
            by_class=self._api_by_class(),
            l1_hits=l1.hits,
            l1_misses=l1.misses,
            l1_evictions=l1.evictions,
            l2_hits=l2.hits if l2 else 0,
            l2_misses=l2.misses if l2 else 0,
            personas=dict(m.personas),
            confidence_sum=m.confidence.sum,
            confidence_count=m.confidence.count,
            busy=m.busy_until(time.perf_counter()),
        )

    def _api_by_class(self) -> dict[str, int]:
        out = {"2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0}
        for route in self.metrics.routes.values():
            if not route.name.startswith("/api/"):
                continue  # scrapes of /metrics and the history itself are not traffic
            for status, hist in route.by_status.items():
                out[f"{status // 100}xx"] += hist.count
        return out

    def sample(self, now: float) -> list[Row]:
        """Rows for the step ending at `now` (its timestamp is `now` floored to the step)."""
        prev, cur = self._last, self._snapshot(now)
        self._last = cur
        dt = max(cur.at - prev.at, 1e-6)
        ts = int(now // STEP_SECONDS * STEP_SECONDS)
        # The sample at shutdown covers part of the next step: label it so, or it would
        # replace the last full step's row (same timestamp) with a few seconds of data.
        if ts <= self._last_ts:
            ts = self._last_ts + STEP_SECONDS
        self._last_ts = ts
        delta = {k: cur.by_class[k] - prev.by_class.get(k, 0) for k in cur.by_class}
        total = sum(delta.values())
        latencies = sorted(self.metrics.latency_window.take())  # once, for three percentiles
        l1_lookups = (cur.l1_hits - prev.l1_hits) + (cur.l1_misses - prev.l1_misses)
        l2_hits = cur.l2_hits - prev.l2_hits
        l2_lookups = l2_hits + (cur.l2_misses - prev.l2_misses)
        persona_delta = {p: cur.personas.get(p, 0) - prev.personas.get(p, 0) for p in cur.personas}
        routed = sum(persona_delta.values())
        conf_n = cur.confidence_count - prev.confidence_count
        rss = rss_bytes()
        values: dict[str, float | None] = {
            "request_rate": total / dt,
            "latency_p50": percentile(latencies, 50, is_sorted=True),
            "latency_p95": percentile(latencies, 95, is_sorted=True),
            "latency_p99": percentile(latencies, 99, is_sorted=True),
            "error_ratio_5xx": _ratio(delta["5xx"], total),
            "error_ratio_4xx": _ratio(delta["4xx"], total),
            "availability": None if total == 0 else 1.0 - delta["5xx"] / total,
            "instances_active": 1.0,
            "cpu_utilization": min(1.0, (cur.cpu - prev.cpu) / (dt * self.cpus)),
            "memory_utilization": rss / self.memory_limit if self.memory_limit else None,
            "cache_hit_ratio_l1": _ratio(cur.l1_hits - prev.l1_hits, l1_lookups),
            "cache_hit_ratio_l2": _ratio(l2_hits, l2_lookups) if self.cache.l2 else None,
            "cache_hit_ratio": _ratio(cur.l1_hits - prev.l1_hits + l2_hits, l1_lookups),
            "cache_evictions": (cur.l1_evictions - prev.l1_evictions) / dt,
            "routing_confidence_mean": _ratio(cur.confidence_sum - prev.confidence_sum, conf_n),
            # Request-based billing charges an instance while a request is in flight.
            "billable_instance_time": min(1.0, (cur.busy - prev.busy) / dt),
            # One instance: the most requests in flight at once during the step.
            "max_concurrency_p95": float(self.metrics.inflight_peak),
        }
        self.metrics.inflight_peak = self.metrics.inflight
        for persona, count in persona_delta.items():
            values[f"persona_share_{persona.lower()}"] = _ratio(count, routed)
        rows: list[Row] = [(name, "", ts, value) for name, value in values.items()]
        for endpoint, window in self.metrics.pipeline_windows.items():
            rows.append(("pipeline_latency_p95", endpoint, ts, percentile(window.take(), 95)))
        return rows


# ISO 8601 as people write it (calendar date, optional time and offset); the same pattern is
# published in /openapi.json so generated clients and the server agree.
INSTANT_PATTERN = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:?\d{2})?$"
INSTANT = re.compile(INSTANT_PATTERN.strip("^$"))


def parse_instant(text: str, name: str) -> datetime:
    """An ISO 8601 instant; a naive one is UTC. Raises the 422 that names the parameter."""
    try:
        if not INSTANT.fullmatch(text):
            raise ValueError(text)
        return parse_iso(text)
    except ValueError:
        raise invalid(
            name, f"{name}={text[:64]!r} is not an ISO 8601 time (e.g. 2026-11-28T18:00:00Z)"
        ) from None


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_series(
    raw: dict[tuple[str, str], list[tuple[int, float | None]]], step: int
) -> list[tuple[str, dict[str, str], str, list[tuple[str, float | None]]]]:
    """Group rows into series on a `step` grid, oldest first, null on every missing step."""
    out = []
    for (metric, endpoint), points in raw.items():
        buckets: dict[int, list[float]] = {}
        for ts, value in points:
            slot = buckets.setdefault(ts // step * step, [])
            if value is not None and math.isfinite(value):
                slot.append(value)
        if not buckets:
            continue
        first, last = min(buckets), max(buckets)
        grid: list[tuple[str, float | None]] = []
        for ts in range(first, last + step, step):
            vals = buckets.get(ts)
            if not vals:
                grid.append((iso(ts), None))
            elif keeps_worst(metric):
                grid.append((iso(ts), max(vals)))
            else:
                grid.append((iso(ts), sum(vals) / len(vals)))
        labels = {"region": "local"}
        if endpoint:
            labels["endpoint"] = endpoint
        out.append((metric, labels, UNITS.get(metric, ""), grid))
    return out


def open_store(path: Path, retention_seconds: float, warn: Callable[[str], None]) -> HistoryStore:
    """Open the history file; a corrupt or unusable one is renamed aside (named in a warning)
    and a fresh one started. ConfigError (exit 3) only when the folder itself is unusable."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"serve.history_path: cannot create the folder {folder} ({exc.strerror})",
            hint="choose another --history path or --no-history",
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(
            f"serve.history_path: the folder {folder} is not writable",
            hint="choose another --history path or --no-history",
        )
    try:
        store = HistoryStore(path, retention_seconds)
        with store._connect() as db:
            check = db.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            raise sqlite3.DatabaseError(f"quick_check: {check[0] if check else 'no answer'}")
        return store
    except (sqlite3.Error, OSError) as exc:
        aside = path.with_name(f"{path.name}.unusable-{time.strftime('%Y%m%dT%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            part = Path(f"{path}{suffix}")
            if part.exists():
                with contextlib.suppress(OSError):
                    part.replace(Path(f"{aside}{suffix}"))
        warn(
            f"ion serve: the metric history file {path} could not be used ({exc}); "
            f"moved it to {aside.name} and started a fresh one"
        )
        try:
            return HistoryStore(path, retention_seconds)
        except (sqlite3.Error, OSError) as again:
            raise ConfigError(
                f"serve.history_path: cannot start a history file at {path} ({again})",
                hint="choose another --history path or --no-history",
            ) from None


async def run_sampler(sampler: Sampler, store: HistoryStore, stop: asyncio.Event) -> None:
    """Sample at each step boundary until `stop` is set; a write failure skips one step
    (and shows as `history: degraded` in health until a write succeeds)."""
    while not stop.is_set():
        now = time.time()
        wait = STEP_SECONDS - (now % STEP_SECONDS)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)
        if stop.is_set():
            break
        rows = sampler.sample(time.time())
        with contextlib.suppress(sqlite3.Error, OSError):
            await asyncio.to_thread(store.write, rows)


MAX_RANGE_SECONDS = 31 * 86400


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


_READS = asyncio.Semaphore(1)  # history reads one at a time: each may scan much of the file


async def history_response(
    store: HistoryStore | None,
    metrics: Metrics,
    query: dict[str, list[str]],
    service: str,
    max_points: int,
) -> bytes:
    """`GET /api/v2/metrics/history?since=&until=[&step=][&metric=a,b]` as JSON bytes:
    what `store` holds (nothing when history is off), at most `max_points` points."""
    now = time.time()
    until_text, since_text = _one(query, "until"), _one(query, "since")
    until = parse_instant(until_text, "until").timestamp() if until_text is not None else now
    since = (
        parse_instant(since_text, "since").timestamp() if since_text is not None else until - 3600
    )
    if since >= until:
        raise invalid("since", "since must be earlier than until")
    if until - since > MAX_RANGE_SECONDS:
        raise invalid("since", "ask for at most 31 days at a time")
    step_text = _one(query, "step")
    step = STEP_SECONDS
    if step_text is not None:
        if (
            not (step_text.isascii() and step_text.isdigit())
            or int(step_text) % STEP_SECONDS
            or not (STEP_SECONDS <= int(step_text) <= MAX_STEP_SECONDS)
        ):
            raise invalid(
                "step", f"step must be a multiple of {STEP_SECONDS} s up to {MAX_STEP_SECONDS}"
            )
        step = int(step_text)
    wanted: tuple[str, ...] = ()
    metric_text = _one(query, "metric")
    if metric_text is not None:
        wanted = tuple(dict.fromkeys(m.strip() for m in metric_text.split(",")))
        unknown = [m for m in wanted if m not in UNITS]
        if unknown:
            raise invalid("metric", f"unknown metric {unknown[0][:64]!r}", sorted(UNITS))
    # The cap is checked before anything is read: the answer to an oversized ask is instant.
    endpoints = max(1, len(metrics.pipeline))
    series = sum(endpoints if m == "pipeline_latency_p95" else 1 for m in wanted or UNITS)
    limit = max_points
    steps = math.ceil((until - since) / step)
    if steps * series > limit:
        fits = math.ceil((until - since) * series / limit / STEP_SECONDS) * STEP_SECONDS
        hint = (
            f"use step={fits}, a shorter range or fewer metrics"
            if fits <= MAX_STEP_SECONDS
            else "use a shorter range or fewer metrics"
        )
        raise invalid(
            "step",
            f"this asks for {steps * series:,} points ({series} series x {steps:,} steps); "
            f"the limit is {limit:,} points per response (history_max_points): {hint}",
        )
    if store is None:
        return _encode_history(service, step, {})
    async with _READS:
        try:
            # Reading, downsampling and encoding all run in a worker thread: the event loop
            # keeps serving (SQLite releases the GIL while it scans).
            return await asyncio.to_thread(
                _read_and_encode,
                store,
                service,
                since=math.floor(since),
                until=math.ceil(until),
                step=step,
                wanted=wanted,
            )
        except HistoryUnavailable as exc:
            raise HTTPError(503, "HISTORY_UNAVAILABLE", str(exc)) from None


def _read_and_encode(
    store: HistoryStore, service: str, *, since: int, until: int, step: int, wanted: tuple[str, ...]
) -> bytes:
    return _encode_history(service, step, store.read_steps(since, until, step, wanted))


def _encode_history(
    service: str, step: int, raw: dict[tuple[str, str], list[tuple[int, float | None]]]
) -> bytes:
    series = [
        SeriesOut(m, labels, unit, points) for m, labels, unit, points in build_series(raw, step)
    ]
    return msgspec.json.encode(HistoryResponse(1, service, step, series))

"""A simulated fleet as Cloud Monitoring would store it, for the fake MetricService.

`fleet_series(frame)` turns a 1-minute simulated frame into raw series: Cloud Run's
request counts by response class (INT64 DELTA, over two revisions), latency distributions,
instance gauges, billable time, utilisation and startup distributions; Managed Service for
Prometheus counters and histograms (both CUMULATIVE, as Prometheus exports them) for the
cache, personas, routing confidence and pipeline latency; Cloud SQL replica lag. A pull of
the catalog through the real client then gives back the simulator's numbers (within the
resolution of the histogram buckets).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ioncli.frame import MetricFrame
from tests.fakes.monitoring import FakeSeries

LATENCY_BOUNDS = np.round(1.0 * 1.08 ** np.arange(0, 130), 4)  # 1 ms .. ~22 s
RATIO_BOUNDS = np.round(np.linspace(0.0, 1.0, 201), 4)  # 0.005 wide
CONFIDENCE_BOUNDS = np.round(np.linspace(0.0, 1.0, 101), 4)
REVISIONS = (("ion-mentoring-00041-abc", 0.3), ("ion-mentoring-00042-xyz", 0.7))


def fleet_series(
    frame: MetricFrame, *, project: str = "demo", service: str = "ion-mentoring"
) -> list[FakeSeries]:
    """The raw series behind a simulated frame (1-minute steps), for every region in it."""
    if frame.step_seconds != 60:
        raise ValueError("fleet_series needs a 1-minute frame")
    # A frame point at t stands for the minute that ends at t (aligned points carry the end
    # of their period), so the raw points end at the frame's own timestamps.
    times = (frame.data.index.as_unit("s").asi8).astype(np.int64)
    regions = sorted({k.label("region") or "" for k in frame.series})
    out: list[FakeSeries] = []
    for region in regions:

        def col(metric: str, region: str = region) -> np.ndarray:
            cols = frame.select(metric, region=region)
            if cols.shape[1] == 0:
                return np.full(len(times), np.nan)
            return cols.iloc[:, 0].to_numpy()

        out.extend(_run_series(col, times, project, service, region))
        out.extend(_prom_series(frame, col, times, project=project, service=service, region=region))
        lag = col("replica_lag")
        out.append(
            FakeSeries(
                "cloudsql.googleapis.com/database/replication/replica_lag",
                "cloudsql_database",
                {},
                {"project_id": project, "database_id": f"{project}:ion-{region}", "region": region},
                "GAUGE",
                "DOUBLE",
                times,
                lag,
            )
        )
    return out


def _run_series(
    col: Any, times: np.ndarray, project: str, service: str, region: str
) -> list[FakeSeries]:
    out = []
    rate = col("request_rate")
    minute = rate * 60.0
    err5, err4 = col("error_ratio_5xx"), col("error_ratio_4xx")
    p50, p95, p99 = col("latency_p50"), col("latency_p95"), col("latency_p99")
    for revision, share in REVISIONS:
        resource = {
            "project_id": project,
            "service_name": service,
            "location": region,
            "revision_name": revision,
            "configuration_name": service,
        }
        n = minute * share
        for cls, count in (("5xx", n * err5), ("4xx", n * err4), ("2xx", n * (1 - err5 - err4))):
            out.append(
                FakeSeries(
                    "run.googleapis.com/request_count",
                    "cloud_run_revision",
                    {"response_code_class": cls, "response_code": cls[0] + "00", "route": ""},
                    resource,
                    "DELTA",
                    "INT64",
                    times,
                    np.round(count),
                )
            )
        counts = _shaped(n, p50, p95, p99, LATENCY_BOUNDS)
        out.append(
            FakeSeries(
                "run.googleapis.com/request_latencies",
                "cloud_run_revision",
                {"response_code_class": "2xx"},
                resource,
                "DELTA",
                "DISTRIBUTION",
                times,
                counts,
                LATENCY_BOUNDS,
                n * p50,
            )
        )
        for state, metric in (("active", "instances_active"), ("idle", "instances_idle")):
            out.append(
                FakeSeries(
                    "run.googleapis.com/container/instance_count",
                    "cloud_run_revision",
                    {"state": state, "container_name": "ion"},
                    resource,
                    "GAUGE",
                    "DOUBLE",
                    times,
                    col(metric) * share,
                )
            )
        out.append(
            FakeSeries(
                "run.googleapis.com/container/billable_instance_time",
                "cloud_run_revision",
                {},
                resource,
                "DELTA",
                "DOUBLE",
                times,
                col("billable_instance_time") * 60.0 * share,
            )
        )
        for metric, kind, bounds in (
            ("cpu_utilization", "container/cpu/utilizations", RATIO_BOUNDS),
            ("memory_utilization", "container/memory/utilizations", RATIO_BOUNDS),
            ("startup_latency_p95", "container/startup_latencies", LATENCY_BOUNDS),
            ("max_concurrency_p95", "container/max_request_concurrencies", LATENCY_BOUNDS),
        ):
            value = col(metric)
            counts = _point_mass(np.full(len(times), 20.0 * share), value, bounds)
            out.append(
                FakeSeries(
                    "run.googleapis.com/" + kind,
                    "cloud_run_revision",
                    {"container_name": "ion"},
                    resource,
                    "DELTA",
                    "DISTRIBUTION",
                    times,
                    counts,
                    bounds,
                    20.0 * share * value,
                )
            )
    return out


def _prom_series(
    frame: MetricFrame, col: Any, times: np.ndarray, *, project: str, service: str, region: str
) -> list[FakeSeries]:
    resource = {
        "project_id": project,
        "location": region,
        "cluster": "__run__",
        "namespace": service,
        "job": service,
        "instance": f"{region}-0",
    }
    minute = col("request_rate") * 60.0
    l1, l2 = col("cache_hit_ratio_l1"), col("cache_hit_ratio_l2")
    l1_miss = minute * (1 - l1)
    counters = {
        ("l1", "hit"): minute * l1,
        ("l1", "miss"): l1_miss,
        ("l2", "hit"): l1_miss * l2,
        ("l2", "miss"): l1_miss * (1 - l2),
    }
    out = []
    prom = "prometheus.googleapis.com/"
    for (tier, result), per_minute in counters.items():
        out.append(
            FakeSeries(
                prom + "ion_cache_requests_total/counter",
                "prometheus_target",
                {"tier": tier, "result": result},
                resource,
                "CUMULATIVE",
                "DOUBLE",
                times,
                np.cumsum(per_minute),
            )
        )
    out.append(
        FakeSeries(
            prom + "ion_cache_evictions_total/counter",
            "prometheus_target",
            {"tier": "l1"},
            resource,
            "CUMULATIVE",
            "DOUBLE",
            times,
            np.cumsum(col("cache_evictions") * 60.0),
        )
    )
    for persona in ("lua", "elro", "riri", "nana"):
        out.append(
            FakeSeries(
                prom + "ion_persona_selections_total/counter",
                "prometheus_target",
                {"persona": persona},
                resource,
                "CUMULATIVE",
                "DOUBLE",
                times,
                np.cumsum(minute * col(f"persona_share_{persona}")),
            )
        )
    confidence = col("routing_confidence_mean")
    out.append(
        FakeSeries(
            prom + "ion_routing_confidence/histogram",
            "prometheus_target",
            {},
            resource,
            "CUMULATIVE",
            "DISTRIBUTION",
            times,
            np.cumsum(_point_mass(minute, confidence, CONFIDENCE_BOUNDS), axis=0),
            CONFIDENCE_BOUNDS,
            np.cumsum(minute * confidence),
        )
    )
    for key in frame.series:
        if key.metric != "pipeline_latency_p95" or key.label("region") != region:
            continue
        seconds = frame.data[key.id].to_numpy() / 1000.0
        bounds = LATENCY_BOUNDS / 1000.0
        out.append(
            FakeSeries(
                prom + "ion_pipeline_duration_seconds/histogram",
                "prometheus_target",
                {"endpoint": key.label("endpoint") or ""},
                resource,
                "CUMULATIVE",
                "DISTRIBUTION",
                times,
                np.cumsum(_point_mass(minute * 0.6, seconds, bounds), axis=0),
                bounds,
                np.cumsum(minute * 0.6 * seconds),
            )
        )
    return out


def _point_mass(count: np.ndarray, value: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Every sample of a point in the bucket that holds `value` (percentiles land inside it)."""
    counts = np.zeros((len(value), len(bounds) + 1))
    bucket = np.searchsorted(bounds, np.nan_to_num(value), side="right")
    counts[np.arange(len(value)), bucket] = np.nan_to_num(count)
    return counts


def _shaped(
    count: np.ndarray, p50: np.ndarray, p95: np.ndarray, p99: np.ndarray, bounds: np.ndarray
) -> np.ndarray:
    """Bucket counts whose CDF runs linearly through (p50, .5), (p95, .95) and (p99, .99)."""
    knots = np.stack([p50 * 0.5, p50, p95, p99, p99 * 1.5], axis=1)
    levels = np.array([0.0, 0.5, 0.95, 0.99, 1.0])
    edges = np.concatenate([bounds, [np.inf]])
    cdf = np.zeros((len(p50), len(edges)))
    for j in range(4):
        lo, hi = knots[:, j : j + 1], knots[:, j + 1 : j + 2]
        width = np.maximum(hi - lo, 1e-9)
        cdf += np.clip((edges[None, :] - lo) / width, 0.0, 1.0) * (levels[j + 1] - levels[j])
    cdf = np.nan_to_num(cdf)
    per_bucket = np.diff(np.concatenate([np.zeros((len(p50), 1)), cdf], axis=1), axis=1)
    return np.rint(per_bucket * np.nan_to_num(count)[:, None])

"""The metric-history contract the `local` source reads, and the sampler behind it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ioncli.serve.cache import LRUCache, TwoTierCache
from ioncli.serve.history import HistoryStore, Sampler, build_series, percentile
from ioncli.serve.metrics import Metrics
from ioncli.sources.catalog import DEFAULT_METRICS
from tests.serve.conftest import PROCESS_BODY, Factory, running
from tests.serve.openapi_check import check

pytestmark = pytest.mark.anyio
CATALOG = {m.name: m for m in DEFAULT_METRICS}


def _ago(seconds: float) -> str:
    """A naive ISO time (read as UTC by the service) `seconds` before now."""
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) - timedelta(seconds=seconds)).replace(tzinfo=None).isoformat()


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile(list(map(float, range(1, 101))), 99) == 99.0


def test_sampler_turns_counters_into_catalog_metrics() -> None:
    metrics = Metrics()
    cache = TwoTierCache(LRUCache(10, 45))
    sampler = Sampler(metrics, cache)
    route = metrics.route("/api/v2/process")
    for ms in (1.0, 2.0, 3.0, 4.0):
        metrics.observe_request(route, 200, ms / 1000)
    metrics.observe_request(route, 422, 0.001)
    metrics.observe_request(metrics.route("/metrics"), 200, 0.001)  # a scrape is not traffic
    metrics.observe_routing("Lua", 0.8)
    metrics.observe_routing("Nana", 0.6)
    metrics.observe_pipeline("process", 0.010)
    cache.l1.get("a")
    cache.l1.set("a", 1, key="resp:a")
    cache.l1.get("a")
    metrics.busy_seconds += 2.5  # 2.5 s with a request in flight during the step
    metrics.inflight_peak = 3
    rows = sampler.sample(time.time() + 10)
    values = {(m, e): v for m, e, _, v in rows}
    assert values[("billable_instance_time", "")] == pytest.approx(0.25, rel=0.01)
    assert values[("max_concurrency_p95", "")] == 3.0
    assert {m for m, _ in values} <= set(CATALOG)
    assert values[("error_ratio_4xx", "")] == pytest.approx(1 / 5)
    assert values[("error_ratio_5xx", "")] == 0.0
    assert values[("availability", "")] == 1.0
    assert values[("persona_share_lua", "")] == 0.5
    assert values[("persona_share_elro", "")] == 0.0
    assert values[("routing_confidence_mean", "")] == pytest.approx(0.7)
    assert values[("cache_hit_ratio_l1", "")] == 0.5
    assert values[("cache_hit_ratio_l2", "")] is None  # no L2: no data, not zero
    assert values[("pipeline_latency_p95", "process")] == pytest.approx(10.0)
    assert values[("instances_active", "")] == 1.0
    # An idle step has a rate of zero and no latency at all.
    idle = {(m, e): v for m, e, _, v in sampler.sample(time.time() + 20)}
    assert idle[("request_rate", "")] == 0.0 and idle[("latency_p99", "")] is None
    assert idle[("max_concurrency_p95", "")] == 0.0 and idle[("billable_instance_time", "")] == 0.0


def test_the_shutdown_sample_never_replaces_the_last_full_step() -> None:
    # The tick at a step boundary and the sample written at SIGTERM a few seconds later used
    # to share a timestamp; the store keeps one row per (metric, ts), so the full step was lost.
    metrics = Metrics()
    sampler = Sampler(metrics, TwoTierCache(LRUCache(10, 45)))
    boundary = (time.time() // 10 + 1) * 10
    metrics.observe_routing("Elro", 0.9)
    tick = {m: ts for m, _, ts, _ in sampler.sample(boundary + 0.01)}
    last = {m: ts for m, _, ts, _ in sampler.sample(boundary + 4.0)}
    assert tick["persona_share_elro"] == boundary
    assert last["request_rate"] == boundary + 10


def test_series_fill_missing_steps_with_null() -> None:
    raw = {("request_rate", ""): [(1000, 1.0), (1010, 2.0), (1040, 4.0)]}
    [(metric, labels, unit, points)] = build_series(raw, 10)
    assert (metric, labels, unit) == ("request_rate", {"region": "local"}, "req/s")
    assert [v for _, v in points] == [1.0, 2.0, None, None, 4.0]
    [(_, _, _, coarse)] = build_series(raw, 30)
    assert [v for _, v in coarse] == [1.5, 4.0]


async def test_history_endpoint_serves_what_was_sampled_and_survives_a_restart(
    make_app: Factory, tmp_path: Path
) -> None:
    async with running(make_app()) as client:
        for _ in range(3):
            await client.post("/api/v2/process", json=PROCESS_BODY)
    # The shutdown wrote a last sample; a new app on the same file still has it.
    async with running(make_app()) as client:
        r = await client.get(
            "/api/v2/metrics/history",
            params={"since": _ago(3600), "until": _ago(-60)},
        )
        bad = await client.get("/api/v2/metrics/history", params={"since": "yesterday"})
        backwards = await client.get(
            "/api/v2/metrics/history",
            params={"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
        )
        unknown = await client.get("/api/v2/metrics/history", params={"metric": "nope"})
    body = r.json()
    check("HistoryResponse", body)
    assert body["schema_version"] == 1 and body["step_seconds"] == 10
    assert body["service"] == "ion-mentoring"
    series = {s["metric"]: s for s in body["series"] if "endpoint" not in s["labels"]}
    assert series["request_rate"]["labels"] == {"region": "local"}
    for name, s in series.items():
        assert s["unit"] in (CATALOG[name].unit, "ratio")
    assert series["persona_share_elro"]["points"][-1][1] == 1.0
    assert series["latency_p50"]["unit"] == "ms"
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "since"
    assert backwards.status_code == 422
    assert unknown.status_code == 422 and "request_rate" in unknown.json()["error"]["valid_values"]


def test_store_keeps_retention(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3", retention_seconds=100)
    store.write([("request_rate", "", 1000, 1.0)])
    store.write([("request_rate", "", 1200, 2.0)])
    assert store.read(0, 2000) == {("request_rate", ""): [(1200, 2.0)]}


@pytest.mark.parametrize("query", ["step=", "step=15", "step=0", "metric=", "until=", "since="])
async def test_empty_or_bad_parameters_are_422(make_app: Factory, query: str) -> None:
    async with running(make_app()) as client:
        r = await client.get(f"/api/v2/metrics/history?{query}")
    assert r.status_code == 422
    assert r.json()["error"]["field"] == query.split("=", maxsplit=1)[0]


async def test_a_read_over_the_point_limit_is_422_naming_the_limit_and_a_step_that_fits(
    make_app: Factory,
) -> None:
    async with running(make_app()) as client:
        r = await client.get(
            "/api/v2/metrics/history", params={"since": _ago(8 * 86400), "step": "10"}
        )
        fits = await client.get(
            "/api/v2/metrics/history",
            params={"since": _ago(8 * 86400), "step": "3600", "metric": "request_rate"},
        )
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["field"] == "step"
    assert "20,000 points" in error["message"] and "history_max_points" in error["message"]
    assert "use step=" in error["message"]
    assert fits.status_code == 200


def test_downsampling_in_the_store_keeps_the_worst_percentile_and_the_mean(
    tmp_path: Path,
) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    store.write(
        [
            ("latency_p99", "", 1000, 5.0),
            ("latency_p99", "", 1010, 9.0),
            ("request_rate", "", 1000, 2.0),
            ("request_rate", "", 1010, 4.0),
            ("request_rate", "", 1020, None),
        ]
    )
    raw = store.read_steps(1000, 1030, 30)
    assert raw[("latency_p99", "")] == [(990, 9.0)]  # buckets start at multiples of the step
    assert raw[("request_rate", "")][0][1] == 3.0


def test_a_corrupt_history_file_is_moved_aside_and_started_fresh(tmp_path: Path) -> None:
    from ioncli.serve.history import open_store

    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    warnings: list[str] = []
    store = open_store(path, 86400, warnings.append)
    store.write([("request_rate", "", 1000, 1.0)])
    assert store.read(0, 2000) == {("request_rate", ""): [(1000, 1.0)]}
    [warning] = warnings
    assert str(path) in warning and "moved it to history.sqlite3.unusable-" in warning
    [aside] = tmp_path.glob("history.sqlite3.unusable-*")
    assert aside.read_bytes().startswith(b"this is not a database")


def test_an_unusable_history_folder_is_a_config_error(tmp_path: Path) -> None:
    from ioncli.errors import ConfigError
    from ioncli.serve.history import open_store

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="a-file"):
        open_store(blocker / "history.sqlite3", 86400, print)


async def test_history_broken_while_running_is_503_and_health_says_degraded(
    make_app: Factory, tmp_path: Path
) -> None:
    app = make_app()
    async with running(app) as client:
        assert app.state.history is not None
        path = app.state.history.path
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.write_bytes(b"garbage " * 4096)
        with pytest.raises(Exception):  # noqa: B017 (any sqlite error)
            app.state.history.write([("request_rate", "", 1000, 1.0)])
        app.state._health = (0.0, b"")
        health = (await client.get("/api/v2/health")).json()
        r = await client.get("/api/v2/metrics/history")
    assert health["dependencies"]["history"] == "degraded" and health["status"] == "degraded"
    assert r.status_code == 503 and r.json()["error"]["code"] == "HISTORY_UNAVAILABLE"
    assert str(path) in r.json()["error"]["message"]

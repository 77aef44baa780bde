"""`ion cost-report --source gcp` with both Google clients against fakes: metrics from the
fake MetricService, the configuration from the fake Cloud Run Admin API. The costs must
match the same report computed straight from the simulator's frame."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ioncli.cli import run
from ioncli.sources.sim import simulate
from tests.fakes.cloud_run import FakeCloudRun
from tests.fakes.monitoring import RunningFake, serve_monitoring
from tests.fakes.monitoring_fleet import fleet_series

END = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
START = END - timedelta(hours=6)
WINDOW = ("--since", START.isoformat(), "--until", END.isoformat())


@pytest.fixture(scope="module")
def monitoring() -> Iterator[RunningFake]:
    sim = simulate(START - timedelta(hours=1), END + timedelta(hours=1))
    with serve_monitoring(fleet_series(sim, project="demo")) as running:
        yield running


def test_gcp_source_and_cloud_run_config_match_the_simulator(
    monitoring: RunningFake,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    cloud = FakeCloudRun(project="demo")
    for region, low, high in (
        ("us-central1", 3, 100),
        ("europe-west1", 2, 50),
        ("asia-southeast1", 1, 30),
    ):
        cloud.add_service(
            region, min_instances=low, max_instances=high, cpu="2", memory="2Gi", concurrency=100
        )
    cloud.start()
    try:
        monkeypatch.setenv("ION_MONITORING_EMULATOR_HOST", monitoring.address)
        monkeypatch.setenv("ION_RUN_EMULATOR_HOST", cloud.address)
        monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo")
        assert run(["cost-report", "--source", "gcp", *WINDOW, "-f", "json"]) == 0
        live = json.loads(capsys.readouterr().out)
    finally:
        cloud.stop()
    monkeypatch.delenv("ION_RUN_EMULATOR_HOST")
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT")
    assert run(["cost-report", "--source", "sim", *WINDOW, "-f", "json"]) == 0
    offline = json.loads(capsys.readouterr().out)
    assert live["configuration"] == "Cloud Run Admin API (project demo)"
    assert offline["configuration"].startswith("defaults")
    for a, b in zip(live["regions"], offline["regions"], strict=True):
        assert a["region"] == b["region"]
        assert (a["min_instances"], a["max_instances"], a["cpu"], a["memory_gib"]) == (
            b["min_instances"],
            b["max_instances"],
            b["cpu"],
            b["memory_gib"],
        )
        # Rates and counters come back exactly; percentiles within a histogram bucket.
        assert a["monthly"]["total"] == pytest.approx(b["monthly"]["total"], rel=0.002)
        assert a["monthly"]["idle"] == pytest.approx(b["monthly"]["idle"], rel=0.01)
        assert a["usage"]["startup_p95_ms"] == pytest.approx(b["usage"]["startup_p95_ms"], rel=0.1)
    assert [r["recommended"] for r in live["recommendations"]] == [
        r["recommended"] for r in offline["recommendations"]
    ]

"""`ion slo --source gcp`: the real MetricServiceClient against the fake MetricService, with
request counts by response class and a latency distribution whose buckets are counted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ioncli.cli import run
from tests.fakes.monitoring import FakeSeries, RunningFake, serve_monitoring

END = pd.Timestamp("2026-11-01T00:00:00Z")
MINUTES = 180
BOUNDS = np.array([50.0, 100.0, 200.0, 400.0])  # buckets: <50, 50-100, 100-200, 200-400, 400+
CONFIG = """
[slo.availability]
objective = 99.9
window = "1d"

[slo.latency]
sli = "latency"
objective = 99.0
threshold_ms = 200
window = "1d"
"""


def _series() -> list[FakeSeries]:
    times = (END - pd.Timedelta(minutes=MINUTES)).value // 10**9 + 60 * np.arange(1, MINUTES + 1)
    resource = {"service_name": "ion-mentoring", "location": "us-central1", "project_id": "demo"}
    bad = np.zeros(MINUTES)
    bad[60:70] = 30.0  # 300 failed requests
    ok = 600.0 - bad
    slow = np.zeros((MINUTES, len(BOUNDS) + 1))
    slow[:, 1] = 400.0
    slow[:, 2] = 200.0
    slow[100:110, 2] = 140.0
    slow[100:110, 3] = 60.0  # 600 requests slower than 200 ms
    return [
        FakeSeries(
            "run.googleapis.com/request_count",
            "cloud_run_revision",
            {"response_code_class": cls},
            resource,
            "DELTA",
            "INT64",
            times,
            values,
        )
        for cls, values in (("2xx", ok), ("5xx", bad))
    ] + [
        FakeSeries(
            "run.googleapis.com/request_latencies",
            "cloud_run_revision",
            {"response_code_class": "2xx"},
            resource,
            "DELTA",
            "DISTRIBUTION",
            times,
            slow,
            BOUNDS,
            slow.sum(axis=1) * 80.0,
        )
    ]


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningFake]:
    monkeypatch.chdir(tmp_path)
    with serve_monitoring(_series()) as running:
        monkeypatch.setenv("ION_MONITORING_EMULATOR_HOST", running.address)
        monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo")
        yield running


ARGS = [
    "slo",
    "--source",
    "gcp",
    "--since",
    "3h",
    "--until",
    "2026-11-01T00:01:00Z",
    "--region",
    "us-central1",
]


def test_counts_good_requests_from_counts_and_buckets(fake: RunningFake, tmp_path: Path) -> None:
    (tmp_path / "ion.toml").write_text(CONFIG)
    assert run([*ARGS, "--format", "json", "-o", "out.json"]) == 0
    data = json.loads((tmp_path / "out.json").read_text())
    availability, latency = data["objectives"]
    region = availability["scopes"][1]
    assert region["scope"] == "us-central1"
    assert region["total_events"] == pytest.approx(MINUTES * 600)
    assert region["bad_events"] == pytest.approx(300)
    slow = latency["scopes"][1]
    assert slow["total_events"] == pytest.approx(MINUTES * 600)
    assert slow["bad_events"] == pytest.approx(600)  # the 200-400 ms bucket, whole
    assert latency["partial"] is True  # 3 hours of a 1-day window
    filters = [c.filter for c in fake.service.calls]
    assert any("request_latencies" in f for f in filters)


def test_a_threshold_between_buckets_names_the_bounds(
    fake: RunningFake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ion.toml").write_text(CONFIG.replace("threshold_ms = 200", "threshold_ms = 150"))
    assert run(ARGS) == 3
    err = capsys.readouterr().err
    assert "slo.latency.threshold_ms" in err and "between the bucket bounds 100 and 200" in err
    assert len(err.strip().splitlines()) == 1

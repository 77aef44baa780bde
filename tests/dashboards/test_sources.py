"""`ion dashboard` on the sources other than files: Cloud Monitoring through the real client
against the fake MetricService on 127.0.0.1, and the simulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from ioncli.cli import run
from ioncli.sources.sim import simulate
from tests.fakes.monitoring import RunningFake, serve_monitoring
from tests.fakes.monitoring_fleet import fleet_series
from tests.helpers import ROOT

END = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
START = END - timedelta(hours=2)
SCHEMA = json.loads((ROOT / "ioncli" / "schemas" / "dashboard.schema.json").read_text())


@pytest.fixture(scope="module")
def fake() -> Iterator[RunningFake]:
    sim = simulate(START - timedelta(minutes=10), END + timedelta(minutes=10))
    with serve_monitoring(fleet_series(sim)) as running:
        yield running


def test_gcp_through_the_real_client_and_the_fake_server(
    fake: RunningFake,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ION_MONITORING_EMULATOR_HOST", fake.address)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo")
    window = ["--since", START.isoformat(), "--until", END.isoformat()]
    code = run(["dashboard", "all", "--source", "gcp", *window, "-f", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    assert doc["source"].startswith("gcp")
    assert doc["counts"]["missing"] == 0
    assert doc["regions"] == ["asia-southeast1", "europe-west1", "us-central1"]
    assert fake.service.calls  # the pull really went through the server


def test_sim_with_a_region_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code = run(
        [
            "dashboard",
            "performance",
            "--source",
            "sim:3",
            "--since",
            "2h",
            "-r",
            "europe-west1",
            "-f",
            "json",
        ]
    )
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["source"] == "sim:3" and doc["simulated"] is True
    assert doc["regions"] == ["europe-west1"]

"""`ion pull` as a user runs it: files written, cache reuse, partial failures, exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pandas as pd
import pytest

from ioncli.cli import run
from ioncli.frame import MetricFrame
from ioncli.sources.sim import simulate
from tests.fakes.monitoring import Fault, RunningFake, serve_monitoring
from tests.fakes.monitoring_fleet import fleet_series

END = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
RANGE = ["--since", "2026-11-28T09:00:00Z", "--until", "2026-11-28T12:00:00Z"]


@pytest.fixture(scope="module")
def fleet() -> list:  # type: ignore[type-arg]
    return fleet_series(simulate(END - timedelta(hours=4), END + timedelta(hours=1)))


@pytest.fixture
def gcp(
    fleet: list,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,  # type: ignore[type-arg]
) -> Iterator[RunningFake]:
    with serve_monitoring(fleet) as fake:
        monkeypatch.setenv("ION_MONITORING_EMULATOR_HOST", fake.address)
        monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo")
        monkeypatch.setenv("ION_CACHE_DIR", str(tmp_path / "cache"))
        yield fake


def test_pull_sim_to_parquet_and_read_it_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "week.parquet"
    assert run(["pull", "--source", "sim:3", *RANGE, "--step", "5m", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "wrote 75 series" in err and "(simulated)" in err and "sim:3" in err
    frame = MetricFrame.from_parquet(out)
    assert frame.data.shape == (36, 75) and frame.simulated and frame.step_seconds == 300
    assert frame.data.index[0] == pd.Timestamp("2026-11-28T09:00:00Z")
    again = tmp_path / "again.csv"
    assert run(["pull", "--source", f"file:{out}", "-o", str(again), "-m", "request_rate"]) == 0
    csv = pd.read_csv(again)
    assert csv.columns[0] == "timestamp"
    assert sorted(csv.columns[1:]) == [
        "request_rate{region=asia-southeast1}",
        "request_rate{region=europe-west1}",
        "request_rate{region=us-central1}",
    ]
    assert len(csv) == 36


def test_pull_gcp_caches_and_asks_only_for_what_is_new(gcp: RunningFake, tmp_path: Path) -> None:
    out = tmp_path / "gcp.parquet"
    assert run(["pull", "--source", "gcp", *RANGE, "-o", str(out)]) == 0
    first = MetricFrame.from_parquet(out)
    assert first.data.shape == (180, 75) and first.source == "gcp" and not first.simulated
    assert len(gcp.service.calls) == 27
    assert run(["pull", "--source", "gcp", *RANGE, "-o", str(out)]) == 0
    assert len(gcp.service.calls) == 27  # all from the cache
    later = ["--since", "2026-11-28T09:00:00Z", "--until", "2026-11-28T12:10:00Z"]
    assert run(["pull", "--source", "gcp", *later, "-o", str(out)]) == 0
    new = gcp.service.calls[27:]
    assert len(new) == 27 and all(c.end - c.start == 600 for c in new)
    assert MetricFrame.from_parquet(out).data.shape == (190, 75)
    assert run(["pull", "--source", "gcp", *RANGE, "--no-cache", "-o", str(out)]) == 0
    assert len(gcp.service.calls) == 27 * 3


def test_partial_failure_writes_the_file_warns_and_exits_4(
    gcp: RunningFake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gcp.service.faults = [
        Fault(grpc.StatusCode.RESOURCE_EXHAUSTED, times=999, match="instance_count")
    ]
    out = tmp_path / "partial.parquet"
    waits: list[float] = []  # the retry back-off, on no clock at all (it slept 0-7.5 s for real)
    code = run(
        ["pull", "--source", "gcp", *RANGE, "--no-cache", "-o", str(out)], sleep=waits.append
    )
    err = capsys.readouterr().err
    assert code == 4
    assert "warning: Cloud Monitoring query failed, left out instances_" in err
    assert "partial result" in err
    frame = MetricFrame.from_parquet(out)
    assert frame.data.shape[1] == 69 and len(frame.warnings) == 2
    assert waits and len(waits) % 4 == 0 and all(0.0 <= w <= 8.0 for w in waits)  # 5 attempts


def test_gcp_step_under_a_minute_is_a_usage_error(
    gcp: RunningFake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["pull", "--source", "gcp", "--step", "10s", "-o", str(tmp_path / "x.parquet")]) == 2
    assert "at least 60" in capsys.readouterr().err


@pytest.mark.parametrize(
    "case",
    [
        (["--source", "sim", "-m", "latency_p42"], 4, "unknown metric 'latency_p42' (known"),
        (["--source", "file:missing.parquet"], 4, "missing.parquet does not exist"),
        (["--source", "sim", "--since", "2031-01-01", "--until", "2031-01-02"], 4, "future"),
        (["--source", "sim", "--since", "soon"], 2, "--since 'soon'"),
        (["--source", "nonsense"], 2, "unknown source 'nonsense'"),
        (["--source", "gcp"], 3, "no Google Cloud project configured"),
    ],
)
def test_bad_input_is_one_line_and_an_exit_code(
    case: tuple[list[str], int, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args, code, message = case
    monkeypatch.chdir(tmp_path)
    assert run(["pull", *args, "-o", "out.parquet"]) == code
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out.parquet").exists()


def test_output_must_be_parquet_or_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["pull", "--source", "sim", "-o", str(tmp_path / "x.json")]) == 2
    assert "use a .parquet or .csv" in capsys.readouterr().err


def test_an_empty_result_is_exit_4(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_monitoring([]) as fake:
        monkeypatch.setenv("ION_MONITORING_EMULATOR_HOST", fake.address)
        monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo")
        out = tmp_path / "empty.parquet"
        assert run(["pull", "--source", "gcp", *RANGE, "--no-cache", "-o", str(out)]) == 4
    assert "Cloud Monitoring has no series" in capsys.readouterr().err
    assert not out.exists()

"""Guards before and after loading: the point budget, known regions, and "no data" causes."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from ioncli.commands._source import load_frame, plan_request
from ioncli.config import Settings
from ioncli.errors import ConfigError, DataError, UsageError
from ioncli.sources import SIM_REGIONS, FetchRequest, sim
from ioncli.sources import budget as budget_mod
from ioncli.sources.empty import explain_empty
from ioncli.sources.local import LocalSource
from tests.helpers import run_ion

NOW = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)


def test_a_decade_on_the_simulator_is_refused_with_the_estimate_and_the_ways_out() -> None:
    # one metric x 3 regions x 5,256,000 minutes fits the budget ...
    plan_request(Settings(), "sim", "3650d", None, None, ("latency_p95",), now=NOW)
    with pytest.raises(UsageError) as info:
        plan_request(Settings(), "sim", "3650d", None, None, (), now=NOW)
    text = str(info.value)
    # ... the whole catalog does not: 25 metrics x 3 regions x 5,256,000 minutes
    assert "394,200,000 points" in text and "75 series" in text
    assert "GB of memory" in text and "--max-points 394200000" in text
    assert "--step 30m (13,140,000 points)" in text


def test_max_points_raises_the_budget() -> None:
    plan_request(Settings(), "sim", "3650d", None, "1h", (), now=NOW)  # 6.6M points: fine
    with pytest.raises(UsageError, match="over the budget of 1,000"):
        plan_request(Settings(), "sim", "2d", None, None, (), now=NOW, max_points=1000)
    _, _, request = plan_request(
        Settings(), "sim", "400d", None, None, (), now=NOW, max_points=10**9
    )
    assert request is not None and request.step_seconds == 60


@pytest.mark.slow
def test_the_refusal_is_quick_from_the_command_line(tmp_path: Path) -> None:
    started = time.perf_counter()
    result = run_ion("dashboard", "--source", "sim", "--since", "3650d", cwd=tmp_path)
    elapsed = time.perf_counter() - started
    assert result.returncode == 2, result.stderr
    assert "over the budget" in result.stderr and "Traceback" not in result.stderr
    assert elapsed < 10  # generous on a loaded machine; benchmarks/bench_guards.py measures it


def test_the_simulator_and_the_local_service_refuse_regions_they_do_not_have() -> None:
    assert tuple(sim.REGIONS) == SIM_REGIONS
    with pytest.raises(UsageError, match="us-centrall1: source sim has no such region"):
        plan_request(Settings(), "sim", "1h", None, None, (), ["us-centrall1"], now=NOW)
    with pytest.raises(UsageError, match="source local has no such region"):
        plan_request(Settings(), "local", "1h", None, None, (), ["us-central1"], now=NOW)
    configured = Settings(regions=("mars-north1",), source_file="ion.toml")
    with pytest.raises(ConfigError, match=r"ion\.toml: key 'regions': mars-north1"):
        plan_request(configured, "sim", "1h", None, None, (), now=NOW)


def test_the_simulator_in_chunks_is_the_same_as_in_one_go(monkeypatch: pytest.MonkeyPatch) -> None:
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 4, tzinfo=UTC)
    whole = sim.simulate(start, end, seed=3, metrics=("latency_p95", "availability"))
    monkeypatch.setattr(sim, "_CHUNK_STEPS", 500)
    calls: list[tuple[int, int]] = []
    parts = sim.simulate(
        start,
        end,
        seed=3,
        metrics=("latency_p95", "availability"),
        progress=lambda done, total: calls.append((done, total)),
    )
    pd.testing.assert_frame_equal(whole.data, parts.data)
    assert whole.incidents == parts.incidents
    assert calls[-1] == (27, 27)  # 9 chunks of 4,320 minutes x 3 regions


def _file(tmp_path: Path, frame: pd.DataFrame, name: str, **kwargs: object) -> Path:
    path = tmp_path / name
    frame.to_parquet(path, **kwargs)  # type: ignore[arg-type]
    return path


def test_a_parquet_file_from_another_tool_is_read_like_a_csv(tmp_path: Path) -> None:
    idx = pd.date_range("2026-01-01", periods=120, freq="min", tz="UTC")
    wide = _file(
        tmp_path,
        pd.DataFrame({"timestamp": idx, "latency_p95": np.arange(120.0)}),
        "a.parquet",
        index=False,
    )
    frame = load_frame(Settings(), f"file:{wide}", None, None, None)
    assert list(frame.data.columns) == ["latency_p95"] and len(frame.data) == 120
    indexed = _file(tmp_path, pd.DataFrame({"latency_p95": np.ones(120)}, index=idx), "b.parquet")
    assert len(load_frame(Settings(), f"file:{indexed}", None, None, None).data) == 120
    long = pd.DataFrame(
        {"timestamp": idx, "metric": "latency_p95", "region": "us-central1", "value": 1.0}
    )
    path = _file(tmp_path, long, "c.parquet", index=False)
    frame = load_frame(Settings(), f"file:{path}", None, None, None)
    assert list(frame.data.columns) == ["latency_p95{region=us-central1}"]
    with pytest.raises(DataError, match=r"no series for region europe-west1 \(its regions: us-"):
        load_frame(Settings(), f"file:{path}", None, None, None, (), ["europe-west1"])


def _local(handler: object) -> LocalSource:
    return LocalSource(
        "http://127.0.0.1:1",
        "ion-mentoring",
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
    )


def test_no_data_from_ion_serve_names_why() -> None:
    request = FetchRequest(NOW, NOW, step_seconds=10)

    def answer(uptime: float) -> object:
        def handler(req: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json={"uptime_seconds": uptime})

        return handler

    just_started = explain_empty(_local(answer(4.0)), request, (), ())
    assert "started 4 s ago" in just_started and "wait a minute" in just_started
    no_history = explain_empty(_local(answer(3600.0)), request, (), ())
    assert "up 60 min" in no_history and "--no-history" in no_history
    assert "--since" not in just_started + no_history  # a longer range cannot help


@pytest.mark.slow
def test_too_little_history_does_not_suggest_a_longer_since_for_a_file(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    rows = [f"2026-01-01T{h:02d}:00:00Z,{h}" for h in range(10)]
    path.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    result = run_ion("tune-alerts", "--source", f"file:{path}", cwd=tmp_path)
    assert result.returncode == 4
    assert "longer file" in result.stderr and "--since" not in result.stderr


def test_budget_numbers() -> None:
    found = budget_mod.estimate(86400, 60, 10)
    assert (found.steps, found.points) == (1440, 14400)
    assert budget_mod.human_bytes(3 * 1024**3) == "3.0 GB"
    json.dumps(found.points)  # plain ints

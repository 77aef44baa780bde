"""`load_frame` and `open_source`: the one way commands get a frame, and its errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ioncli.commands._source import load_frame
from ioncli.config import Settings
from ioncli.errors import ConfigError, DataError, UsageError
from ioncli.sources import open_source
from ioncli.sources.files import FileSource
from ioncli.sources.sim import SimSource

NOW = datetime(2026, 11, 28, 18, 3, 30, tzinfo=UTC)


def test_open_source_specs(tmp_path: Path) -> None:
    settings = Settings()
    sim = open_source("sim:42", settings)
    assert isinstance(sim, SimSource) and sim.name == "sim:42"
    assert open_source("sim", settings).name == "sim:7"
    source = open_source(f"file:{tmp_path / 'x.parquet'}", settings)
    assert isinstance(source, FileSource)
    for bad in ("sim:abc", "file:", "prometheus", "gcp:x"):
        with pytest.raises(UsageError):
            open_source(bad, settings)


def test_sim_window_from_flags() -> None:
    frame = load_frame(Settings(), "sim:1", "2h", None, "5m", now=NOW)
    assert frame.data.index[0] == datetime(2026, 11, 28, 16, 0, tzinfo=UTC)
    assert frame.data.index[-1] == datetime(2026, 11, 28, 17, 55, tzinfo=UTC)
    assert frame.step_seconds == 300 and frame.simulated


def test_metrics_and_regions_filter() -> None:
    frame = load_frame(
        Settings(), "sim", "1h", None, None, ["latency_p95"], ["europe-west1"], now=NOW
    )
    assert list(frame.data.columns) == ["latency_p95{region=europe-west1}"]


def test_configured_regions_apply_to_sim() -> None:
    frame = load_frame(Settings(regions=("us-central1",)), "sim", "1h", None, None, now=NOW)
    assert {k.label("region") for k in frame.series} == {"us-central1"}


def test_source_defaults_to_the_configured_one() -> None:
    frame = load_frame(Settings(source="sim:9"), None, "1h", None, None, now=NOW)
    assert frame.source == "sim:9"


def test_bad_configured_source_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="key 'source'"):
        load_frame(Settings(source="nope"), None, "1h", None, None, now=NOW)


def test_unknown_metric_lists_the_known_ones() -> None:
    with pytest.raises(DataError, match=r"unknown metric 'latency_p42'.*latency_p95"):
        load_frame(Settings(), "sim", "1h", None, None, ["latency_p42"], now=NOW)


def test_range_in_the_future() -> None:
    with pytest.raises(DataError, match="in the future"):
        load_frame(Settings(), "sim", "2026-12-01T00:00:00Z", "2026-12-02", None, now=NOW)


@pytest.mark.parametrize(
    ("since", "until", "step", "message"),
    [
        ("yesterday", None, None, "--since"),
        ("1h", "not-a-time", None, "--until"),
        ("1h", None, "fast", "--step"),
        ("2026-11-28T12:00Z", "2026-11-28T11:00Z", None, "range is empty"),
    ],
)
def test_bad_flags_are_usage_errors(
    since: str, until: str | None, step: str | None, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        load_frame(Settings(), "sim", since, until, step, now=NOW)


def test_gcp_step_must_be_a_minute_or_more() -> None:
    with pytest.raises(UsageError, match="at least 60"):
        load_frame(Settings(project="p"), "gcp", "1h", None, "30s", now=NOW, client=object())


def test_file_round_trip_reads_the_whole_file(tmp_path: Path) -> None:
    old = load_frame(Settings(), "sim", "2020-01-01T00:00Z", "2020-01-01T03:00Z", None, now=NOW)
    path = tmp_path / "old.parquet"
    old.to_parquet(path)
    again = load_frame(Settings(), f"file:{path}", None, None, None, now=NOW)
    assert again.data.shape == old.data.shape
    assert again.simulated and again.incidents == old.incidents
    assert again.source == f"file:{path} (sim:7)"
    window = load_frame(
        Settings(), f"file:{path}", "2020-01-01T01:00Z", "2020-01-01T02:00Z", None, now=NOW
    )
    assert len(window.data) == 60


def test_file_range_without_data_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "old.parquet"
    load_frame(Settings(), "sim", "1h", None, None, now=NOW).to_parquet(path)
    with pytest.raises(DataError, match=r"has nothing between .* \(it covers 2026-11-28 17:0"):
        load_frame(Settings(), f"file:{path}", "2h", "2026-11-28T10:00Z", None, now=NOW)

"""The canonical frame: its schema is enforced on the way in and survives Parquet."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ioncli.errors import DataError
from ioncli.frame import Incident, MetricFrame, SeriesKey, from_points


def test_series_ids_round_trip_with_sorted_labels() -> None:
    key = SeriesKey.of("latency_p95", {"region": "eu", "endpoint": "process"})
    assert key.id == "latency_p95{endpoint=process,region=eu}"
    assert SeriesKey.parse(key.id) == key
    assert SeriesKey.parse("request_rate").labels == ()
    for bad in ("a{b}", "{x=1}", "a{b=1}{c=2}"):
        with pytest.raises(DataError):
            SeriesKey.parse(bad)


def test_naive_times_are_utc_unordered_sorted_duplicates_keep_the_last() -> None:
    index = pd.DatetimeIndex(["2026-01-01 00:02", "2026-01-01 00:00", "2026-01-01 00:02"])
    frame = MetricFrame(pd.DataFrame({"x": [2, 0, 3]}, index=index))
    assert str(frame.data.index.tz) == "UTC" and frame.data.index.name == "time"
    assert frame.data["x"].tolist() == [0.0, 3.0] and frame.data["x"].dtype == np.float64


def test_from_points_with_different_lengths_leaves_gaps() -> None:
    t = [datetime(2026, 1, 1, 0, m, tzinfo=UTC) for m in range(3)]
    frame = from_points(
        {SeriesKey.of("a"): (t, [1, 2, 3]), SeriesKey.of("b"): (t[:1], [9])},
        units={"a": "ms"},
        source="test",
    )
    assert frame.data.shape == (3, 2) and np.isnan(frame.data["b"].iloc[2])
    assert frame.unit("a") == "ms"


def test_parquet_keeps_data_and_metadata(tmp_path: Path) -> None:
    t = pd.date_range("2026-01-01", periods=4, freq="1min", tz="UTC")
    frame = MetricFrame(
        pd.DataFrame({"latency_p95{region=eu}": [1.0, np.nan, 3.0, 4.0]}, index=t),
        {"latency_p95{region=eu}": "ms"},
        source="sim:3",
        step_seconds=60,
        simulated=True,
        incidents=[Incident(t[1].to_pydatetime(), t[2].to_pydatetime(), "spike", ("x",))],
        warnings=["one query failed"],
    )
    path = tmp_path / "f.parquet"
    frame.to_parquet(path)
    back = MetricFrame.from_parquet(path)
    pd.testing.assert_frame_equal(back.data, frame.data, check_freq=False)
    assert (back.units, back.source, back.simulated) == (frame.units, "sim:3", True)
    assert back.incidents == frame.incidents and back.warnings == ["one query failed"]


def test_select_and_between() -> None:
    t = pd.date_range("2026-01-01", periods=4, freq="1min", tz="UTC")
    frame = MetricFrame(
        pd.DataFrame(
            {"a{region=eu}": [1.0] * 4, "a{region=us}": [2.0] * 4, "b": [3.0] * 4}, index=t
        )
    )
    assert list(frame.select("a", region="us").columns) == ["a{region=us}"]
    assert frame.metrics() == ["a", "b"]
    assert len(frame.between(t[1], t[3]).data) == 2  # half-open

"""Source `file:`: CSV shapes, timestamps, gaps, duplicates and the errors users will hit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ioncli.errors import DataError
from ioncli.sources.files import read_file


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_nab_style_is_one_series_named_after_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "latency_p95.csv",
        "timestamp,value\n2014-04-10 00:00:00,12.5\n2014-04-10 00:05:00,13\n"
        "2014-04-10 00:10:00,\n2014-04-10 00:15:00,nan\n2014-04-10 00:20:00,14\n",
    )
    frame = read_file(path)
    assert list(frame.data.columns) == ["latency_p95"]
    assert frame.unit("latency_p95") == "ms" and frame.step_seconds == 300
    # Naive timestamps are UTC; empty cells and NaN are gaps.
    assert frame.data.index[0] == pd.Timestamp("2014-04-10T00:00:00Z")
    assert frame.data["latency_p95"].isna().tolist() == [False, False, True, True, False]


def test_wide_csv_with_zones_unordered_and_duplicates(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "wide.csv",
        "time,latency_p95{region=eu},request_rate{region=eu}\n"
        "2026-11-28T10:02:00+01:00,3,30\n"
        "2026-11-28T09:00:00Z,1,10\n"
        "2026-11-28T09:01:00Z,2,20\n"
        "2026-11-28T09:01:00Z,2.5,25\n",
    )
    frame = read_file(path)
    assert frame.data.index.is_monotonic_increasing
    assert list(frame.data.index.strftime("%H:%M")) == ["09:00", "09:01", "09:02"]
    assert frame.data.loc["2026-11-28T09:01:00Z", "latency_p95{region=eu}"] == 2.5  # last wins
    assert any("1 duplicate timestamps" in w for w in frame.warnings)


def test_long_csv_with_label_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "long.csv",
        "timestamp,metric,region,endpoint,value\n"
        "2026-11-28T09:00:00Z,latency_p95,us,,10\n"
        "2026-11-28T09:00:00Z,pipeline_latency_p95,us,/api/v2/process,7\n"
        "2026-11-28T09:01:00Z,latency_p95,us,,11\n"
        "2026-11-28T09:01:00Z,latency_p95,us,,12\n",
    )
    frame = read_file(path)
    assert sorted(frame.data.columns) == [
        "latency_p95{region=us}",
        "pipeline_latency_p95{endpoint=/api/v2/process,region=us}",
    ]
    assert frame.data["latency_p95{region=us}"].tolist() == [10.0, 12.0]
    assert np.isnan(frame.data["pipeline_latency_p95{endpoint=/api/v2/process,region=us}"].iloc[1])


def test_epoch_seconds_and_milliseconds(tmp_path: Path) -> None:
    seconds = read_file(write(tmp_path, "s.csv", "ts,value\n1764320400,1\n1764320460,2\n"))
    millis = read_file(write(tmp_path, "ms.csv", "ts,value\n1764320400000,1\n1764320460000,2\n"))
    assert seconds.data.index.equals(millis.data.index)
    assert seconds.data.index[0] == pd.Timestamp("2025-11-28T09:00:00Z")


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("no_time.csv", "when,value\n1,2\n", "has no timestamp column (expected one of timestamp"),
        ("bad_time.csv", "timestamp,value\nyesterday,1\n", "is not a time"),
        ("bad_value.csv", "timestamp,value\n2026-01-01,abc\n", "line 2 column 'value'"),
        ("empty.csv", "", "is empty"),
        ("only_time.csv", "timestamp\n2026-01-01\n", "no value columns"),
        ("bad_id.csv", "timestamp,a{b}\n2026-01-01,1\n", "is not a series id"),
        ("data.json", "{}", "unknown type '.json'"),
        ("broken.parquet", "not parquet", "not a readable Parquet file"),
    ],
)
def test_bad_files_are_data_errors(tmp_path: Path, name: str, text: str, message: str) -> None:
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(".", r"\.")):
        read_file(write(tmp_path, name, text))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        read_file(tmp_path / "nope.csv")

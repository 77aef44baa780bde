"""Source `file:PATH`: a Parquet file written by `ion pull`, or a CSV in one of three shapes.

CSV shapes, told apart by their columns (the timestamp column is one of `timestamp`, `time`,
`ts`, `datetime`, `date`, any case):
- NAB style `timestamp,value`: one series named after the file (`latency_p95.csv` ->
  `latency_p95`);
- wide: `timestamp` plus one column per series id (`latency_p95{region=us-central1}`);
- long: `timestamp,metric,value` plus label columns (`region`, `endpoint`, ...).

Handling, the same for every shape: naive timestamps are UTC; numeric timestamps are Unix
seconds (milliseconds when they are too large for seconds); rows are sorted by time;
duplicate timestamps keep the last row; empty cells and NaN stay NaN (a gap, never 0).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ioncli.errors import DataError
from ioncli.frame import MetricFrame, SeriesKey
from ioncli.sources.base import FetchRequest
from ioncli.sources.catalog import DEFAULT_METRICS

TIME_COLUMNS = ("timestamp", "time", "ts", "datetime", "date")
_NAME_RE = re.compile(r"[^A-Za-z0-9_.:-]+")


class FileSource:
    """A MetricSource over one file; the window filters it only when one was asked for."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = f"file:{self.path}"

    def fetch(self, request: FetchRequest) -> MetricFrame:
        whole = read_file(self.path)
        frame = whole.between(request.start, request.end)
        if len(frame.data.index) == 0 and whole.start is not None and whole.end is not None:
            raise DataError(
                f"data file {self.path} has nothing between {request.start:%Y-%m-%d %H:%M} and "
                f"{request.end:%Y-%m-%d %H:%M} UTC (it covers {whole.start:%Y-%m-%d %H:%M} .. "
                f"{whole.end:%Y-%m-%d %H:%M}; leave out --since/--until to read it whole)"
            )
        return select(frame, request.metrics, request.regions)

    def read(self) -> MetricFrame:
        return read_file(self.path)


def select(frame: MetricFrame, metrics: tuple[str, ...], regions: tuple[str, ...]) -> MetricFrame:
    """Keep only the asked-for metrics and regions (empty means all)."""
    if not metrics and not regions:
        return frame
    keep = []
    for column in frame.data.columns:
        key = SeriesKey.parse(column)
        if metrics and key.metric not in metrics:
            continue
        if regions and key.label("region") not in regions:
            continue
        keep.append(column)
    return MetricFrame(
        frame.data[keep],
        {k: v for k, v in frame.units.items() if k in keep or "{" not in k},
        frame.source,
        frame.step_seconds,
        frame.simulated,
        [i for i in frame.incidents if not i.series or set(i.series) & set(keep)],
        list(frame.warnings),
    )


def read_file(path: Path) -> MetricFrame:
    path = Path(path)
    if not path.exists():
        raise DataError(f"data file {path} does not exist")
    if path.is_dir():
        raise DataError(f"data file {path} is a directory")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return _read_parquet(path)
    if suffix in (".csv", ".txt", ".gz"):
        return _read_csv(path)
    raise DataError(f"data file {path}: unknown type {suffix!r} (expected .parquet or .csv)")


def _read_parquet(path: Path) -> MetricFrame:
    try:
        import pyarrow.parquet as pq

        meta = pq.read_schema(path).metadata or {}
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise DataError(f"data file {path}: not a readable Parquet file ({exc})") from None
    if b"ion" not in meta:
        # Written by another tool: read it as a table, in the same shapes as a CSV.
        return _read_foreign_parquet(path)
    try:
        frame = MetricFrame.from_parquet(path)
    except DataError as exc:
        raise DataError(f"data file {path}: {exc}") from None
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise DataError(f"data file {path}: not a readable Parquet file ({exc})") from None
    # Keep where the data came from: a pulled week of gcp reads as "file:week.parquet (gcp)".
    origin = frame.source
    known = origin and origin != "unknown" and not origin.startswith("file:")
    frame.source = f"file:{path} ({origin})" if known else f"file:{path}"
    return frame


def _read_foreign_parquet(path: Path) -> MetricFrame:
    try:
        raw = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise DataError(f"data file {path}: not a readable Parquet file ({exc})") from None
    if isinstance(raw.index, pd.DatetimeIndex):
        name = str(raw.index.name or "timestamp")
        raw = raw.reset_index(names=name if name.lower() in TIME_COLUMNS else "timestamp")
    return _from_table(raw, path)


def _read_csv(path: Path) -> MetricFrame:
    try:
        raw = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise DataError(f"data file {path} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"data file {path}: not a readable CSV ({exc})") from None
    return _from_table(raw, path)


def _from_table(raw: pd.DataFrame, path: Path) -> MetricFrame:
    """A table read from CSV or a foreign Parquet file, in one of the three shapes."""
    lower = {str(c).strip().lower(): c for c in raw.columns}
    time_column = next((lower[name] for name in TIME_COLUMNS if name in lower), None)
    if time_column is None:
        found = ", ".join(str(c) for c in raw.columns[:8])
        raise DataError(
            f"data file {path} has no timestamp column "
            f"(expected one of {', '.join(TIME_COLUMNS)}; found {found})"
        )
    times = _parse_times(raw[time_column], path, str(time_column))
    rest = raw.drop(columns=[time_column])
    rest.columns = pd.Index([str(c).strip() for c in rest.columns])
    lowered = {c.lower(): c for c in rest.columns}
    if "metric" in lowered and "value" in lowered:
        data = _long_to_wide(rest, times, lowered["metric"], lowered["value"], path)
    elif list(lowered) == ["value"]:
        data = pd.DataFrame({_series_name(path.stem): _numbers(rest["value"], path, "value")})
        data.index = times
    else:
        data = pd.DataFrame({c: _numbers(rest[c], path, c) for c in rest.columns})
        for column in data.columns:
            try:
                SeriesKey.parse(column)
            except DataError:
                raise DataError(
                    f"data file {path}: column {column!r} is not a series id "
                    "(expected metric or metric{key=value,...})"
                ) from None
        data.index = times
    if data.shape[1] == 0:
        raise DataError(f"data file {path} has a timestamp column but no value columns")
    warnings = []
    duplicates = int(data.index.duplicated().sum())
    if duplicates:
        warnings.append(f"{path.name}: {duplicates} duplicate timestamps, kept the last value")
    units = _units_for(data.columns)
    step = _guess_step(pd.DatetimeIndex(data.index))
    frame = MetricFrame(data, units, source=f"file:{path}", step_seconds=step)
    frame.warnings.extend(warnings)
    return frame


def _long_to_wide(
    rest: pd.DataFrame, times: pd.DatetimeIndex, metric: str, value: str, path: Path
) -> pd.DataFrame:
    label_columns = [c for c in rest.columns if c not in (metric, value)]
    ids = []
    metrics = rest[metric].astype(str).str.strip()
    labels = rest[label_columns].astype("string").fillna("") if label_columns else None
    for i, name in enumerate(metrics):
        pairs = {}
        if labels is not None:
            pairs = {
                str(k): str(v) for k, v in labels.iloc[i].items() if str(v) not in ("", "<NA>")
            }
        ids.append(SeriesKey.of(name, pairs).id)
    long = pd.DataFrame({"time": times, "series": ids, "value": _numbers(rest[value], path, value)})
    # Duplicate (time, series) pairs keep the last row, as everywhere else.
    long = long.drop_duplicates(subset=["time", "series"], keep="last")
    wide = long.pivot(index="time", columns="series", values="value")
    wide.columns.name = None
    return wide


def _parse_times(column: pd.Series, path: Path, name: str) -> pd.DatetimeIndex:
    if pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy(dtype=np.float64)
        unit = "ms" if np.nanmax(np.abs(values)) > 1e11 else "s"
        parsed = pd.to_datetime(values.astype(np.float64), unit=unit, utc=True)  # type: ignore[call-overload]
    else:
        try:
            parsed = pd.to_datetime(column, utc=True, format="ISO8601")
        except (ValueError, TypeError):
            try:
                parsed = pd.to_datetime(column, utc=True, format="mixed")
            except (ValueError, TypeError) as exc:
                raise DataError(
                    f"data file {path}: column {name!r} has a value that is not a time ({exc})"
                ) from None
    index = pd.DatetimeIndex(parsed)
    if index.isna().any():
        row = int(np.flatnonzero(index.isna())[0]) + 2  # 1-based, after the header line
        raise DataError(f"data file {path}: line {row} has no timestamp in column {name!r}")
    return index


def _numbers(column: pd.Series, path: Path, name: str) -> np.ndarray:
    converted = pd.to_numeric(column, errors="coerce")
    bad = converted.isna() & column.notna() & (column.astype(str).str.strip() != "")
    bad &= ~column.astype(str).str.strip().str.lower().isin(["nan", "null", "none", "na"])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"data file {path}: line {row + 2} column {name!r} is not a number "
            f"({column.iloc[row]!r})"
        )
    return converted.to_numpy(dtype=np.float64)


def _series_name(stem: str) -> str:
    cleaned = _NAME_RE.sub("_", stem).strip("_")
    return cleaned or "value"


def _units_for(columns: pd.Index) -> dict[str, str]:
    known = {spec.name: spec.unit for spec in DEFAULT_METRICS}
    units = {}
    for column in columns:
        metric = SeriesKey.parse(str(column)).metric
        if metric in known:
            units[str(column)] = known[metric]
    return units


def _guess_step(index: pd.DatetimeIndex) -> int:
    """The most common spacing between points, in seconds (60 when it cannot tell)."""
    if len(index) < 2:
        return 60
    seconds = pd.Series(index.sort_values()).diff().dt.total_seconds().dropna()
    positive = seconds[seconds > 0]
    if not len(positive):
        return 60
    return max(1, int(positive.mode().iloc[0]))

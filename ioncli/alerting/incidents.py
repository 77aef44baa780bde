"""Known incidents (`--incidents FILE`) and which of them a rule's episodes caught.

File formats:
- CSV with a header: `start,end` and optionally `name` and `series` (series ids or metric
  names separated by `;`; empty = the whole service);
- JSON: a list of objects with the same keys, or `{"incidents": [...]}`.
Times are ISO 8601; no zone means UTC.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ioncli.alerting.model import Catch
from ioncli.errors import DataError
from ioncli.frame import Incident, SeriesKey
from ioncli.times import parse_iso


def _time(text: Any, where: str) -> datetime:
    try:
        return parse_iso(str(text))
    except ValueError:
        raise DataError(f"{where}: {text!r} is not an ISO 8601 time") from None


def _incident(raw: Any, where: str) -> Incident:
    if not isinstance(raw, dict) or "start" not in raw or "end" not in raw:
        raise DataError(f"{where}: each incident needs 'start' and 'end'")
    start, end = _time(raw["start"], where), _time(raw["end"], where)
    if end < start:
        raise DataError(f"{where}: ends ({end.isoformat()}) before it starts")
    series = raw.get("series") or ()
    if isinstance(series, str):
        series = [s.strip() for s in series.split(";") if s.strip()]
    return Incident(start, end, str(raw.get("name") or ""), tuple(str(s) for s in series))


def load_incidents(path: Path) -> list[Incident]:
    """Read an incidents file; a malformed one is a DataError naming the file and the row."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read incidents file {path}: {exc.strerror}") from None
    if Path(path).suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: not valid JSON: {exc}") from None
        if isinstance(data, dict):
            data = data.get("incidents")
        if not isinstance(data, list):
            raise DataError(f"{path}: expected a list of incidents or {{'incidents': [...]}}")
        return [_incident(item, f"{path} item {i + 1}") for i, item in enumerate(data)]
    rows = list(csv.DictReader(StringIO(text)))
    if rows and not {"start", "end"} <= set(rows[0]):
        raise DataError(f"{path}: a CSV of incidents needs 'start' and 'end' columns")
    return [_incident(row, f"{path} row {i + 2}") for i, row in enumerate(rows)]


def applies_to(incident: Incident, series_id: str) -> bool:
    """Whole-service incidents apply everywhere; otherwise by series id or metric name."""
    if not incident.series:
        return True
    return series_id in incident.series or _metric(series_id) in incident.series


@lru_cache(maxsize=4096)
def _metric(series_id: str) -> str:
    # Asked once per incident and series: parse each id once.
    return SeriesKey.parse(series_id).metric


def catches(
    incidents: Sequence[Incident],
    index: pd.DatetimeIndex,
    starts: np.ndarray,
    ends: np.ndarray,
    test_lo: int,
) -> list[Catch]:
    """For incidents that reach the test span: caught when an episode fired during it (or
    was still open when it began), and the delay from its start to that page."""
    out: list[Catch] = []
    n = len(index)
    if not incidents or test_lo >= n:
        return out
    ns = index.as_unit("ns").asi8  # compare in nanoseconds, whatever unit the index has
    keep = starts >= test_lo
    fire = ns[np.minimum(starts[keep], n - 1)]
    close = np.where(ends[keep] >= n, np.iinfo(np.int64).max, ns[np.minimum(ends[keep], n - 1)])
    t0 = np.array([pd.Timestamp(i.start).as_unit("ns").value for i in incidents], dtype=np.int64)
    t1 = np.array([pd.Timestamp(i.end).as_unit("ns").value for i in incidents], dtype=np.int64)
    # One incident per row, one episode per column: fired by its end, still open at its start.
    hit = (fire[None, :] <= t1[:, None]) & (close[None, :] >= t0[:, None])
    earliest = np.where(hit, fire[None, :], np.iinfo(np.int64).max).min(
        axis=1, initial=np.iinfo(np.int64).max
    )
    for row, inc in enumerate(incidents):
        if t1[row] < ns[test_lo]:
            continue
        caught = bool(hit[row].any())
        delay = float((earliest[row] - t0[row]) / 60e9) if caught else None
        out.append(Catch(inc.name or "incident", inc.start, inc.end, caught, delay))
    return out
    first = index[test_lo] if test_lo < len(index) else None
    ns = index.as_unit("ns")  # compare in nanoseconds, whatever unit the index has
    fire = ns[np.minimum(starts, len(index) - 1)]
    close = np.where(
        ends >= len(index),
        np.iinfo(np.int64).max,
        ns[np.minimum(ends, len(index) - 1)].asi8,
    )
    in_test = starts >= test_lo
    for inc in incidents:
        t0 = pd.Timestamp(inc.start).as_unit("ns")
        t1 = pd.Timestamp(inc.end).as_unit("ns")
        if first is None or t1 < first:
            continue
        hit = in_test & (fire.asi8 <= t1.value) & (close >= t0.value)
        delay = None
        if hit.any():
            delay = float((fire[hit].min() - t0).total_seconds() / 60)
        out.append(Catch(inc.name or "incident", inc.start, inc.end, bool(hit.any()), delay))
    return out

"""The range checks and fixes that come before any tuning: enough data, a usable
--baseline-end, a regular grid, and a learning window that is not all incident."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from ioncli.errors import DataError
from ioncli.frame import Incident, MetricFrame

MIN_LEARN_SECONDS = 12 * 3600  # below this a series is skipped: no threshold from nothing
# A level shift starts the learning window afresh only once the new level has held this
# long: a weekend's quieter days look like a 2.5-day shift that ends on Monday, and a
# baseline learned from them alone pages every weekday morning. A week holds a whole cycle.
NEW_NORMAL_SECONDS = 7 * 86_400
MIN_DATA_SECONDS = 24 * 3600  # less than a day of data in the whole range: exit 4


def check_window(frame: MetricFrame, baseline_end: datetime | None) -> int:
    """The index where the test span starts; raises DataError on a range that cannot work."""
    index = frame.data.index
    span = (index[-1] - index[0]).total_seconds() + frame.step_seconds if len(index) else 0
    if span < MIN_DATA_SECONDS:
        have = f"{span / 3600:.1f} h" if span else "nothing"
        raise DataError(
            f"not enough data to tune alerts: {have} from {frame.source}; at least 24 h "
            f"is needed ({_more_data_hint(frame.source)})"
        )
    if baseline_end is None:
        return len(index)
    end = pd.Timestamp(baseline_end)
    end = end.tz_localize("UTC") if end.tzinfo is None else end.tz_convert("UTC")
    if end <= index[0] or end > index[-1]:
        raise DataError(
            f"--baseline-end {end.isoformat()} is outside the data "
            f"({index[0].isoformat()} .. {index[-1].isoformat()})"
        )
    learn = (end - index[0]).total_seconds()
    if learn < MIN_LEARN_SECONDS:
        raise DataError(
            f"not enough data before --baseline-end: {learn / 3600:.1f} h; at least "
            f"{MIN_LEARN_SECONDS // 3600} h are needed to learn from"
        )
    return int(index.searchsorted(end, side="left"))


def _more_data_hint(source: str) -> str:
    """What can bring more data: a longer range only helps a source that has it."""
    if source.startswith("file:"):
        return "use a longer file"
    if source.startswith("local"):
        return "ion serve keeps only what it recorded since it started: let it run a day"
    return "use a longer --since, e.g. --since 7d"


def regular(frame: MetricFrame) -> tuple[MetricFrame, str | None]:
    """The frame on a regular grid of its step (the backtest counts points as time): missing
    rows become gaps, several rows in one step are averaged. Unchanged when already regular."""
    index = frame.data.index
    step_ns = frame.step_seconds * 1_000_000_000
    ns = index.as_unit("ns").asi8 if isinstance(index, pd.DatetimeIndex) else None
    if ns is None or len(ns) < 2 or bool(np.all(np.diff(ns) == step_ns)):
        return frame, None
    data = frame.data.resample(f"{frame.step_seconds}s", origin=index[0]).mean()
    note = (
        f"timestamps were not a regular {frame.step_seconds} s grid: resampled to one "
        f"({len(index)} rows became {len(data.index)} steps; missing steps are gaps)"
    )
    fixed = MetricFrame(
        data,
        dict(frame.units),
        frame.source,
        frame.step_seconds,
        frame.simulated,
        list(frame.incidents),
        list(frame.warnings),
    )
    return fixed, note


def check_incidents_cover(
    index: pd.DatetimeIndex, split: int, incidents: Sequence[Incident]
) -> None:
    if not incidents:
        return
    learn = index[:split]
    inside = np.zeros(len(learn), dtype=bool)
    for inc in incidents:
        if not inc.series:
            inside |= (learn >= pd.Timestamp(inc.start)) & (learn <= pd.Timestamp(inc.end))
    if len(learn) and bool(inside.all()):
        raise DataError(
            "the baseline window lies entirely inside known incidents: nothing normal to learn "
            "from (move --baseline-end, or widen --since to include quiet days)"
        )

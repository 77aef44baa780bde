"""Literal frames for the SLO tests: one region, one point a minute, numbers to redo by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ioncli.frame import MetricFrame

T0 = pd.Timestamp("2026-03-02T00:00:00Z")
DAY = 1440  # one-minute steps in a day


def frame(
    rate: np.ndarray, errors: np.ndarray, *, latency: np.ndarray | None = None
) -> MetricFrame:
    """request_rate (req/s) and error_ratio_5xx per minute in region r1 (and, when given, the
    share of requests under 200 ms)."""
    index = pd.date_range(T0, periods=len(rate), freq="60s", tz="UTC")
    columns = {
        "request_rate{region=r1}": rate,
        "error_ratio_5xx{region=r1}": errors,
    }
    if latency is not None:
        columns["latency_share_le_200{region=r1}"] = latency
    return MetricFrame(pd.DataFrame(columns, index=index), source="test", step_seconds=60)


def steady_day(rps: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """A day at `rps` requests a second (600 a minute) without errors."""
    return np.full(DAY, rps), np.zeros(DAY)


def minute(n: int) -> pd.Timestamp:
    return T0 + pd.Timedelta(minutes=n)

"""Small literal frames for the alerting tests: a few days at 5 minutes, fixed noise."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ioncli.frame import MetricFrame

STEP = 300
PER_DAY = 86_400 // STEP
START = pd.Timestamp("2026-01-05T00:00:00Z")  # a Monday


def index(days: float, start: pd.Timestamp = START) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=int(days * PER_DAY), freq=f"{STEP}s", name="time")


def noise(n: int, seed: int = 1, scale: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, scale, n)


def frame(
    columns: dict[str, np.ndarray], days: float, units: dict[str, str] | None = None
) -> MetricFrame:
    idx = index(days)
    data = pd.DataFrame({k: v[: len(idx)] for k, v in columns.items()}, index=idx)
    return MetricFrame(data, units or {}, source="test", step_seconds=STEP)


def latency(days: float = 4, seed: int = 1) -> np.ndarray:
    """A latency-like series: 100 ms ± 5 with a daily wave."""
    n = int(days * PER_DAY)
    t = np.arange(n)
    return 100 + 10 * np.sin(2 * np.pi * t / PER_DAY) + noise(n, seed, 5.0)

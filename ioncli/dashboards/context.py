"""The frame seen as numpy columns, with the per-series lookups every widget needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from ioncli.dashboards import definitions as defs
from ioncli.dashboards import series as S
from ioncli.dashboards.model import Level, ThresholdInfo
from ioncli.frame import MetricFrame, SeriesKey
from ioncli.sources.catalog import DEFAULT_METRICS
from ioncli.thresholds import Threshold, ThresholdSet

_UNITS = {m.name: m.unit for m in DEFAULT_METRICS}
_BAD = {m.name: m.bad_direction for m in DEFAULT_METRICS}


def bad_direction(metric: str) -> str:
    return _BAD.get(metric, "both")


def bucket_reduce(metric: str) -> str:
    return {"high": "max", "low": "min"}.get(_BAD.get(metric, "both"), "mean")


@dataclass
class Context:
    """The frame as numpy columns, with per-column lookups computed once."""

    frame: MetricFrame
    thresholds: ThresholdSet
    keys: list[SeriesKey]
    matrix: S.Array
    index: pd.DatetimeIndex
    step: int
    by_metric: dict[str, list[int]] = field(default_factory=dict)
    slos: tuple[Any, ...] = ()  # ioncli.slo.config.SloSpec, for the slo dashboard
    _current: dict[int, tuple[float | None, int | None]] = field(default_factory=dict)

    def time(self, i: int) -> datetime:
        return self.index[i].to_pydatetime()

    @property
    def n(self) -> int:
        return int(self.matrix.shape[0])

    def unit(self, metric: str, col: int | None = None) -> str:
        if col is not None:
            found = self.frame.units.get(self.keys[col].id)
            if found:
                return found
        return self.frame.units.get(metric) or _UNITS.get(metric, "")

    def threshold(self, col: int) -> Threshold | None:
        key = self.keys[col]
        return self.thresholds.for_series(key.id, key.metric)

    def current(self, col: int) -> tuple[float | None, int | None]:
        if col not in self._current:
            self._current[col] = S.current(self.matrix[:, col], self.step)
        return self._current[col]

    def level(self, col: int) -> Level:
        value, _ = self.current(col)
        if value is None:
            return Level.MISSING
        rule = self.threshold(col)
        return Level.UNKNOWN if rule is None else Level(rule.status(value).value)

    def weights(self, cols: list[int]) -> S.Array | None:
        """Each column's request rate in the same region, or None when none is known."""
        rate = {self.keys[c].label("region"): c for c in self.by_metric.get(defs.WEIGHT_METRIC, [])}
        picked = [rate.get(self.keys[c].label("region")) for c in cols]
        if all(p is None for p in picked):
            return None
        nan = np.full(self.n, np.nan)
        return np.column_stack([nan if p is None else self.matrix[:, p] for p in picked])


def info(rule: Threshold | None) -> ThresholdInfo | None:
    if rule is None:
        return None
    return ThresholdInfo(
        rule.direction, rule.warning, rule.critical, rule.duration_seconds, rule.origin
    )


def describe(key: SeriesKey) -> str:
    """A short human label for a series: its label values, else its metric name."""
    parts = [v for _, v in key.labels]
    return " / ".join(parts) if parts else key.metric

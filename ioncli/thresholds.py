"""Current alert thresholds: the committed baselines when present, else the report's 9 rules.

`ion dashboard` colours values with these; `ion tune-alerts` writes the baselines file that
replaces the defaults. A baselines file is `baselines/<service>.json`:

    {"schema_version": 1, "service": "...", "series": {
        "<series id>": {"rule": {"kind": "...", "direction": "high"|"low",
                                 "warning": 120.0, "critical": 180.0,
                                 "duration_seconds": 300}, ...}, ...}, ...}

A series that alerts both ways also has `"low": {"warning": ..., "critical": ...}` in its
rule. Only these keys are read here; tune-alerts owns the rest of the file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from ioncli.errors import ConfigError

Direction = Literal["high", "low"]


class Status(StrEnum):
    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    UNKNOWN = "unknown"  # no value, or no threshold to judge it by


@dataclass(frozen=True)
class Threshold:
    """When a value is bad: above (direction high) or below (low) these levels."""

    metric: str
    direction: Direction
    warning: float | None
    critical: float | None
    duration_seconds: int
    origin: str  # where the numbers came from, shown to the user
    # A series tuned to alert both ways keeps its low side here (direction is then "high").
    low_warning: float | None = None
    low_critical: float | None = None

    def status(self, value: float | None) -> Status:
        if value is None or math.isnan(value):
            return Status.UNKNOWN
        high, low = (self.critical, self.warning), (self.low_critical, self.low_warning)
        if self.direction == "low":
            high, low = (None, None), (self.critical, self.warning)
        for level, status in zip(high, (Status.CRITICAL, Status.WARNING), strict=True):
            if level is not None and value > level:
                return status
        for level, status in zip(low, (Status.CRITICAL, Status.WARNING), strict=True):
            if level is not None and value < level:
                return status
        return Status.OK


# The original service's 9 default alert rules, mapped onto catalog metrics and units:
# ratios are 0..1, latency in ms, replica lag in seconds. Durations were not given per rule;
# 300 s is the one fully specified template's evaluation window.
DEFAULT_RULES: tuple[Threshold, ...] = (
    Threshold("latency_p95", "high", 100.0, 200.0, 300, "default rules 1 and 4 (P95 latency)"),
    Threshold("error_ratio_5xx", "high", 0.005, 0.01, 300, "default rules 2 and 5 (error rate)"),
    Threshold("availability", "low", None, 0.9995, 300, "default rule 3 (availability SLA)"),
    Threshold("replica_lag", "high", 0.5, None, 300, "default rule 6 (replication lag)"),
    Threshold("cache_hit_ratio", "low", 0.70, None, 300, "default rule 7 (cache hit rate)"),
    Threshold("cpu_utilization", "high", 0.80, None, 300, "default rule 8 (CPU)"),
    Threshold("memory_utilization", "high", 0.80, None, 300, "default rule 9 (memory)"),
)


@dataclass(frozen=True)
class ThresholdSet:
    """Thresholds by series id (from baselines) with the default rules per metric behind them."""

    by_series: Mapping[str, Threshold]
    by_metric: Mapping[str, Threshold]
    origin: str  # "baselines/<service>.json" or "default rules"

    def for_series(self, series_id: str, metric: str) -> Threshold | None:
        return self.by_series.get(series_id) or self.by_metric.get(metric)


def default_thresholds() -> ThresholdSet:
    return ThresholdSet({}, {t.metric: t for t in DEFAULT_RULES}, "the report's 9 default rules")


def load_thresholds(baselines_dir: Path, service: str) -> ThresholdSet:
    """Thresholds from `baselines_dir/<service>.json`, or the default rules when it is absent."""
    path = baselines_dir / f"{service}.json"
    if not path.is_file():
        return default_thresholds()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not a valid baselines file: {exc}") from None
    series = data.get("series") if isinstance(data, dict) else None
    if not isinstance(series, dict):
        raise ConfigError(f"{path}: not a valid baselines file: no 'series' table")
    by_series = {sid: _threshold(path, sid, entry) for sid, entry in series.items()}
    defaults = default_thresholds().by_metric
    return ThresholdSet(by_series, defaults, str(path))


def _threshold(path: Path, series_id: str, entry: Any) -> Threshold:
    from ioncli.frame import SeriesKey

    rule = entry.get("rule") if isinstance(entry, dict) else None
    if not isinstance(rule, dict) or rule.get("direction") not in ("high", "low"):
        raise ConfigError(f"{path}: series {series_id!r}: 'rule.direction' must be high or low")
    low = rule.get("low") or {}
    if not isinstance(low, dict):
        raise ConfigError(f"{path}: series {series_id!r}: 'rule.low' must be a table")
    levels: dict[str, float | None] = {}
    for name, table, key in (
        ("warning", rule, "warning"),
        ("critical", rule, "critical"),
        ("low_warning", low, "warning"),
        ("low_critical", low, "critical"),
    ):
        value = table.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            where = f"rule.low.{key}" if table is low else f"rule.{key}"
            raise ConfigError(f"{path}: series {series_id!r}: '{where}' must be a number")
        levels[name] = None if value is None else float(value)
    duration = rule.get("duration_seconds", 0)
    if isinstance(duration, bool) or not isinstance(duration, int | float):
        raise ConfigError(f"{path}: series {series_id!r}: 'rule.duration_seconds' must be a number")
    return Threshold(
        SeriesKey.parse(series_id).metric,
        rule["direction"],
        levels["warning"],
        levels["critical"],
        int(duration),
        f"{path.name} ({rule.get('kind', 'tuned')}{', adaptive' if rule.get('adaptive') else ''})",
        levels["low_warning"],
        levels["low_critical"],
    )

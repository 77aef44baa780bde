"""Current thresholds: default rules, and baselines files written by tune-alerts."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from ioncli.errors import ConfigError
from ioncli.thresholds import (
    DEFAULT_RULES,
    Status,
    Threshold,
    default_thresholds,
    load_thresholds,
)


def test_the_nine_default_rules_cover_seven_metrics() -> None:
    rules = default_thresholds().by_metric
    assert len(DEFAULT_RULES) == 7  # rules 1+4 and 2+5 share a metric at two levels
    assert rules["latency_p95"].status(150.0) is Status.WARNING
    assert rules["latency_p95"].status(250.0) is Status.CRITICAL
    assert rules["latency_p95"].status(50.0) is Status.OK
    assert rules["availability"].status(0.9990) is Status.CRITICAL
    assert rules["cache_hit_ratio"].status(0.65) is Status.WARNING
    assert rules["cpu_utilization"].status(math.nan) is Status.UNKNOWN
    assert rules["cpu_utilization"].status(None) is Status.UNKNOWN


def test_both_ways_thresholds_judge_each_side() -> None:
    rule = Threshold("request_rate", "high", 100.0, 200.0, 300, "test", 10.0, 5.0)
    assert rule.status(50.0) is Status.OK
    assert rule.status(150.0) is Status.WARNING
    assert rule.status(250.0) is Status.CRITICAL
    assert rule.status(8.0) is Status.WARNING
    assert rule.status(1.0) is Status.CRITICAL


def write_baselines(tmp_path: Path, series: dict[str, object]) -> Path:
    (tmp_path / "svc.json").write_text(json.dumps({"schema_version": 1, "series": series}))
    return tmp_path


def test_baselines_override_defaults_per_series(tmp_path: Path) -> None:
    series_id = "latency_p95{region=us-central1}"
    rule = {
        "kind": "seasonal",
        "direction": "high",
        "warning": 80,
        "critical": 120,
        "duration_seconds": 600,
        "adaptive": True,
        "low": {"warning": 5, "critical": None},
    }
    thresholds = load_thresholds(write_baselines(tmp_path, {series_id: {"rule": rule}}), "svc")
    chosen = thresholds.for_series(series_id, "latency_p95")
    assert chosen is not None
    assert (chosen.warning, chosen.critical, chosen.low_warning) == (80.0, 120.0, 5.0)
    assert "adaptive" in chosen.origin
    assert chosen.status(3.0) is Status.WARNING
    other = thresholds.for_series("latency_p95{region=europe-west1}", "latency_p95")
    assert other is not None and other.origin.startswith("default rules")
    assert thresholds.origin.endswith("svc.json")


def test_no_file_means_default_rules(tmp_path: Path) -> None:
    assert load_thresholds(tmp_path, "svc").origin == default_thresholds().origin


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not a valid baselines file"),
        ('{"series": []}', "no 'series' table"),
        ('{"series": {"x": {"rule": {"direction": "up"}}}}', "must be high or low"),
        (
            '{"series": {"x": {"rule": {"direction": "high", "warning": "5"}}}}',
            "'rule.warning' must be a number",
        ),
        (
            '{"series": {"x": {"rule": {"direction": "high", "low": {"critical": true}}}}}',
            "'rule.low.critical' must be a number",
        ),
    ],
)
def test_a_hand_edited_broken_file_is_a_config_error(
    tmp_path: Path, content: str, message: str
) -> None:
    (tmp_path / "svc.json").write_text(content)
    with pytest.raises(ConfigError, match=message) as info:
        load_thresholds(tmp_path, "svc")
    assert str(tmp_path / "svc.json") in str(info.value)

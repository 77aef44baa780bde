"""`--format prometheus-rules`: accepted by the real promtool, and firing where ion's replay
fires on the same history (`promtool test rules`, Debian package `prometheus`)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ioncli.slo.analysis import build_report
from ioncli.slo.config import DEFAULT_RULES, AlertRule, SloSpec
from ioncli.slo.rules import prometheus_rules
from tests.helpers import require_program
from tests.slo.frames import T0, frame

FAST = AlertRule("page-1h", "page", 3600, 300, 14.4)
SPEC = SloSpec("availability", "availability", 0.999, window_days=1, alerts=(FAST,))
MINUTES = 180


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = require_program("promtool")
    return subprocess.run(
        [exe, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.slow
def test_default_rules_pass_promtool_check(tmp_path: Path) -> None:
    latency = SloSpec("latency", "latency", 0.99, threshold_ms=250.0)  # a serve bucket bound
    text = prometheus_rules(
        "ion-mentoring", (SloSpec("availability", "availability", 0.9995), latency)
    )
    (tmp_path / "rules.yml").write_text(text)
    run = promtool("check", "rules", "rules.yml", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    # 5 ratio windows, 3 counts and 2 request rates, then 3 alerts, per objective.
    assert "SUCCESS: 26 rules found" in run.stdout
    assert len(DEFAULT_RULES) == 3


def test_a_latency_threshold_between_serve_buckets_is_left_out_with_a_reason() -> None:
    text = prometheus_rules("s", (SloSpec("latency", "latency", 0.99, threshold_ms=200.0),))
    assert "not a bucket bound of ion_http_request_duration_seconds" in text
    assert "groups: []" in text


def _series(values: np.ndarray) -> str:
    return " ".join(f"{v:.0f}" for v in values)


@pytest.mark.slow
def test_promtool_fires_where_the_replay_fires(tmp_path: Path) -> None:
    rate = np.full(MINUTES, 10.0)  # 600 requests a minute
    errors = np.zeros(MINUTES)
    errors[100:120] = 0.05  # 30 bad a minute for 20 minutes
    report = build_report(frame(rate, errors), (SPEC,), service="ion-mentoring")
    page = next(r for r in report.objectives[0].replay[0].rules if r.name == "page-1h")
    (alert,) = page.alerts
    fired = int((pd.Timestamp(alert.start) - T0).total_seconds() // 60)
    closed = int((pd.Timestamp(alert.end) - T0).total_seconds() // 60)
    assert (fired, closed) == (117, 123)

    # The counters behind the frame, as ion serve exposes them (started long before).
    bad = 1_000 + np.cumsum(rate * 60 * errors)
    good = 1_000_000 + np.cumsum(rate * 60 * (1 - errors))
    (tmp_path / "rules.yml").write_text(prometheus_rules("ion-mentoring", (SPEC,)))
    expected = [
        {
            "exp_labels": {"severity": "page", "service": "ion-mentoring", "slo": "availability"},
            "exp_annotations": {
                "summary": "ion-mentoring availability: error budget burning 14.4x over 1h and 5m",
                "description": "At this rate 60.0% of the 1-day error budget of 99.9% burns in "
                "1h (rule page-1h).",
            },
        }
    ]

    def case(minute: int, fires: bool) -> dict[str, object]:
        return {
            "eval_time": f"{minute}m",
            "alertname": "IonSloAvailabilityPage1h",
            "exp_alerts": expected if fires else [],
        }

    series = 'ion_http_requests_total{route="/api/v2/process",status="%s"}'
    test = {  # JSON is YAML: no hand-indented YAML to get wrong
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": series % "200", "values": _series(good)},
                    {"series": series % "500", "values": _series(bad)},
                ],
                "alert_rule_test": [
                    case(fired - 20, False),
                    case(fired - 1, False),
                    case(fired, True),
                    case(closed - 1, True),
                    case(closed, False),
                ],
            }
        ],
    }
    (tmp_path / "test.yml").write_text(json.dumps(test))
    run = promtool("test", "rules", "test.yml", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS" in run.stdout

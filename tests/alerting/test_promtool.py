"""Proof of fidelity with a real engine: Prometheus fires exactly when ion's backtest does.

For every kind in the translator registry (so a new kind is covered by adding it there), a
series with spikes of one, two and three points, a lasting shift, a dip and gaps is tuned
with that kind forced; the `--format prometheus-rules` output is run by the real
`promtool test rules` over the same series (gaps written as stale markers, the model the
README states), with an expectation at every evaluation step of the backtest span: the
alert firing exactly inside ion's episodes and absent everywhere else. This checks the
PromQL, the `for` (pending, then firing once the duration has passed) and gaps together.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from ioncli.alerting.analysis import build_report
from ioncli.alerting.model import SeriesOut, TuneReport
from ioncli.alerting.policies import alert_name
from ioncli.alerting.promql import TRANSLATORS
from ioncli.alerting.promrules import render_rules, rule_annotations, rule_labels
from ioncli.alerting.tune import TuneOptions
from ioncli.frame import MetricFrame
from tests.helpers import require_program

SERIES = 'ion_test_series{case="a"}'
EPOCH = pd.Timestamp("1970-01-01T00:00:00Z")  # promtool's time 0: hour() and weekday agree


def series_values(days: float, learn_days: float, step: int) -> np.ndarray:
    """A daily wave with noise; after the learning window spikes of 1-3 points, a lasting
    shift, a dip and gaps."""
    per_day = 86_400 // step
    n = int(days * per_day)
    t = np.arange(n)
    rng = np.random.default_rng(7)
    v = 100 + 10 * np.sin(2 * np.pi * t / per_day) + rng.normal(0, 3, n)
    late = int(learn_days * per_day) + 20
    for at, width in ((late, 1), (late + 40, 2), (late + 80, 3), (late + 120, 6)):
        v[at : at + width] += 60
    v[late + 160 : late + 200] += 25  # a lasting shift
    v[late + 230 : late + 236] -= 60  # a dip
    v[late + 121] = np.nan  # a gap inside an incident breaks its run
    v[late + 300 : late + 303] = np.nan
    v[int(n * 0.2)] = np.nan
    return v


def tuned(  # noqa: PLR0917 (one test's helper)
    kind: str,
    days: float,
    learn: float,
    step: int,
    duration: int,
    direction: str,
    budget: float = 1.0,
) -> TuneReport:
    idx = pd.date_range(EPOCH, periods=int(days * 86_400 // step), freq=f"{step}s", name="time")
    data = pd.DataFrame({"m{case=a}": series_values(days, learn, step)}, index=idx)
    frame = MetricFrame(data, {}, source="test", step_seconds=step)
    options = TuneOptions(
        max_alerts_per_week=budget,
        baseline_end=(EPOCH + pd.Timedelta(days=learn)).to_pydatetime(),
        rule=kind,
        duration_seconds=duration,
        directions={"m": direction},
        series_queries={"m{case=a}": SERIES},
    )
    return build_report(frame, options, service="svc")


def firing_steps(series: SeriesOut, step: int) -> set[int]:
    out: set[int] = set()
    for ep in series.backtest.alerts:
        lo = int((pd.Timestamp(ep.start) - EPOCH).total_seconds()) // step
        hi = int((pd.Timestamp(ep.end) - EPOCH).total_seconds()) // step
        out.update(range(lo, hi))
    return out


def promtool_case(report: TuneReport, values: np.ndarray, rules: Path) -> dict[str, object]:
    step = report.step_seconds
    (s,) = report.series
    fires = firing_steps(s, step)
    first = int((pd.Timestamp(s.backtest.start) - EPOCH).total_seconds()) // step
    last = int((pd.Timestamp(s.backtest.end) - EPOCH).total_seconds()) // step
    expected = {
        "exp_labels": {"case": "a", **rule_labels(s, report)},
        "exp_annotations": rule_annotations(s, report),
    }
    text = " ".join("stale" if not np.isfinite(v) else repr(float(v)) for v in values)
    return {
        "rule_files": [str(rules)],
        "evaluation_interval": f"{step}s",
        "tests": [
            {
                "interval": f"{step}s",
                "input_series": [{"series": SERIES, "values": text}],
                "alert_rule_test": [
                    {
                        "eval_time": f"{i * step}s",
                        "alertname": alert_name(s.id),
                        "exp_alerts": [expected] if i in fires else [],
                    }
                    for i in range(first, last + 1)
                ],
            }
        ],
    }


CASES = [
    # (days, learned days, step, --duration, direction, budget). Steps of 10 minutes and
    # more keep the nested week-long windows quick enough for promtool (a minute at 5).
    pytest.param(3, 1.5, 600, 1200, "both", 1.0, id="10min-for1200-both"),
    pytest.param(3, 1.5, 900, 0, "high", 1.0, id="15min-for0-high"),
    pytest.param(6, 2.5, 900, 1000, "low", 1.0, id="15min-for1000-low"),
    # A 1-week window (budget 2) at 20 minutes: the shape the envelope can be run in.
    pytest.param(5, 2.5, 1200, 1200, "both", 2.0, id="20min-for1200-both-budget2"),
]
# Kinds whose nested windows take minutes of promtool per case run only in the case named
# (or only in their own proof when None): the envelope takes about 3 minutes here at load 6,
# and tests/alerting/test_envelope_promql.py proves `envelope_query` at every step in three
# cases with every side on. ION_PROOF_ALL=1 runs every kind in every case.
HEAVY: dict[str, str | None] = {"envelope": None}
PROOF_ALL = os.environ.get("ION_PROOF_ALL") == "1"  # read at import: tests drop ION_* vars


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(TRANSLATORS))
@pytest.mark.parametrize(("days", "learn", "step", "duration", "direction", "budget"), CASES)
def test_prometheus_fires_exactly_when_the_backtest_does(  # noqa: PLR0917 (parametrised)
    request: pytest.FixtureRequest,
    tmp_path: Path,
    kind: str,
    days: float,
    learn: float,
    step: int,
    duration: int,
    direction: str,
    budget: float,
) -> None:
    promtool = require_program("promtool")
    case = request.node.callspec.id.rsplit("-", 1)[0]
    if kind in HEAVY and case != HEAVY[kind] and not PROOF_ALL:
        where = HEAVY[kind] or "tests/alerting/test_envelope_promql.py"
        pytest.skip(f"{kind}: proved in {where} (nested windows: minutes in promtool)")
    report = tuned(kind, days, learn, step, duration, direction, budget)
    (s,) = report.series
    assert s.rule.kind == kind and s.rule.condition is not None
    assert s.rule.condition.type != "none"
    assert s.rule.duration_seconds == -(-duration // step) * step
    rules = tmp_path / "rules.yml"
    rules.write_text(render_rules(report))
    values = series_values(days, learn, step)
    assert s.backtest.alerts, "the case must fire for the proof to mean something"
    if kind == "envelope":  # every side in the rule, so every window is proved
        assert all(w in s.rule.explanation for w in ("hourly mean", "spread", "same hour"))
    test_file = tmp_path / "test.yml"
    test_file.write_text(json.dumps(promtool_case(report, values, rules)))
    done = subprocess.run(
        [promtool, "test", "rules", str(test_file)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]


@pytest.mark.slow
def test_the_rules_file_is_accepted_by_promtool_check(tmp_path: Path) -> None:
    promtool = require_program("promtool")
    report = tuned("seasonal", 3, 1.5, 300, 300, "both")
    path = tmp_path / "rules.yml"
    path.write_text(render_rules(report))
    done = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (group,) = yaml.safe_load(path.read_text())["groups"]
    (rule,) = group["rules"]
    assert group["interval"] == "300s" and rule["for"] == "300s"
    assert rule["labels"]["severity"] == "critical"
    assert "Learned from test" in rule["annotations"]["description"]

"""Tuning on literal frames: budgets, learn-then-test, directions and bad input."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from ioncli.alerting.analysis import build_report
from ioncli.alerting.candidates import KINDS
from ioncli.alerting.tune import TuneOptions, tune_frame
from ioncli.errors import DataError
from ioncli.frame import Incident

from .frames import PER_DAY, START, frame, latency, noise

DIRECTIONS = {"latency_p95": "high", "availability": "low", "request_rate": "both"}


def options(**kw: object) -> TuneOptions:
    return TuneOptions(directions=DIRECTIONS, **kw)  # type: ignore[arg-type]


def test_a_spike_after_the_baseline_end_is_caught_and_quiet_data_stays_quiet() -> None:
    values = latency(6)
    values[5 * PER_DAY : 5 * PER_DAY + 4] = 400.0  # a 20-minute incident on day 6
    f = frame({"latency_p95{region=r1}": values}, 6, {"latency_p95": "ms"})
    end = START + timedelta(days=3)
    tuned = tune_frame(f, options(baseline_end=end.to_pydatetime()))
    (series,) = tuned.series
    assert series.direction == "high"
    assert series.rule.kind in KINDS
    assert series.rule.critical is not None and series.rule.low_critical is None
    starts = [a.start for a in series.backtest.alerts]
    assert any(START + timedelta(days=5) <= s <= START + timedelta(days=5, hours=1) for s in starts)
    assert all(s >= end for s in starts)  # only the test span is reported
    assert series.backtest.alerts_per_week <= 3
    assert not series.backtest.in_sample
    kinds = {c.kind for c in series.candidates}
    assert kinds == set(KINDS)


def test_every_kind_respects_the_budget_on_history_when_it_can() -> None:
    f = frame({"latency_p95{region=r1}": latency(8, seed=7)}, 8)
    tuned = tune_frame(f, options(max_alerts_per_week=1.0))
    (series,) = tuned.series
    for c in series.candidates:
        if c.within_budget:
            # history shorter than a week may hold `budget` alerts; this history is 8 days
            assert c.history_episodes <= 1.0 * 8 / 7
    assert series.within_budget
    assert series.backtest.in_sample


def test_direction_comes_from_the_metric_and_unknown_metrics_alert_both_ways() -> None:
    f = frame(
        {
            "availability{region=r1}": 0.999 + noise(3 * PER_DAY, 2, 0.0002),
            "mystery": 5 + noise(3 * PER_DAY, 3),
        },
        3,
    )
    tuned = tune_frame(f, options())
    by_id = {s.id: s for s in tuned.series}
    avail = by_id["availability{region=r1}"].rule
    assert avail.direction == "low" and avail.critical is None and avail.low_critical is not None
    both = by_id["mystery"].rule
    assert both.direction == "both" and both.critical is not None and both.low_critical is not None


def test_a_forced_kind_is_the_only_candidate() -> None:
    f = frame({"latency_p95": latency(3)}, 3)
    for kind in KINDS:
        (series,) = tune_frame(f, options(rule=kind)).series
        assert series.rule.kind == kind
        assert [c.kind for c in series.candidates] == [kind]


def test_the_report_method_is_kept_as_sigma_tiers() -> None:
    values = 50 + noise(3 * PER_DAY, 9, 5.0)
    (series,) = tune_frame(frame({"latency_p95": values}, 3), options(rule="sigma")).series
    base = series.baseline
    assert series.rule.critical == pytest.approx(base["mean"] + 3 * base["std"])  # type: ignore[operator]
    assert series.rule.warning == pytest.approx(base["mean"] + 2 * base["std"])  # type: ignore[operator]


def test_a_level_that_has_held_a_week_is_the_new_normal() -> None:
    values = 10 + noise(10 * PER_DAY, 4, 0.3)
    values[2 * PER_DAY :] += 20  # a change two days in, held for eight
    (series,) = tune_frame(frame({"latency_p95": values}, 10), options(rule="robust")).series
    assert series.baseline["level_shifts"]
    assert series.baseline["median"] > 25  # learned after the shift, not across it
    assert series.baseline["learned_from"] == START + timedelta(days=2)
    assert len(series.backtest.alerts) <= 2  # the budget: one alert a week


def test_a_quieter_weekend_at_the_end_of_learning_is_not_a_new_normal() -> None:
    """Five busy days then a quiet weekend: learned from the weekend alone, a static rule
    would page every weekday morning. A level held for less than a week may be the weekly
    cycle, so the whole week is learned (the shift is still reported)."""
    values = 30 + noise(14 * PER_DAY, 21, 0.5)
    for week in (0, 7):
        values[(week + 5) * PER_DAY : (week + 7) * PER_DAY] -= 10  # Saturday and Sunday
    f = frame({"latency_p95": values}, 14)
    end = START + timedelta(days=7)
    (series,) = tune_frame(f, options(rule="robust", baseline_end=end.to_pydatetime())).series
    assert series.baseline["level_shifts"]
    assert series.baseline["learned_from"] == START
    # Learned from the weekend alone, it fired from Monday to Friday (71 % of the week).
    assert series.backtest.time_in_alert < 0.05


def test_constant_series_nan_and_gaps_are_handled() -> None:
    flat = np.full(3 * PER_DAY, 4.0)
    gappy = latency(3)
    gappy[100:400] = np.nan
    gappy[::7] = np.nan
    tuned = tune_frame(frame({"latency_p95": flat, "latency_p99": gappy}, 3), options())
    by_id = {s.id: s for s in tuned.series}
    assert by_id["latency_p95"].baseline["std"] == 0
    assert by_id["latency_p95"].backtest.alerts == []
    assert by_id["latency_p99"].baseline["gaps"] > 300


def test_less_than_a_day_is_not_enough_data() -> None:
    with pytest.raises(DataError, match=r"not enough data.*24 h"):
        tune_frame(frame({"latency_p95": latency(0.5)}, 0.5), options())


def test_baseline_end_outside_the_data_or_too_early() -> None:
    f = frame({"latency_p95": latency(3)}, 3)
    with pytest.raises(DataError, match="outside the data"):
        tune_frame(f, options(baseline_end=(START + timedelta(days=9)).to_pydatetime()))
    with pytest.raises(DataError, match="outside the data"):
        tune_frame(f, options(baseline_end=(START - timedelta(days=1)).to_pydatetime()))
    with pytest.raises(DataError, match="12 h"):
        tune_frame(f, options(baseline_end=(START + timedelta(hours=3)).to_pydatetime()))


def test_a_baseline_window_that_is_all_incident_is_refused() -> None:
    f = frame({"latency_p95": latency(3)}, 3)
    incident = Incident(START.to_pydatetime(), (START + timedelta(days=5)).to_pydatetime(), "big")
    with pytest.raises(DataError, match="entirely inside known incidents"):
        tune_frame(f, options(incidents=[incident]))


def test_a_series_without_enough_values_is_skipped_with_a_reason() -> None:
    sparse = np.full(3 * PER_DAY, np.nan)
    sparse[:50] = 1.0
    tuned = tune_frame(frame({"latency_p95": latency(3), "latency_p99": sparse}, 3), options())
    assert [s.id for s in tuned.series] == ["latency_p95"]
    assert tuned.skipped[0].id == "latency_p99"
    assert "not enough data" in tuned.skipped[0].reason


def test_known_incidents_are_reported_caught_with_their_delay() -> None:
    values = latency(6)
    values[5 * PER_DAY + 6 : 5 * PER_DAY + 20] = 500.0
    inc_start = START + timedelta(days=5)
    incident = Incident(
        inc_start.to_pydatetime(), (inc_start + timedelta(hours=2)).to_pydatetime(), "db"
    )
    quiet = Incident(
        (START + timedelta(days=4)).to_pydatetime(),
        (START + timedelta(days=4, hours=1)).to_pydatetime(),
        "quiet",
    )
    report = build_report(
        frame({"latency_p95": values}, 6),
        options(
            baseline_end=(START + timedelta(days=3)).to_pydatetime(), incidents=[incident, quiet]
        ),
        service="svc",
    )
    found = {c.incident: c for c in report.incidents}
    # Bad from minute 30 at a 5-minute step; no --duration: one point of 5 minutes.
    assert found["db"].caught and found["db"].delay_minutes == pytest.approx(30.0)
    assert not found["quiet"].caught and found["quiet"].delay_minutes is None
    assert report.kinds and all(k.series == 1 for k in report.kinds)


def test_missing_rows_become_gaps_on_a_regular_grid() -> None:
    f = frame({"latency_p95": latency(3)}, 3)
    keep = np.ones(len(f.data.index), dtype=bool)
    keep[100:300] = False
    keep[::17] = False
    holey = f.data[keep]
    from ioncli.frame import MetricFrame

    tuned = tune_frame(MetricFrame(holey, source="test", step_seconds=300), options())
    (series,) = tuned.series
    assert series.baseline["gaps"] >= 200
    assert any("not a regular 300 s grid" in w for w in tuned.warnings)

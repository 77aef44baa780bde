"""Sane rules on literal frames: levels inside the unit's range, warning before critical,
the default rule compared, kinds chosen by the incidents they caught before --baseline-end,
and a clear line for inputs a method cannot learn from."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from ioncli.alerting.rulebase import Levels
from ioncli.alerting.sane import data_notes, physical_range, sanitise
from ioncli.alerting.tune import TuneOptions, tune_frame
from ioncli.frame import Incident
from ioncli.thresholds import default_thresholds

from .frames import PER_DAY, START, frame, latency, noise

DEFAULTS = default_thresholds().by_metric


def test_ratio_levels_outside_zero_to_one_are_left_out_and_said() -> None:
    lv, notes = sanitise(Levels(0.9, 1.2, 0.2, -0.013), "ratio", "cache_hit_ratio_l2", DEFAULTS)
    assert lv == Levels(0.9, None, 0.2, None)
    assert any("critical 1.2" in n and "highest possible" in n for n in notes)
    assert any("low critical -0.013" in n and "lowest possible" in n for n in notes)


def test_no_negative_rates_or_latencies() -> None:
    assert physical_range("req/s") == (0.0, np.inf)
    lv, notes = sanitise(Levels(None, None, -7.47, 0.75), "req/s", "request_rate", DEFAULTS)
    # -7.47 cannot fire; and it was also beyond the critical 0.75 (warning after critical).
    assert lv.low_warning is None and lv.low_critical == 0.75
    assert len(notes) == 1


def test_a_warning_beyond_its_critical_is_dropped() -> None:
    lv, notes = sanitise(Levels(158.0, 92.4, None, None), "", "mystery", DEFAULTS)
    assert lv == Levels(None, 92.4, None, None)
    assert "beyond critical" in notes[0]
    lv, notes = sanitise(Levels(None, None, 2.0, 5.0), "", "mystery", DEFAULTS)
    assert lv == Levels(None, None, None, 5.0)


def test_looser_than_the_default_rule_is_said_not_hidden() -> None:
    lv, notes = sanitise(Levels(300.0, 489.0, None, None), "ms", "latency_p95", DEFAULTS)
    assert lv.critical == 489.0
    assert len(notes) == 1 and "looser than the default rule" in notes[0] and "200" in notes[0]
    _, notes = sanitise(Levels(None, None, None, 0.9197), "ratio", "availability", DEFAULTS)
    assert "0.9995" in notes[0]
    _, notes = sanitise(Levels(150.0, 180.0, None, None), "ms", "latency_p95", DEFAULTS)
    assert notes == []
    _, notes = sanitise(Levels(None, None, None, None), "ms", "latency_p95", DEFAULTS)
    assert "no high level" in notes[0]
    # Whether history itself crossed the default's level is said, either way.
    quiet = np.array([120.0, 150.0, 180.0, np.nan])
    _, notes = sanitise(Levels(None, 489.0, None, None), "ms", "latency_p95", DEFAULTS, quiet)
    assert "never crossed the default's level" in notes[0]
    busy = np.array([120.0, 250.0, 300.0, 180.0])
    _, notes = sanitise(Levels(None, 489.0, None, None), "ms", "latency_p95", DEFAULTS, busy)
    assert "50.0% of the learning window is beyond the default's level" in notes[0]


def test_data_notes_name_constant_gappy_and_lone_outlier_windows() -> None:
    times = pd.date_range(START, periods=10, freq="300s")
    assert "constant at 5" in data_notes(np.full(10, 5.0), times, adaptive=True)[0]
    gappy = np.r_[np.full(6, np.nan), [1.0, 2.0, 3.0, 2.0]]
    assert "60% of the learning window is gaps" in data_notes(gappy, times, adaptive=False)[0]
    spiky = np.r_[noise(200, 3) + 100, [1e9], noise(99, 4) + 100]
    (note,) = data_notes(spiky, pd.date_range(START, periods=300, freq="300s"), adaptive=True)
    assert "lone extreme value 1e+09" in note and "cannot page" in note


def _blinded(days: int = 8) -> np.ndarray:
    """A latency series with a 10x burst on day 1, a 4x one on day 3 (the known incident)
    and another on day 6: a trailing week's range still holds the first burst, so it is
    blind to the later ones."""
    values = latency(days, seed=5)
    values[PER_DAY + 100 : PER_DAY + 112] *= 10
    values[3 * PER_DAY + 100 : 3 * PER_DAY + 112] *= 4
    values[6 * PER_DAY + 50 : 6 * PER_DAY + 62] *= 4
    return values


def _incident(day: int, at: int) -> Incident:
    start = START + timedelta(days=day, minutes=5 * at)
    return Incident(start.to_pydatetime(), (start + timedelta(hours=1)).to_pydatetime(), "burst")


def test_auto_prefers_a_kind_that_caught_the_known_incidents_of_the_learning_window() -> None:
    f = frame({"latency_p95": _blinded()}, 8, {"latency_p95": "ms"})
    end = (START + timedelta(days=4)).to_pydatetime()
    blind = tune_frame(f, TuneOptions(baseline_end=end, directions={"latency_p95": "high"}))
    known = TuneOptions(
        baseline_end=end, directions={"latency_p95": "high"}, incidents=[_incident(3, 100)]
    )
    told = tune_frame(f, known)
    (before,), (after,) = blind.series, told.series
    assert before.rule.kind == "envelope"  # first in the order, quiet on history: blind
    assert not before.backtest.alerts
    assert after.rule.kind != "envelope"
    assert "caught 1 of the 1 known incident(s)" in after.rule.reason
    assert "envelope 0" in after.rule.reason
    assert "alert(s) during them, the fewest" in after.rule.reason
    caught = {c.kind: c.learning_incidents_caught for c in after.candidates if c.available}
    assert caught["envelope"] == 0 and caught[after.rule.kind] == 1
    later = START + timedelta(days=6, minutes=250)
    assert any(later <= a.start <= later + timedelta(hours=1) for a in after.backtest.alerts)


def test_incidents_after_the_baseline_end_never_change_the_choice() -> None:
    f = frame({"latency_p95": _blinded()}, 8, {"latency_p95": "ms"})
    end = (START + timedelta(days=4)).to_pydatetime()
    base = {"baseline_end": end, "directions": {"latency_p95": "high"}}
    alone = tune_frame(f, TuneOptions(**base, incidents=[_incident(3, 100)]))  # type: ignore[arg-type]
    more = tune_frame(
        f,
        TuneOptions(**base, incidents=[_incident(3, 100), _incident(6, 50)]),  # type: ignore[arg-type]
    )
    assert alone.series[0].rule == more.series[0].rule
    only_later = tune_frame(f, TuneOptions(**base, incidents=[_incident(6, 50)]))  # type: ignore[arg-type]
    assert only_later.series[0].rule.kind == "envelope"


def test_bad_series_get_a_clear_line_and_never_a_traceback() -> None:
    n = 4 * PER_DAY
    columns = {
        "constant": np.full(n, 5.0),
        "gaps": np.full(n, np.nan),
        "short": np.r_[np.full(n - 30, np.nan), np.ones(30)],
        "outlier": np.r_[latency(4)[:PER_DAY], [1e9], latency(4)[PER_DAY + 1 :]],
        "fine": latency(4),
    }
    end = (START + timedelta(days=2)).to_pydatetime()
    tuned = tune_frame(frame(columns, 4), TuneOptions(baseline_end=end))
    by_id = {s.id: s for s in tuned.series}
    skipped = {s.id: s.reason for s in tuned.skipped}
    assert set(skipped) == {"gaps", "short"}
    assert all("not enough data to learn from" in r for r in skipped.values())
    assert any("constant at 5" in n for n in by_id["constant"].rule.notes)
    assert any("lone extreme value" in n for n in by_id["outlier"].rule.notes)
    assert not any("constant" in n or "lone" in n for n in by_id["fine"].rule.notes)
    for s in tuned.series:
        assert s.rule.reason

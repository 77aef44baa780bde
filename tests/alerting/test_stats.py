"""Baseline statistics on literal series."""

from __future__ import annotations

import numpy as np

from ioncli.alerting.stats import baseline, clean, detect_level_shifts

from .frames import PER_DAY, STEP, index, latency, noise


def test_summary_statistics_drop_outliers_first() -> None:
    values = 50 + noise(2 * PER_DAY, 3, 2.0)
    values[100] = 5000.0  # one incident point
    values[200] = np.nan
    base = baseline(values, index(2), STEP)
    assert base.count == 2 * PER_DAY - 1
    assert base.gaps == 1
    assert base.outliers_removed >= 1
    assert base.outlier_method == "mad"
    assert 49 < base.mean < 51 and 49 < base.median < 51
    assert 1.5 < base.std < 2.5 and 1.5 < base.mad < 2.5
    assert base.p50 <= base.p95 <= base.p99 <= base.max < 5000
    assert base.min < base.p50
    assert 0 < base.stability <= 100


def test_constant_series_has_zero_spread_but_a_usable_scale() -> None:
    base = baseline(np.full(PER_DAY, 7.0), index(1), STEP)
    assert base.std == 0 and base.mad == 0
    assert base.spread > 0
    assert base.stability == 100.0


def test_profiles_need_two_days_and_two_weeks() -> None:
    assert baseline(latency(1.5), index(1.5), STEP).profile == "none"
    two_days = baseline(latency(3), index(3), STEP)
    assert two_days.profile == "hour_of_day"
    assert two_days.daily_seasonality is not None and two_days.daily_seasonality > 0.5
    assert two_days.weekly_seasonality is None
    assert baseline(latency(15), index(15), STEP).profile == "hour_of_week"


def test_a_lasting_level_shift_is_found_and_a_spike_is_not() -> None:
    values = 10 + noise(3 * PER_DAY, 5, 0.3)
    values[2 * PER_DAY :] += 5
    shifts = detect_level_shifts(values, index(3))
    assert len(shifts) == 1
    assert abs(shifts[0].at - index(3)[2 * PER_DAY]).total_seconds() <= 3600
    assert shifts[0].after - shifts[0].before > 4

    spiky = 10 + noise(3 * PER_DAY, 5, 0.3)
    spiky[PER_DAY : PER_DAY + 3] = 50
    assert detect_level_shifts(spiky, index(3)) == []


def test_clean_keeps_a_bimodal_series_whole() -> None:
    values = np.r_[np.zeros(60), np.full(40, 100.0)]
    kept, removed, _ = clean(values)
    assert removed == 0 and kept.size == 100

"""Trailing windows with PromQL's edges: what `fn_over_time(s[n*step-1s:step] offset o)`
and a subquery on an epoch-aligned coarser grid would compute, on literal series."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ioncli.alerting.trailing import Sampled, trailing

NAN = np.nan


def test_a_trailing_window_holds_the_n_points_ending_offset_points_back() -> None:
    x = np.array([1.0, 5.0, 2.0, 8.0, 3.0, 4.0])
    # max over 3 points ending 1 back: at t=4 the window is x[1..3]
    assert np.array_equal(
        trailing(x, 3, 1, "max", 1), np.array([NAN, 1.0, 5.0, 5.0, 8.0, 8.0]), equal_nan=True
    )
    assert np.array_equal(
        trailing(x, 3, 0, "min", 1), np.array([1.0, 1.0, 1.0, 2.0, 2.0, 3.0]), equal_nan=True
    )


def test_gaps_are_skipped_and_too_few_values_give_nothing() -> None:
    x = np.array([1.0, NAN, NAN, 4.0, 6.0, NAN])
    got = trailing(x, 3, 0, "median", 2)
    assert np.array_equal(got, np.array([NAN, NAN, NAN, NAN, 5.0, 5.0]), equal_nan=True)


def test_samples_sit_on_epoch_multiples_and_take_the_last_point_at_or_before() -> None:
    # One-minute points from 00:07 to 00:31; 10-minute samples at 00:10, 00:20, 00:30.
    index = pd.date_range("2026-01-05T00:07:00Z", periods=25, freq="60s")
    x = np.arange(25, dtype=np.float64)  # value = minutes after 00:07
    x[13] = NAN  # 00:20 is a gap: the sample there is a gap too, not 00:19's value
    grid = Sampled(x, index, 600)
    assert [pd.Timestamp(t, tz="UTC").minute for t in grid.times] == [10, 20, 30]
    assert np.array_equal(grid.values, np.array([3.0, NAN, 23.0]), equal_nan=True)
    # Read back at every minute: the last sample time at or before it (none before 00:10).
    read = grid.back(np.array([100.0, 200.0, 300.0]))
    assert np.isnan(read[:3]).all()
    assert read[3] == 100.0 and read[12] == 100.0 and read[13] == 200.0 and read[24] == 300.0
    # With an offset of 10 minutes, 00:20 reads the 00:10 sample.
    assert grid.back(np.array([100.0, 200.0, 300.0]), 600)[13] == 100.0

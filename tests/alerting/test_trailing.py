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


def _pandas_rolling(values: np.ndarray, points: int, offset: int, fn: str, need: int) -> np.ndarray:
    """What `trailing` computed with pandas alone before the fast max/min (the reference)."""
    s = pd.Series(values).shift(offset) if offset else pd.Series(values)
    roll = s.rolling(max(1, points), min_periods=max(1, min(need, points)))
    out: np.ndarray = getattr(roll, fn)().to_numpy(dtype=np.float64)
    return out


def test_the_fast_max_and_min_equal_pandas_rolling_value_for_value() -> None:
    # Gaps, infinities (pandas skips them like gaps), ties, windows longer than the data,
    # offsets past the end, every `need`: the fast path must give pandas' numbers exactly.
    rng = np.random.default_rng(7)
    for n in (1, 5, 40, 257):
        for trial in range(8):
            x = rng.normal(size=n)
            if trial % 2:
                x = np.round(x * 2)  # many equal values
            x[rng.random(n) < (0.3 if trial % 3 == 0 else 0.02)] = NAN
            if trial % 4 == 0:
                x[rng.random(n) < 0.1] = np.inf
                x[rng.random(n) < 0.1] = -np.inf
            if trial == 7:
                x[:] = NAN
            for points in (0, 1, 3, 16, n, 2 * n + 1):
                for offset in (0, 1, n + 1):
                    for need in (0, 4, points):
                        for fn in ("max", "min"):
                            got = trailing(x, points, offset, fn, need)  # type: ignore[arg-type]
                            want = _pandas_rolling(x, points, offset, fn, need)
                            assert np.array_equal(got, want, equal_nan=True), (n, points, fn)


def test_a_negative_zero_keeps_pandas_choice_between_equal_zeros() -> None:
    x = np.array([0.0, -0.0, 1.0, -0.0, 0.0, -1.0])
    for fn in ("max", "min"):
        got = trailing(x, 2, 0, fn, 1)  # type: ignore[arg-type]
        want = _pandas_rolling(x, 2, 0, fn, 1)
        assert np.array_equal(np.signbit(got), np.signbit(want)) and np.array_equal(got, want)


def test_reading_samples_back_at_every_point_matches_a_masked_lookup() -> None:
    index = pd.date_range("2026-01-05T00:03:00Z", periods=3000, freq="60s")
    x = np.random.default_rng(3).normal(size=index.size)
    grid = Sampled(x, index, 600)
    stat = np.arange(grid.times.size, dtype=np.float64) * 1.5
    ns = index.as_unit("ns").asi8
    for offset in (0, 600, 3600, 6 * 3600, 10**6):
        k = np.searchsorted(grid.times, ns - offset * 1_000_000_000, side="right") - 1
        want = np.where(k >= 0, stat[np.maximum(k, 0)], NAN)
        assert np.array_equal(grid.back(stat, offset), want, equal_nan=True)


def test_a_short_mean_sums_each_window_afresh_oldest_first() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(100, 30, 400)
    x[rng.random(400) < 0.1] = NAN
    for points, offset, need in ((6, 0, 3), (12, 0, 6), (6, 6, 1), (1, 0, 1), (64, 3, 10)):
        got = trailing(x, points, offset, "mean", need)
        for t in range(x.size):
            window = x[max(0, t - offset - points + 1) : max(0, t - offset + 1)]
            values = window[np.isfinite(window)]
            if values.size < max(1, min(need, points)):
                assert np.isnan(got[t])
                continue
            total = 0.0
            for v in values:  # oldest first, one rounding per addition
                total += float(v)
            assert got[t] == total / values.size, (points, offset, t)
    # The same values give the same mean wherever they sit (pandas' running sum need not).
    hour = rng.uniform(0, 1, 6) * 0.1
    y = np.concatenate([hour, rng.uniform(1e6, 2e6, 500), hour])
    means = trailing(y, 6, 0, "mean", 1)
    assert means[5] == means[-1]

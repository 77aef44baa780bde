"""Candidate kinds on literal frames: what each side of a rule pages for."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from ioncli.alerting.adaptive import LEVEL_GRID, SPREAD_GRID, Envelope
from ioncli.alerting.backtest import fire_spans
from ioncli.alerting.model import SeriesOut
from ioncli.alerting.rulebase import Context
from ioncli.alerting.stats import baseline
from ioncli.alerting.tune import TuneOptions, tune_frame

from .frames import PER_DAY, START, frame

PER_HOUR = PER_DAY // 24


def _bounded(days: int, seed: int = 5) -> np.ndarray:
    """10 ± 1 (uniform): nothing later can break the range of the first hours."""
    return 10 + np.random.default_rng(seed).uniform(-1.0, 1.0, days * PER_DAY)


def _hump(values: np.ndarray, at: int, hours: int) -> slice:
    """Three hours near the top of the usual range: no value beyond it, the level is."""
    span = slice(at, at + hours * PER_HOUR)
    values[span] = 10 + np.random.default_rng(9).uniform(0.8, 1.0, hours * PER_HOUR)
    return span


def _tuned_envelope(values: np.ndarray, days: float, *, learn_days: int) -> SeriesOut:
    """The envelope tuned end to end on one series, learning from its first `learn_days`."""
    end = START + timedelta(days=learn_days)
    f = frame({"mystery": values}, days)
    tuned = tune_frame(f, TuneOptions(baseline_end=end.to_pydatetime(), rule="envelope"))
    (series,) = tuned.series
    return series


def test_a_lasting_hump_inside_the_range_pages_through_the_level_side_only() -> None:
    values = _bounded(6)
    span = _hump(values, 5 * PER_DAY, 3)
    series = _tuned_envelope(values, 6, learn_days=3)
    starts = [a.start for a in series.backtest.alerts]
    hump_start = START + timedelta(days=5)
    assert any(hump_start <= s <= hump_start + timedelta(hours=2) for s in starts)
    assert len(starts) <= 2  # the hump, and nothing (or one stray page) on quiet days

    # The spike side alone stays quiet in the hump: every value is inside the range seen.
    cand = _envelope(values, 3 * PER_DAY)
    k = cand.grid[0]
    spike_only = fire_spans(cand.condition(k), 1)[0]
    assert not ((spike_only >= span.start) & (spike_only < span.stop)).any()
    assert cand.refine(k, 1)
    with_level = fire_spans(cand.condition(k), 1)[0]
    assert ((with_level >= span.start) & (with_level < span.stop)).any()
    assert not (with_level < 3 * PER_DAY).any()  # quiet over the history it was tuned on


def test_bursts_inside_the_range_coming_more_often_page_through_the_volume_side() -> None:
    """A burst to 20 every 3 hours, then three in one hour: no value beyond the range and
    the hourly median unmoved, but the hour's mean (the work done in it) is new."""
    values = _bounded(6, seed=17)
    values[:: 3 * PER_HOUR] = 20.0
    dense = 5 * PER_DAY + PER_HOUR // 2
    span = slice(dense, dense + PER_HOUR)
    values[dense : dense + PER_HOUR : 4] = 20.0
    series = _tuned_envelope(values, 6, learn_days=3)
    starts = [a.start for a in series.backtest.alerts]
    onset = START + timedelta(days=5)
    assert any(onset <= s <= onset + timedelta(hours=2) for s in starts)
    assert len(starts) <= 2
    assert "hourly mean" in series.rule.explanation

    cand = _envelope(values, 3 * PER_DAY)
    k = cand.grid[0]
    spike_only = fire_spans(cand.condition(k), 1)[0]
    assert not ((spike_only >= span.start) & (spike_only < span.stop)).any()
    assert cand.refine(k, 1)
    assert cand.volume is not None
    with_volume = fire_spans(cand.condition(k), 1)[0]
    assert ((with_volume >= span.start) & (with_volume < span.stop + PER_HOUR)).any()
    cand.volume = None  # the hourly median (the level side) does not see it
    without = fire_spans(cand.condition(k), 1)[0]
    assert not ((without >= span.start) & (without < span.stop + PER_HOUR)).any()


def _envelope(values: np.ndarray, split: int) -> Envelope:
    f = frame({"mystery": values}, len(values) / PER_DAY)
    index = f.data.index
    assert isinstance(index, pd.DatetimeIndex)
    learn = values[:split]
    base = baseline(learn, index[:split], 300)
    return Envelope(Context(values, index, 300, 0, split, learn, base, "both"))


def test_a_hump_history_already_held_is_not_news() -> None:
    values = _bounded(6, seed=11)
    _hump(values, PER_DAY + PER_DAY // 2, 3)  # inside the learning window
    _hump(values, 5 * PER_DAY, 3)  # the same again later
    series = _tuned_envelope(values, 6, learn_days=3)
    assert series.backtest.alerts == []


@pytest.mark.parametrize("need", [1, 3, 6])
def test_refine_picks_the_margin_a_replay_of_each_margin_would(need: int) -> None:
    values = _bounded(6, seed=3)
    values[PER_DAY : PER_DAY + 2 * PER_HOUR] += 0.4  # a small lasting rise in history
    split = 3 * PER_DAY
    cand = _envelope(values, split)
    replayed = None
    for m in LEVEL_GRID:
        starts = fire_spans(cand._level_condition(m), need)[0]
        if not (starts < split).any():
            replayed = m
            break
    assert cand.refine(cand.grid[0], need) == (replayed is not None)
    assert cand.level == replayed


def _oscillate(values: np.ndarray, at: int, hours: int) -> slice:
    """Flapping between the top and the bottom of the usual range: no value beyond it and
    the hourly median unchanged, only the spread grows."""
    span = slice(at, at + hours * PER_HOUR)
    values[span] = 10 + 0.95 * np.where(np.arange(hours * PER_HOUR) % 2 == 0, 1.0, -1.0)
    return span


def test_a_lasting_oscillation_inside_the_range_pages_through_the_spread_side_only() -> None:
    values = _bounded(7, seed=7)
    span = _oscillate(values, 5 * PER_DAY, 12)
    series = _tuned_envelope(values, 7, learn_days=3)
    starts = [a.start for a in series.backtest.alerts]
    onset = START + timedelta(days=5)
    assert any(onset <= s <= onset + timedelta(hours=6) for s in starts)
    assert len(starts) <= 2  # the oscillation, and nothing (or one stray page) on quiet days
    assert "spread" in series.rule.explanation

    cand = _envelope(values, 3 * PER_DAY)
    k = cand.grid[0]
    assert cand.refine(k, 1)
    assert cand.spread is not None
    level = cand.level
    cand.spread = None  # the spike and level sides alone miss it
    quiet = fire_spans(cand.condition(k), 1)[0]
    assert not ((quiet >= span.start) & (quiet < span.stop)).any(), level
    assert not ((cand._spread_condition(SPREAD_GRID[-1]))[: 3 * PER_DAY]).any()


def test_an_oscillation_history_already_held_is_not_news() -> None:
    values = _bounded(7, seed=13)
    _oscillate(values, PER_DAY + PER_DAY // 2, 12)  # inside the learning window
    again = _oscillate(values, 5 * PER_DAY, 12)  # the same again later
    cand = _envelope(values, 3 * PER_DAY)
    cand.refine(cand.grid[0], 1)
    if cand.spread is not None:  # a margin wide enough for history's oscillation ...
        starts = fire_spans(cand._spread_condition(cand.spread), 1)[0]
        assert not ((starts >= again.start) & (starts < again.stop)).any()  # ... and this one


@pytest.mark.parametrize("need", [1, 3, 6])
@pytest.mark.parametrize("wider", [1.6, 1.8, 2.5])  # margins 2, 3 and none
def test_refine_picks_the_spread_margin_a_replay_of_each_margin_would(
    need: int, wider: float
) -> None:
    values = _bounded(6, seed=3)
    rng = np.random.default_rng(4)
    noisy = slice(PER_DAY, PER_DAY + 8 * PER_HOUR)  # a noisier stretch in history
    values[noisy] = 10 + rng.uniform(-1.0, 1.0, 8 * PER_HOUR) * wider
    split = 3 * PER_DAY
    cand = _envelope(values, split)
    replayed = None
    for m in SPREAD_GRID:
        starts = fire_spans(cand._spread_condition(m), need)[0]
        if not (starts < split).any():
            replayed = m
            break
    cand.refine(cand.grid[0], need)
    assert cand.spread == replayed


def test_the_window_is_as_long_as_the_budget_allows_new_records() -> None:
    from ioncli.alerting.adaptive import MAX_WINDOW_WEEKS, window_weeks

    assert window_weeks(1.0, "both") == 2.0  # about one new record a week on each side
    assert window_weeks(1.0, "high") == 1.0
    assert window_weeks(0.5, "high") == 2.0
    assert window_weeks(4.0, "both") == 1.0  # never shorter than a week
    assert window_weeks(0.0, "low") == MAX_WINDOW_WEEKS


def _daily(days: int, seed: int = 2) -> np.ndarray:
    """A daily cycle from 10 to 20 with a little noise."""
    t = np.arange(days * PER_DAY)
    wave = 15 + 5 * np.sin(2 * np.pi * t / PER_DAY)
    return wave + np.random.default_rng(seed).uniform(-0.3, 0.3, t.size)


def test_a_missing_daily_peak_pages_through_the_same_hour_side_only() -> None:
    values = _daily(8)
    peak = slice(5 * PER_DAY + 3 * PER_HOUR, 5 * PER_DAY + 9 * PER_HOUR)  # day 5's peak
    values[peak] = 15 + np.random.default_rng(3).uniform(-0.3, 0.3, 6 * PER_HOUR)
    cand = _envelope(values, 3 * PER_DAY)
    k = cand.grid[0]
    assert cand.refine(k, 1)
    assert cand.day is not None
    day = fire_spans(cand._day_condition(cand.day), 1)[0]
    assert ((day >= peak.start) & (day < peak.stop)).any()
    assert not (day < 3 * PER_DAY).any()  # quiet over the history it was tuned on
    cand.day = None  # the other sides alone: every value is inside the week's range
    others = fire_spans(cand.condition(k), 1)[0]
    assert not ((others >= peak.start) & (others < peak.stop)).any()

    series = _tuned_envelope(values, 8, learn_days=3)
    assert "same hour of the last 7 days" in series.rule.explanation
    onset = START + timedelta(days=5, hours=3)
    assert any(onset <= a.start <= onset + timedelta(hours=4) for a in series.backtest.alerts)


def test_a_skewed_series_gets_as_wide_a_margin_below_as_above() -> None:
    """Costs, latencies and counts sit near a floor and spike far above it: the spike
    margin is a share of the range's half-width on both sides, so a dip a little below the
    floor is not a page while a drop to zero still is (while the bursts stay within 20
    times the floor: beyond that, the margin below reaches past zero)."""
    rng = np.random.default_rng(4)
    values = 1 + rng.uniform(-0.5, 0.5, 6 * PER_DAY)  # 0.5 .. 1.5
    values[[PER_DAY // 2, PER_DAY + 7, 2 * PER_DAY + 100]] = 8.0  # bursts far above
    at = 4 * PER_DAY
    dip, drop = values.copy(), values.copy()
    dip[at] = 0.45  # a hair below the floor of 0.5
    drop[at] = 0.0  # the metric stops
    k = 0.1
    for series, pages in ((dip, False), (drop, True)):
        cand = _envelope(series, 3 * PER_DAY)
        limits = cand._limits(k, slice(None))
        b = cand._bands()
        above = limits["spike_hi"] - b["max"]
        below = b["min"] - limits["spike_lo"]
        judged = np.isfinite(above)
        assert judged[at]
        np.testing.assert_allclose(above[judged], below[judged])
        np.testing.assert_allclose(above[at], 0.05 * (8.0 - b["min"][at]))
        assert (at in fire_spans(cand.condition(k), 1)[0]) == pages


def test_hourly_data_gets_no_level_spread_or_same_hour_side() -> None:
    """With one value an hour, an hourly median is the value itself: those sides would be
    second spike sides with narrower scales, so only the spike side judges hourly data."""
    per_day = 24
    t = np.arange(20 * per_day)
    values = 15 + 5 * np.sin(2 * np.pi * t / per_day)
    values = values + np.random.default_rng(6).uniform(-0.3, 0.3, t.size)
    index = pd.date_range(START, periods=t.size, freq="3600s", name="time")
    split = 10 * per_day
    learn = values[:split]
    base = baseline(learn, index[:split], 3600)
    cand = Envelope(Context(values, index, 3600, 0, split, learn, base, "both"))
    assert not cand.refine(cand.grid[0], 1)
    assert cand.level is None and cand.spread is None and cand.day is None
    assert "same hour" not in cand.explain(cand.grid[0])


def test_a_record_by_less_than_the_typical_step_is_not_news() -> None:
    """Noisy values move by about 0.6 from one point to the next, far more than a tenth of
    the range's half-width (0.1): the margin is then the typical step, so a new maximum
    by 0.3 is the series moving as it always does, and one by 1.0 still pages."""
    values = _bounded(6)  # 10 ± 1: successive values differ by 0.67 on average
    at = 4 * PER_DAY
    k = 0.1
    for excess, pages in ((0.3, False), (1.0, True)):
        series = values.copy()
        series[at] = 11.0 + excess
        cand = _envelope(series, 3 * PER_DAY)
        b = cand._bands()
        top = cand._limits(k, slice(None))["spike_hi"]
        share = 0.05 * (b["max"][at] - b["min"][at])
        assert 0.5 < b["step"][at] < 0.8 and share < 0.11
        assert top[at] == b["max"][at] + b["step"][at]
        assert (at in fire_spans(cand.condition(k), 1)[0]) == pages
    assert "typical step" in cand.explain(k)


def test_a_metric_stuck_at_one_value_with_samples_missing_never_pages() -> None:
    """Hourly means of 0.95 come out 0.95 or a rounding error off it, depending on how many
    samples the hour holds: the level side must not page for the difference. 20 days, so
    the first hours (fewer samples: other roundings) have left the 2-week window by the
    time samples go missing, and the band of hourly means has no width at all."""
    days = 20
    values = np.full(days * PER_DAY, 0.95)
    values[np.arange(17 * PER_DAY, days * PER_DAY, 97)] = np.nan
    cand = _envelope(values, 15 * PER_DAY)
    b = cand._bands()
    later = slice(17 * PER_DAY, None)
    assert (b["mn_max"][later] == b["mn_min"][later]).any(), "a band of no width"
    assert len(set(b["mean"][later].tolist())) > 1, "the rounding this test is about happens"
    series = _tuned_envelope(values, days, learn_days=15)
    assert series.backtest.alerts == []
    # Its warning levels (on the hourly mean) are its critical ones, not "beyond" them.
    rule = series.rule
    assert (rule.warning, rule.low_warning) == (rule.critical, rule.low_critical) == (0.95, 0.95)
    assert not any("beyond" in note and "critical" in note for note in rule.notes)


def _dense_need(  # noqa: PLR0917 (the test's oracle: the formula written point by point)
    high: np.ndarray,
    low: np.ndarray,
    top: np.ndarray,
    bottom: np.ndarray,
    width: np.ndarray,
    direction: str,
    need: int,
    first: int,
) -> float:
    with np.errstate(invalid="ignore", divide="ignore"):
        up = np.where(high > top, (high - top) / width, -np.inf)
        down = np.where(low < bottom, (bottom - low) / width, -np.inf)
    up, down = np.nan_to_num(up, nan=-np.inf), np.nan_to_num(down, nan=-np.inf)
    needed = {"both": np.maximum(up, down), "high": up, "low": down}[direction]
    run = needed.copy()
    for back in range(1, min(need, needed.size)):
        run[back:] = np.minimum(run[back:], needed[:-back])
    seen = run[first:]
    return float(seen.max()) if seen.size else -np.inf


def test_the_widest_need_visits_only_points_beyond_the_band_and_agrees_with_every_point() -> None:
    from ioncli.alerting.adaptive import widest_need

    rng = np.random.default_rng(23)
    grid = (0.1, 0.15, 0.25, 0.5, 1.0, 3.0)
    for trial in range(400):
        n = int(rng.integers(1, 60))
        h = rng.normal(0, 1, n)
        top = rng.normal(1.0 if trial % 3 else 0.2, 0.5, n)
        bottom = top - rng.uniform(0, 2, n)
        width = top - bottom if trial % 4 else rng.uniform(0, 1, n)
        for arr in (h, top, bottom, width):
            arr[rng.random(n) < 0.05] = np.nan
        if trial % 7 == 0:
            width[rng.random(n) < 0.2] = 0.0
        slack = 1e-9 * np.abs(h) if trial % 2 else np.zeros(n)
        high, low = h - slack, h + slack
        for direction in ("both", "high", "low"):
            for need in (1, 2, 3, 6):
                first = int(rng.integers(0, min(need, n)))
                args = (high, low, top, bottom, width, direction, need, first)
                got, want = widest_need(*args), _dense_need(*args)
                # The same margin is chosen: the two agree on every comparison with the grid.
                assert [m >= got for m in grid] == [m >= want for m in grid], (trial, got, want)
                if np.isfinite(want) and abs(want) < 1e300:
                    assert got == want

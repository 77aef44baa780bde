"""The backtest replays conditions the way Cloud Monitoring evaluates a threshold."""

from __future__ import annotations

import numpy as np

from ioncli.alerting import backtest as bt


def cond(text: str) -> np.ndarray:
    return np.array([c == "x" for c in text])


def spans(text: str, need: int) -> list[tuple[int, int]]:
    starts, ends = bt.fire_spans(cond(text), need)
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def test_fires_once_the_condition_held_for_the_duration_and_closes_when_it_returns() -> None:
    assert spans("..xxxx..x", 1) == [(2, 6), (8, 9)]
    # Three points needed: fires at the third bad point, the single one never fires.
    assert spans("..xxxx..x", 3) == [(4, 6)]
    assert spans("xx.xx.xx", 3) == []


def test_an_episode_still_firing_at_the_end_is_open() -> None:
    assert spans("...xxx", 2) == [(4, 6)]


def test_empty_and_all_clear() -> None:
    assert spans("", 1) == []
    assert spans("....", 1) == []


def test_need_points_counts_the_alignment_period() -> None:
    assert bt.need_points(300, 300) == 1  # one 5-minute point is 5 minutes of data
    assert bt.need_points(300, 60) == 5
    assert bt.need_points(0, 60) == 1
    assert bt.need_points(90, 60) == 2


def test_for_points_is_the_duration_in_whole_steps_plus_the_first_point() -> None:
    # An alerting rule's `for`, evaluated once a step: pending at the first bad point,
    # firing once the duration (rounded up to whole steps) has passed.
    assert bt.for_points(300, 300) == 2
    assert bt.for_points(300, 60) == 6
    assert bt.for_points(60, 60) == 2
    assert bt.for_points(0, 60) == 1
    assert bt.for_points(90, 60) == 3  # 90 s rounds up to 120 s


def test_summary_counts_episodes_per_week_and_time_in_alert() -> None:
    week = bt.WEEK_SECONDS // 300
    c = np.zeros(2 * week, dtype=bool)
    c[10:20] = True
    c[week + 5 : week + 7] = True
    starts, ends = bt.fire_spans(c, 1)
    stats = bt.summarise(starts, ends, 0, 2 * week, 300)
    assert stats.episodes == 2
    assert stats.alerts_per_week == 1.0
    assert stats.weeks == 2.0
    assert abs(stats.time_in_alert - 12 / (2 * week)) < 1e-12
    assert bt.count_within(starts, week, 2 * week) == 1


def test_nan_breaks_a_run() -> None:
    values = np.array([5.0, 5.0, np.nan, 5.0, 5.0])
    with np.errstate(invalid="ignore"):
        starts, _ = bt.fire_spans(values > 1, 2)
    assert starts.tolist() == [1, 4]


def _scan_fire_spans(condition: np.ndarray, need: int) -> tuple[np.ndarray, np.ndarray]:
    """The point-by-point definition (`fire_spans` finds the same episodes from runs)."""
    idx = np.arange(condition.size, dtype=np.int64)
    last_unmet = np.maximum.accumulate(np.where(condition, -1, idx))
    firing = (idx - last_unmet) >= need
    edges = np.diff(firing.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def test_episodes_from_runs_equal_the_point_by_point_definition() -> None:
    rng = np.random.default_rng(11)
    for n in (1, 2, 9, 300):
        for share in (0.0, 0.1, 0.5, 0.9, 1.0):
            for _ in range(10):
                condition = rng.random(n) < share
                for need in (0, 1, 2, 3, 6, n + 1):
                    starts, ends = bt.fire_spans(condition, need)
                    want_starts, want_ends = _scan_fire_spans(condition, need)
                    assert np.array_equal(starts, want_starts), (n, share, need)
                    assert np.array_equal(ends, want_ends), (n, share, need)

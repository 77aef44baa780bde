"""Replay a rule's condition over history the way Cloud Monitoring evaluates a threshold.

The frame is already aligned (one value per alignment period, the frame's step). A condition is
met at an aligned point when the value is beyond the threshold; the alert fires once the
condition has been met at `need` consecutive points (an alerting rule's `for` of
(need - 1) × step, evaluated every step: pending at the first point, firing when `for` has
passed), and it closes at the first point where the condition is no longer met ("the value
returns"). A gap (NaN) does not meet the condition, so it breaks a run, as an absent sample
does in Prometheus.

Everything is vectorised: run lengths come from a cumulative maximum of the last "not met"
index, never from a Python loop over points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

WEEK_SECONDS = 7 * 24 * 3600

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def need_points(window_seconds: int, step_seconds: int) -> int:
    """Consecutive aligned points that cover `window_seconds` of data (one aligned point
    stands for a whole step): 300 s is 5 points at 1 minute, 1 point at 5 minutes. The
    points a trailing window holds (`ion slo`'s burn-rate windows), and tune-alerts' default
    when no duration is given (5 minutes of data)."""
    step = max(1, int(step_seconds))
    return max(1, -(-max(0, int(window_seconds)) // step))


def for_points(duration_seconds: int, step_seconds: int) -> int:
    """Consecutive aligned points that must be bad for an alert with this `for`.

    The duration is rounded up to whole steps, and the condition must hold at the first
    point and at every step until the duration has passed, as an alerting rule's `for` does
    when it is evaluated once a step: 300 s at a 1-minute step is 6 points (`for: 300s`),
    60 s is 2 points, 0 s is 1 point, 300 s at a 5-minute step is 2 points.
    """
    step = max(1, int(step_seconds))
    return 1 + -(-max(0, int(duration_seconds)) // step)


DEFAULT_DATA_SECONDS = 300  # without --duration: the condition over 5 minutes of data


def fire_spans(condition: BoolArray, need: int) -> tuple[IntArray, IntArray]:
    """(fire index, close index) of every alert episode; close == len when still open.

    An episode fires at the point where the run of met conditions reaches `need` points and
    closes at the first point after it where the condition is not met.
    """
    n = condition.shape[0]
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    if need >= 1:
        # From the runs of met conditions: a run of at least `need` points fires at its
        # need-th point and closes where it ends (the same episodes as the scan below, in
        # half the passes over the array; this runs for every sensitivity of every kind).
        edges = np.diff(np.asarray(condition, dtype=np.int8), prepend=np.int8(0), append=np.int8(0))
        run_starts = np.flatnonzero(edges == 1)
        run_ends = np.flatnonzero(edges == -1)
        long = (run_ends - run_starts) >= need
        return (
            (run_starts[long] + (need - 1)).astype(np.int64),
            run_ends[long].astype(np.int64),
        )
    idx = np.arange(n, dtype=np.int64)
    last_unmet = np.maximum.accumulate(np.where(condition, -1, idx))
    firing = (idx - last_unmet) >= need
    edges = np.diff(firing.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edges == 1).astype(np.int64)
    ends = np.flatnonzero(edges == -1).astype(np.int64)
    return starts, ends


@dataclass(frozen=True)
class BacktestStats:
    """How a rule behaved over a span of history."""

    episodes: int
    alerts_per_week: float
    time_in_alert: float  # share of the span, 0..1
    weeks: float


def summarise(
    starts: IntArray, ends: IntArray, lo: int, hi: int, step_seconds: int
) -> BacktestStats:
    """Stats of the episodes that fire within [lo, hi) (indices into the frame)."""
    weeks = max(hi - lo, 0) * step_seconds / WEEK_SECONDS
    keep = (starts >= lo) & (starts < hi)
    count = int(keep.sum())
    if weeks <= 0:
        return BacktestStats(count, 0.0, 0.0, 0.0)
    duration = np.minimum(ends[keep], hi) - starts[keep]
    share = float(duration.sum()) / max(hi - lo, 1)
    return BacktestStats(count, count / weeks, min(share, 1.0), weeks)


def count_within(starts: IntArray, lo: int, hi: int) -> int:
    """Episodes that fire within [lo, hi)."""
    return int(((starts >= lo) & (starts < hi)).sum())

"""Vectorised helpers over one frame's numpy columns: current values, fleet aggregates,
downsampling for charts and anomaly runs. No pandas objects cross these functions except
in `rolling_median`, the one place pandas' windowed median is worth its import.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

CURRENT_WINDOW_SECONDS = 300  # the default rules' evaluation window


def current(values: Array, step_seconds: int) -> tuple[float | None, int | None]:
    """Mean of the points in the window ending at the last valid point, and that index.

    A single point is noise; the default rules judge a 5-minute window, so do we.
    """
    valid = np.flatnonzero(~np.isnan(values))
    if valid.size == 0:
        return None, None
    last = int(valid[-1])
    width = max(1, math.ceil(CURRENT_WINDOW_SECONDS / max(step_seconds, 1)))
    window = values[max(0, last - width + 1) : last + 1]
    return float(np.nanmean(window)), last


def combine(matrix: Array, how: str, weights: Array | None = None) -> Array:
    """Reduce columns (series) to one fleet series per row; all-NaN rows stay NaN."""
    if matrix.shape[1] == 1:
        return matrix[:, 0].copy()
    present = ~np.isnan(matrix)
    count = present.sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if how == "sum":
            out = np.nansum(matrix, axis=1)
        elif how == "min":
            out = np.nanmin(matrix, axis=1)
        elif how == "weighted" and weights is not None:
            w = np.where(present & ~np.isnan(weights), weights, 0.0)
            total = w.sum(axis=1)
            weighted = np.nansum(matrix * w, axis=1) / np.where(total > 0, total, np.nan)
            # Where no weight is known, an unweighted mean beats a gap.
            out = np.where(total > 0, weighted, np.nanmean(matrix, axis=1))
        elif how == "weighted":
            out = np.nanmean(matrix, axis=1)
        else:
            out = np.nanmax(matrix, axis=1)
    return np.where(count > 0, out, np.nan)


def buckets(n: int, target: int) -> int:
    """Points per bucket so that n points become at most `target` buckets."""
    return max(1, math.ceil(n / max(target, 1)))


def downsample(values: Array, size: int, how: str) -> Array:
    """Reduce consecutive runs of `size` points (the last run may be shorter)."""
    if size <= 1:
        return values.copy()
    n = values.shape[0]
    pad = (-n) % size
    padded = np.concatenate([values, np.full(pad, np.nan)]) if pad else values
    blocks = padded.reshape(-1, size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if how == "max":
            out = np.nanmax(blocks, axis=1)
        elif how == "min":
            out = np.nanmin(blocks, axis=1)
        else:
            out = np.nanmean(blocks, axis=1)
    return np.asarray(out, dtype=np.float64)


def to_tuple(values: Array) -> tuple[float | None, ...]:
    return tuple(None if math.isnan(v) else float(v) for v in values.tolist())


def trailing_run_start(bad: npt.NDArray[np.bool_], last: int) -> int:
    """First index of the run of True values that ends at `last` (gaps end a run)."""
    if not bad[last]:
        return last
    breaks = np.flatnonzero(~bad[: last + 1])
    return int(breaks[-1]) + 1 if breaks.size else 0


def runs(flags: npt.NDArray[np.bool_], min_length: int) -> Iterator[tuple[int, int]]:
    """(start, end) index pairs, inclusive, of runs of True at least `min_length` long."""
    if not flags.any():
        return
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if end - start + 1 >= min_length:
            yield start, end


def rolling_median(matrix: Array, window: int) -> Array:
    """Median of the `window` points before each point (the point itself excluded)."""
    import pandas as pd

    frame = pd.DataFrame(matrix)
    med = frame.rolling(window, min_periods=max(3, window // 2)).median().shift(1)
    return med.to_numpy(dtype=np.float64)


def robust_scale(deviation: Array) -> Array:
    """Per column: 1.4826 x the median absolute deviation, the robust standard deviation."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mad = np.nanmedian(np.abs(deviation), axis=0) * 1.4826
    return np.asarray(mad, dtype=np.float64)

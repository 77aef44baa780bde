"""Percentiles and means of Cloud Monitoring distributions (histograms), from raw protobuf.

Bucket layout (google.api.Distribution): bucket 0 is the underflow (-inf, b0), bucket i is
[b(i-1), b(i)), the last is the overflow [b(N), +inf). `bucket_counts` may omit trailing
zeros. A percentile interpolates linearly inside the bucket that holds its rank, as Cloud
Monitoring's own percentile reducers do; the open-ended buckets report their finite edge.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ioncli.errors import ConfigError


def bucket_bounds(options: Any) -> np.ndarray:
    """The finite bucket edges of a raw `Distribution.BucketOptions` message."""
    kind = options.WhichOneof("options")
    if kind == "linear_buckets":
        lin = options.linear_buckets
        out: np.ndarray = lin.offset + lin.width * np.arange(
            lin.num_finite_buckets + 1, dtype=np.float64
        )
        return out
    if kind == "exponential_buckets":
        exp = options.exponential_buckets
        steps = np.arange(exp.num_finite_buckets + 1, dtype=np.float64)
        grown: np.ndarray = exp.scale * np.power(exp.growth_factor, steps)
        return grown
    if kind == "explicit_buckets":
        return np.asarray(options.explicit_buckets.bounds, dtype=np.float64)
    return np.zeros(0)


def percentile(bounds: np.ndarray, counts: np.ndarray, q: float) -> float:
    """The q-th percentile (0-100) of a histogram with edges `bounds` and `counts`."""
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if total <= 0 or len(bounds) == 0:
        return float("nan")
    rank = q / 100.0 * total
    cumulative = np.cumsum(counts)
    i = int(np.searchsorted(cumulative, rank, side="left"))
    i = min(i, len(counts) - 1)
    if i == 0:
        return float(bounds[0])
    if i > len(bounds) - 1:
        return float(bounds[-1])
    lower, upper = bounds[i - 1], bounds[i]
    before = cumulative[i - 1]
    inside = counts[i]
    fraction = (rank - before) / inside if inside > 0 else 0.0
    return float(lower + (upper - lower) * min(max(fraction, 0.0), 1.0))


class BucketBoundError(ConfigError):
    """A bound asked for that is not one of the distribution's bucket bounds."""


def share_below(distribution: Any, bound: float) -> float:
    """The share of a raw `Distribution`'s count in buckets that end at or before `bound`

    Only whole buckets are counted: a bound between two bucket bounds would be a guess, so it
    raises BucketBoundError naming the bounds around it.
    """
    if distribution.count == 0:
        return float("nan")
    bounds = bucket_bounds(distribution.bucket_options)
    hits = np.flatnonzero(np.isclose(bounds, bound, rtol=1e-9, atol=0.0))
    if len(hits) == 0:
        lower = bounds[bounds < bound]
        upper = bounds[bounds > bound]
        around = (
            f"between the bucket bounds {lower[-1]:g} and {upper[0]:g}"
            if len(lower) and len(upper)
            else "outside the bucket bounds"
        )
        raise BucketBoundError(f"{bound:g} falls {around}; use a bucket bound")
    counts = np.asarray(distribution.bucket_counts, dtype=np.float64)
    # Bucket i (i >= 1) is [bounds[i-1], bounds[i]); buckets 0..k end at or under bounds[k].
    good = float(counts[: int(hits[0]) + 1].sum())
    return good / float(distribution.count)


def value_of(distribution: Any, q: float) -> float:
    """A raw `Distribution`: its q-th percentile, or its mean when q is 0."""
    if distribution.count == 0:
        return float("nan")
    if q <= 0:
        return float(distribution.mean)
    bounds = bucket_bounds(distribution.bucket_options)
    counts = np.asarray(distribution.bucket_counts, dtype=np.float64)
    return percentile(bounds, counts, q)

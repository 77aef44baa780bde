"""Baseline statistics of one series: robust summary, seasonality, level shifts, stability.

Outliers are removed before the summary (median ± 5 MAD, or Tukey's 1.5 IQR fences when the
MAD is zero), because one incident in the baseline window would otherwise inflate σ and hide
the next one. Seasonality is judged from hourly means: daily needs 2 days of data, weekly
needs 2 weeks; hour-of-week profiles are built only with 2 weeks, hour-of-day profiles with
2 days, and below that the band is flat (stated in the report as `profile: "none"`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
MAD_SCALE = 1.4826  # MAD * this estimates σ for normal data
DAY = 86_400
WEEK = 7 * DAY


@dataclass(frozen=True)
class LevelShift:
    """A lasting change of level inside the learning window."""

    at: pd.Timestamp
    before: float
    after: float


@dataclass(frozen=True)
class Baseline:
    """What the learning window says about one series (outliers removed where stated)."""

    count: int
    gaps: int
    mean: float
    median: float
    std: float
    mad: float  # scaled to σ units (MAD * 1.4826)
    p50: float
    p95: float
    p99: float
    min: float
    max: float
    outliers_removed: int
    outlier_method: str
    daily_seasonality: float | None  # autocorrelation of hourly means at 24 h
    weekly_seasonality: float | None  # ... at 168 h
    profile: str  # "hour_of_week", "hour_of_day" or "none"
    stability: float  # 0..100: 100 is flat, 0 is all over the place
    learned_from: pd.Timestamp
    learned_until: pd.Timestamp
    level_shifts: list[LevelShift] = field(default_factory=list)

    @property
    def spread(self) -> float:
        """A scale that is never zero: the MAD, else IQR/1.349, else σ, else a tiny floor."""
        return spread_of(self.mad, (self.p95 - self.p50) / 1.645, self.std, self.median)


def spread_of(mad: float, alt: float, std: float, centre: float) -> float:
    for candidate in (mad, alt, std):
        if np.isfinite(candidate) and candidate > 0:
            return float(candidate)
    return max(abs(float(centre)) * 1e-3, 1e-9)


def clean(values: FloatArray) -> tuple[FloatArray, int, str]:
    """Values without NaN and outliers, how many outliers went, and by which rule."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return finite, 0, "none"
    med = float(np.median(finite))
    mad = float(np.median(np.abs(finite - med))) * MAD_SCALE
    if mad > 0:
        keep = np.abs(finite - med) <= 5 * mad
        method = "mad"
    else:
        q1, q3 = np.percentile(finite, [25, 75])
        iqr = q3 - q1
        keep = (finite >= q1 - 1.5 * iqr) & (finite <= q3 + 1.5 * iqr)
        method = "iqr"
    kept = finite[keep]
    if kept.size < finite.size * 0.5:  # a bimodal series: "outliers" are half of it
        return finite, 0, "none"
    return kept, int(finite.size - kept.size), method


def hourly(values: FloatArray, index: pd.DatetimeIndex) -> pd.Series:
    """Hourly means (NaN for an hour without values), by integer bucketing: much faster than
    resample on long series."""
    if len(index) == 0:
        return pd.Series([], dtype=np.float64)
    hours = index.as_unit("ns").asi8 // 3_600_000_000_000
    bucket = hours - hours[0]
    finite = np.isfinite(values)
    size = int(bucket[-1]) + 1
    sums = np.bincount(bucket[finite], weights=values[finite], minlength=size)
    counts = np.bincount(bucket[finite], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    start = pd.Timestamp(int(hours[0]) * 3_600_000_000_000, tz="UTC")
    return pd.Series(means, index=pd.date_range(start, periods=size, freq="1h"))


def autocorrelation(series: pd.Series, lag: int) -> float | None:
    h = series.to_numpy(dtype=np.float64)
    present = h[~np.isnan(h)]
    # A constant series has no correlation to speak of (its standard deviation is 0).
    if len(h) < 2 * lag or len(present) < lag + 2 or present.min() == present.max():
        return None
    # pandas' autocorr is this Pearson correlation over the pairs that both have a value,
    # at a tenth of its cost (it runs twice per series).
    a, b = h[lag:], h[:-lag]  # each value with the one `lag` earlier, as pandas pairs them
    both = ~(np.isnan(a) | np.isnan(b))
    if int(both.sum()) < 2:
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        value = float(np.corrcoef(a[both], b[both])[0, 1])
    return None if not np.isfinite(value) else round(value, 3)


def detect_level_shifts(
    values: FloatArray,
    index: pd.DatetimeIndex,
    min_hours: int = 6,
    *,
    hours: pd.Series | None = None,
) -> list[LevelShift]:
    """Lasting changes of level: a split of the hourly means where both sides hold for at
    least `min_hours` and differ by more than 4 robust σ of the hour-to-hour noise.
    Applied repeatedly to the later part, so the last shift is found. `hours`: the
    `hourly` means of these values when the caller has them already.
    """
    hours = (hourly(values, index) if hours is None else hours).dropna()
    shifts: list[LevelShift] = []
    for _ in range(3):
        h = hours.to_numpy(dtype=np.float64)
        n = h.size
        if n < 2 * min_hours:
            break
        noise = float(np.median(np.abs(np.diff(h)))) * MAD_SCALE / np.sqrt(2)
        noise = spread_of(noise, float(np.std(h)) * 0.1, 0.0, float(np.median(h)))
        # Means of hourly medians on each side of every cut, from cumulative sums (O(n)).
        total = np.cumsum(h)
        cuts = np.arange(min_hours, n - min_hours + 1)
        left = total[cuts - 1] / cuts
        right = (total[-1] - total[cuts - 1]) / (n - cuts)
        gaps = np.abs(right - left)
        best_at = int(cuts[int(np.argmax(gaps))])
        best = abs(float(np.median(h[best_at:])) - float(np.median(h[:best_at])))
        if best < 4 * noise:
            break
        before, after = float(np.median(h[:best_at])), float(np.median(h[best_at:]))
        # The later side must itself be steady, or this is a trend, not a shift.
        if float(np.median(np.abs(h[best_at:] - after))) * MAD_SCALE > best / 2:
            break
        shifts.append(LevelShift(pd.Timestamp(hours.index[best_at]), before, after))
        hours = hours.iloc[best_at:]
    return shifts


def stability_score(clean_values: FloatArray) -> float:
    """100 × (1 − coefficient of variation), clipped: the report's 0..100 stability score."""
    if clean_values.size == 0:
        return 0.0
    mean = float(np.mean(clean_values))
    std = float(np.std(clean_values))
    if std == 0:
        return 100.0
    cv = std / abs(mean) if mean != 0 else 1.0
    return round(max(0.0, min(1.0, 1.0 - cv)) * 100, 1)


def baseline(
    values: FloatArray,
    index: pd.DatetimeIndex,
    step_seconds: int,
    *,
    hours: pd.Series | None = None,
) -> Baseline:
    """The baseline of one learning window (already cut after the last level shift);
    `hours`: the `hourly` means of these values when the caller has them already."""
    kept, removed, method = clean(values)
    data = kept if kept.size else np.array([np.nan])
    p50, p95, p99 = (float(v) for v in np.percentile(data, [50, 95, 99]))
    med = p50
    mad = float(np.median(np.abs(data - med))) * MAD_SCALE
    span = (index[-1] - index[0]).total_seconds() + step_seconds if len(index) else 0.0
    hours = hourly(values, index) if hours is None else hours
    daily = autocorrelation(hours, 24) if span >= 2 * DAY else None
    weekly = autocorrelation(hours, 168) if span >= 2 * WEEK else None
    profile = "hour_of_week" if span >= 2 * WEEK else "hour_of_day" if span >= 2 * DAY else "none"
    finite = np.isfinite(values)
    return Baseline(
        count=int(finite.sum()),
        gaps=int((~finite).sum()),
        mean=float(np.mean(data)),
        median=med,
        std=float(np.std(data)),
        mad=mad,
        p50=p50,
        p95=p95,
        p99=p99,
        min=float(np.min(data)),
        max=float(np.max(data)),
        outliers_removed=removed,
        outlier_method=method,
        daily_seasonality=daily,
        weekly_seasonality=weekly,
        profile=profile,
        stability=stability_score(kept),
        learned_from=pd.Timestamp(index[0]),
        learned_until=pd.Timestamp(index[-1]),
    )

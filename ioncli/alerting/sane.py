"""Sane static levels: inside the metric's physical range, warning before critical, and
compared with the built-in default rule for the metric.

A tuned rule's static levels (what `baselines/` and the dashboard use, and what a threshold
condition pages on) come out of arithmetic on a series' statistics, and arithmetic knows no
units: `median - 8 MAD` of a hit ratio can be -0.013, the loosest slot of a profile can sit
far above what the metric's default rule calls critical. This module puts every level back
into what the unit allows and says, in one line per change, what it did and why:

- a level outside the unit's range can never be crossed there (a ratio below 0, a latency
  above nothing): that side is dropped, so the rule is not shown as guarding something it
  cannot see;
- a warning beyond its critical level (above it on the high side, below it on the low side)
  would page at critical first: the warning is dropped;
- a critical level looser than the default rule's (or a side the default rule guards that
  the tuned rule has none for) is kept as tuned, and said: the budget chose it from the
  data's own range, and the report must not hide that it pages later than the default.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from ioncli.alerting.rulebase import Levels
from ioncli.thresholds import Threshold

# Units whose values cannot be negative (the catalog's units and common spellings).
NON_NEGATIVE = frozenset(
    {"req/s", "ms", "s", "count", "s/s", "1/s", "bytes", "By", "%", "percent", "instances"}
)


def physical_range(unit: str) -> tuple[float, float]:
    """The values a metric of this unit can take; unbounded for an unknown unit."""
    if unit in ("ratio", "1", "fraction"):
        return 0.0, 1.0
    if unit in {"%", "percent"}:
        return 0.0, 100.0
    if unit in NON_NEGATIVE:
        return 0.0, math.inf
    return -math.inf, math.inf


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def sanitise(
    levels: Levels,
    unit: str,
    metric: str,
    defaults: Mapping[str, Threshold],
    learn: npt.NDArray[np.float64] | None = None,
) -> tuple[Levels, list[str]]:
    """The levels made sane, and one note per change or comparison worth saying."""
    lo, hi = physical_range(unit)
    notes: list[str] = []
    what = f"{unit}" if unit else "the unit"

    def inside(name: str, value: float | None, low_side: bool) -> float | None:
        if value is None or not math.isfinite(value):
            return None
        if low_side and value <= lo:
            notes.append(
                f"{name} {_fmt(value)} is at or below the lowest possible value "
                f"({_fmt(lo)} {what}): it can never fire, so that level is left out"
            )
            return None
        if not low_side and value >= hi:
            notes.append(
                f"{name} {_fmt(value)} is at or above the highest possible value "
                f"({_fmt(hi)} {what}): it can never fire, so that level is left out"
            )
            return None
        if (low_side and value > hi) or (not low_side and value < lo):
            notes.append(
                f"{name} {_fmt(value)} is outside the possible range ({_fmt(lo)}..{_fmt(hi)}"
                f" {what}): it would always fire, so that level is left out"
            )
            return None
        return value

    warning = inside("warning", levels.warning, False)
    critical = inside("critical", levels.critical, False)
    low_warning = inside("low warning", levels.low_warning, True)
    low_critical = inside("low critical", levels.low_critical, True)
    if warning is not None and critical is not None and warning > critical:
        notes.append(
            f"warning > {_fmt(warning)} is beyond critical > {_fmt(critical)} (critical "
            "would page first): the static warning level is left out"
        )
        warning = None
    if low_warning is not None and low_critical is not None and low_warning < low_critical:
        notes.append(
            f"low warning < {_fmt(low_warning)} is beyond low critical < {_fmt(low_critical)}"
            " (critical would page first): the static low warning level is left out"
        )
        low_warning = None
    default = defaults.get(metric)
    if default is not None:
        found = _against_default(default, warning, critical, low_warning, low_critical)
        notes.extend(note + _beyond(default, learn) for note in found)
    return Levels(warning, critical, low_warning, low_critical), notes


def _beyond(default: Threshold, learn: npt.NDArray[np.float64] | None) -> str:
    """How much of the learning window the default rule would have paged on."""
    strict = default.critical if default.critical is not None else default.warning
    if learn is None or strict is None:
        return ""
    values = learn[np.isfinite(learn)]
    if values.size == 0:
        return ""
    share = float(np.mean(values > strict if default.direction == "high" else values < strict))
    if share == 0:
        return (
            "; the learning window never crossed the default's level, so the default "
            "would have been quiet there too: consider keeping it"
        )
    return f"; {share:.1%} of the learning window is beyond the default's level"


def _against_default(
    default: Threshold,
    warning: float | None,
    critical: float | None,
    low_warning: float | None,
    low_critical: float | None,
) -> list[str]:
    """Say where the tuned rule pages later than the built-in default rule."""
    strict = default.critical if default.critical is not None else default.warning
    if strict is None:
        return []
    name = "critical" if default.critical is not None else "warning"
    if default.direction == "high":
        tuned = critical if critical is not None else warning
        if tuned is None:
            return [
                f"no high level, where the default rule ({default.origin}) pages at "
                f"{name} > {_fmt(strict)}: looser than the default rule"
            ]
        if tuned > strict:
            return [
                f"pages above {_fmt(tuned)}, later than the default rule's {name} > "
                f"{_fmt(strict)} ({default.origin}): looser than the default rule"
            ]
        return []
    tuned = low_critical if low_critical is not None else low_warning
    if tuned is None:
        return [
            f"no low level, where the default rule ({default.origin}) pages at "
            f"{name} < {_fmt(strict)}: looser than the default rule"
        ]
    if tuned < strict:
        return [
            f"pages below {_fmt(tuned)}, later than the default rule's {name} < "
            f"{_fmt(strict)} ({default.origin}): looser than the default rule"
        ]
    return []


def data_notes(
    learn: npt.NDArray[np.float64], times: pd.DatetimeIndex, adaptive: bool
) -> list[str]:
    """What about the learning window a user must know to trust the rule: constant values,
    mostly gaps, a lone value far beyond the rest (which a trailing window keeps for a week)."""
    notes: list[str] = []
    finite = np.isfinite(learn)
    values = learn[finite]
    if values.size == 0:
        return notes
    gaps = 1.0 - values.size / learn.size
    if gaps >= 0.5:
        notes.append(
            f"{gaps:.0%} of the learning window is gaps: the levels rest on {values.size} values"
        )
    low, high = float(values.min()), float(values.max())
    if low == high:
        notes.append(
            f"the learning window is constant at {_fmt(low)}: any other value is beyond "
            "everything history showed and pages"
        )
        return notes
    med = float(np.median(values))
    mad = float(np.median(np.abs(values - med))) * 1.4826
    scale = mad if mad > 0 else float(np.std(values))
    far = np.abs(learn - med) > 50 * scale
    far &= finite
    if 0 < int(far.sum()) <= 3:
        at = int(np.flatnonzero(far)[np.argmax(np.abs(learn[far] - med))])
        when = times[at]
        what = (
            "the trailing week keeps it until "
            f"{(when + pd.Timedelta(days=7)).strftime('%Y-%m-%d %H:%M')} UTC, so the rule "
            "cannot page for anything smaller until then"
            if adaptive
            else "the static levels leave it out (outliers are removed before the baseline)"
        )
        notes.append(
            f"a lone extreme value {_fmt(float(learn[at]))} at {when.strftime('%Y-%m-%d %H:%M')}"
            f" UTC ({abs(float(learn[at]) - med) / scale:.0f} robust σ from the median "
            f"{_fmt(med)}) is in the learning window: {what}"
        )
    return notes

"""What every candidate rule kind shares: the series as a kind sees it, and the interface.

A kind turns one series into a condition array for a sensitivity k (`condition`), says how
it behaves on history in steady state when it adapts (`history_condition`), and gives the
static thresholds for files and Cloud Monitoring (`levels`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ioncli.alerting.backtest import BoolArray
from ioncli.alerting.stats import WEEK, Baseline

FloatArray = npt.NDArray[np.float64]
Direction = Literal["high", "low", "both"]


@dataclass(frozen=True)
class Levels:
    """Static thresholds: upper (warning, critical) and lower (warning, critical)."""

    warning: float | None
    critical: float | None
    low_warning: float | None
    low_critical: float | None


@dataclass
class Context:
    """One series as every kind sees it."""

    values: FloatArray  # the whole range
    index: pd.DatetimeIndex
    step_seconds: int
    learn_start: int  # first index of the learning window (after the last level shift)
    learn_end: int  # one past its last index
    learn_values: FloatArray  # values[learn_start:learn_end] with incident points as NaN
    baseline: Baseline
    direction: Direction
    budget: float = 1.0  # the paging budget, alerts a week per rule

    @property
    def per_hour(self) -> int:
        return max(1, round(3600 / self.step_seconds))

    @property
    def per_week(self) -> int:
        return max(1, round(WEEK / self.step_seconds))

    def warm(self) -> int:
        """Points a trailing window needs before it judges anything: half the learning
        window, at most a week. An in-sample backtest of an adaptive kind starts after it."""
        half = (self.learn_end - self.learn_start) // 2
        return min(self.per_week, max(self.per_hour, half))


def sides(ctx: Context, above: BoolArray, below: BoolArray) -> BoolArray:
    if ctx.direction == "high":
        return above
    if ctx.direction == "low":
        return below
    return above | below


def pick(ctx: Context, up: float, down: float) -> tuple[float | None, float | None]:
    return (
        up if ctx.direction in ("high", "both") else None,
        down if ctx.direction in ("low", "both") else None,
    )


class Candidate:
    kind: str = ""
    parameter: str = "k"
    grid: tuple[float, ...] = ()
    adaptive = False

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._arrays: dict[str, FloatArray] | None = None  # expensive bands, computed once
        self._last: tuple[float, float] = (np.nan, np.nan)
        self._history: dict[str, FloatArray] | None = None

    def available(self) -> str | None:
        """None when the kind can run on this series, else why not."""
        return None

    def condition(self, k: float) -> BoolArray:
        raise NotImplementedError

    def history_condition(self, k: float) -> BoolArray | None:
        """For adaptive kinds: the rule over the learning window in steady state (its trailing
        statistics taken from the whole window but the point's own hour), so the budget is
        judged on all of history rather than on what is left after a warm-up. None for
        static kinds, whose `condition` over the learning window is already that."""
        return None

    def refine(self, k: float, need: int) -> bool:
        """After k was tuned to the budget: add what the kind can add without a single
        extra alert on history. True when the condition changed."""
        return False

    def levels(self, k: float) -> Levels:
        raise NotImplementedError

    def explain(self, k: float) -> str:
        raise NotImplementedError

"""The point budget: a range is sized before anything is loaded, and refused when too big.

A CI runner has a few GB of memory; `--since 3650d` at one minute is hundreds of millions of
points. The estimate is series x steps, known from the flags alone, so a range that cannot
fit is refused at once (with the estimate and the ways out) instead of after minutes of
pulling. `--max-points` raises the budget for a user who knows the machine can take it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ioncli.errors import UsageError
from ioncli.times import short_duration

DEFAULT_MAX_POINTS = 20_000_000
# Peak resident memory per point of the frame, measured on the dashboard over the simulator
# (3650 days, 126M points: 1.92 GB peak, see benchmarks/results/guards.md): the frame's own
# 8 bytes plus the analysis' working copies. Used only to tell the user what a range costs.
BYTES_PER_POINT = 16
# Progress is worth a bar from here on (about a second of loading on the simulator).
PROGRESS_POINTS = 2_000_000

_NICE_STEPS = (60, 300, 600, 900, 1800, 3600, 3 * 3600, 6 * 3600, 86400)


@dataclass(frozen=True)
class Estimate:
    series: int
    steps: int

    @property
    def points(self) -> int:
        return self.series * self.steps

    @property
    def bytes(self) -> int:
        return self.points * BYTES_PER_POINT


def estimate(span_seconds: float, step_seconds: int, series: int) -> Estimate:
    steps = max(0, int(span_seconds // max(1, step_seconds)))
    return Estimate(max(1, series), steps)


def human_bytes(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:,.0f} {unit}" if unit in ("B", "KB") else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} TB"  # pragma: no cover (the loop always returns)


def check(
    found: Estimate, *, span_seconds: float, step_seconds: int, max_points: int | None
) -> None:
    """Raise a UsageError (exit 2) naming the estimate when it is over the budget."""
    budget = DEFAULT_MAX_POINTS if max_points is None else max_points
    if found.points <= budget:
        return
    ways = []
    for step in _NICE_STEPS:
        if step <= step_seconds:
            continue
        coarser = estimate(span_seconds, step, found.series)
        if coarser.points <= budget:
            ways.append(f"--step {short_duration(step)} ({coarser.points:,} points)")
            break
    ways += ["a shorter --since", "fewer --metric/--region", f"--max-points {found.points}"]
    raise UsageError(
        f"the range is about {found.points:,} points ({found.series:,} series x "
        f"{found.steps:,} steps of {step_seconds} s, about {human_bytes(found.bytes)} of "
        f"memory), over the budget of {budget:,} points; use " + ", or ".join(ways)
    )

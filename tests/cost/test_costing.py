"""The per-step cost and cold-start model on small literal series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ioncli.cost.costing import cold_starts, monthly, step_costs
from ioncli.cost.pricing import Billing, Size, load_table
from ioncli.cost.service_config import RegionService
from ioncli.cost.usage import RegionSeries, UsageSummary

TABLE = load_table()


def _series(
    busy: list[float],
    rps: list[float] | None = None,
    idle: list[float] | None = None,
    step: int = 60,
) -> RegionSeries:
    n = len(busy)
    times = pd.date_range("2026-11-02", periods=n, freq=f"{step}s", tz="UTC")
    summary = UsageSummary(0, 0, None, 0, 0, None, None, 1000.0, 1.0)
    return RegionSeries(
        "us-central1",
        times,
        step,
        np.asarray(busy, dtype=float),
        None if idle is None else np.asarray(idle, dtype=float),
        np.asarray(rps if rps is not None else [0.0] * n, dtype=float),
        1000.0,
        summary,
    )


def _config(billing: Billing = Billing.REQUEST, min_instances: int = 1) -> RegionService:
    return RegionService("us-central1", "svc", "", Size(1, 0.5), billing, min_instances, 100, 80)


def test_request_based_idle_min_instances_are_the_gap_to_the_floor() -> None:
    series = _series([0.0, 0.25, 1.5, 3.0])
    costs = step_costs(series, _config(), TABLE, 2)
    idle_rate = 1 * 0.0000025 + 0.5 * 0.0000025  # per instance-second
    active_rate = 1 * 0.000024 + 0.5 * 0.0000025
    # idle instances per step: 2, 1.75, 0.5, 0  (times 60 s)
    assert costs.idle == pytest.approx(np.array([2, 1.75, 0.5, 0]) * idle_rate * 60)
    assert costs.active == pytest.approx(np.array([0, 0.25, 1.5, 3.0]) * active_rate * 60)


def test_instance_based_bills_every_instance() -> None:
    series = _series([0.0, 2.0], idle=[0.0, 1.0])
    costs = step_costs(series, _config(Billing.INSTANCE), TABLE, 1)
    rate = 0.000018 + 0.5 * 0.000002
    # step 1: max(1, 0 + 0) = 1 instance idle; step 2: 2 busy + 1 lingering idle
    assert costs.idle == pytest.approx(np.array([1.0, 1.0]) * rate * 60)
    assert costs.active == pytest.approx(np.array([0.0, 2.0]) * rate * 60)
    assert costs.requests.sum() == 0.0


def test_one_idle_instance_for_a_month_matches_the_worked_example() -> None:
    # 1 vCPU / 0.5 GiB kept warm and idle: $9.855 for a 730 h month (9.72 for 30 days).
    series = _series([0.0] * 60)
    costs = step_costs(series, _config(), TABLE, 1)
    assert monthly(costs.total, 60, TABLE.month_seconds) == pytest.approx(9.855)


def test_requests_priced_per_million() -> None:
    series = _series([1.0] * 10, rps=[10.0] * 10)
    costs = step_costs(series, _config(), TABLE, 0)
    # 10 req/s x 2,628,000 s = 26.28 M requests -> $10.512
    assert monthly(costs.requests, 60, TABLE.month_seconds) == pytest.approx(10.512)


def test_cold_starts_count_instances_beyond_floor_and_recent_ones() -> None:
    # Busy instances ramp 1 -> 3, stay, drop to 0 for 20 minutes, then 1 again.
    busy = [1, 1, 2, 3, 3] + [0] * 20 + [1]
    series = _series([float(b) for b in busy], rps=[5.0] * len(busy))
    none = cold_starts(series, 0, 80)
    # +1 at the 2nd instance, +1 at the 3rd, and +1 after 20 idle minutes (> 15 min linger)
    assert none.starts.sum() == 3
    assert cold_starts(series, 1, 80).starts.sum() == 2
    assert cold_starts(series, 3, 80).starts.sum() == 0
    # Each start delays the requests that reach it while it starts: 5 req/s per busy
    # instance x 1 s start-up = 5 at the ramp; at least 1 on the quiet restart.
    assert none.delayed.sum() == pytest.approx(2.5 + 5 / 3 + 5.0)


def test_cold_starts_per_week_scales_with_the_covered_range() -> None:
    busy = [0.0, 1.0] + [0.0] * 18
    series = _series(busy, rps=[1.0] * 20)  # 20 minutes with one start
    starts, _ = cold_starts(series, 0, 80).per_week(60)
    assert starts == pytest.approx(7 * 24 * 3)  # one per 20 minutes

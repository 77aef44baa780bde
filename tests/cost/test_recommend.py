"""Schedules, the original report's windows, partial data and held revisions, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ioncli.cost.pricing import Billing, Size, load_table
from ioncli.cost.recommend import computed_schedule, held_revisions, recommend_min, report_schedule
from ioncli.cost.service_config import RegionService, RevisionInfo
from ioncli.cost.usage import RegionSeries, UsageSummary, extract
from ioncli.frame import MetricFrame, SeriesKey

TABLE = load_table()
MONTH = 730 * 3600


def _series(busy: np.ndarray, rps: np.ndarray, region: str = "us-central1") -> RegionSeries:
    times = pd.date_range("2026-11-02", periods=busy.size, freq="60s", tz="UTC")  # a Monday
    summary = UsageSummary(0, 0, None, float(rps.mean()), 0, None, None, 2000.0, 1.0)
    return RegionSeries(region, times, 60, busy, None, rps, 2000.0, summary)


def _config(min_instances: int, region: str = "us-central1", **kw: object) -> RegionService:
    return RegionService(
        region, "svc", "", Size(2, 2), Billing.REQUEST, min_instances, 10, 80, **kw
    )  # type: ignore[arg-type]


def test_the_original_reports_windows_priced_by_hand() -> None:
    # Idle all week (no traffic): the windows keep 4, 4 and 3 instances for one hour each and
    # 2 otherwise: (21 x 2 + 4 + 4 + 3) / 24 = 53/24 instances on average, against 3 today.
    week = 7 * 1440
    series = _series(np.zeros(week), np.zeros(week))
    schedule = report_schedule(series, _config(3), TABLE)
    assert schedule is not None
    idle_per_instance = 2 * 0.0000025 + 2 * 0.0000025  # 2 vCPU + 2 GiB at the idle rates
    assert schedule.monthly_cost == pytest.approx(53 / 24 * idle_per_instance * MONTH)
    assert schedule.dollars_saved_vs_current == pytest.approx(
        (3 - 53 / 24) * idle_per_instance * MONTH
    )
    assert report_schedule(series, _config(3, region="europe-north1"), TABLE) is None


def _office_hours(weeks: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Weekdays 09-17 UTC: 3 busy instances at 60 req/s. 00-06 UTC: a lone request every 40
    minutes (each long after the last one). Otherwise no traffic at all."""
    n = weeks * 7 * 1440
    t = np.arange(n)
    minute_of_day, day = t % 1440, (t // 1440) % 7
    office = (day < 5) & (minute_of_day >= 9 * 60) & (minute_of_day < 17 * 60)
    busy = np.where(office, 3.0, 0.0)
    busy[(minute_of_day < 6 * 60) & (t % 40 == 0)] = 0.01
    return busy, np.where(office, 60.0, np.where(busy > 0, 1 / 60, 0.0))


def test_flat_recommendation_keeps_a_warm_instance_when_lone_requests_would_wait() -> None:
    busy, rps = _office_hours()
    series = _series(busy, rps)
    # ~8.6 M requests a week. At min 0, 9 lone requests a night and the 09:00 ramp each
    # weekday would wait for a start: a few hundred waits, over a 1-in-100,000 budget (86)
    # but well within 1 in 1,000 (8,640).
    tight = recommend_min(series, _config(1), TABLE, floor=0, share=0.00001)
    assert tight.recommended == 1
    assert tight.dollars_saved_per_month == 0
    loose = recommend_min(series, _config(1), TABLE, floor=0, share=0.001)
    assert loose.recommended == 0
    # 9 a night and 1 each weekday: 68 a week, less the range's very first request (the
    # model assumes a steady state before the range), over the two weeks: 67.5.
    assert loose.cold_starts_added_per_week == pytest.approx((2 * 68 - 1) / 2)
    # A lone request waits alone; at the ramp 60 req/s over 3 instances x 2 s = 40 each.
    assert loose.delayed_requests_added_per_week == pytest.approx((2 * (63 + 5 * 40) - 1) / 2)
    # Dropping the min saves the idle instance outside office hours: (168 - 40) h a week.
    idle_per_instance = 2 * 0.0000025 + 2 * 0.0000025
    idle_share = (168 - 40) / 168 - 63 * 0.01 / (7 * 1440)  # minus the lone requests' busy time
    assert loose.dollars_saved_per_month == pytest.approx(idle_per_instance * MONTH * idle_share)


def test_computed_schedule_spends_the_budget_where_it_pays() -> None:
    busy, rps = _office_hours()
    series = _series(busy, rps)
    flat = recommend_min(series, _config(1), TABLE, floor=0, share=0.00001)
    schedule = computed_schedule(series, _config(1), TABLE, floor=0, share=0.00001)
    # The schedule keeps an instance warm for the night's lone requests and the 09:00 ramp
    # only, so it costs less than a flat min of 1 ...
    assert schedule.monthly_cost < flat.monthly_after
    assert schedule.dollars_saved_vs_current > 0
    assert schedule.default_min == 0
    warm = [w for w in schedule.windows if w.min_instances == 1]
    assert warm
    for w in warm:
        day, hour = w.start.split()
        assert hour < "06:00" or (hour == "09:00" and day not in ("Sat", "Sun")), w
    # ... and its waits stay within the same budget.
    assert schedule.cold_starts_per_week <= flat.cold_starts_per_week_after + 86


def test_partial_data_is_a_warning_and_extrapolated() -> None:
    times = pd.date_range("2026-11-02", periods=120, freq="60s", tz="UTC")
    busy = np.ones(120)
    busy[60:] = np.nan
    region = {"region": "us-central1"}
    frame = MetricFrame(
        pd.DataFrame(
            {
                SeriesKey.of("billable_instance_time", region).id: busy,
                SeriesKey.of("request_rate", region).id: np.full(120, 2.0),
            },
            index=times,
        ),
        source="test",
    )
    series, warnings = extract(frame, ("us-central1",), MONTH)
    assert "us-central1: billable instance time has data for 50% of the range" in warnings[0]
    assert series["us-central1"].summary.coverage == 0.5
    assert series["us-central1"].busy.tolist() == [1.0] * 120  # bridged for the model


def test_held_revisions_cost_their_idle_rate() -> None:
    tagged = RevisionInfo("svc-00001-old", 0, ("canary",), 3, 100, Size(1, 0.5), warm=3)
    serving = RevisionInfo("svc-00002-new", 100, (), 0, 100, Size(2, 2), warm=1)
    config = _config(1, revisions=(serving, tagged))
    [held] = held_revisions(config, TABLE)
    # 3 warm instances x (1 x 0.0000025 + 0.5 x 0.0000025) x 2,628,000 s = $29.565
    assert held.monthly_cost == pytest.approx(29.565)
    assert (held.revision, held.tags, held.warm_instances) == ("svc-00001-old", ("canary",), 3)


def test_a_serving_revisions_own_min_limits_what_the_service_min_saves() -> None:
    # Service min 3, but the serving revision keeps 2 warm on its own (revision-level min):
    # lowering the service min to 0 frees one idle instance, not three.
    serving = RevisionInfo("svc-00002-new", 100, (), 2, 100, Size(2, 2), warm=3)
    config = _config(3, revisions=(serving,))
    week = 7 * 1440
    series = _series(np.zeros(week), np.zeros(week))
    rec = recommend_min(series, config, TABLE, floor=0, share=0.0001)
    idle_per_instance = 2 * 0.0000025 + 2 * 0.0000025
    assert rec.recommended == 0
    assert rec.dollars_saved_per_month == pytest.approx(1 * idle_per_instance * MONTH)

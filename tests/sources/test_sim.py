"""The simulated fleet: complete, deterministic, shaped like a real service, with incidents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from ioncli.frame import SeriesKey
from ioncli.sources import FetchRequest
from ioncli.sources.catalog import DEFAULT_METRICS
from ioncli.sources.sim import SimSource, simulate

END = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)


def test_every_catalog_metric_in_every_region() -> None:
    frame = simulate(END - timedelta(hours=6), END)
    assert frame.data.shape == (360, 75)
    assert frame.simulated and frame.source == "sim:7"
    keys = frame.series
    assert {k.label("region") for k in keys} == {"us-central1", "europe-west1", "asia-southeast1"}
    assert {k.metric for k in keys} == {m.name for m in DEFAULT_METRICS}
    assert not frame.data.isna().any().any()
    for column in frame.data.columns:
        assert frame.unit(column)


def test_points_sit_on_the_step_and_the_interval_is_half_open() -> None:
    frame = simulate(END - timedelta(hours=1, seconds=30), END, step_seconds=300)
    index = frame.data.index
    assert index[0] == pd.Timestamp("2026-11-28T17:00:00Z")
    assert index[-1] == pd.Timestamp("2026-11-28T17:55:00Z")
    assert frame.step_seconds == 300


def test_same_seed_same_numbers_and_windows_agree() -> None:
    week = simulate(END - timedelta(days=7), END, seed=3)
    day = simulate(END - timedelta(days=1), END, seed=3)
    pd.testing.assert_frame_equal(day.data, week.data.loc[day.data.index])
    other = simulate(END - timedelta(days=1), END, seed=4)
    assert not np.allclose(other.data.to_numpy(), day.data.to_numpy())


def test_traffic_follows_local_time() -> None:
    # A weekday: each region's busiest hour is its local afternoon, not a shared UTC hour.
    frame = simulate(datetime(2026, 11, 25, tzinfo=UTC), datetime(2026, 11, 26, tzinfo=UTC))
    peaks = {}
    for region, offset in (("us-central1", -6), ("europe-west1", 1), ("asia-southeast1", 8)):
        rate = frame.select("request_rate", region=region).iloc[:, 0]
        hourly = rate.groupby(rate.index.hour).mean()
        peaks[region] = (int(hourly.idxmax()) + offset) % 24
        assert hourly.max() > 4 * hourly.min()  # nights are much quieter
    for local_peak in peaks.values():
        assert 12 <= local_peak <= 19


def test_metrics_move_together() -> None:
    frame = simulate(END - timedelta(days=2), END)
    rate = frame.select("request_rate", region="us-central1").iloc[:, 0]
    active = frame.select("instances_active", region="us-central1").iloc[:, 0]
    billable = frame.select("billable_instance_time", region="us-central1").iloc[:, 0]
    assert rate.corr(active) > 0.9
    assert active.corr(billable) > 0.95
    l1 = frame.select("cache_hit_ratio_l1", region="europe-west1").iloc[:, 0]
    l2 = frame.select("cache_hit_ratio_l2", region="europe-west1").iloc[:, 0]
    hit = frame.select("cache_hit_ratio", region="europe-west1").iloc[:, 0]
    assert np.allclose(hit, l1 + (1 - l1) * l2)
    shares = frame.data[[c for c in frame.data.columns if c.startswith("persona_share")]]
    by_region = shares.T.groupby(lambda c: SeriesKey.parse(c).label("region")).sum().T
    assert np.allclose(by_region.to_numpy(), 1.0)


def test_incidents_are_labelled_and_visible_in_the_data() -> None:
    frame = simulate(END - timedelta(days=7), END)
    assert len(frame.incidents) >= 3
    kinds = {i.name.split(" in ")[0] for i in frame.incidents}
    assert len(kinds) >= 3
    for incident in frame.incidents:
        assert incident.end > incident.start
        assert incident.series and all(s in frame.data.columns for s in incident.series)
    first = frame.data.index[0] + timedelta(hours=3)
    spikes = [i for i in frame.incidents if i.name.startswith("latency spike") and i.start > first]
    assert spikes
    spike = spikes[0]
    p95 = frame.data[next(s for s in spike.series if s.startswith("latency_p95"))]
    inside = p95[(p95.index >= spike.start) & (p95.index < spike.end)]
    before = p95[(p95.index < spike.start) & (p95.index >= spike.start - timedelta(hours=2))]
    assert inside.median() > 2 * before.median()


def test_source_filters_metrics_and_regions() -> None:
    source = SimSource(5)
    frame = source.fetch(
        FetchRequest(
            start=END - timedelta(hours=1),
            end=END,
            metrics=("latency_p95", "request_rate"),
            regions=("asia-southeast1",),
        )
    )
    assert sorted(frame.data.columns) == [
        "latency_p95{region=asia-southeast1}",
        "request_rate{region=asia-southeast1}",
    ]
    assert frame.source == "sim:5"


def test_incidents_follow_the_metrics_asked_for() -> None:
    frame = simulate(END - timedelta(days=7), END, metrics=("error_ratio_5xx",))
    assert frame.incidents
    kinds = {i.name.split(" in ")[0] for i in frame.incidents}
    assert kinds <= {"error burst", "outage", "slow burn"} and "error burst" in kinds
    assert all(
        i.series == (f"error_ratio_5xx{{region={i.name.split(' in ')[1]}}}",)
        for i in frame.incidents
    )

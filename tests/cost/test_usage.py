"""Which regions a frame is priced for, and the busy-time estimate when billable time is absent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ioncli.cost.usage import align_regions, extract
from ioncli.errors import DataError
from ioncli.frame import MetricFrame, SeriesKey

MONTH = 730 * 3600


def _frame(region: str, **metrics: float) -> MetricFrame:
    times = pd.date_range("2026-11-02", periods=10, freq="60s", tz="UTC")
    data = {SeriesKey.of(m, {"region": region}).id: np.full(10, v) for m, v in metrics.items()}
    return MetricFrame(pd.DataFrame(data, index=times), source="local")


def test_a_local_service_is_priced_as_the_first_configured_region() -> None:
    frame = _frame("local", request_rate=4.0, latency_p50=50.0, instances_active=1.0)
    moved, regions, notes = align_regions(frame, ("us-central1", "europe-west1"), explicit=False)
    assert regions == ("us-central1",)
    assert "region=local: priced as if it ran in us-central1" in notes[0]
    series, warnings = extract(moved, regions, MONTH)
    # Little's law: 4 req/s x 0.05 s = 0.2 requests in flight, so 0.2 billable instances.
    assert series["us-central1"].busy.tolist() == pytest.approx([0.2] * 10)
    assert "estimated as request rate x median latency" in warnings[0]


def test_in_flight_estimate_is_capped_by_active_instances() -> None:
    frame = _frame("us-central1", request_rate=100.0, latency_p50=50.0, instances_active=2.0)
    series, _ = extract(frame, ("us-central1",), MONTH)
    assert series["us-central1"].busy.tolist() == [2.0] * 10  # not 5


def test_configured_regions_without_data_are_priced_as_without_traffic() -> None:
    frame = _frame("europe-west1", request_rate=1.0, billable_instance_time=1.0)
    _, regions, notes = align_regions(frame, ("us-central1", "europe-west1"), explicit=False)
    assert (regions, notes) == (("us-central1", "europe-west1"), [])
    series, warnings = extract(frame, regions, MONTH)
    assert series["us-central1"].busy.tolist() == [0.0] * 10
    assert series["us-central1"].requests.tolist() == [0.0] * 10
    assert "us-central1: no request or busy-instance metrics" in warnings[0]
    assert "priced as a region without traffic" in warnings[0]


def test_no_configured_region_in_a_multi_region_frame_is_an_error() -> None:
    frame = _frame("a", request_rate=1.0)
    frame.data[SeriesKey.of("request_rate", {"region": "b"}).id] = 1.0
    with pytest.raises(
        DataError, match=r"no metrics for the configured regions \(x\); it has: a, b"
    ):
        align_regions(frame, ("x",), explicit=False)


def test_asked_for_regions_are_taken_as_asked() -> None:
    frame = _frame("local", request_rate=1.0)
    _, regions, notes = align_regions(frame, ("us-central1",), explicit=True)
    assert (regions, notes) == (("us-central1",), [])
    # Requests without any busy-instance metric cannot be priced: one clear error.
    busy_missing = _frame("us-central1", request_rate=1.0)
    with pytest.raises(DataError, match="no billable_instance_time for region us-central1"):
        extract(busy_missing, regions, MONTH)

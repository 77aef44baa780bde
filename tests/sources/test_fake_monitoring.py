"""The fake MetricService behaves like Cloud Monitoring where ion relies on it."""

from __future__ import annotations

import numpy as np
import pytest
from google.api_core import exceptions
from google.cloud import monitoring_v3

from tests.fakes.monitoring import FakeSeries, serve_monitoring

T0 = 1_764_000_000 - 1_764_000_000 % 60


def gauge(region: str, offset: float) -> FakeSeries:
    times = T0 + 60 * np.arange(10, dtype=np.int64)
    return FakeSeries(
        "custom.googleapis.com/x",
        "cloud_run_revision",
        {"state": "active"},
        {"location": region, "service_name": "svc"},
        "GAUGE",
        "DOUBLE",
        times,
        np.arange(10, dtype=float) + offset,
    )


def listing(client: monitoring_v3.MetricServiceClient, **request: object) -> list:  # type: ignore[type-arg]
    base = {
        "name": "projects/p",
        "filter": 'metric.type = "custom.googleapis.com/x"',
        "interval": {"start_time": {"seconds": T0 + 60}, "end_time": {"seconds": T0 + 300}},
        "view": monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.FULL,
    }
    base.update(request)
    return list(client.list_time_series(request=base))


def test_raw_points_are_newest_first_in_a_half_open_interval() -> None:
    with serve_monitoring([gauge("us", 0.0)]) as fake:
        (ts,) = listing(fake.client())
        seconds = [int(p.interval.end_time.timestamp()) for p in ts.points]
        assert seconds == [T0 + 300, T0 + 240, T0 + 180, T0 + 120]  # (start, end]
        assert [p.value.double_value for p in ts.points] == [5.0, 4.0, 3.0, 2.0]


def test_label_filters_group_by_and_reducers() -> None:
    with serve_monitoring([gauge("us", 0.0), gauge("eu", 100.0), gauge("eu", 200.0)]) as fake:
        agg = {
            "alignment_period": {"seconds": 120},
            "per_series_aligner": monitoring_v3.Aggregation.Aligner.ALIGN_MEAN,
            "cross_series_reducer": monitoring_v3.Aggregation.Reducer.REDUCE_SUM,
            "group_by_fields": ["resource.label.location"],
        }
        found = listing(
            fake.client(),
            filter='metric.type = "custom.googleapis.com/x" AND resource.labels.location = "eu"',
            aggregation=agg,
        )
        (ts,) = found
        assert dict(ts.resource.labels) == {"location": "eu"}
        # Periods end at `end` and step back: (180, 300] holds points 4 and 5 (mean 4.5),
        # summed over the two eu series (offsets 100 and 200).
        assert [p.value.double_value for p in ts.points][:2] == [309.0, 305.0]


def test_paging_splits_series_and_follows_tokens() -> None:
    with serve_monitoring([gauge("us", 0.0), gauge("eu", 1.0)]) as fake:
        pager = fake.client().list_time_series(
            request={
                "name": "projects/p",
                "filter": 'metric.type = "custom.googleapis.com/x"',
                "interval": {"end_time": {"seconds": T0 + 600}},
                "page_size": 3,
            }
        )
        pages = list(pager.pages)
        assert len(pages) == 7  # 20 points, 3 a page
        assert sum(len(ts.points) for page in pages for ts in page.time_series) == 20


@pytest.mark.parametrize(
    "text",
    [
        'metric.type = "a" AND metric.type = "b"',
        'resource.labels.location = "eu"',
        'metric.type = "custom.googleapis.com/x" AND location eu',
        'metric.type = "custom.googleapis.com/x',
    ],
)
def test_filters_cloud_monitoring_rejects_are_invalid_argument(text: str) -> None:
    with serve_monitoring([gauge("us", 0.0)]) as fake, pytest.raises(exceptions.InvalidArgument):
        listing(fake.client(), filter=text)


def test_alignment_rules() -> None:
    with serve_monitoring([gauge("us", 0.0)]) as fake:
        client = fake.client()
        short = {"alignment_period": {"seconds": 30}, "per_series_aligner": 12}
        with pytest.raises(exceptions.InvalidArgument, match="60 seconds"):
            listing(client, aggregation=short)
        rate_on_gauge = {"alignment_period": {"seconds": 60}, "per_series_aligner": 2}
        with pytest.raises(exceptions.InvalidArgument, match="GAUGE"):
            listing(client, aggregation=rate_on_gauge)

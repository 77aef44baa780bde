"""Source `gcp` through the real MetricServiceClient against the fake MetricService."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pandas as pd
import pytest

from ioncli.config import Settings
from ioncli.errors import ConfigError, SourceError
from ioncli.frame import MetricFrame
from ioncli.gcp import build_client
from ioncli.sources import FetchRequest
from ioncli.sources.cache import QueryCache
from ioncli.sources.cloud_monitoring import CloudMonitoringSource
from ioncli.sources.sim import simulate
from tests.fakes.monitoring import FakeSeries, Fault, RunningFake, serve_monitoring
from tests.fakes.monitoring_fleet import fleet_series
from tests.helpers import free_port

END = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
START = END - timedelta(hours=3)
SETTINGS = Settings(project="demo")


@pytest.fixture(scope="module")
def sim() -> MetricFrame:
    return simulate(START - timedelta(hours=1), END + timedelta(hours=1))


@pytest.fixture(scope="module")
def series(sim: MetricFrame) -> list[FakeSeries]:
    return fleet_series(sim)


@pytest.fixture
def fake(series: list[FakeSeries]) -> Iterator[RunningFake]:
    with serve_monitoring(series) as running:
        yield running


def source(fake: RunningFake, **kw: Any) -> CloudMonitoringSource:
    kw.setdefault("progress", False)
    kw.setdefault("sleep", lambda _s: None)
    return CloudMonitoringSource(fake.client(), kw.pop("settings", SETTINGS), **kw)


def request(**kw: Any) -> FetchRequest:
    return FetchRequest(start=kw.pop("start", START), end=kw.pop("end", END), **kw)


def test_the_catalog_comes_back_as_the_simulator_made_it(
    fake: RunningFake, sim: MetricFrame
) -> None:
    frame = source(fake).fetch(request())
    assert frame.data.shape == (180, 75) and not frame.warnings
    assert frame.data.index[0] == pd.Timestamp(START) and frame.data.index[-1] == pd.Timestamp(
        END - timedelta(minutes=1)
    )
    expected = sim.data.loc[frame.data.index, frame.data.columns]
    # Exact where Cloud Monitoring stores the numbers themselves (rates, gauges, counters);
    # within a histogram bucket (8%) where a percentile comes from a distribution.
    bucketed = ("startup", "max_concurrency", "pipeline")
    for column in frame.data.columns:
        got, want = frame.data[column].to_numpy(), expected[column].to_numpy()
        rel = 0.09 if column.startswith(bucketed) else 0.002
        if column.startswith("latency"):
            # Whole requests in 8% buckets: a quiet minute's p99 rests on two requests.
            error = np.abs(got - want) / want
            assert np.median(error) < 0.05 and error.max() < 0.25, column
        elif column.startswith("request_rate"):
            # Six INT64 counts a minute (3 classes x 2 revisions), each rounded.
            assert np.nanmax(np.abs(got - want)) <= 6 * 0.5 / 60, column
        elif column.startswith(("error_ratio", "availability")):
            # INT64 counts: each revision rounds half an error per minute.
            rate = expected[column.replace(column.split("{")[0], "request_rate")].to_numpy()
            assert (np.abs(got - want) <= 1.0 / (rate * 60) + 1e-9).all(), column
        elif column.startswith(("cpu", "memory")):
            assert np.nanmax(np.abs(got - want)) <= 0.0051, column  # 0.005-wide buckets
        else:
            assert np.allclose(got, want, rtol=rel, atol=1e-9), column
    assert frame.unit("latency_p95{region=us-central1}") == "ms"


def test_interval_is_shifted_so_points_land_on_the_window(fake: RunningFake) -> None:
    src = source(fake)
    src.fetch(request(metrics=("request_rate",)))
    (call,) = fake.service.calls
    assert call.start == int(START.timestamp()) - 60
    assert call.end == int(END.timestamp()) - 60
    assert 'resource.labels.service_name = "ion-mentoring"' in call.filter


def test_ratios_share_their_denominator_query(fake: RunningFake) -> None:
    frame = source(fake).fetch(request(metrics=("error_ratio_5xx", "availability", "request_rate")))
    assert len(fake.service.calls) == 2
    five = frame.data["error_ratio_5xx{region=europe-west1}"]
    avail = frame.data["availability{region=europe-west1}"]
    assert np.allclose(five + avail, 1.0)


def test_paging_gives_the_same_frame(fake: RunningFake) -> None:
    whole = source(fake).fetch(request(metrics=("latency_p95", "request_rate")))
    calls = len(fake.service.calls)
    paged = source(fake, page_size=100).fetch(request(metrics=("latency_p95", "request_rate")))
    pd.testing.assert_frame_equal(whole.data, paged.data)
    tokens = [c.page_token for c in fake.service.calls[calls:]]
    assert len(tokens) > 2 * 5 and sum(1 for t in tokens if t) >= 8


def test_regions_are_filtered_on_the_server(fake: RunningFake) -> None:
    frame = source(fake).fetch(
        request(metrics=("request_rate", "replica_lag"), regions=("asia-southeast1",))
    )
    assert sorted(frame.data.columns) == [
        "replica_lag{region=asia-southeast1}",
        "request_rate{region=asia-southeast1}",
    ]
    filters = sorted(c.filter for c in fake.service.calls)
    assert 'resource.labels.location = one_of("asia-southeast1")' in filters[1]
    assert 'resource.labels.region = one_of("asia-southeast1")' in filters[0]


def test_retries_with_backoff_and_jitter(fake: RunningFake) -> None:
    fake.service.faults = [
        Fault(grpc.StatusCode.UNAVAILABLE, times=2, match="request_latencies"),
        Fault(grpc.StatusCode.RESOURCE_EXHAUSTED, times=1, match="instance_count"),
    ]
    sleeps: list[float] = []
    src = source(fake, sleep=sleeps.append, backoff=0.5, max_backoff=8.0)
    frame = src.fetch(request(metrics=("latency_p95", "instances_active")))
    assert not frame.warnings and frame.data.shape[1] == 6
    assert src.stats.retries == 3 and len(sleeps) == 3
    assert all(0 <= s <= 1.0 for s in sleeps)  # first two retries: caps 0.5 s and 1 s


def test_a_query_that_keeps_failing_is_a_reported_partial_result(fake: RunningFake) -> None:
    fake.service.faults = [Fault(grpc.StatusCode.UNAVAILABLE, times=99, match="request_latencies")]
    src = source(fake, attempts=3)
    frame = src.fetch(request(metrics=("latency_p95", "latency_p50", "request_rate")))
    assert {k.metric for k in frame.series} == {"request_rate"}
    assert len(frame.warnings) == 2  # p50 and p95 are two calls (different reducers)
    assert frame.warnings and "latency_p95" in " ".join(frame.warnings)
    assert "UNAVAILABLE after 3 attempts" in frame.warnings[0]


def test_everything_failing_is_a_source_error(fake: RunningFake) -> None:
    fake.service.faults = [Fault(grpc.StatusCode.DEADLINE_EXCEEDED, times=99)]
    with pytest.raises(SourceError, match="DEADLINE_EXCEEDED"):
        source(fake, attempts=2).fetch(request(metrics=("request_rate",)))


def test_unreachable_server_is_a_source_error() -> None:
    from google.cloud import monitoring_v3
    from google.cloud.monitoring_v3.services.metric_service.transports import (
        MetricServiceGrpcTransport,
    )

    client = build_client(
        monitoring_v3.MetricServiceClient, MetricServiceGrpcTransport, f"127.0.0.1:{free_port()}"
    )
    src = CloudMonitoringSource(
        client, SETTINGS, attempts=2, timeout=2, sleep=lambda _s: None, progress=False
    )
    with pytest.raises(SourceError, match="unreachable or failing"):
        src.fetch(request(metrics=("request_rate",)))


def test_a_rejected_query_stops_the_pull(fake: RunningFake) -> None:
    # ALIGN_RATE on a GAUGE is rejected by Cloud Monitoring (and by the fake).
    settings = Settings(project="demo", metrics={"replica_lag": {"aligner": "ALIGN_RATE"}})
    with pytest.raises(SourceError, match=r"rejected the query.*INVALID_ARGUMENT"):
        source(fake, settings=settings).fetch(request(metrics=("replica_lag",)))


def test_a_malformed_filter_in_config_is_a_configuration_error(tmp_path: Path) -> None:
    from ioncli.sources.catalog import catalog

    settings = Settings(
        project="demo",
        metrics={"request_rate": {"filter": 'metric.labels.x = "a'}},
        source_file=str(tmp_path / "ion.toml"),
    )
    with pytest.raises(ConfigError, match=r"ion.toml: key 'metrics.request_rate.filter'"):
        catalog(settings)


def test_queries_run_concurrently_but_bounded(series: list[FakeSeries]) -> None:
    with serve_monitoring(series, latency=0.05) as fake:
        source(fake, max_workers=4).fetch(request())
        assert fake.service.max_in_flight == 4
        assert len(fake.service.calls) == 27


def test_distributions_are_turned_into_percentiles_locally(fake: RunningFake) -> None:
    server = source(fake).fetch(request(metrics=("latency_p95",)))
    settings = Settings(
        project="demo",
        metrics={"latency_p95": {"reducer": "REDUCE_SUM", "percentile": 95}},
    )
    local = source(fake, settings=settings).fetch(request(metrics=("latency_p95",)))
    pd.testing.assert_frame_equal(server.data, local.data, rtol=1e-6)


def test_proto_plus_decoding_gives_the_same_numbers(fake: RunningFake) -> None:
    metrics = ("latency_p99", "request_rate", "instances_idle")
    raw = source(fake).fetch(request(metrics=metrics))
    slow = source(fake, decode="proto-plus").fetch(request(metrics=metrics))
    pd.testing.assert_frame_equal(raw.data, slow.data)


def test_cache_serves_repeats_and_asks_only_for_what_is_new(
    fake: RunningFake, tmp_path: Path
) -> None:
    cache = QueryCache(tmp_path)
    first = source(fake, cache=cache).fetch(request(metrics=("request_rate", "error_ratio_5xx")))
    assert len(fake.service.calls) == 2
    again = source(fake, cache=cache).fetch(request(metrics=("request_rate", "error_ratio_5xx")))
    assert len(fake.service.calls) == 2
    pd.testing.assert_frame_equal(first.data, again.data)
    later = END + timedelta(minutes=30)
    newer = source(fake, cache=cache).fetch(
        request(
            metrics=("request_rate", "error_ratio_5xx"),
            start=START + timedelta(minutes=30),
            end=later,
        )
    )
    new_calls = fake.service.calls[2:]
    assert len(new_calls) == 2
    assert {(c.start, c.end) for c in new_calls} == {
        (int(END.timestamp()) - 60, int(later.timestamp()) - 60)
    }
    assert len(newer.data) == 180
    pd.testing.assert_frame_equal(
        newer.data.loc[: END - timedelta(minutes=1)],
        first.data.loc[START + timedelta(minutes=30) :],
    )


def test_missing_project_is_a_configuration_error(fake: RunningFake) -> None:
    with pytest.raises(ConfigError, match="project"):
        source(fake, settings=Settings()).fetch(request())


def test_the_default_window_ends_before_the_data_lag(fake: RunningFake) -> None:
    from ioncli.commands._source import load_frame

    now = END + timedelta(minutes=2, seconds=30)
    frame = load_frame(
        SETTINGS, "gcp", "30m", None, None, ["request_rate"], now=now, client=fake.client()
    )
    # now - 4 min = 17:58:30, floored to the step: the window is [17:28, 17:58).
    assert frame.data.index[0] == pd.Timestamp("2026-11-28T17:28:00Z")
    assert frame.data.index[-1] == pd.Timestamp("2026-11-28T17:57:00Z")


def test_a_progress_bar_does_not_change_the_result(fake: RunningFake) -> None:
    quiet = source(fake).fetch(request(metrics=("request_rate",)))
    shown = source(fake, progress=True).fetch(request(metrics=("request_rate",)))
    pd.testing.assert_frame_equal(quiet.data, shown.data)


def test_an_until_in_the_future_stops_at_the_data_lag(fake: RunningFake) -> None:
    from ioncli.commands._source import load_frame

    now = END + timedelta(minutes=2, seconds=30)
    frame = load_frame(
        SETTINGS, "gcp", "2026-11-28T17:30:00Z", "2026-11-28T19:00:00Z", None, ["request_rate"],
        now=now, client=fake.client(),
    )  # fmt: skip
    assert frame.data.index[-1] == pd.Timestamp("2026-11-28T17:57:00Z")

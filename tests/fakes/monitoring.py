"""A fake Cloud Monitoring MetricService, served over gRPC on 127.0.0.1 for the real client.

It implements what ion relies on, with the library's own message types: ListTimeSeries with
filter matching (metric.type, resource.type, resource and metric labels; `=`, `!=`,
one_of, starts_with; AND), the interval (start, end] with points newest first, the aligners
and reducers the catalog uses (including percentiles of distributions), group-by,
page_size and page tokens, and injectable faults and latency.

    with serve_monitoring(series) as fake:
        client = fake.client()            # a real MetricServiceClient on an insecure channel
        ... or set ION_MONITORING_EMULATOR_HOST=fake.address and run `ion ...`

`tests.fakes.monitoring_fleet.fleet_series(frame)` turns a simulated frame into the raw
series Cloud Run and Managed Service for Prometheus would store.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
import numpy as np
from google.cloud.monitoring_v3.types import metric_service

from tests.fakes.monitoring_query import KIND, VALUE, FakeSeries, Out, query

__all__ = ["FakeMetricService", "FakeSeries", "Fault", "RunningFake", "serve_monitoring"]

METHOD = "google.monitoring.v3.MetricService"
MAX_PAGE = 100_000


@dataclass
class Fault:
    """Fail the next `times` calls whose filter contains `match` with `code`."""

    code: grpc.StatusCode
    times: int = 1
    match: str = ""
    message: str = "injected fault"


@dataclass
class Call:
    filter: str
    start: int
    end: int
    page_token: str
    aligner: int
    reducer: int


@dataclass
class FakeMetricService:
    series: list[FakeSeries]
    latency: float = 0.0
    faults: list[Fault] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    max_in_flight: int = 0  # how many calls overlapped at most (concurrency checks)
    # Aggregated results by request (without the page token) and serialized pages, so paging
    # and repeated benchmark pulls measure the client, not the fake's Python loops.
    _results: dict[bytes, list[Any]] = field(default_factory=dict)
    _pages: dict[tuple[bytes, str, int], bytes] = field(default_factory=dict)

    def list_time_series(self, raw: bytes, context: grpc.ServicerContext) -> bytes:
        request = metric_service.ListTimeSeriesRequest.deserialize(raw)
        pb = request._pb
        with self.lock:
            self.calls.append(
                Call(
                    pb.filter,
                    pb.interval.start_time.seconds,
                    pb.interval.end_time.seconds,
                    pb.page_token,
                    pb.aggregation.per_series_aligner,
                    pb.aggregation.cross_series_reducer,
                )
            )
            fault = next((f for f in self.faults if f.times > 0 and f.match in pb.filter), None)
            if fault is not None:
                fault.times -= 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
            if fault is not None:
                context.abort(fault.code, fault.message)
            try:
                return self._page_for(pb)
            except ValueError as exc:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        finally:
            with self.lock:
                self.in_flight -= 1

    def _page_for(self, pb: Any) -> bytes:
        copy = type(pb)()
        copy.CopyFrom(pb)
        copy.page_token = ""
        copy.page_size = 0
        key = copy.SerializeToString(deterministic=True)
        page_key = (key, pb.page_token, pb.page_size)
        with self.lock:
            results = self._results.get(key)
            page = self._pages.get(page_key)
        if page is not None:
            return page
        if results is None:
            results = query(self.series, pb)
        page = _page(results, pb.page_token, pb.page_size or MAX_PAGE)
        with self.lock:
            self._results[key] = results
            self._pages[page_key] = page
        return page


# ---- responses -------------------------------------------------------------------------------


def _page(results: list[Out], token: str, page_size: int) -> bytes:
    """One page of points (newest first); a series may continue on the next page."""
    from google.cloud.monitoring_v3.types import metric_service as ms

    try:
        series_index, point_index = (int(x) for x in token.split(":")) if token else (0, 0)
    except ValueError:
        series_index, point_index = -1, 0
    response = ms.ListTimeSeriesResponse()._pb
    if series_index < 0 or series_index > len(results):
        raise ValueError("invalid page token")
    budget = min(page_size, MAX_PAGE)
    while series_index < len(results) and budget > 0:
        out = results[series_index]
        n = len(out.times)
        take = min(budget, n - point_index)
        ts = response.time_series.add()
        ts.metric.type = out.metric_type
        ts.metric.labels.update(out.metric_labels)
        ts.resource.type = out.resource_type
        ts.resource.labels.update(out.resource_labels)
        ts.metric_kind = out.kind
        ts.value_type = out.value_type
        # Newest first: position p counts from the newest point.
        newest = n - 1 - point_index
        for j in range(newest, newest - take, -1):
            point = ts.points.add()
            point.interval.end_time.seconds = int(out.times[j])
            if out.kind != KIND["GAUGE"]:
                point.interval.start_time.seconds = int(out.times[j]) - 60
            if out.value_type == VALUE["DISTRIBUTION"]:
                counts = out.values[j]
                dist = point.value.distribution_value
                total = int(np.rint(counts).sum())
                dist.count = total
                if total and out.sums is not None:
                    dist.mean = float(out.sums[j]) / total
                assert out.bounds is not None
                dist.bucket_options.explicit_buckets.bounds.extend(out.bounds.tolist())
                dist.bucket_counts.extend(np.rint(counts).astype(np.int64).tolist())
            elif out.value_type == VALUE["INT64"]:
                point.value.int64_value = int(out.values[j])
            else:
                point.value.double_value = float(out.values[j])
        budget -= take
        point_index += take
        if point_index >= n:
            series_index, point_index = series_index + 1, 0
    if series_index < len(results):
        response.next_page_token = f"{series_index}:{point_index}"
    return response.SerializeToString()


# ---- the server ------------------------------------------------------------------------------


@dataclass
class RunningFake:
    address: str
    service: FakeMetricService
    server: grpc.Server

    def client(self) -> Any:
        """A real MetricServiceClient bound to this fake over plaintext gRPC."""
        from google.cloud import monitoring_v3
        from google.cloud.monitoring_v3.services.metric_service.transports import (
            MetricServiceGrpcTransport,
        )

        from ioncli.gcp import build_client

        return build_client(
            monitoring_v3.MetricServiceClient, MetricServiceGrpcTransport, self.address
        )


@contextmanager
def serve_monitoring(
    series: list[FakeSeries], *, latency: float = 0.0, faults: list[Fault] | None = None
) -> Iterator[RunningFake]:
    """Start the fake on 127.0.0.1 (a free port) and stop it afterwards."""
    service = FakeMetricService(series, latency=latency, faults=list(faults or []))
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=32),
        options=[("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)],
    )
    handler = grpc.method_handlers_generic_handler(
        METHOD, {"ListTimeSeries": grpc.unary_unary_rpc_method_handler(service.list_time_series)}
    )
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield RunningFake(f"127.0.0.1:{port}", service, server)
    finally:
        server.stop(grace=None)

"""Source `local` against a small HTTP server that speaks the history endpoint's contract."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from ioncli.commands._source import load_frame
from ioncli.config import Settings
from ioncli.errors import SourceError
from ioncli.sources import FetchRequest
from ioncli.sources.local import LocalSource
from tests.helpers import free_port

NOW = datetime(2026, 11, 28, 18, 0, 30, tzinfo=UTC)
START = datetime(2026, 11, 28, 17, 58, tzinfo=UTC)


def body() -> dict[str, Any]:
    def stamp(i: int) -> str:
        return (START + timedelta(seconds=10 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")

    latency = [[stamp(i), 10.0 + i] for i in range(12)]
    latency[3][1] = None  # a gap
    return {
        "schema_version": 1,
        "service": "ion-mentoring",
        "step_seconds": 10,
        "series": [
            {
                "metric": "latency_p95",
                "labels": {"region": "local"},
                "unit": "ms",
                "points": latency,
            },
            {
                "metric": "request_rate",
                "labels": {"region": "local"},
                "unit": "req/s",
                "points": [[stamp(i), float(i)] for i in range(12)],
            },
            {
                "metric": "pipeline_latency_p95",
                "labels": {"region": "local", "endpoint": "/api/v2/process"},
                "unit": "ms",
                "points": [[stamp(0), 5.0], [stamp(0), 6.0], [stamp(1), 7.0]],
            },
        ],
    }


class Handler(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, list[str]]]] = []
    status = 200

    def do_GET(self) -> None:
        url = urlparse(self.path)
        Handler.seen.append({"path": [url.path], **parse_qs(url.query)})
        payload = json.dumps(body() if Handler.status == 200 else {"error": {"message": "boom"}})
        self.send_response(Handler.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload.encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Handler.seen, Handler.status = [], 200
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_history_becomes_a_frame(server: str) -> None:
    src = LocalSource(server, "ion-mentoring")
    frame = src.fetch(FetchRequest(start=START, end=START + timedelta(minutes=2), step_seconds=10))
    assert frame.step_seconds == 10 and frame.source == "local"
    assert sorted(frame.data.columns) == [
        "latency_p95{region=local}",
        "pipeline_latency_p95{endpoint=/api/v2/process,region=local}",
        "request_rate{region=local}",
    ]
    latency = frame.data["latency_p95{region=local}"]
    assert np.isnan(latency.iloc[3]) and latency.iloc[4] == 14.0  # a gap stays a gap
    pipeline = frame.data["pipeline_latency_p95{endpoint=/api/v2/process,region=local}"]
    assert pipeline.iloc[0] == 6.0  # a duplicate timestamp keeps the last value
    assert frame.unit("request_rate{region=local}") == "req/s"
    (query,) = Handler.seen
    assert query["path"] == ["/api/v2/metrics/history"]
    assert query["since"] == ["2026-11-28T17:58:00Z"]
    assert query["until"] == ["2026-11-28T18:00:00Z"]
    assert query["step"] == ["10"]


def test_a_coarser_step_is_resampled_worst_for_percentiles(server: str) -> None:
    frame = LocalSource(server, "s").fetch(
        FetchRequest(start=START, end=START + timedelta(minutes=2), step_seconds=60)
    )
    assert frame.step_seconds == 60 and len(frame.data) == 2
    assert frame.data["latency_p95{region=local}"].iloc[0] == 15.0  # max of 10..15 (one gap)
    assert frame.data["request_rate{region=local}"].iloc[1] == pytest.approx(8.5)  # mean 6..11


def test_local_is_the_default_source(server: str) -> None:
    settings = Settings(local_url=server)
    frame = load_frame(settings, None, "2m", None, "10s", metrics=["request_rate"], now=NOW)
    assert list(frame.data.columns) == ["request_rate{region=local}"]


def test_unreachable_service_says_how_to_start_it() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(SourceError, match=rf"{url}.*start it with `ion serve`"):
        LocalSource(url, "s").fetch(FetchRequest(start=START, end=NOW))


def test_an_error_answer_is_a_source_error(server: str) -> None:
    Handler.status = 500
    with pytest.raises(SourceError, match="HTTP 500: boom"):
        LocalSource(server, "s").fetch(FetchRequest(start=START, end=NOW))


def test_local_url_follows_a_moved_serve_port() -> None:
    import dataclasses

    from ioncli.config import ServeSettings
    from ioncli.sources import local_url

    assert local_url(Settings()) == "http://127.0.0.1:8080"
    moved = dataclasses.replace(Settings(), serve=ServeSettings(port=9001))
    assert local_url(moved) == "http://127.0.0.1:9001"
    cloud = dataclasses.replace(Settings(), serve=ServeSettings(host="0.0.0.0", port=8081))
    assert local_url(cloud) == "http://127.0.0.1:8081"
    explicit = dataclasses.replace(moved, local_url="http://box:1234")
    assert local_url(explicit) == "http://box:1234"

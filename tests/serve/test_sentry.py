"""Sentry, wired for real: sentry-sdk sends its envelopes to a fake ingest on 127.0.0.1."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ioncli.serve.sentry import cache_health
from ioncli.serve.state import Deps
from tests.serve.conftest import PROCESS_BODY, Factory, running

pytestmark = pytest.mark.anyio


@pytest.fixture
def ingest() -> Iterator[tuple[str, list[bytes]]]:
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return None

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            received.append(body)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://public@127.0.0.1:{server.server_address[1]}/1", received
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_cache_health_bands() -> None:
    assert [cache_health(x) for x in (0.9, 0.7, 0.5, 0.1)] == ["excellent", "good", "fair", "poor"]


async def test_events_reach_sentry_when_a_dsn_is_set(
    make_app: Factory, ingest: tuple[str, list[bytes]]
) -> None:
    import sentry_sdk

    dsn, received = ingest
    env = {"SENTRY_DSN": dsn, "SENTRY_EVENT_SAMPLE_RATE": "1"}
    app = make_app(Deps(environ=env))

    async def broken(request: object) -> object:
        raise RuntimeError("boom in a handler")

    app._exact["/api/v2/status"].methods["GET"] = broken  # type: ignore[assignment]
    try:
        async with running(app) as client:
            assert (await client.post("/api/v2/process", json=PROCESS_BODY)).status_code == 200
            assert (await client.get("/api/v2/status")).status_code == 500
            health = (await client.get("/api/v2/health")).json()
        assert health["dependencies"]["sentry"] == "enabled"
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init(dsn=None, release="none")  # a release given: no `git rev-parse` process
    blob = b"\n".join(received)
    assert b"Persona process: Elro" in blob
    assert b'"event_type":"persona_event"' in blob.replace(b" ", b"")
    assert b"Routing decision: Elro" in blob
    assert b"boom in a handler" in blob  # the exception, with its traceback
    assert b"GET /api/v2/status" in blob  # the failed request's performance_event

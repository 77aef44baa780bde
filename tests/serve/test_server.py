"""The real thing: `ion serve` as a process on a free loopback port, as a user runs it."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ioncli.sources import FetchRequest
from ioncli.sources.local import LocalSource
from tests.helpers import free_port, ion_executable
from tests.mentoring.fake_openai import fake_chat_server
from tests.serve.conftest import PROCESS_BODY
from tests.serve.redis_server import RedisServer

pytestmark = pytest.mark.slow


@contextmanager
def ion_serve(
    *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    proc = subprocess.Popen(
        [*ion_executable(), "serve", "--port", str(port), *args],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/api/v2/health", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"ion serve did not start: {proc.communicate()}")
            time.sleep(0.05)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_serves_prints_where_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite3"
    with ion_serve("--history", str(history)) as (url, proc):
        r = httpx.post(f"{url}/api/v2/process", json=PROCESS_BODY)
        assert r.status_code == 200 and r.headers["x-cache"] == "MISS"
        assert httpx.post(f"{url}/api/v2/process", json=PROCESS_BODY).headers["x-cache"] == "HIT"
        bad = httpx.post(f"{url}/api/v2/process", content=b"\xff\xfe{")
        assert bad.status_code == 400 and bad.json()["success"] is False
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert f"listening on {url}" in out
    with sqlite3.connect(history) as db:  # the last sample was written on the way out
        rows = db.execute(
            "SELECT value FROM samples WHERE metric = 'persona_share_elro'"
        ).fetchall()
    assert rows
    # A restarted service serves what the first one sampled, and the `local` source reads it.
    with ion_serve("--history", str(history)) as (url, _):
        now = datetime.now(UTC)
        request = FetchRequest(
            start=now - timedelta(hours=1), end=now + timedelta(minutes=1), step_seconds=10
        )
        frame = LocalSource(url, "ion-mentoring").fetch(request)
    assert "request_rate" in frame.metrics()
    assert frame.select("persona_share_elro").iloc[:, 0].dropna().iloc[-1] == 1.0


def until(condition: Callable[[], bool], within: float = 15.0) -> None:
    """Wait (polling every 50 ms) until `condition()` holds; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the server"
        time.sleep(0.05)


def until_json(url: str, condition: Callable[[Any], bool], within: float = 15.0) -> Any:
    """GET `url` every 50 ms until its JSON satisfies `condition`; that JSON (the last one,
    which then fails the test's own assertion, when `within` runs out)."""
    deadline = time.monotonic() + within
    while True:
        body = httpx.get(url).json()
        if condition(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def _l2_is(state: str) -> Callable[[Any], bool]:
    return lambda health: bool(health["dependencies"]["cache_l2"] == state)


def test_sigterm_lets_in_flight_requests_finish(tmp_path: Path) -> None:
    with fake_chat_server() as fake:
        fake.script.append(("sleep", 1.5))
        with ion_serve(
            "--no-history",
            "--responder-url", fake.url,
            "--responder-model", "slow-model",
        ) as (url, proc):  # fmt: skip
            result: dict[str, httpx.Response] = {}

            def call() -> None:
                result["r"] = httpx.post(
                    f"{url}/api/v2/process", json={"user_input": "take your time"}, timeout=10
                )

            worker = threading.Thread(target=call)
            worker.start()
            until(lambda: bool(fake.requests))  # the request is now waiting on the slow model
            proc.send_signal(signal.SIGTERM)
            worker.join(timeout=15)
            proc.wait(timeout=20)
    r = result["r"]
    assert r.status_code == 200
    assert r.json()["generated"] is True and r.json()["content"] == "answer from slow-model"
    assert proc.returncode == 0


def test_stopping_redis_under_load_fails_no_request(tmp_path: Path) -> None:
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    try:
        with ion_serve("--no-history", "--redis-url", redis_server.url) as (url, _proc):
            failures: list[str] = []
            codes: list[int] = []
            stop = threading.Event()

            def load(worker: int) -> None:
                with httpx.Client(timeout=5) as client:
                    i = 0
                    while not stop.is_set():
                        i += 1
                        body = {"user_input": f"load {worker}-{i % 300}"}  # hits and misses
                        try:
                            r = client.post(f"{url}/api/v2/process", json=body)
                            codes.append(r.status_code)
                        except httpx.HTTPError as exc:
                            failures.append(repr(exc))

            threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
            for t in threads:
                t.start()
            until(lambda: len(codes) > 100)
            redis_server.stop()
            # The service pings Redis every 2 s even when L1 answers everything.
            degraded = until_json(f"{url}/api/v2/health", _l2_is("degraded"))
            redis_server.start()
            recovered = until_json(f"{url}/api/v2/cache-stats", lambda s: s["l2"]["status"] == "ok")
            stop.set()
            for t in threads:
                t.join(timeout=10)
    finally:
        redis_server.stop()
    assert failures == []
    assert codes and set(codes) == {200}, json.dumps(sorted(set(codes)))
    assert len(codes) > 200
    assert degraded["dependencies"]["cache_l2"] == "degraded"
    assert recovered["l2"]["errors"] >= 1
    assert recovered["l2"]["status"] == "ok"


def test_sigterm_with_half_sent_requests_stops_within_cloud_runs_10_s(tmp_path: Path) -> None:
    import socket

    history = tmp_path / "history.sqlite3"
    with ion_serve("--history", str(history), "--warm-up", "10") as (url, proc):
        assert httpx.post(f"{url}/api/v2/process", json=PROCESS_BODY).status_code == 200
        port = int(url.rsplit(":", 1)[1])
        half_headers = socket.create_connection(("127.0.0.1", port))
        half_headers.sendall(b"POST /api/v2/process HTTP/1.1\r\nHost: x\r\n")
        half_body = socket.create_connection(("127.0.0.1", port))
        half_body.sendall(
            b"POST /api/v2/process HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"
        )
        time.sleep(0.3)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        took = time.monotonic() - started
        half_headers.close()
        half_body.close()
    print(f"stopped in {took:.2f} s")
    assert took < 10.0, f"stopping took {took:.1f} s"
    assert proc.returncode == 0
    with sqlite3.connect(history) as db:
        hot = db.execute("SELECT COUNT(*) FROM hot_entries").fetchone()[0]
        share = db.execute(
            "SELECT value FROM samples WHERE metric = 'persona_share_elro' AND value IS NOT NULL"
        ).fetchall()
    assert hot == 1 and share


def test_a_corrupt_history_file_is_named_moved_aside_and_replaced(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite3"
    history.write_bytes(b"definitely not sqlite " * 500)
    with ion_serve("--history", str(history)) as (url, proc):
        health = httpx.get(f"{url}/api/v2/health").json()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert health["dependencies"]["history"] == "ok"
    assert str(history) in err and "moved it to history.sqlite3.unusable-" in err
    assert list(tmp_path.glob("history.sqlite3.unusable-*"))

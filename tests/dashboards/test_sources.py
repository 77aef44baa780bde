"""`ion dashboard` on the sources other than files: Cloud Monitoring through the real client
against the fake MetricService on 127.0.0.1, a local `ion serve` history endpoint (a small
HTTP server on 127.0.0.1 speaking its contract), and the simulator."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import jsonschema
import pytest

from ioncli.cli import run
from ioncli.sources.sim import simulate
from tests.fakes.monitoring import RunningFake, serve_monitoring
from tests.fakes.monitoring_fleet import fleet_series
from tests.helpers import ROOT

END = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
START = END - timedelta(hours=2)
SCHEMA = json.loads((ROOT / "ioncli" / "schemas" / "dashboard.schema.json").read_text())


@pytest.fixture(scope="module")
def fake() -> Iterator[RunningFake]:
    sim = simulate(START - timedelta(minutes=10), END + timedelta(minutes=10))
    with serve_monitoring(fleet_series(sim)) as running:
        yield running


def test_gcp_through_the_real_client_and_the_fake_server(
    fake: RunningFake,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ION_MONITORING_EMULATOR_HOST", fake.address)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo")
    window = ["--since", START.isoformat(), "--until", END.isoformat()]
    code = run(["dashboard", "all", "--source", "gcp", *window, "-f", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    assert doc["source"].startswith("gcp")
    assert doc["counts"]["missing"] == 0
    assert doc["regions"] == ["asia-southeast1", "europe-west1", "us-central1"]
    assert fake.service.calls  # the pull really went through the server


def test_sim_with_a_region_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code = run(
        [
            "dashboard",
            "performance",
            "--source",
            "sim:3",
            "--since",
            "2h",
            "-r",
            "europe-west1",
            "-f",
            "json",
        ]
    )
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["source"] == "sim:3" and doc["simulated"] is True
    assert doc["regions"] == ["europe-west1"]


class _History(BaseHTTPRequestHandler):
    """The metric history endpoint of `ion serve`, with only what a local run records."""

    def do_GET(self) -> None:
        query = parse_qs(urlparse(self.path).query)
        until = datetime.fromisoformat(query["until"][0].replace("Z", "+00:00"))
        stamps = [
            (until - timedelta(minutes=30 - i)).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(30)
        ]
        values = {"latency_p95": 42.0, "request_rate": 3.0, "availability": 1.0}
        units = {"latency_p95": "ms", "request_rate": "req/s", "availability": "ratio"}
        payload = {
            "schema_version": 1,
            "service": "ion-mentoring",
            "step_seconds": 60,
            "series": [
                {
                    "metric": metric,
                    "labels": {"region": "local"},
                    "unit": units[metric],
                    "points": [[s, value] for s in stamps],
                }
                for metric, value in values.items()
            ],
        }
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def local_service() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _History)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_local_source_renders_what_it_has_and_marks_the_rest_missing(
    local_service: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ion.toml").write_text(f'local_url = "{local_service}"\n')
    code = run(["dashboard", "overview", "infrastructure", "--since", "1h", "-f", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    assert doc["source"].startswith("local")
    overview, infrastructure = doc["dashboards"]
    stats = {w["title"]: w["reading"] for w in overview["widgets"] if w["kind"] == "stat"}
    assert stats["Availability"]["value"] == 1.0 and stats["Availability"]["status"] == "ok"
    assert stats["Cache hit ratio"]["status"] == "missing"
    assert stats["Cache hit ratio"]["value"] is None
    cells = [
        c
        for w in infrastructure["widgets"]
        if w["kind"] == "table"
        for r in w["rows"]
        for c in r["cells"]
    ]
    assert cells and all(c["status"] == "missing" for c in cells)

"""`ion slo --source local`: availability from `ion serve`'s metric history (request rate and
5xx ratio); a latency objective is unsupported there, said once, not guessed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from ioncli.cli import run


class _History(BaseHTTPRequestHandler):
    """GET /api/v2/metrics/history as ion serve answers it: 30 one-minute points."""

    def do_GET(self) -> None:
        query = parse_qs(urlparse(self.path).query)
        until = datetime.fromisoformat(query["until"][0].replace("Z", "+00:00"))
        stamps = [
            (until - timedelta(minutes=30 - i)).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(30)
        ]
        errors = [0.01 if i in (10, 11) else 0.0 for i in range(30)]
        series = [
            ("request_rate", "req/s", [3.0] * 30),
            ("error_ratio_5xx", "ratio", errors),
            ("latency_p95", "ms", [42.0] * 30),
        ]
        payload = {
            "schema_version": 1,
            "service": "ion-mentoring",
            "step_seconds": 60,
            "series": [
                {
                    "metric": metric,
                    "labels": {"region": "local"},
                    "unit": unit,
                    "points": [[s, v] for s, v in zip(stamps, values, strict=True)],
                }
                for metric, unit, values in series
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
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _History)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ion.toml").write_text(
        f'local_url = "http://127.0.0.1:{server.server_address[1]}"\n\n'
        '[slo.availability]\nobjective = 99.9\nwindow = "1d"\n\n'
        '[slo.latency]\nsli = "latency"\nobjective = 99.0\nthreshold_ms = 200\n'
    )
    try:
        yield tmp_path
    finally:
        server.shutdown()
        server.server_close()


def test_availability_is_measured_and_latency_said_unsupported(
    local: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["slo", "--source", "local", "--since", "1h", "-f", "json", "-o", "o.json"]) == 0
    data = json.loads((local / "o.json").read_text())
    availability, latency = data["objectives"]
    scope = availability["scopes"][1]
    assert scope["scope"] == "local"
    assert scope["total_events"] == pytest.approx(30 * 180)  # 3 req/s, 30 minutes
    assert scope["bad_events"] == pytest.approx(2 * 1.8)  # 1% of 180, twice
    assert availability["partial"] is True
    assert latency["status"] == "unsupported"
    assert "keeps latency percentiles, not the distribution's buckets" in latency["note"]
    assert run(["slo", "--source", "local", "--since", "1h", "--slo", "latency"]) == 4
    assert "no objective can be measured" in capsys.readouterr().err

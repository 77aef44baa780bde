"""Reading a full metric history must not stall the service.

    python benchmarks/bench_serve_history.py [--days 8] [--record PATH]

Writes `--days` of 10-second samples for every catalog metric (what `ion serve` keeps at
its default retention: about 1.6 million rows) into a fresh history file, starts `ion serve`
on it, and while a client on another thread keeps sending `GET /api/v2/health` and cached
`POST /api/v2/process` requests (one at a time, latencies recorded), asks for:

- the whole range at `step=10` (over the point limit: must be a 422 that names the limit),
- the whole range at the finest step that fits the limit, one metric at a time and all,
- the whole range at `step=3600`.

Prints each read's time and status and the other requests' p50/p99/max during the reads
against a quiet baseline before them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

BODY = json.dumps(
    {
        "user_input": "How should I plan the release?",
        "resonance_key": {"tone": "calm", "pace": "medium", "intent": "planning"},
    }
).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fill(path: Path, days: float) -> int:
    from ioncli.serve.history import _SCHEMA, STEP_SECONDS, UNITS

    now = int(time.time()) // STEP_SECONDS * STEP_SECONDS
    start = now - int(days * 86400)
    names = [(m, "") for m in UNITS if m != "pipeline_latency_p95"]
    names += [("pipeline_latency_p95", e) for e in ("process", "recommend", "bulk-process")]
    db = sqlite3.connect(path)
    db.executescript(_SCHEMA)
    rows = 0
    with db:
        for metric, endpoint in names:
            db.executemany(
                "INSERT INTO samples VALUES (?, ?, ?, ?)",
                (
                    (metric, endpoint, ts, float(ts % 997) / 997.0)
                    for ts in range(start, now, STEP_SECONDS)
                ),
            )
            rows += (now - start) // STEP_SECONDS
    db.close()
    return rows


class Load(threading.Thread):
    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.stop = threading.Event()
        self.samples: list[tuple[float, float, int]] = []  # (when, seconds, status)

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        i = 0
        while not self.stop.is_set():
            i += 1
            started = time.perf_counter()
            if i % 2:
                conn.request("GET", "/api/v2/health")
            else:
                conn.request("POST", "/api/v2/process", BODY, {"content-type": "application/json"})
            response = conn.getresponse()
            response.read()
            took = time.perf_counter() - started
            self.samples.append((time.monotonic(), took, response.status))
            time.sleep(0.002)


def stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)]
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(p99 * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def main() -> None:  # noqa: PLR0915 (one linear script)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=float, default=8.0)
    parser.add_argument("--record", type=Path)
    args = parser.parse_args()
    load_avg = os.getloadavg()[0]
    folder = Path(tempfile.mkdtemp())
    history = folder / "history.sqlite3"
    t = time.perf_counter()
    rows = fill(history, args.days)
    print(f"wrote {rows:,} rows ({history.stat().st_size / 1e6:.0f} MB) in "
          f"{time.perf_counter() - t:.1f} s")  # fmt: skip
    port = free_port()
    script = Path(sys.executable).with_name("ion")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "ioncli"]
    proc = subprocess.Popen(
        [*command, "serve", "--port", str(port), "--history", str(history)],
        stdout=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("ion serve did not start") from None
                time.sleep(0.1)
        load = Load(port)
        load.start()
        time.sleep(3.0)
        quiet_until = time.monotonic()
        since = datetime.fromtimestamp(time.time() - args.days * 86400, UTC)
        since_text = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        reads = []
        windows: list[tuple[float, float]] = []
        for label, query in (
            ("all metrics, step=10 (over the limit)", f"since={since_text}&step=10"),
            ("all metrics, step=1000", f"since={since_text}&step=1000"),
            ("request_rate, step=40", f"since={since_text}&step=40&metric=request_rate"),
            ("all metrics, step=3600", f"since={since_text}&step=3600"),
        ):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            begin = time.monotonic()
            started = time.perf_counter()
            conn.request("GET", f"/api/v2/metrics/history?{query}")
            response = conn.getresponse()
            payload = response.read()
            took = time.perf_counter() - started
            windows.append((begin, time.monotonic()))
            message = ""
            if response.status != 200:
                message = json.loads(payload)["error"]["message"]
            reads.append(
                {
                    "read": label,
                    "status": response.status,
                    "seconds": round(took, 3),
                    "bytes": len(payload),
                    "message": message[:160],
                }
            )
            time.sleep(0.5)
        load.stop.set()
        load.join(5)
    finally:
        proc.terminate()
        proc.wait(15)
    baseline = [s for w, s, _ in load.samples if w < quiet_until]
    during = [s for w, s, _ in load.samples if any(a <= w <= b + 0.05 for a, b in windows)]
    result = {
        "rows": rows,
        "reads": reads,
        "other_requests_before": stats(baseline),
        "other_requests_during_reads": stats(during) if during else None,
        "other_5xx": sum(1 for _, _, code in load.samples if code >= 500),
    }
    print(json.dumps(result, indent=1))
    if args.record:
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        with args.record.open("a", encoding="utf-8") as fh:
            fh.write(
                f"\n### History reads on a full {args.days:g}-day history, {when}\n\n"
                f"`python benchmarks/bench_serve_history.py --days {args.days:g}` on "
                f"{platform.machine()}, {os.cpu_count()} cores, load average {load_avg:.1f} "
                f"(shared machine).\n\n```json\n{json.dumps(result, indent=1)}\n```\n"
            )


if __name__ == "__main__":
    main()

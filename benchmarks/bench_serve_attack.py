"""One hostile client against `ion serve`: thousands of half-sent requests, health probed.

    python benchmarks/bench_serve_attack.py [--connections 2500] [--duration 30]
        [--mode headers|body|both] [--record PATH]

Starts `ion serve` on a free loopback port. The attacker (127.0.0.1) keeps `--connections`
connections open, each holding half a request: `headers` sends a request line and some
headers but never the blank line that ends them; `body` sends complete headers with
`Content-Length: 4096` and 10 bytes of body. Whenever the server closes one, it reconnects at
once (a tighter loop than the ~70 reconnects a second that took the old server down). A
well-behaved client on another loopback address (127.0.0.2) meanwhile probes
`GET /api/v2/health` and sends `POST /api/v2/process` every 100 ms on fresh connections, each
with a 1 s timeout. `--mode unique` instead runs 8 keep-alive clients sending a new input
each time (every request a cache miss). Prints the probes' latencies, how many missed 1 s,
every 5xx, and how many attack connections the server closed (the header and body deadlines
at work).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
BODY = json.dumps(
    {
        "user_input": "How should I plan the release?",
        "resonance_key": {"tone": "calm", "pace": "medium", "intent": "planning"},
    }
).encode()
HALF_HEADERS = (
    b"POST /api/v2/process HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
)
HALF_BODY = (
    b"POST /api/v2/process HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: 4096\r\n\r\n" + b'{"user_inp'
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ion_command() -> list[str]:
    script = Path(sys.executable).with_name("ion")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ioncli"]


def wait_up(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"ion serve exited: {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("ion serve did not start")


class Attacker(threading.Thread):
    """Keeps `count` half-sent requests open from 127.0.0.1, reopening what gets closed."""

    def __init__(self, port: int, count: int, mode: str) -> None:
        super().__init__(daemon=True)
        self.port, self.count, self.mode = port, count, mode
        self.stop = threading.Event()
        self.opened = 0
        self.closed_by_server = 0
        self.answered = 0  # the server wrote something back (408/429 ...) before closing
        self.open_now = 0
        self.connect_errors = 0
        self.statuses: dict[int, int] = {}

    def _payload(self, n: int) -> bytes:
        if self.mode == "both":
            return HALF_HEADERS if n % 2 else HALF_BODY
        return HALF_HEADERS if self.mode == "headers" else HALF_BODY

    def _open(self, sel: selectors.BaseSelector) -> None:
        sock = socket.socket()
        sock.setblocking(False)
        try:
            sock.connect_ex(("127.0.0.1", self.port))
        except OSError:
            self.connect_errors += 1
            sock.close()
            return
        self.opened += 1
        sel.register(sock, selectors.EVENT_WRITE, [self._payload(self.opened), False])

    def run(self) -> None:
        sel = selectors.DefaultSelector()
        for _ in range(self.count):
            self._open(sel)
        while not self.stop.is_set():
            for key, events in sel.select(timeout=0.2):
                sock, state = key.fileobj, key.data
                assert isinstance(sock, socket.socket)
                if events & selectors.EVENT_WRITE and not state[1]:
                    try:
                        sock.send(state[0])
                        state[1] = True
                        sel.modify(sock, selectors.EVENT_READ, state)
                    except (BlockingIOError, InterruptedError):
                        pass
                    except OSError:
                        self.connect_errors += 1
                        sel.unregister(sock)
                        sock.close()
                        self._open(sel)
                    continue
                try:
                    data = sock.recv(4096)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if data:
                    self.answered += 1
                    if data.startswith(b"HTTP/1.1 "):
                        code = int(data[9:12])
                        self.statuses[code] = self.statuses.get(code, 0) + 1
                    continue
                self.closed_by_server += 1
                sel.unregister(sock)
                sock.close()
                self._open(sel)
            self.open_now = len(sel.get_map())
        for key in list(sel.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]


class UniqueLoad(threading.Thread):
    """`--mode unique`: keep-alive clients on 127.0.0.1 sending a never-repeated input each
    (every request misses the cache and runs the pipeline)."""

    def __init__(self, port: int, clients: int) -> None:
        super().__init__(daemon=True)
        self.port, self.clients = port, clients
        self.stop = threading.Event()
        self.statuses: dict[int, int] = {}
        self.errors = 0
        self.opened = self.closed_by_server = self.open_now = self.connect_errors = 0
        self.answered = 0

    def _client(self, n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        i = 0
        while not self.stop.is_set():
            i += 1
            body = json.dumps({"user_input": f"unique question {n}-{i} about my release plan"})
            try:
                conn.request("POST", "/api/v2/process", body, {"content-type": "application/json"})
                response = conn.getresponse()
                response.read()
                self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
            except OSError:
                self.errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def run(self) -> None:
        threads = [
            threading.Thread(target=self._client, args=(n,), daemon=True)
            for n in range(self.clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def probe(port: int, method: str, path: str, body: bytes | None) -> tuple[float, int | None]:
    """One request on a fresh connection from 127.0.0.2; (seconds, status or None)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=1.0, source_address=("127.0.0.2", 0)
    )
    try:
        headers = {"content-type": "application/json"} if body else {}
        conn.request(method, path, body=body, headers=headers)
        status = conn.getresponse().status
    except OSError:
        status = None
    finally:
        conn.close()
    return time.perf_counter() - started, status


def run(connections: int, duration: float, mode: str) -> dict[str, object]:
    port = free_port()
    history = Path(tempfile.mkdtemp()) / "history.sqlite3"
    proc = subprocess.Popen(
        [*ion_command(), "serve", "--port", str(port), "--history", str(history)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        wait_up(port, proc)
        attacker: Attacker | UniqueLoad = (
            UniqueLoad(port, 8) if mode == "unique" else Attacker(port, connections, mode)
        )
        attacker.start()
        time.sleep(2.0)  # let every attack connection land first
        health: list[float] = []
        process: list[float] = []
        failed: list[str] = []
        five_xx = 0
        end = time.monotonic() + duration
        while time.monotonic() < end:
            for kind, method, path, body in (
                ("health", "GET", "/api/v2/health", None),
                ("process", "POST", "/api/v2/process", BODY),
            ):
                took, status = probe(port, method, path, body)
                (health if kind == "health" else process).append(took)
                if status is None or took > 1.0:
                    failed.append(f"{kind}: {status} in {took:.2f} s")
                elif status >= 500:
                    five_xx += 1
                    failed.append(f"{kind}: {status}")
            time.sleep(0.1)
        attacker.stop.set()
        attacker.join(5)
        return {
            "mode": mode,
            "connections": connections,
            "duration_s": duration,
            "attack_opened": attacker.opened,
            "attack_closed_by_server": attacker.closed_by_server,
            "attack_answers": attacker.statuses,
            "attack_open_at_end": attacker.open_now,
            "attack_connect_errors": attacker.connect_errors,
            "unique_load_errors": getattr(attacker, "errors", None),
            "probes": len(health) + len(process),
            "health_p50_ms": round(statistics.median(health) * 1000, 1),
            "health_max_ms": round(max(health) * 1000, 1),
            "process_p50_ms": round(statistics.median(process) * 1000, 1),
            "process_max_ms": round(max(process) * 1000, 1),
            "probes_over_1s_or_failed": len(failed),
            "probe_5xx": five_xx,
            "examples": failed[:5],
        }
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=2500)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--mode", choices=("headers", "body", "both", "unique"), default="both")
    parser.add_argument("--record", type=Path, help="append a Markdown block to this file")
    args = parser.parse_args()
    load = os.getloadavg()
    result = run(args.connections, args.duration, args.mode)
    print(json.dumps(result, indent=1))
    if args.record:
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        block = (
            f"\n### Half-open attack, {when}\n\n"
            f"`python benchmarks/bench_serve_attack.py --connections {args.connections} "
            f"--duration {args.duration:g} --mode {args.mode}` on {platform.machine()}, "
            f"{os.cpu_count()} cores, load average before {load[0]:.1f}.\n\n"
            f"```json\n{json.dumps(result, indent=1)}\n```\n"
        )
        with args.record.open("a", encoding="utf-8") as fh:
            fh.write(block)


if __name__ == "__main__":
    main()

"""Benchmark `ion serve` with wrk against a trivial ASGI app on the same server, same run.

    python benchmarks/bench_serve.py [--duration 10] [--long 60] [--record PATH]

Starts `ion serve` (embedded default: no Redis, history on) and a trivial plain ASGI app on
granian with the same settings, each on a free loopback port, then runs `wrk -t2 -c64` for:
cached POST /api/v2/process (one body), uncached (a Lua script makes every body unique),
GET /api/v2/health, and the trivial app's POST and GET. Prints req/s, p50, p99 and the
ion/trivial ratios, then records resident memory before and after a long unique-input run
(`--long` seconds) to show the memory bound. Needs `wrk` (Debian package) on PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent

TRIVIAL = """
import msgspec
BODY = b'{"success":true,"content":"ok"}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
async def app(scope, receive, send):
    if scope["type"] != "http":
        if scope["type"] == "lifespan":
            while True:
                m = await receive()
                await send({"type": m["type"] + ".complete"})
                if m["type"] == "lifespan.shutdown":
                    return
        return
    if scope["method"] == "POST":
        body = b""
        more = True
        while more:
            m = await receive()
            body += m.get("body", b"")
            more = m.get("more_body", False)
        msgspec.json.decode(body)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
import sys
from ioncli.serve.server import run
run(app, "127.0.0.1", int(sys.argv[1]))
"""

CACHED_BODY = (
    '{"user_input":"I keep getting stuck planning my project, how should I start?",'
    '"resonance_key":{"tone":"curious","pace":"flowing","intent":"planning"}}'
)
CACHED_LUA = f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{CACHED_BODY}'
"""

UNIQUE_LUA = r"""
local counter = 0
local tid = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  tid = wrk.thread:get("tid") or 0
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  local body = '{"user_input":"Message ' .. tid .. '-' .. counter ..
    ': how do I plan the next release with my team without burning out?"}'
  return wrk.format(nil, nil, nil, body)
end
"""

TRIVIAL_POST_LUA = CACHED_LUA  # the same request, so the two runs compare like with like


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(port: int, path: str, timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"server on port {port} did not become ready")


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (granian runs the app in a child)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children so far (clock ticks from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    total = 0
    for p in pids:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        return float("nan")
    return float(m.group(1)) * _UNITS[m.group(2)]


def wrk(url: str, lua: str, duration: int, connections: int = 64) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(lua)
        script = fh.name
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        Path(script).unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = int(errors.group(1)) if errors else 0
    failed += sum(int(x) for x in sock.groups()) if sock else 0
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {"rps": rps, "p50": p50, "p99": p99, "failed": failed, "requests": total}


def start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def record(
    args: argparse.Namespace,
    results: dict[str, dict[str, float]],
    ratios: dict[str, float],
    memory: str,
    ratios_cpu: str,
) -> None:
    """Append one dated Markdown block with the command, the machine and the numbers."""
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    lines = [
        f"## {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        "Command: `python benchmarks/bench_serve.py "
        f"--duration {args.duration} --rounds {args.rounds} --long {args.long}`",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}; wrk -t2 -c64 on the same machine; one granian worker; "
        f"offline responder; load average {load} at the end (other jobs share the box).",
        "",
        f"Median of {args.rounds} interleaved rounds of {args.duration} s each:",
        "",
        "| run | req/s | p50 ms | p99 ms | server CPU µs/request | failed |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['cpu_us']:.1f} "
            f"| {int(r['failed'])} |"
        )
    lines += [
        "",
        "ion/trivial by throughput: "
        + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items())
        + f"; by server CPU per request (trivial/ion, independent of other load): {ratios_cpu}.",
        f"Memory: {memory}.",
        "",
    ]
    with args.record.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def measure(
    runs: list[tuple[str, str, str]], pids: dict[str, int], duration: int, rounds: int
) -> dict[str, dict[str, float]]:
    """Run every workload once per round; the figures are the medians over the rounds.

    Rounds interleave ion and the trivial app, so a neighbour's load hits both alike.
    """
    samples: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in runs}
    for round_no in range(1, rounds + 1):
        for name, url, lua in runs:
            pid = pids[name.split()[0]]
            cpu_before = tree_cpu_seconds(pid)
            r = wrk(url, lua, duration)
            # CPU per request does not depend on what else the machine is doing.
            r["cpu_us"] = (tree_cpu_seconds(pid) - cpu_before) / max(1, r["requests"]) * 1e6
            samples[name].append(r)
            print(f"[{round_no}] {name:36s} {r['rps']:>9,.0f} req/s  p50 {r['p50']:6.2f} ms  "
                  f"p99 {r['p99']:6.2f} ms  {r['cpu_us']:5.1f} us CPU/req  "
                  f"failed {int(r['failed'])}", flush=True)  # fmt: skip
    results: dict[str, dict[str, float]] = {}
    for name, runs_of in samples.items():
        results[name] = {key: statistics.median(r[key] for r in runs_of) for key in runs_of[0]}
        results[name]["failed"] = sum(r["failed"] for r in runs_of)
    print("median of rounds:")
    for name, r in results.items():
        print(f"    {name:36s} {r['rps']:>9,.0f} req/s  p50 {r['p50']:6.2f} ms  "
              f"p99 {r['p99']:6.2f} ms  {r['cpu_us']:5.1f} us CPU/req")  # fmt: skip
    return results


def memory_run(pid: int, ion_url: str, seconds: int) -> str:
    """Resident memory before and after `seconds` of unique inputs: the cache must cap it."""
    rss_before = tree_rss_kib(pid)
    long_run = wrk(f"{ion_url}/api/v2/process", UNIQUE_LUA, seconds)
    rss_after = tree_rss_kib(pid)
    with urllib.request.urlopen(f"{ion_url}/api/v2/cache-stats") as r:
        l1 = json.load(r)["l1"]
    return (
        f"RSS {rss_before / 1024:.1f} MiB before, {rss_after / 1024:.1f} MiB after "
        f"{long_run['requests']:,} unique-input requests in {seconds} s "
        f"({long_run['rps']:,.0f} req/s, {int(long_run['failed'])} failed); "
        f"L1 holds {l1['size']} of {l1['max_size']} entries after {l1['evictions']:,} evictions"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median kept)")
    parser.add_argument("--long", type=int, default=60, help="seconds of unique-input load for RSS")
    parser.add_argument("--record", type=Path, help="append a Markdown result block to this file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian package wrk)", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="ion-bench-"))
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("PORT", None)
    ion_port, trivial_port = free_port(), free_port()
    ion = start(
        [sys.executable, "-m", "ioncli", "serve", "--port", str(ion_port),
         "--history", str(workdir / "history.sqlite3")],
        env,
    )  # fmt: skip
    trivial = start([sys.executable, "-c", TRIVIAL, str(trivial_port)], env)
    results: dict[str, dict[str, float]] = {}
    try:
        wait_ready(ion_port, "/api/v2/health")
        wait_ready(trivial_port, "/")
        ion_url = f"http://127.0.0.1:{ion_port}"
        triv_url = f"http://127.0.0.1:{trivial_port}"
        runs = [
            ("trivial POST", f"{triv_url}/api/v2/process", TRIVIAL_POST_LUA),
            ("ion cached POST /api/v2/process", f"{ion_url}/api/v2/process", CACHED_LUA),
            ("ion uncached POST /api/v2/process", f"{ion_url}/api/v2/process", UNIQUE_LUA),
            ("trivial GET", f"{triv_url}/", ""),
            ("ion GET /api/v2/health", f"{ion_url}/api/v2/health", ""),
        ]
        pids = {"ion": ion.pid, "trivial": trivial.pid}
        results = measure(runs, pids, args.duration, args.rounds)
        trivial_post = results["trivial POST"]["rps"]
        ratios = {
            "cached": results["ion cached POST /api/v2/process"]["rps"] / trivial_post,
            "uncached": results["ion uncached POST /api/v2/process"]["rps"] / trivial_post,
            "health": results["ion GET /api/v2/health"]["rps"] / results["trivial GET"]["rps"],
        }
        print("ratios ion/trivial: " + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items()))
        cpu_ratio = {
            "cached": results["trivial POST"]["cpu_us"]
            / results["ion cached POST /api/v2/process"]["cpu_us"],
            "health": results["trivial GET"]["cpu_us"]
            / results["ion GET /api/v2/health"]["cpu_us"],
        }
        ratios_cpu = ", ".join(f"{k} {v:.2f}" for k, v in cpu_ratio.items())
        print(f"ratios by server CPU per request (trivial/ion, load-independent): {ratios_cpu}")

        memory = memory_run(ion.pid, ion_url, args.long)
        print("memory: " + memory)
    finally:
        for proc in (ion, trivial):
            proc.terminate()
        for proc in (ion, trivial):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()

    if args.record:
        record(args, results, ratios, memory, ratios_cpu)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The point budget: how fast a too-big range is refused, and what a raised budget costs.

Usage: python benchmarks/bench_guards.py [--runs N] [--full]

Part 1 runs `ion dashboard --source sim --since 3650d` (refused: exit 2) next to
`ion --help`, interleaved N times, and prints the median wall time of each and their ratio.
Target (issue 13): the refusal in under 1 s.
Part 2 (`--full`) runs the same dashboard once with `--max-points 200000000` and prints its
wall time and peak resident memory (the child's ru_maxrss). Target: within 2 GB.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DECADE = ["dashboard", "--source", "sim", "--since", "3650d"]


def ion_command() -> list[str]:
    script = Path(sys.executable).with_name("ion")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ioncli"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--full", action="store_true", help="also run the raised budget")
    args = parser.parse_args()
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    work = tempfile.mkdtemp(prefix="ion-bench-guards-")
    commands = {
        "ion --help": [*ion_command(), "--help"],
        "refused 3650d": [*ion_command(), *DECADE],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, argv in commands.items():
            start = time.perf_counter()
            done = subprocess.run(argv, env=env, cwd=work, capture_output=True, check=False)
            times[name].append(time.perf_counter() - start)
            if name.startswith("refused") and done.returncode != 2:
                sys.exit(f"expected exit 2, got {done.returncode}: {done.stderr.decode()}")
    print(f"python {platform.python_version()}, {os.cpu_count()} cpus, load {os.getloadavg()}")
    base = statistics.median(times["ion --help"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:16} median {median * 1000:7.0f} ms  ({median / base:.2f}x ion --help)")
    if args.full:
        argv = [*ion_command(), *DECADE, "--max-points", "200000000", "-o", os.devnull]
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, cwd=work, capture_output=True, check=False)
        wall = time.perf_counter() - start
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(
            f"accepted 3650d with --max-points: exit {done.returncode}, {wall:.1f} s, "
            f"peak RSS {peak_kb / 1024 / 1024:.2f} GB, load after {os.getloadavg()}"
        )


if __name__ == "__main__":
    main()

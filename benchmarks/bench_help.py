"""How long `ion --help` takes, next to `python -c "import typer"`, measured in one run.

Usage: python benchmarks/bench_help.py [--runs N]

Runs each command N times, interleaved so that machine noise hits all of them alike, and
prints the median wall time of each and the ratio to the bare Typer import. Goal (foundation
issue): `ion --help` median <= 150 ms and <= 1.5x `import typer`.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path


def ion_command() -> list[str]:
    script = Path(sys.executable).with_name("ion")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ioncli"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    commands = {
        'python -c "import typer"': [sys.executable, "-c", "import typer"],
        "ion --help": [*ion_command(), "--help"],
        "ion dashboard --help": [*ion_command(), "dashboard", "--help"],
    }
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, argv in commands.items():
            start = time.perf_counter()
            subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times['python -c "import typer"'])
    print(
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {args.runs} runs each, interleaved"
    )
    print(f"{'command':<28} {'median ms':>10} {'min ms':>8} {'x typer':>8}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(
            f"{name:<28} {median * 1000:>10.1f} {min(samples) * 1000:>8.1f} {median / base:>8.2f}"
        )


if __name__ == "__main__":
    main()

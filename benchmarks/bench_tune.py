"""Speed of `ion tune-alerts` end to end: 75 series x 30 days at 1 minute from a Parquet file.

Writes the simulated fleet (3 regions x 25 metrics = 75 series, 43,200 points each, 3.24 M
points) to a Parquet file once, then runs the installed `ion tune-alerts --source file:...
--format json` several times and prints the wall time of each run (load, baselines, every
candidate kind tuned on a grid and backtested, report, baselines file). Also times the same
work in-process, split by stage, so a slow stage is visible.

    .venv/bin/python benchmarks/bench_tune.py [--days 30] [--runs 3] [--against DIR]

With `--against DIR` (a source tree of another commit, e.g. from `git archive REV | tar -x
-C DIR`), every run of this tree's `python -m ioncli tune-alerts` is paired with one of DIR's
on the same file, interleaved, and the medians and their ratio are printed: side by side on
a shared machine, the ratio is what to compare.

Goal (issue 5): at most 3 s wall on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--against", type=Path, default=None, help="another source tree")
    args = ap.parse_args()

    from ioncli.alerting.analysis import build_report
    from ioncli.alerting.render import render_json
    from ioncli.alerting.tune import TuneOptions
    from ioncli.frame import MetricFrame
    from ioncli.sources.catalog import DEFAULT_METRICS
    from ioncli.sources.sim import simulate

    end = datetime(2026, 3, 2, tzinfo=UTC)
    frame = simulate(end - timedelta(days=args.days), end, step_seconds=60)
    points = frame.data.shape[0] * frame.data.shape[1]
    print(f"frame: {frame.data.shape[1]} series x {frame.data.shape[0]} points = {points:,}")
    ion = Path(sys.executable).with_name("ion")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fleet.parquet"
        frame.to_parquet(path)
        print(f"parquet: {path.stat().st_size / 1e6:.1f} MB")

        if args.against is not None:
            return _side_by_side(path, Path(tmp), args.against.resolve(), args.runs)
        load0 = os.getloadavg()[0]
        walls, cpus = [], []
        for _ in range(args.runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            run = subprocess.run(
                [str(ion), "tune-alerts", "--source", f"file:{path}", "--format", "json"],
                cwd=tmp,
                capture_output=True,
                text=True,
                check=False,
            )
            walls.append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            if run.returncode != 0:
                print(run.stderr, file=sys.stderr)
                return 1
        print(
            "ion tune-alerts end to end: "
            + ", ".join(f"{w:.2f}s" for w in walls)
            + f" (median {statistics.median(walls):.2f}s, goal <= 3 s); CPU "
            + ", ".join(f"{c:.2f}s" for c in cpus)
            + f"; load average before/after {load0:.1f}/{os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} cores"
        )

        t0 = time.perf_counter()
        loaded = MetricFrame.from_parquet(path)
        t1 = time.perf_counter()
        directions = {s.name: s.bad_direction for s in DEFAULT_METRICS}
        report = build_report(loaded, TuneOptions(directions=directions), service="bench")
        t2 = time.perf_counter()
        text = render_json(report)
        t3 = time.perf_counter()
        kinds = {c.kind for s in report.series for c in s.candidates if c.available}
        print(
            f"in-process: load {t1 - t0:.2f}s, tune+backtest {t2 - t1:.2f}s "
            f"({len(report.series)} series x {len(kinds)} kinds), render {t3 - t2:.2f}s "
            f"({len(text) / 1e6:.1f} MB JSON)"
        )
    return 0


def _timed(tree: Path, path: Path, cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one `python -m ioncli tune-alerts` run from `tree`."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cmd = [sys.executable, "-m", "ioncli", "tune-alerts", "--source", f"file:{path}"]
    cmd += ["--format", "json", "--no-write"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    run = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode != 0:
        raise SystemExit(f"{tree}: exit {run.returncode}: {run.stderr[-400:]}")
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def _side_by_side(path: Path, cwd: Path, other: Path, runs: int) -> int:
    here = Path(__file__).resolve().parents[1]
    load0 = os.getloadavg()[0]
    times: dict[str, list[tuple[float, float]]] = {"other": [], "this": []}
    for _ in range(runs):
        times["other"].append(_timed(other, path, cwd))
        times["this"].append(_timed(here, path, cwd))
    med = {k: statistics.median(w for w, _ in v) for k, v in times.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in times.items()}
    for name, tree in (("other", other), ("this", here)):
        walls = ", ".join(f"{w:.2f}" for w, _ in times[name])
        print(
            f"{name:5} {tree}: wall {walls} s (median {med[name]:.2f}), "
            f"CPU median {cpu[name]:.2f} s"
        )
    print(
        f"this / other: wall {med['this'] / med['other']:.2f}, "
        f"CPU {cpu['this'] / cpu['other']:.2f}; load average before/after "
        f"{load0:.1f}/{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

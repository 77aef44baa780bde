"""Benchmark: all 5 dashboards in all 4 formats from 7 days x 75 series at 1 minute (Parquet).

Goal (issue 4): at most 1 s wall in total after start-up. Start-up (Python, pandas, pyarrow
imports) is timed separately, then each stage in-process, best of --repeat runs:

    .venv/bin/python benchmarks/bench_dashboard.py [--days 7] [--repeat 5] [--parquet FILE]

Without --parquet it writes the simulated fleet (sim:7, 75 series) to a temporary Parquet
file first. It also runs the installed `ion dashboard all` once per format as a user would
(start-up included) for context.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

T0 = time.perf_counter()
import pandas  # noqa: E402,F401  (start-up: what every run pays before any work)
import pyarrow.parquet  # noqa: E402,F401

from ioncli.commands._source import load_frame  # noqa: E402
from ioncli.config import Settings  # noqa: E402
from ioncli.dashboards import definitions  # noqa: E402
from ioncli.dashboards.analysis import build_report  # noqa: E402
from ioncli.dashboards.render import RENDERERS  # noqa: E402
from ioncli.render import render_plain  # noqa: E402
from ioncli.thresholds import default_thresholds  # noqa: E402

STARTUP = time.perf_counter() - T0


def stages(path: Path) -> dict[str, float]:
    timings: dict[str, float] = {}
    t = time.perf_counter()
    frame = load_frame(Settings(), f"file:{path}", None, None, None)
    timings["load parquet"] = time.perf_counter() - t
    t = time.perf_counter()
    report = build_report(
        frame,
        default_thresholds(),
        definitions.select(["all"]),
        service="ion-mentoring",
        generated_at=datetime.now(UTC),
    )
    timings["analysis (5 dashboards)"] = time.perf_counter() - t
    sizes = {}
    for name in ("text", "json", "markdown", "html"):
        t = time.perf_counter()
        out = getattr(RENDERERS, name)(report)
        text = out if isinstance(out, str) else render_plain(out, width=100)
        timings[f"render {name}"] = time.perf_counter() - t
        sizes[name] = len(text)
    timings["total"] = sum(timings.values())
    stages.sizes = sizes  # type: ignore[attr-defined]
    stages.shape = frame.data.shape  # type: ignore[attr-defined]
    return timings


def full_resolution(path: Path) -> tuple[float, float, int, int]:
    """Analysis + HTML at the chart resolution used vs every point: why charts downsample."""
    from ioncli.dashboards import analysis
    from ioncli.dashboards.render import render_html

    frame = load_frame(Settings(), f"file:{path}", None, None, None)
    out = []
    for points in (analysis.CHART_POINTS, 10**9):
        saved, analysis.CHART_POINTS = analysis.CHART_POINTS, points
        try:
            t = time.perf_counter()
            report = build_report(
                frame,
                default_thresholds(),
                definitions.select(["all"]),
                service="ion-mentoring",
                generated_at=datetime.now(UTC),
            )
            size = len(render_html(report))
            out.append((time.perf_counter() - t, size))
        finally:
            analysis.CHART_POINTS = saved
    return out[0][0], out[1][0], out[0][1], out[1][1]


def cli(path: Path, fmt: str) -> float:
    ion = Path(sys.executable).with_name("ion")
    t = time.perf_counter()
    subprocess.run(
        [str(ion), "dashboard", "all", "--source", f"file:{path}", "-f", fmt],
        check=True,
        capture_output=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "100"},
    )
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--parquet", type=Path, help="use this frame instead of the simulator")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.parquet
        if path is None:
            from ioncli.sources.sim import simulate

            end = datetime(2026, 11, 28, tzinfo=UTC)
            path = Path(tmp) / "fleet.parquet"
            simulate(end - timedelta(days=args.days), end).to_parquet(path)
        runs = [stages(path) for _ in range(args.repeat)]
        best = {k: min(r[k] for r in runs) for k in runs[0]}
        median = {k: sorted(r[k] for r in runs)[len(runs) // 2] for k in runs[0]}
        fast, slow, small, big = full_resolution(path)
        cli_runs = {
            fmt: min(cli(path, fmt) for _ in range(2))
            for fmt in ("text", "json", "markdown", "html")
        }
    rows, series = stages.shape  # type: ignore[attr-defined]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"frame: {rows:,} points x {series} series ({rows * series:,} values), {args.repeat} runs"
    )
    print(f"start-up (imports): {STARTUP * 1000:.0f} ms")
    print(f"{'stage':26} {'best ms':>9} {'median ms':>10}")
    for key, fastest in best.items():
        print(f"{key:26} {fastest * 1000:9.1f} {median[key] * 1000:10.1f}")
    goal = "met" if median["total"] <= 1.0 else "NOT met"
    print(f"goal <= 1000 ms after start-up: {goal}")
    sizes = stages.sizes  # type: ignore[attr-defined]
    print("output sizes (chars): " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    print(
        f"analysis + HTML, charts at {160} points vs every point: {fast * 1000:.0f} ms vs "
        f"{slow * 1000:.0f} ms ({slow / fast:.1f}x), {small:,} vs {big:,} chars "
        f"({big / small:.0f}x)"
    )
    print("installed `ion dashboard all -f FORMAT`, wall incl. start-up (best of 2):")
    for fmt, seconds in cli_runs.items():
        print(f"  {fmt:9} {seconds * 1000:7.0f} ms")


if __name__ == "__main__":
    main()

"""Where `ion tune-alerts` spends its time: CPU per phase and a cProfile of the tuning.

The same data as `bench_tune.py` (75 series x 30 days at 1 minute, through a Parquet file).
Series are tuned one after another here (the command uses a small thread pool), so the
profile sees the work itself rather than threads waiting for each other. CPU seconds
(`time.process_time`, also the profile's clock) are less disturbed by a busy machine than wall time.

    .venv/bin/python benchmarks/profile_tune.py [--days 30] [--top 25] [--no-profile]

Run it with `PYTHONPATH=<another tree>` to profile another commit the same way.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


class _Serial(AbstractContextManager["_Serial"]):
    """Stands in for the thread pool: the same calls, in order, on this thread."""

    def __init__(self, **_: Any) -> None:
        pass

    def __exit__(self, *_: object) -> None:
        return None

    def map(self, fn: Any, items: Any) -> Any:
        return map(fn, items)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--no-profile", action="store_true", help="phase CPU times only")
    args = ap.parse_args()

    c0 = time.process_time()
    from ioncli.alerting import tune, workers
    from ioncli.alerting.analysis import build_report
    from ioncli.alerting.render import render_json
    from ioncli.frame import MetricFrame
    from ioncli.sources.catalog import DEFAULT_METRICS
    from ioncli.sources.sim import simulate

    c1 = time.process_time()
    # One process, one thread: the profile sees the work, not workers waiting for it.
    workers.MIN_POINTS_TO_FORK = 10**18
    workers.ThreadPoolExecutor = _Serial  # type: ignore[assignment,misc]
    end = datetime(2026, 3, 2, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fleet.parquet"
        simulate(end - timedelta(days=args.days), end, step_seconds=60).to_parquet(path)
        c2 = time.process_time()
        frame = MetricFrame.from_parquet(path)
        c3 = time.process_time()
    directions = {s.name: s.bad_direction for s in DEFAULT_METRICS}
    options = tune.TuneOptions(directions=directions)
    profile = None if args.no_profile else cProfile.Profile(time.process_time)
    if profile is not None:
        profile.enable()
    report = build_report(frame, options, service="bench")
    if profile is not None:
        profile.disable()
    c4 = time.process_time()
    text = render_json(report)
    c5 = time.process_time()
    print(
        f"CPU s: imports {c1 - c0:.2f}, Parquet read {c3 - c2:.2f}, tune + backtest "
        f"{c4 - c3:.2f}{' (profiled)' if profile else ''} for {len(report.series)} series, "
        f"JSON {c5 - c4:.2f} ({len(text) / 1e6:.1f} MB)"
    )
    if profile is not None:
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats(os.environ.get("PROFILE_SORT", "tottime")).print_stats(args.top)
        lines = out.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if "ncalls" in line)
        here = str(Path(__file__).resolve().parents[1]) + "/"
        for line in lines[start:]:
            print(line.replace(str(Path(sys.prefix)), "<venv>").replace(here, ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Speed of `ion slo`'s analysis: 28 days x 3 regions at 1 minute, every window and rule.

Simulates the fleet's SLO inputs (request rate, 5xx ratio and the share of requests under
200 ms per region: 9 series x 40,320 points), loads them once, then times, interleaved in
the same rounds so the machine's load hits both alike:

- `ion slo`'s analysis (the 99.95% availability and the 99%-under-200-ms latency objective,
  each for the fleet and 3 regions: compliance, budget, 4 burn windows, exhaustion,
  episodes, and 3 burn-rate rules with and without the traffic-aware minimum plus 2 static
  thresholds replayed over the whole range);
- `ion tune-alerts`' tuning and backtest of the same 9 series (the engine the replay shares).

Then the installed `ion slo --source file:... --format json` end to end.

    .venv/bin/python benchmarks/bench_slo.py [--days 28] [--rounds 5]

Goal (issue 14): the analysis under 0.5 s after load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

CONFIG = """
[slo.availability]
objective = 99.95

[slo.latency]
sli = "latency"
objective = 99.0
threshold_ms = 200
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=28)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()

    from ioncli.alerting.analysis import build_report as tune
    from ioncli.alerting.tune import TuneOptions
    from ioncli.frame import MetricFrame
    from ioncli.slo.analysis import build_report
    from ioncli.slo.config import load_slos
    from ioncli.sources.catalog import DEFAULT_METRICS
    from ioncli.sources.sim import simulate

    end = datetime(2026, 11, 1, tzinfo=UTC)
    metrics = ("request_rate", "error_ratio_5xx", "latency_share_le_200")
    frame = simulate(end - timedelta(days=args.days), end, metrics=metrics)
    n = frame.data.shape[0]
    print(f"frame: {frame.data.shape[1]} series x {n:,} points ({args.days} days at 1 minute)")
    slos = load_slos(
        {
            "availability": {"objective": 99.95},
            "latency": {"sli": "latency", "objective": 99.0, "threshold_ms": 200},
        },
        "bench",
    )
    directions = {s.name: s.bad_direction for s in DEFAULT_METRICS}
    directions["latency_share_le_200"] = "low"
    load0 = os.getloadavg()[0]
    slo_times, tune_times = [], []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        report = build_report(frame, slos, service="bench")
        t1 = time.perf_counter()
        tune(frame, TuneOptions(directions=directions), service="bench")
        t2 = time.perf_counter()
        slo_times.append(t1 - t0)
        tune_times.append(t2 - t1)
    rules = sum(len(sc.rules) for o in report.objectives for sc in o.replay)
    slo_median, tune_median = statistics.median(slo_times), statistics.median(tune_times)
    print(
        f"ion slo analysis: {', '.join(f'{t:.3f}s' for t in slo_times)} "
        f"(median {slo_median:.3f}s, goal < 0.5 s; {len(report.objectives)} objectives x "
        f"{len(report.objectives[0].scopes)} scopes, {rules} rules replayed, each burn-rate rule "
        "twice: with and without the minimum)"
    )
    print(
        f"tune-alerts on the same frame: {', '.join(f'{t:.3f}s' for t in tune_times)} "
        f"(median {tune_median:.3f}s); slo/tune-alerts {slo_median / tune_median:.2f}"
    )
    print(
        f"load average before/after {load0:.1f}/{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )

    ion = Path(sys.executable).with_name("ion")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "slo.parquet"
        frame.to_parquet(path)
        (Path(tmp) / "ion.toml").write_text(CONFIG)
        t0 = time.perf_counter()
        MetricFrame.from_parquet(path)
        load = time.perf_counter() - t0
        walls = []
        for _ in range(3):
            t0 = time.perf_counter()
            run = subprocess.run(
                [str(ion), "slo", "--source", f"file:{path}", "--format", "json", "-o", "o.json"],
                cwd=tmp,
                capture_output=True,
                text=True,
                check=False,
            )
            walls.append(time.perf_counter() - t0)
            if run.returncode != 0:
                print(run.stderr, file=sys.stderr)
                return 1
        print(
            f"ion slo end to end (Parquet load {load:.3f}s in-process): "
            + ", ".join(f"{w:.2f}s" for w in walls)
            + f" (median {statistics.median(walls):.2f}s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Do the default rules catch the simulator's incidents? Learn a week, test the next.

For each seed, runs the installed

    ion tune-alerts --source sim:SEED --since START --until END --baseline-end MID
        --format json --no-write

(14 days at the simulator's 1-minute step, learning from the first 7) and prints, per seed:
the labelled incidents that start after `--baseline-end`, how many of them the chosen rules
caught, how many series stayed within the paging budget on history and on the test week,
and the kinds `auto` chose. The labels after `--baseline-end` are only read here, to score:
ion itself learns from the data before it (and from the simulator's labels before it, which
it leaves out of the baselines and uses to prefer the kind that caught more of them).

    .venv/bin/python benchmarks/bench_tune_sim.py [--seeds 1,2,3] [--end 2026-03-02T00:00Z]

Goal (issue 10): at least 7 of every 8 incidents after --baseline-end, within the budget.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--end", default="2026-03-02T00:00:00+00:00")
    ap.add_argument("--days", type=int, default=14)
    args = ap.parse_args()
    end = datetime.fromisoformat(args.end).astimezone(UTC)
    start = end - timedelta(days=args.days)
    mid = start + timedelta(days=args.days // 2)
    ion = Path(sys.executable).with_name("ion")
    total_in, total_caught = 0, 0
    ok = True
    print(f"range {start:%Y-%m-%d} .. {end:%Y-%m-%d}, learning until {mid:%Y-%m-%dT%H:%MZ}")
    for seed in [int(s) for s in args.seeds.split(",") if s.strip()]:
        cmd = [
            str(ion),
            "tune-alerts",
            "--source",
            f"sim:{seed}",
            "--since",
            start.isoformat(),
            "--until",
            end.isoformat(),
            "--baseline-end",
            mid.isoformat(),
            "--format",
            "json",
            "--no-write",
        ]
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            run = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, check=False)
            seconds = time.perf_counter() - t0
        if run.returncode != 0:
            print(f"seed {seed}: ion failed (exit {run.returncode}): {run.stderr[-400:]}")
            ok = False
            continue
        report = json.loads(run.stdout)
        after = [i for i in report["incidents"] if i["start"] >= report["baseline_end"]]
        caught = sum(bool(i["caught"]) for i in after)
        series = report["series"]
        within = sum(bool(s["within_budget"]) for s in series)
        budget = report["max_alerts_per_week"]
        test_ok = sum(s["backtest"]["alerts_per_week"] <= budget for s in series)
        alerts = sum(len(s["backtest"]["alerts"]) for s in series)
        false, pages = 0, 0
        for s in series:
            spans = [(i["start"], i["end"]) for i in s["backtest"]["incidents"]]
            last = None
            for a in s["backtest"]["alerts"]:
                # ISO 8601 UTC strings of one format compare in time order.
                false += not any(a["start"] <= end and a["end"] >= start for start, end in spans)
                at = datetime.fromisoformat(a["start"].replace("Z", "+00:00"))
                pages += last is None or at - last >= timedelta(hours=1)
                last = at
        kinds = Counter(s["rule"]["kind"] for s in series)
        missed = [f"{i['incident']} {i['start']}" for i in after if not i["caught"]]
        total_in += len(after)
        total_caught += caught
        print(
            f"seed {seed}: caught {caught} of {len(after)} incidents after --baseline-end; "
            f"{within}/{len(series)} series within budget on history, {test_ok}/{len(series)} "
            f"on the test week; test week: {alerts} alerts, {pages} pages (alerts an hour or "
            f"more apart), {false} alerts outside every incident "
            f"({false / len(series):.2f} per series); kinds "
            + ", ".join(f"{k} {n}" for k, n in kinds.most_common())
            + f"; {seconds:.1f}s"
        )
        for line in missed:
            print(f"    missed: {line}")
    if total_in:
        print(
            f"all seeds: caught {total_caught} of {total_in} "
            f"({8 * total_caught / total_in:.1f} of every 8; goal >= 7)"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

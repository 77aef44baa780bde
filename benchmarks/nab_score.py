"""Alert quality on NAB-style labelled data: run `ion tune-alerts` per file and score it.

For each candidate rule kind (and `auto`, the default), runs the scorer given with
`--scorer` (default: `../shared/nab/score.py` next to the project, as the issue names it)
over a folder of NAB-style CSV files (`timestamp,value`), with the command

    ion tune-alerts --source file:{csv} --baseline-end {baseline_end} --format json [--rule K]

in a temporary working directory (so no baselines/ file lands in the project). The scorer
learns nothing: it hands ion the end of the first 15 % of each file and scores the alerts
ion prints after it. The NAB data is never copied into the project.

    .venv/bin/python benchmarks/nab_score.py PATH/TO/nab/data [--scorer PATH/score.py]
        [--labels PATH/labels.json] [--kinds auto,envelope,...] [--budget N]
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("auto", "envelope", "seasonal", "zscore", "robust", "sigma")
LINE = re.compile(
    r"files (?P<files>\d+)\s+windows (?P<windows>\d+)\s+recall (?P<recall>[\d.]+)\s+"
    r"fp_per_week (?P<fp>[\d.]+)\s+precision (?P<precision>[\d.]+)\s+onsets (?P<onsets>\d+)"
)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("data", type=Path, help="folder of NAB-style CSV files")
    ap.add_argument("--scorer", type=Path, default=ROOT.parent / "shared" / "nab" / "score.py")
    ap.add_argument("--labels", type=Path, default=None, help="default: the scorer's own")
    ap.add_argument("--kinds", default=",".join(KINDS), help="comma-separated; auto = default")
    ap.add_argument("--budget", type=float, default=None, help="--max-alerts-per-week")
    ap.add_argument("-v", "--verbose", action="store_true", help="the scorer's per-file lines")
    args = ap.parse_args()
    # The scorer runs in a temporary directory: relative paths must not depend on it.
    args.data, args.scorer = args.data.resolve(), args.scorer.resolve()
    if args.labels:
        args.labels = args.labels.resolve()
    if not args.scorer.is_file():
        print(f"scorer {args.scorer} not found (pass --scorer)", file=sys.stderr)
        return 2
    ion = Path(sys.executable).with_name("ion")
    print(f"{'kind':10} {'recall':>7} {'fp/week':>8} {'precision':>9} {'onsets':>7}  seconds")
    ok = True
    for kind in [k.strip() for k in args.kinds.split(",") if k.strip()]:
        cmd = (
            f"{shlex.quote(str(ion))} tune-alerts --source file:{{csv}} "
            "--baseline-end {baseline_end} --format json"
        )
        if kind != "auto":
            cmd += f" --rule {kind}"
        if args.budget is not None:
            cmd += f" --max-alerts-per-week {args.budget:g}"
        scorer = [sys.executable, str(args.scorer), "--data", str(args.data), "--cmd", cmd]
        if args.labels:
            scorer += ["--labels", str(args.labels)]
        if args.verbose:
            scorer.append("-v")
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            run = subprocess.run(scorer, cwd=tmp, capture_output=True, text=True, check=False)
            seconds = time.perf_counter() - t0
        if args.verbose:
            print(run.stdout, end="")
        found = LINE.search(run.stdout)
        if run.returncode != 0 or not found:
            ok = False
            print(f"{kind:10} scorer failed (exit {run.returncode}): {run.stderr[-400:]}")
            continue
        print(
            f"{kind:10} {float(found['recall']):7.2f} {float(found['fp']):8.2f} "
            f"{float(found['precision']):9.2f} {int(found['onsets']):7d}  {seconds:.0f}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Fuzz every operation of a real `ion serve` with schemathesis, positive and negative.

    python benchmarks/bench_serve_fuzz.py [--examples 200] [--seed N] [--record PATH]

Starts `ion serve` on a free loopback port, loads its /openapi.json and, for every operation
and both generation modes (valid inputs, and inputs that break the schema), sends
`--examples` generated requests, checking each answer: never a 5xx, status code, content
type and body as documented, invalid input rejected (400, 413 or 422). Prints, per operation
and mode, how many cases ran, their status codes and any failed check; exits 1 when a check
failed. The test suite runs the same checks with 25 examples; this is the long run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import schemathesis
from hypothesis import given, seed
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from tests.serve.fuzzing import (
    CHECKS,
    fuzz_settings,
    load_schema,
    start_server,
    stop_server,
)


def fuzz(url: str, examples: int, run_seed: int) -> list[dict[str, object]]:
    schema = load_schema(url)
    rows: list[dict[str, object]] = []
    for operation in [result.ok() for result in schema.get_all_operations()]:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            statuses: Counter[int] = Counter()
            failures: list[str] = []

            @seed(run_seed)
            @given(case=operation.as_strategy(generation_mode=mode))
            @fuzz_settings(examples)
            def check(case: schemathesis.Case) -> None:
                # Called right below, inside this iteration: the loop variables are current.
                response = case.call(timeout=10)
                statuses[response.status_code] += 1  # noqa: B023
                try:
                    case.validate_response(response, checks=CHECKS)
                except Exception as exc:  # one failed check: record it, keep fuzzing
                    failures.append(f"{type(exc).__name__}: {str(exc)[:200]}")  # noqa: B023

            started = time.perf_counter()
            try:
                check()
                note = ""
            except Unsatisfiable:
                note = "no invalid input exists for this operation"
            rows.append(
                {
                    "operation": operation.label,
                    "mode": mode.value,
                    "cases": sum(statuses.values()),
                    "statuses": dict(sorted(statuses.items())),
                    "five_xx": sum(n for code, n in statuses.items() if code >= 500),
                    "failed_checks": len(failures),
                    "first_failure": failures[0] if failures else "",
                    "seconds": round(time.perf_counter() - started, 1),
                    "note": note,
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--record", type=Path)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    try:
        url, proc = start_server(Path(tempfile.mkdtemp()) / "history.sqlite3", within=30)
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from None
    try:
        rows = fuzz(url, args.examples, args.seed)
    finally:
        err = stop_server(proc)
    tracebacks = err.count("Traceback")
    cases = sum(int(r["cases"]) for r in rows)  # type: ignore[call-overload]
    five_xx = sum(int(r["five_xx"]) for r in rows)  # type: ignore[call-overload]
    failed = sum(int(r["failed_checks"]) for r in rows)  # type: ignore[call-overload]
    summary = (
        f"{len(rows) // 2} operations x 2 modes, {cases:,} cases, {five_xx} 5xx, "
        f"{failed} failed checks, {tracebacks} tracebacks in the server's stderr"
    )
    print(summary)
    if args.record:
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        table = "\n".join(
            f"| {r['operation']} | {r['mode']} | {r['cases']} | {r['statuses']} | "
            f"{r['five_xx']} | {r['failed_checks']} | {r['note']} |"
            for r in rows
        )
        with args.record.open("a", encoding="utf-8") as fh:
            fh.write(
                f"\n### Schemathesis fuzz of every operation, {when}\n\n"
                f"`python benchmarks/bench_serve_fuzz.py --examples {args.examples} "
                f"--seed {args.seed}` on {platform.machine()}, {os.cpu_count()} cores, "
                f"load average {load:.1f}. {summary}.\n\n"
                "| operation | mode | cases | statuses | 5xx | failed checks | note |\n"
                "|---|---|---:|---|---:|---:|---|\n" + table + "\n"
            )
    raise SystemExit(1 if five_xx or failed or tracebacks else 0)


if __name__ == "__main__":
    main()

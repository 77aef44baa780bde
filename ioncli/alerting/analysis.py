"""Frame in, TuneReport out: the analysis step the command wires between source and renderer,
and the report completed with the steps that follow it (check, apply, baselines file)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from ioncli import __version__
from ioncli.alerting.model import ApplyResult, CheckResult, TuneReport
from ioncli.alerting.tune import TuneOptions, tune_frame
from ioncli.frame import MetricFrame


def build_report(
    frame: MetricFrame,
    options: TuneOptions,
    *,
    service: str,
    now: datetime | None = None,
    progress: Callable[[], None] | None = None,
) -> TuneReport:
    tuned = tune_frame(frame, options, progress)
    start, end = frame.start, frame.end
    assert start is not None and end is not None  # tune_frame refuses an empty frame
    warnings = list(tuned.warnings)
    over = [s.id for s in tuned.series if not s.within_budget]
    if over:
        warnings.append(
            f"{len(over)} series exceed the budget of {options.max_alerts_per_week:g} alerts a "
            f"week on history with every candidate (quietest rule kept): {', '.join(over[:5])}"
            + (" ..." if len(over) > 5 else "")
        )
    step = frame.step_seconds
    if options.duration_seconds is not None and step > 0 and options.duration_seconds % step:
        rounded = -(-options.duration_seconds // step) * step
        warnings.append(
            f"--duration {options.duration_seconds} s rounded up to {rounded} s, a whole "
            f"number of {step} s steps: the alert fires once the condition has held at every "
            f"step for {rounded} s (`for: {rounded}s`, evaluated every {step} s)"
        )
    if options.baseline_end is None:
        warnings.append(
            "no --baseline-end: rules were learned and backtested on the same data (in-sample); "
            "pass --baseline-end to test on data the rules have not seen"
        )
    return TuneReport(
        service=service,
        source=frame.source,
        generated_at=(now or datetime.now(UTC)).replace(microsecond=0),
        ion_version=__version__,
        step_seconds=frame.step_seconds,
        start=start.to_pydatetime(),
        end=end.to_pydatetime(),
        baseline_end=options.baseline_end,
        max_alerts_per_week=options.max_alerts_per_week,
        rule_kind=options.rule,
        series=tuned.series,
        kinds=tuned.kinds,
        incidents=tuned.incidents,
        skipped=tuned.skipped,
        warnings=warnings,
        simulated=frame.simulated,
    )


def with_extras(
    report: TuneReport,
    *,
    check: CheckResult | None = None,
    apply: ApplyResult | None = None,
    baselines_file: str | None = None,
    warnings: Sequence[str] = (),
) -> TuneReport:
    """The report with what the command did after building it: the drift check against the
    committed file, the alert-policy apply, where the baselines were written, and warnings
    about those steps (after the analysis's own)."""
    return replace(
        report,
        check=check,
        apply=apply,
        baselines_file=baselines_file,
        warnings=[*report.warnings, *warnings],
    )

"""Frame in, TuneReport out: the analysis step the command wires between source and renderer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from ioncli import __version__
from ioncli.alerting.report import TuneReport
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

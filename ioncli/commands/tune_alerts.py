"""`ion tune-alerts`: baselines, tuned thresholds, backtests and alert policies."""

from __future__ import annotations

import typer

from ioncli.commands._common import FormatOpt, OutputOpt, StepSummaryOpt, state_of
from ioncli.errors import NotBuiltError
from ioncli.render import Format

EPILOG = """[b]Examples[/b]

  ion tune-alerts --source sim --max-alerts-per-week 1

  ion tune-alerts --check

  ion tune-alerts --apply --yes
"""


def tune_alerts(
    ctx: typer.Context,
    fmt: FormatOpt = Format.TEXT,
    output: OutputOpt = None,
    step_summary: StepSummaryOpt = False,
) -> None:
    """Learn baselines from metric history and propose alert thresholds within a paging budget."""
    state_of(ctx).settings()  # surface configuration errors before anything else
    raise NotBuiltError("`ion tune-alerts` is not built yet; nothing was produced")

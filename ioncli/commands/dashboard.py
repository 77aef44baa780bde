"""`ion dashboard`: the service's health in five dashboards and four formats."""

from __future__ import annotations

import typer

from ioncli.commands._common import FormatOpt, OutputOpt, StepSummaryOpt, state_of
from ioncli.errors import NotBuiltError
from ioncli.render import Format

EPILOG = """[b]Examples[/b]

  ion dashboard overview --source sim

  ion dashboard all --format markdown --step-summary

  ion dashboard performance --since 24h --format html -o dash.html
"""


def dashboard(
    ctx: typer.Context,
    fmt: FormatOpt = Format.TEXT,
    output: OutputOpt = None,
    step_summary: StepSummaryOpt = False,
) -> None:
    """Show the service's health: overview, performance, reliability, cache, infrastructure."""
    state_of(ctx).settings()  # surface configuration errors before anything else
    raise NotBuiltError("`ion dashboard` is not built yet; nothing was produced")

"""`ion cost-report`: what Cloud Run costs and what min instances should be."""

from __future__ import annotations

import typer

from ioncli.commands._common import FormatOpt, OutputOpt, StepSummaryOpt, state_of
from ioncli.errors import NotBuiltError
from ioncli.render import Format

EPILOG = """[b]Examples[/b]

  ion cost-report --source sim

  ion cost-report --budget 250 --format markdown --step-summary

  ion cost-report --apply --yes
"""


def cost_report(
    ctx: typer.Context,
    fmt: FormatOpt = Format.TEXT,
    output: OutputOpt = None,
    step_summary: StepSummaryOpt = False,
) -> None:
    """Show what Cloud Run costs, where the money goes and what min instances should be."""
    state_of(ctx).settings()  # surface configuration errors before anything else
    raise NotBuiltError("`ion cost-report` is not built yet; nothing was produced")

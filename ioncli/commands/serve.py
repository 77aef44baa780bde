"""`ion serve`: the mentoring pipeline as an HTTP service."""

from __future__ import annotations

import typer

from ioncli.commands._common import state_of
from ioncli.errors import NotBuiltError

EPILOG = """[b]Examples[/b]

  ion serve

  ion serve --port 9000 --redis-url redis://127.0.0.1:6379/0
"""


def serve(ctx: typer.Context) -> None:
    """Run the mentoring pipeline as a fast HTTP service (embedded default: no Redis, no cloud)."""
    state_of(ctx).settings()  # surface configuration errors before anything else
    raise NotBuiltError("`ion serve` is not built yet; nothing was started")

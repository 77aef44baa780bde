"""Options and state every command shares, so each flag is declared once."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ioncli.render import Format, OutputOptions

if TYPE_CHECKING:
    from ioncli.config import Settings


# How a command waits (between Cloud Monitoring retries). `ioncli.cli.run(..., sleep=...)`
# sets it for one run, so tests never wait for real; library callers pass `sleep` directly.
SLEEP: ContextVar[Callable[[float], None]] = ContextVar("ion_sleep", default=time.sleep)


@dataclass
class AppState:
    """What the root callback parsed; commands reach it through `ctx.obj`."""

    config_path: Path | None = None
    debug: bool = False
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            from ioncli.config import load_settings  # tomllib and friends: not for --help

            self._settings = load_settings(self.config_path, os.environ, Path.cwd())
        return self._settings


def state_of(ctx: typer.Context) -> AppState:
    obj = ctx.find_root().obj
    if isinstance(obj, AppState):
        return obj
    # Under Typer's CliRunner the root callback still runs, so this is only a safety net.
    fresh = AppState()
    ctx.find_root().obj = fresh
    return fresh


FormatOpt = Annotated[
    Format,
    typer.Option("--format", "-f", help="Output format.", case_sensitive=False),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write to this file instead of stdout (a regular file atomically, keeping its "
        "mode; '-' is stdout).",
        dir_okay=False,
    ),
]
StepSummaryOpt = Annotated[
    bool,
    typer.Option(
        "--step-summary",
        help="Also append the Markdown report to $GITHUB_STEP_SUMMARY when it is set.",
    ),
]


def output_options(fmt: Format, output: Path | None, step_summary: bool) -> OutputOptions:
    return OutputOptions(format=fmt, output=output, step_summary=step_summary)

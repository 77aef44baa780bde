"""A rich progress bar on stderr for long work, shown only on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ioncli import render


@contextmanager
def progress_bar(
    description: str, total: int, *, show: bool | None = None
) -> Iterator[Callable[[], None]]:
    """Yield an `advance()` callable; a no-op when stderr is not a terminal (CI, pipes)."""

    if render.verbosity() < 0 or not (sys.stderr.isatty() if show is None else show):
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=render.make_console(stderr=True),
        transient=True,  # leave the terminal as it was: the report follows
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)

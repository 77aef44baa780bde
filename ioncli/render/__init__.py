"""Output conventions shared by every report command: format, destination, step summary.

A command builds one report object and hands it, with a `Renderers` bundle, to `emit`.
Renderers are plain functions of the report; only this package knows where output goes.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ioncli.errors import UsageError
from ioncli.render.jsonout import dumps
from ioncli.render.jsonout import to_plain as to_plain  # re-exported: reports import it from here

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

R = TypeVar("R")

MARKDOWN_LIMIT = 65_536  # GitHub's limit for a PR comment body, in characters

# -1 quiet (errors only), 0 normal, 1 verbose; set once by the root command (--quiet/--verbose).
_VERBOSITY = [0]


def set_verbosity(level: int) -> None:
    _VERBOSITY[0] = max(-1, min(1, level))


def verbosity() -> int:
    return _VERBOSITY[0]


def say(message: str, *, level: str = "note") -> None:
    """A line on stderr: `warning` lines unless --quiet, `note` lines only with --verbose.

    The report itself (stdout or -o) is never affected: warnings stay in it whatever the
    verbosity; this is only the running commentary.
    """
    if level == "warning" and verbosity() < 0:
        return
    if level != "warning" and verbosity() < 1:
        return
    from rich.markup import escape

    prefix = "[bold yellow]warning:[/bold yellow]" if level == "warning" else "[dim]ion:[/dim]"
    make_console(stderr=True).print(f"{prefix} {escape(message)}", soft_wrap=True)


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"
    GITHUB = "github"  # workflow-command annotations, for the gating commands
    JUNIT = "junit"  # JUnit XML, one test case per threshold or rule


@dataclass(frozen=True)
class OutputOptions:
    format: Format = Format.TEXT
    output: Path | None = None
    step_summary: bool = False


@dataclass(frozen=True)
class Renderers(Generic[R]):
    """One function per format; `text` may return a rich renderable or a string.

    `github` and `junit` exist only for commands that gate (they say what was judged);
    the command fills them in, knowing its gate's options.
    """

    text: Callable[[R], RenderableType]
    json: Callable[[R], str]
    markdown: Callable[[R], str]
    html: Callable[[R], str]
    github: Callable[[R], str] | None = None
    junit: Callable[[R], str] | None = None


def make_console(*, stderr: bool = False, env: Mapping[str, str] | None = None) -> Console:
    """A rich console: colour on a terminal only, never under NO_COLOR."""
    from rich.console import Console

    env = os.environ if env is None else env
    return Console(stderr=stderr, no_color="NO_COLOR" in env, highlight=False)


class FitTable:
    """A table that never cuts a figure: drawn as a table when its columns fit the width
    (text wraps), else stacked, one block per row (`first cell`, then `header value · ...`
    wrapped), so an 80-column terminal shows every number and every id whole."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.measure import Measurement

        # Measured without the width limit (a measurement is clamped to the space it gets).
        needed = Measurement.get(console, options.update_width(10_000), self.table).minimum
        if max(needed, self.unbroken_width()) <= options.max_width:
            yield self.table
        else:
            yield self.stacked()

    def unbroken_width(self) -> int:
        """The width at which no word is broken: rich's own minimum counts a no-wrap column
        (figures, ids) by its longest word, then squeezes the wrapping columns below theirs
        (`comp|uted`) or cuts the no-wrap ones to fit."""
        from rich.cells import cell_len

        table = self.table
        total = 0
        for column in table.columns:
            texts = [_as_text(column.header), *(_as_text(c) for c in column.cells)]
            if column.no_wrap:
                lines = (line for t in texts for line in t.plain.splitlines())
                width = max((cell_len(line) for line in lines), default=0)
            else:
                words = (word for t in texts for word in t.plain.split())
                width = max((cell_len(word) for word in words), default=0)
            total += max(width, column.min_width or 0)
        _, right, _, left = table.padding
        total += (left + right) * len(table.columns)
        if not table.pad_edge and table.columns:
            total -= left + right
        if table.box is not None:
            total += len(table.columns) - 1 + (2 if table.show_edge else 0)
        return int(total)

    def stacked(self) -> Any:
        from rich.console import Group
        from rich.padding import Padding
        from rich.text import Text

        table = self.table
        columns = list(table.columns)
        cells = [list(c.cells) for c in columns]
        parts: list[Any] = []
        if table.title:
            parts.append(Text(str(table.title), style="bold"))
        for row in range(table.row_count):
            first = cells[0][row] if columns else ""
            parts.append(Text.assemble(_as_text(first), style="bold"))
            line = Text()
            for i, column in enumerate(columns[1:], start=1):
                value = _as_text(cells[i][row])
                if not value.plain.strip():
                    continue
                if len(line):
                    line.append(" · ", style="dim")
                header = " ".join(str(column.header).split())
                if header:
                    line.append(f"{header} ", style="dim")
                line.append_text(value)
            if len(line):
                parts.append(Padding(line, (0, 0, 0, 2)))
        return Group(*parts)


def _as_text(cell: Any) -> Any:
    from rich.text import Text

    if isinstance(cell, Text):
        return cell.copy()
    return Text.from_markup(cell) if isinstance(cell, str) else Text(str(cell))


def readable(renderable: Any) -> Any:
    """Every table in `renderable` cuts nothing: text wraps and folds instead of ending in an
    ellipsis, figures (right-aligned) stay on one line, and a table too wide for the terminal
    is stacked (`FitTable`). Returns the renderable to print."""
    from rich.console import Group
    from rich.table import Table

    if isinstance(renderable, Table):
        for column in renderable.columns:
            column.overflow = "fold"
            if column.justify == "right":
                column.no_wrap = True
        return FitTable(renderable)
    if isinstance(renderable, Group):
        inner = renderable.renderables
        for i, item in enumerate(inner):
            inner[i] = readable(item)
    elif hasattr(renderable, "renderable"):  # Panel, Padding, Align
        renderable.renderable = readable(renderable.renderable)
    return renderable


def render_plain(renderable: RenderableType, width: int = 100) -> str:
    """Render a rich renderable to plain text (for files and pipes)."""
    from rich.console import Console

    buffer = StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    console.print(readable(renderable))
    return buffer.getvalue()


def is_stdout(path: Path | None) -> bool:
    """`-o -` (or no -o at all) means standard output."""
    return path is None or str(path) == "-"


def emit(
    report: R,
    renderers: Renderers[R],
    options: OutputOptions,
    *,
    env: Mapping[str, str] | None = None,
    console: Console | None = None,
) -> None:
    """Render `report` in the chosen format to `--output` (atomically) or stdout."""
    env = os.environ if env is None else env
    output = None if is_stdout(options.output) else options.output
    if options.format is Format.TEXT:
        renderable = readable(renderers.text(report))
        if output is not None:
            write_atomic(output, render_plain(renderable))
        else:
            (console or make_console(env=env)).print(renderable)
    else:
        render = getattr(renderers, options.format.value)
        if render is None:
            raise UsageError(
                f"--format {options.format.value} is for the gating commands (dashboard, "
                "tune-alerts --check, cost-report); use text, json, markdown or html"
            )
        text = render(report)
        if output is not None:
            write_atomic(output, text)
        else:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            sys.stdout.flush()
    if options.step_summary:
        append_step_summary(renderers.markdown(report), env)
    _extra_outputs(report, renderers, env)


def _extra_outputs(report: R, renderers: Renderers[R], env: Mapping[str, str]) -> None:
    """`ION_OUTPUTS=json=PATH,markdown=PATH,github=-`: more formats from the same report.

    The GitHub Action uses it to get the log's text, the Markdown for the summary and the
    comment, the JSON for the next run and the annotations from one computation. A format
    the command does not have (or whose gate was not asked for) is left out silently.
    """
    spec = env.get("ION_OUTPUTS", "").strip()
    if not spec:
        return
    for item in spec.split(","):
        name, _, target = item.strip().partition("=")
        try:
            fmt = Format(name.strip().lower())
        except ValueError:
            raise UsageError(f"ION_OUTPUTS: unknown format {name!r} in {item!r}") from None
        if not target.strip() or fmt is Format.TEXT:
            raise UsageError(f"ION_OUTPUTS: give FORMAT=PATH (not text), found {item!r}")
        render = getattr(renderers, fmt.value)
        if render is None:
            continue
        try:
            text = render(report)
        except UsageError:
            continue  # e.g. tune-alerts without --check has no gate to annotate
        if is_stdout(Path(target.strip())):
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            sys.stdout.flush()
        else:
            write_atomic(Path(target.strip()), text, what="ION_OUTPUTS")


def append_step_summary(markdown: str, env: Mapping[str, str]) -> bool:
    """Append to $GITHUB_STEP_SUMMARY when it is set; returns whether anything was written.

    Reports from several steps share one summary: each starts after a blank line and a rule,
    so a heading never sticks to the previous report's last table row.
    """
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    path = Path(target)
    try:
        before = path.stat().st_size if path.exists() else 0
        with path.open("a", encoding="utf-8") as fh:
            if before:
                fh.write("\n---\n\n")
            fh.write(markdown if markdown.endswith("\n") else markdown + "\n")
    except OSError as exc:
        raise UsageError(f"cannot append to GITHUB_STEP_SUMMARY {target}: {exc.strerror}") from None
    return True


def _umask() -> int:
    # os.umask can only be read by setting it; put it straight back (single-threaded here).
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str | bytes, *, what: str = "--output") -> None:
    """Write `text` to `path` so that a reader never sees a partial file.

    A regular file (or a new one) is written through a temp file and a rename, with the mode
    an ordinary `open` would give it (the old file's mode, else 0666 minus the umask). A
    symlink is followed and its target replaced, so the link stays a link. Anything that is
    not a regular file (a device such as /dev/null, a FIFO, a socket) is written to directly:
    replacing it would break whatever else uses it.
    """

    path = Path(path)
    try:
        info = path.stat()  # follows symlinks
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise UsageError(f"cannot write {what} {path}: {exc.strerror}") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise UsageError(f"cannot write {what} {path}: it is a directory")
    if info is not None and not stat.S_ISREG(info.st_mode):
        _write_in_place(path, text, what)
        return
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    parent = target.parent if str(target.parent) else Path()
    if not parent.is_dir():
        raise UsageError(f"cannot write {what} {path}: folder {parent} does not exist")
    mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask()
    from ioncli.atomic import replace_file

    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        replace_file(target, lambda fh: fh.write(data), mode=mode)
    except OSError as exc:
        raise UsageError(f"cannot write {what} {path}: {exc.strerror}") from None


def _write_in_place(path: Path, text: str | bytes, what: str) -> None:
    try:
        with path.open("wb") as fh:
            fh.write(text.encode("utf-8") if isinstance(text, str) else text)
    except OSError as exc:
        raise UsageError(f"cannot write {what} {path}: {exc.strerror}") from None


def fit_markdown(text: str, limit: int = MARKDOWN_LIMIT) -> str:
    """Cut Markdown at a line boundary so it fits a PR comment, saying what was left out."""
    if len(text) <= limit:
        return text
    budget = limit - 300
    cut = text.rfind("\n", 0, budget)
    cut = budget if cut <= 0 else cut
    dropped_lines = text.count("\n", cut) or 1
    note = (
        f"\n\n> **Truncated:** {len(text) - cut:,} characters ({dropped_lines:,} lines) were left "
        f"out to stay under {limit:,} characters; use `--format html` or `--format json` "
        "for the full report.\n"
    )
    return text[:cut] + note


def to_json(obj: Any) -> str:
    """Stable JSON: sorted keys off (report order matters to readers), 2-space indent; the
    bytes of `json.dumps(to_plain(obj), indent=2, ensure_ascii=False)` (see `jsonout`)."""
    return dumps(obj) + "\n"

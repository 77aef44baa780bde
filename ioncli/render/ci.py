"""CI formats for the gating commands: GitHub annotations and JUnit XML.

`--format github` prints one workflow command per breached value or drifted rule
(`::error title=...::message`), which GitHub turns into annotations on the pull request's
checks. `--format junit` writes one test case per threshold or rule, so test reporters
show what was judged and what failed. Both are built from `Case` lists that each report's
renderer (`render_github` and `render_junit` in its package's render.py) produces; this
module knows nothing about the reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

LEVELS = ("error", "warning", "notice")


@dataclass(frozen=True)
class Case:
    """One judged thing: a threshold on a value, a rule against its committed levels, a budget.

    `level` is how a breach is annotated: "error", "warning" or "notice"; `failed` marks it
    a breach. `file`/`line` point an annotation at a file in the repository when there is one.
    """

    suite: str
    name: str
    failed: bool
    message: str
    level: str = "error"
    skipped: bool = False
    file: str | None = None
    line: int | None = None
    detail: str = ""
    annotate: bool = False  # annotate even when it passed (a notice worth seeing)


def _data(text: str) -> str:
    # GitHub's escaping for a workflow command's message.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    # ... and for a property value, where ':' and ',' separate properties.
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(case: Case, title: str) -> str:
    props = []
    if case.file:
        props.append(f"file={_prop(case.file)}")
        if case.line:
            props.append(f"line={case.line}")
    props.append(f"title={_prop(title)}")
    level = case.level if case.level in LEVELS else "error"
    return f"::{level} {','.join(props)}::{_data(case.message)}"


def github(cases: Sequence[Case], title: str, summary: str) -> str:
    """Annotations for the breaches, then a plain summary line (shown in the log)."""
    lines = [annotation(c, title) for c in cases if c.failed or c.annotate]
    lines.append(summary)
    return "\n".join(lines) + "\n"


def junit(cases: Sequence[Case], name: str) -> str:
    """A JUnit XML document: one <testsuite> per suite, one <testcase> per case."""
    suites: dict[str, list[Case]] = {}
    for case in cases:
        suites.setdefault(case.suite, []).append(case)
    failures = sum(c.failed for c in cases)
    skipped = sum(c.skipped for c in cases)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites name={quoteattr(name)} tests="{len(cases)}" '
        f'failures="{failures}" errors="0" skipped="{skipped}">',
    ]
    for suite, members in suites.items():
        out.append(
            f'  <testsuite name={quoteattr(suite)} tests="{len(members)}" '
            f'failures="{sum(c.failed for c in members)}" errors="0" '
            f'skipped="{sum(c.skipped for c in members)}">'
        )
        for case in members:
            head = f"    <testcase classname={quoteattr(suite)} name={quoteattr(case.name)}"
            if case.failed:
                out.append(head + ">")
                out.append(
                    f"      <failure message={quoteattr(case.message)} "
                    f"type={quoteattr(case.level)}>{escape(case.detail or case.message)}</failure>"
                )
                out.append("    </testcase>")
            elif case.skipped:
                out.append(head + ">")
                out.append(f"      <skipped message={quoteattr(case.message)}/>")
                out.append("    </testcase>")
            elif case.detail:
                out.append(head + ">")
                out.append(f"      <system-out>{escape(case.detail)}</system-out>")
                out.append("    </testcase>")
            else:
                out.append(head + "/>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def find_line(path: str, needle: str) -> int | None:
    """The 1-based line of `needle` in a text file, for pointing an annotation at it."""

    try:
        with Path(path).open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if needle in line:
                    return number
    except OSError:
        return None
    return None

"""Pieces every report's renderers share, so the four commands' outputs keep one shape: JSON
with `schema_version` first, and the text view's heading and warning lines."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ioncli.render import to_json, to_plain

if TYPE_CHECKING:
    from _typeshed import DataclassInstance
    from rich.text import Text


def report_data(report: DataclassInstance) -> dict[str, Any]:
    """A report as JSON-ready data with `schema_version` first: every reader checks it before
    reading anything else."""
    plain: dict[str, Any] = to_plain(report)
    return {"schema_version": plain.pop("schema_version"), **plain}


def report_json(report: DataclassInstance) -> str:
    """The same as `to_json(report_data(report))`, but `to_json` walks the report only once."""
    fields = {f.name: getattr(report, f.name) for f in dataclasses.fields(report)}
    return to_json({"schema_version": fields.pop("schema_version"), **fields})


def heading(title: str, *lines: str) -> Text:
    """The text view's first block: the title in bold, then one line each (range, source...)."""
    from rich.text import Text

    head = Text()
    head.append(title, style="bold")
    for line in lines:
        head.append(f"\n{line}")
    return head


def warning_lines(warnings: Iterable[str]) -> list[Text]:
    from rich.text import Text

    return [Text(f"warning: {w}", style="yellow") for w in warnings]

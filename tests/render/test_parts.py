"""The pieces every report's renderers share: JSON with the schema version first, the text
view's heading and warning lines."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from ioncli.render import render_plain, to_json
from ioncli.render.parts import heading, report_data, report_json, warning_lines


@dataclass
class _Report:
    service: str
    generated_at: datetime
    ratio: float
    schema_version: int = 3


REPORT = _Report("svc", datetime(2026, 3, 1, tzinfo=UTC), float("nan"))


def test_schema_version_comes_first_and_values_are_plain() -> None:
    data = report_data(REPORT)
    assert list(data) == ["schema_version", "service", "generated_at", "ratio"]
    assert data["generated_at"] == "2026-03-01T00:00:00Z" and data["ratio"] is None
    text = report_json(REPORT)
    assert text.endswith("}\n") and json.loads(text) == data
    assert text.startswith('{\n  "schema_version": 3,')
    assert text == to_json(data)  # the one-walk path gives the same bytes


def test_heading_is_a_bold_title_then_one_line_each() -> None:
    head = heading("Title · svc", "range", "source")
    assert head.plain == "Title · svc\nrange\nsource"
    assert [(s.start, s.end, s.style) for s in head.spans] == [(0, 11, "bold")]
    assert render_plain(heading("only")) == "only\n"


def test_warning_lines_say_warning() -> None:
    lines = warning_lines(["a", "b"])
    assert [t.plain for t in lines] == ["warning: a", "warning: b"]
    assert all(t.style == "yellow" for t in lines)

"""The one Jinja environment, bound to templates/, with the filters every template shares."""

from __future__ import annotations

import math
from functools import cache
from typing import TYPE_CHECKING, Any

from ioncli.resources import templates_dir

if TYPE_CHECKING:
    from jinja2 import Environment


def md_cell(value: Any) -> str:
    """Make a value safe inside a Markdown table cell (pipes, newlines, HTML)."""
    text = str(value)
    for old, new in (("\\", "\\\\"), ("|", "\\|"), ("\r", " "), ("\n", " ")):
        text = text.replace(old, new)
    return text.replace("<", "&lt;").replace(">", "&gt;")


def number(value: Any, digits: int = 2) -> str:
    """Format a number compactly with thousands separators; None or NaN shows as an en dash."""
    if value is None:
        return "–"
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(f):
        return "–"
    if f.is_integer() and abs(f) >= 100:
        return f"{int(f):,}"
    return f"{f:,.{digits}f}"


def autoescapes(name: str | None) -> bool:
    """HTML-like templates escape every value; `report.html.j2` counts as HTML, too."""
    if name is None:
        return False
    return name.removesuffix(".j2").endswith((".html", ".htm", ".xml", ".svg"))


@cache
def environment() -> Environment:
    """The shared environment: autoescape for HTML templates, strict undefined everywhere."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=autoescapes,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_cell
    env.filters["number"] = number
    return env


def render_template(name: str, **context: Any) -> str:
    """Render one template from templates/ with the given context."""
    return environment().get_template(name).render(**context)

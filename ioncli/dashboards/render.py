"""JSON, Markdown and HTML renderings of a DashboardReport (the terminal view is text.py)."""

from __future__ import annotations

from typing import Any

from ioncli import __version__
from ioncli.dashboards import charts
from ioncli.dashboards.model import Chart, DashboardReport
from ioncli.dashboards.text import render_text
from ioncli.dashboards.units import (
    MD_MARK,
    TEXT_MARK,
    clip,
    duration,
    fmt,
    fmt_threshold,
    series_label,
    spark,
    trend_span,
)
from ioncli.render import Renderers, fit_markdown, to_json, to_plain
from ioncli.render.jinja import md_cell, render_template

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "*_`[]#~"})


def md_text(value: Any) -> str:
    """Safe in a Markdown table cell and inert as Markdown (no emphasis, links or code)."""
    return md_cell(str(value)).translate(_MD_SPECIAL)


def md_label(value: Any) -> str:
    """A label from the data: escaped like md_text, and very long ones shortened."""
    return md_text(clip(str(value)))


def render_json(report: DashboardReport) -> str:
    plain = to_plain(report)
    # schema_version first (every reader checks it) and each widget's kind first (it says
    # which shape follows).
    for board in plain["dashboards"]:
        board["widgets"] = [{"kind": w.pop("kind"), **w} for w in board["widgets"]]
    return to_json({"schema_version": plain.pop("schema_version"), **plain})


def _helpers() -> dict[str, Any]:
    return {
        "fmt": fmt,
        "duration": duration,
        "fmt_threshold": fmt_threshold,
        "spark": spark,
        "trend_span": trend_span,
        "series_label": series_label,
        "clip": clip,
        "text_mark": TEXT_MARK,
        "md_mark": MD_MARK,
        "version": __version__,
    }


def render_markdown(report: DashboardReport) -> str:
    text = render_template(
        "dashboard/report.md.j2", report=report, esc=md_text, label=md_label, **_helpers()
    )
    return fit_markdown(text)


def render_html(report: DashboardReport) -> str:
    def svg(chart: Chart) -> charts.Svg:
        return charts.chart_svg(chart, fmt)

    return render_template(
        "dashboard/report.html.j2",
        report=report,
        svg=svg,
        spark_path=charts.spark_path,
        **_helpers(),
    )


RENDERERS: Renderers[DashboardReport] = Renderers(
    text=render_text, json=render_json, markdown=render_markdown, html=render_html
)

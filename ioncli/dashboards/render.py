"""JSON, Markdown and HTML renderings of a DashboardReport (the terminal view is text.py)."""

from __future__ import annotations

from typing import Any

from ioncli import __version__
from ioncli.dashboards import charts
from ioncli.dashboards.model import Chart, DashboardReport, Level, dashboard_readings
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
from ioncli.render import Renderers, fit_markdown, to_json
from ioncli.render.ci import Case, github, junit
from ioncli.render.jinja import md_cell, render_template
from ioncli.render.parts import report_data

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "*_`[]#~"})


def md_text(value: Any) -> str:
    """Safe in a Markdown table cell and inert as Markdown (no emphasis, links or code)."""
    return md_cell(str(value)).translate(_MD_SPECIAL)


def md_label(value: Any) -> str:
    """A label from the data: escaped like md_text, and very long ones shortened."""
    return md_text(clip(str(value)))


def render_json(report: DashboardReport) -> str:
    plain = report_data(report)
    # Each widget's kind first: it says which shape follows.
    for board in plain["dashboards"]:
        board["widgets"] = [{"kind": w.pop("kind"), **w} for w in board["widgets"]]
    return to_json(plain)


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


# --format github|junit: every value with a threshold is a case; a value at or above the gate's
# level (`--fail-on`, else warning) fails: critical as an error, warning as a warning.
def gate_cases(report: DashboardReport, fail_on: str | None) -> list[Case]:
    floor = Level(fail_on) if fail_on else Level.WARNING
    cases: list[Case] = []
    seen: set[tuple[str, str, str]] = set()
    for board in report.dashboards:
        for r in dashboard_readings(board):
            if r.threshold is None or r.status in (Level.UNKNOWN, Level.MISSING):
                continue
            key = (board.name, r.label, r.metric)
            if key in seen:
                continue
            seen.add(key)
            failed = r.status.rank >= floor.rank and r.status.rank > 0
            where = f"{r.label} · {r.metric}" if r.label != r.metric else r.metric
            note = f" ({r.note})" if r.note else ""
            cases.append(
                Case(
                    suite=f"ion.dashboard.{board.name}",
                    name=where,
                    failed=failed,
                    level="error" if r.status is Level.CRITICAL else "warning",
                    message=f"{board.title}: {where} is {r.status.value} at "
                    f"{fmt(r.value, r.unit)} ({fmt_threshold(r.threshold, r.unit)}){note}",
                )
            )
    return cases


def render_github(report: DashboardReport, fail_on: str | None) -> str:
    cases = gate_cases(report, fail_on)
    bad = sum(c.failed for c in cases)
    return github(cases, f"ion dashboard · {report.service}", f"{report.summary}; {bad} flagged")


def render_junit(report: DashboardReport, fail_on: str | None) -> str:
    return junit(gate_cases(report, fail_on), f"ion dashboard {report.service}")

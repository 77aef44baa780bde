"""The tune-alerts report in four formats: rich text, JSON, Markdown and HTML."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ioncli.alerting.model import CheckResult, Drift, TuneReport
from ioncli.errors import UsageError
from ioncli.render import Renderers, fit_markdown, render_plain
from ioncli.render.ci import Case, find_line, github, junit
from ioncli.render.jinja import render_template
from ioncli.render.parts import heading, report_json

if TYPE_CHECKING:
    from rich.console import RenderableType


def fmt(value: Any, digits: int = 4) -> str:
    """A threshold or statistic, compactly: 4 significant digits, en dash for none."""
    if value is None:
        return "–"
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(f):
        return "–"
    if f == 0:
        return "0"
    if abs(f) >= 1e6 or abs(f) < 1e-3:
        return f"{f:.{digits - 1}e}"
    return f"{f:,.{digits}g}" if abs(f) < 1e4 else f"{f:,.0f}"


def levels(rule: Any) -> str:
    """`> 12.3 (warn > 10.1)` / `< 0.9` / both sides, as people read thresholds; an adaptive
    rule's levels move with its trailing windows, so they read `now > 12.3`."""
    now = "now " if rule.adaptive else ""
    parts = []
    if rule.critical is not None:
        warn = f" (warn > {fmt(rule.warning)})" if rule.warning is not None else ""
        parts.append(f"> {fmt(rule.critical)}{warn}")
    if rule.low_critical is not None:
        warn = f" (warn < {fmt(rule.low_warning)})" if rule.low_warning is not None else ""
        parts.append(f"< {fmt(rule.low_critical)}{warn}")
    return now + " or ".join(parts) if parts else "–"


def runs_as(rule: Any) -> str:
    """Which condition pages in production: `threshold`, `PromQL` or `not applied`."""
    cond = rule.condition
    if cond is None or cond.type == "none":
        return "not applied"
    return "PromQL" if cond.type == "promql" else "threshold"


def _helpers() -> dict[str, Any]:
    return {"fmt": fmt, "levels": levels, "change_text": change_text, "runs_as": runs_as}


def render_json(report: TuneReport) -> str:
    return report_json(report)


def render_markdown(report: TuneReport) -> str:
    return fit_markdown(render_template("tune_alerts/report.md.j2", r=report, **_helpers()))


def render_html(report: TuneReport) -> str:
    return render_template("tune_alerts/report.html.j2", r=report, **_helpers())


def render_text(report: TuneReport) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    simulated = " (simulated)" if report.simulated else ""
    learned = (
        [f"learned until {report.baseline_end:%Y-%m-%d %H:%M} UTC, tested after it"]
        if report.baseline_end
        else []
    )
    head = heading(
        f"ion tune-alerts · {report.service}",
        f"source {report.source}{simulated} · "
        f"{report.start:%Y-%m-%d %H:%M} .. {report.end:%Y-%m-%d %H:%M}"
        f" UTC · step {report.step_seconds}s · budget {report.max_alerts_per_week:g}/week",
        *learned,
    )
    parts: list[RenderableType] = [head]

    table = Table(title="Proposed rules", title_justify="left", show_lines=False)
    for name in (
        "series",
        "rule",
        "pages when",
        "for",
        "runs as",
        "history/wk",
        "backtest/wk",
        "alerts",
    ):
        right = "/wk" in name or name == "alerts"
        table.add_column(name, justify="right" if right else "left", overflow="fold")
    for s in report.series:
        budget = "" if s.within_budget else " [red](over)[/red]"
        table.add_row(
            s.id,
            f"{s.rule.kind} {s.rule.parameter}={s.rule.value:g}",
            levels(s.rule),
            f"{s.rule.duration_seconds}s",
            runs_as(s.rule),
            f"{s.history_alerts_per_week:.2f}{budget}",
            f"{s.backtest.alerts_per_week:.2f}",
            str(len(s.backtest.alerts)),
        )
    parts.append(table)
    why = Text()
    why.append("Why each rule\n", style="bold")
    for s in report.series:
        why.append(f"{s.id}: {s.rule.kind}: {s.rule.reason}\n")
        # The table's levels are where an adaptive band stands at the end of the data; the
        # rule itself is this sentence, and the condition note says which parts run.
        why.append(f"  rule: {s.rule.explanation}\n")
        cond = s.rule.condition
        if cond is not None and cond.type != "none" and cond.note:
            why.append(f"  runs as: {cond.note}\n")
        for note in s.rule.notes:
            why.append(f"  ! {note}\n", style="yellow")
    parts.append(why)

    kinds = Table(title="Candidate kinds over all series", title_justify="left")
    for name in ("kind", "series", "within budget", "chosen", "backtest alerts/wk/series"):
        kinds.add_column(name, justify="left" if name == "kind" else "right")
    for k in report.kinds:
        kinds.add_row(
            k.kind,
            str(k.series),
            str(k.within_budget),
            str(k.chosen),
            f"{k.alerts_per_week_per_series:.2f}",
        )
    parts.append(kinds)

    if report.incidents:
        inc = Table(title="Known incidents", title_justify="left")
        for name in ("incident", "start", "caught", "first page after start"):
            inc.add_column(name)
        for c in report.incidents:
            delay = "–" if c.delay_minutes is None else f"{c.delay_minutes:+.0f} min"
            inc.add_row(c.incident, f"{c.start:%Y-%m-%d %H:%M}", "yes" if c.caught else "no", delay)
        parts.append(inc)
    if report.check is not None:
        parts.append(_check_table(report))
    if report.apply is not None:
        parts.append(_apply_table(report))
    notes = Text()
    for s in report.series:
        cond = s.rule.condition
        if cond is not None and cond.type == "none":
            notes.append(f"{s.id}: {cond.note}\n", style="yellow")
    for skip in report.skipped:
        notes.append(f"skipped {skip.id}: {skip.reason}\n", style="yellow")
    for w in report.warnings:
        notes.append(f"note: {w}\n", style="yellow")
    if report.baselines_file:
        notes.append(f"wrote {report.baselines_file}\n")
    if notes.plain:
        parts.append(notes)
    return Group(*parts)


def change_text(change: float | None) -> str:
    """A signed relative change: -14.9 %, +3.0 %; en dash when it has no size."""
    return "–" if change is None else f"{change * 100:+.1f} %"


def _check_table(report: TuneReport) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    check = report.check
    assert check is not None
    drifted = [d for d in check.drifts if d.beyond_tolerance]
    noise = [d for d in check.drifts if not d.beyond_tolerance]
    head = Text(
        f"Drift against {check.path} (tolerance ±{check.tolerance:.0%}): "
        + (f"{check.failed} drifted" if check.failed else "no drift")
        + (f", {len(noise)} moved within tolerance" if noise else ""),
        style="bold red" if check.failed else "bold",
    )
    parts: list[RenderableType] = [head]
    for title, rows in (("Drifted", drifted), ("Noise within tolerance", noise)):
        if not rows:
            continue
        table = Table(title=title, title_justify="left")
        # Series ids are what a reader greps for: wrap them, never cut them.
        table.add_column("series", overflow="fold", ratio=1)
        table.add_column("level", no_wrap=True)
        table.add_column("committed", justify="right", no_wrap=True)
        table.add_column("now", justify="right", no_wrap=True)
        table.add_column("change", justify="right", no_wrap=True)
        for d in rows:
            table.add_row(d.series, d.field, fmt(d.old), fmt(d.new), change_text(d.change))
        parts.append(table)
    return Group(*parts)


def _apply_table(report: TuneReport) -> RenderableType:
    from rich.table import Table

    result = report.apply
    assert result is not None
    mode = "dry run (pass --yes to apply)" if result.dry_run else f"applied {result.applied}"
    if result.error:
        mode = f"REJECTED: {result.error}"
    table = Table(title=f"Alert policies in {result.project}: {mode}", title_justify="left")
    for name in ("action", "policy", "changes"):
        table.add_column(name)
    for item in result.items:
        table.add_row(item.action, item.display_name, "; ".join(item.changes) or item.note)
    return table


def render_plain_text(report: TuneReport, width: int = 120) -> str:
    """The text view without colour, for files and tests."""

    return render_plain(render_text(report), width=width)


# --format github|junit (with --check): every series is a case; it fails when one of its levels
# drifted beyond the tolerance (annotated on the series' line of the baselines file), and
# notes the moves within tolerance.
def gate_cases(report: TuneReport, check: CheckResult) -> list[Case]:
    by_series: dict[str, list[Drift]] = {}
    for d in check.drifts:
        by_series.setdefault(d.series, []).append(d)
    ids = sorted({s.id for s in report.series} | set(by_series))
    cases = []
    for sid in ids:
        drifts = by_series.get(sid, [])
        drifted = [d for d in drifts if d.beyond_tolerance]
        lines = [
            f"{d.field}: {fmt(d.old)} -> {fmt(d.new)} ({change_text(d.change)})"
            + ("" if d.beyond_tolerance else " within tolerance")
            for d in drifts
        ]
        message = (
            f"alert drift on {sid}: " + "; ".join(lines[: len(drifted)] or lines)
            if drifted
            else f"{sid}: no drift"
        )
        cases.append(
            Case(
                suite=f"ion.tune-alerts.{report.service}",
                name=sid,
                failed=bool(drifted),
                message=message,
                file=check.path,
                line=find_line(check.path, f'"{sid}"'),
                detail="\n".join(lines),
            )
        )
    return cases


def _checked(report: TuneReport) -> CheckResult:
    if report.check is None:
        raise UsageError(
            "--format github and junit report a gate: for tune-alerts, use them with --check"
        )
    return report.check


def render_github(report: TuneReport) -> str:
    check = _checked(report)
    cases = gate_cases(report, check)
    tol = f"{check.tolerance:.0%}"
    summary = (
        f"alert drift: {check.failed} level(s) moved more than {tol} from {check.path}"
        if check.failed
        else f"no alert drift against {check.path} (tolerance {tol})"
    )
    return github(cases, f"ion tune-alerts · {report.service}", summary)


def render_junit(report: TuneReport) -> str:
    return junit(gate_cases(report, _checked(report)), f"ion tune-alerts {report.service}")


RENDERERS: Renderers[TuneReport] = Renderers(
    text=render_text, json=render_json, markdown=render_markdown, html=render_html
)


__all__ = [
    "RENDERERS",
    "fmt",
    "gate_cases",
    "levels",
    "render_github",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
    "render_plain_text",
    "runs_as",
]

"""The SLO report in four formats: rich text, JSON, Markdown (fits a PR comment) and HTML."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ioncli.render import Renderers, fit_markdown
from ioncli.render.ci import Case, github, junit
from ioncli.render.jinja import render_template
from ioncli.render.parts import heading, report_json, warning_lines
from ioncli.slo.model import Gate, SloReport, SloResult

if TYPE_CHECKING:
    from rich.console import RenderableType


def pct(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def share(value: float | None) -> str:
    """A budget share: 74.3%, or −12.0% once overspent."""
    return "–" if value is None else f"{value * 100:.1f}%".replace("-", "−")


def burn(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def count(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:,.1f}"


def hours(value: float | None) -> str:
    if value is None:
        return "never"
    if value <= 0:
        return "exhausted"
    return f"{value:,.1f} h" if value < 72 else f"{value / 24:,.1f} d"


def when(moment: datetime | None) -> str:
    return "–" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def headline(o: SloResult) -> str:
    what = "availability (non-5xx)" if o.sli == "availability" else f"< {o.threshold_ms:g} ms"
    return f"{o.name}: {o.objective:g}% {what}, {o.window}"


def _context(report: SloReport) -> dict[str, Any]:
    return {
        "report": report,
        "pct": pct,
        "share": share,
        "burn": burn,
        "count": count,
        "hours": hours,
        "when": when,
        "headline": headline,
        "generated": report.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
    }


def render_json(report: SloReport) -> str:
    return report_json(report)


def render_markdown(report: SloReport) -> str:
    return fit_markdown(render_template("slo/report.md.j2", **_context(report)))


def render_html(report: SloReport) -> str:
    return render_template("slo/report.html.j2", **_context(report))


def render_text(report: SloReport) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list[Any] = []
    parts.append(
        heading(
            f"Service level objectives · {report.service}",
            f"{when(report.data_start)} .. {when(report.data_end)} · source {report.source}"
            f"{' (simulated)' if report.simulated else ''} · step {report.step_seconds} s",
        )
    )
    parts.extend(warning_lines(report.warnings))
    for o in report.objectives:
        style = {"met": "green", "breached": "bold red"}.get(o.status, "yellow")
        title = Text()
        title.append(f"\n{headline(o)} · ", style="bold")
        title.append(o.status.upper(), style=style)
        if o.note:
            title.append(f"\n{o.note}", style="yellow")
        parts.append(title)
        if not o.scopes:
            continue
        fleet = o.fleet()
        if fleet is not None:
            parts.append(
                Text(
                    f"window {when(o.window_start)} .. {when(o.window_end)} · budget "
                    f"{count(fleet.budget_events)} bad requests ({fleet.budget_minutes:.1f} min "
                    "of full outage)"
                )
            )
        table = Table(box=None, pad_edge=False, header_style="bold")
        for col in ("scope", "compliance", "budget used", "left", "runs out: 1 h burn", "average"):
            table.add_column(col, justify="left" if col == "scope" else "right", no_wrap=True)
        rates_table = Table(box=None, pad_edge=False, header_style="bold")
        for col in ("scope", "burn 5m", "1h", "6h", "3d"):
            rates_table.add_column(col, justify="left" if col == "scope" else "right")
        for s in o.scopes:
            rates = {b.window: burn(b.burn_rate) for b in s.burn_rates}
            table.add_row(
                s.scope,
                pct(s.compliance),
                share(s.consumed),
                Text(share(s.remaining), style="red" if s.remaining <= 0 else ""),
                hours(s.at_current_burn.hours),
                hours(s.at_average_burn.hours),
            )
            rates_table.add_row(s.scope, rates["5m"], rates["1h"], rates["6h"], rates["3d"])
        parts.extend([table, rates_table])
        if fleet and fleet.episodes:
            worst = Table(
                title="worst episodes (fleet)", title_justify="left", box=None, pad_edge=False
            )
            for col in ("start", "minutes", "bad requests", "budget", "peak burn"):
                worst.add_column(col, justify="left" if col == "start" else "right")
            for e in fleet.episodes:
                worst.add_row(
                    when(e.start),
                    f"{e.minutes:g}",
                    count(e.bad_events),
                    share(e.budget_consumed),
                    burn(e.peak_burn_rate),
                )
            parts.append(worst)
        parts.append(_replay_table(o))
    if report.apply is not None:
        parts.append(_apply_text(report))
    for g in report.gate:
        parts.append(Text(f"fail-on: {g}", style="bold red"))
    return Group(*parts)


def _replay_table(o: SloResult) -> Any:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("scope", "rule", "incid.", "caught", "alerts", "false", "detect", "min bad"):
        table.add_column(col, justify="left" if col in ("scope", "rule") else "right", no_wrap=True)
    for scope in o.replay:
        for r in scope.rules:
            plain = r.without_minimum or {}
            alerts, nothing = str(r.episodes), str(r.false_alerts)
            caught = str(r.incidents_caught)
            if plain:
                alerts += f" ({plain['episodes']:g})"
                nothing += f" ({plain['false_alerts']:g})"
                caught += f" ({plain['incidents_caught']:g})"
            detect = r.median_detection_minutes
            table.add_row(
                scope.scope,
                r.name,
                str(scope.incidents),
                caught,
                alerts,
                nothing,
                "–" if detect is None else f"{detect:.0f} min",
                count(r.min_bad_events),
            )
    rules = {r.name: r.description for sc in o.replay for r in sc.rules}
    legend = Text(
        "Alert rules replayed over the data: incidents are episodes that spent at least 2% of "
        "the budget; false = alerts with no incident; burn-rate rules need the traffic-aware "
        "minimum of bad requests (in brackets: without it). "
        + "; ".join(f"{k}: {v}" for k, v in rules.items()),
        style="dim",
    )
    return Group(table, legend)


def _apply_text(report: SloReport) -> Any:
    from rich.text import Text

    a = report.apply
    assert a is not None
    text = Text()
    text.append(
        "\nApply plan (dry run; add --yes to make it so)" if a.dry_run else "\nApplied",
        style="bold",
    )
    text.append(f" · project {a.project} · Monitoring service {a.service}")
    for item in a.items:
        text.append(f"\n  {item['action']:<9} {item['kind']:<8} {item['name']}")
        if item.get("changes"):
            text.append(f"  ({'; '.join(item['changes'])})", style="dim")
    for line in a.not_applied:
        text.append(f"\n  not applied: {line}", style="yellow")
    return text


# --format github|junit: per objective and scope, the objective met (fails when breached), the
# error budget left and the burn rate over the last hour (failing when the `--fail-on` gate of
# that kind trips: the same judgement as the exit code). An objective the source cannot
# measure is skipped.
def gate_cases(report: SloReport, gate: Gate) -> list[Case]:
    cases = []
    for o in report.objectives:
        suite = f"ion.slo.{report.service}.{o.name}"
        if not o.scopes:
            cases.append(Case(suite, "objective", False, o.note or o.status, skipped=True))
            continue
        for s in o.scopes:
            compliance = "undefined" if s.compliance is None else f"{s.compliance:.4%}"
            cases.append(
                Case(
                    suite,
                    f"{s.scope}: objective {o.objective:g}%",
                    s.met is False,
                    f"{o.name} ({s.scope}): compliance {compliance} over {o.window}"
                    + (" (partial window)" if o.partial else ""),
                )
            )
            left = s.remaining * 100.0
            floor = gate[1] if gate and gate[0] == "budget-remaining-below" else None
            cases.append(
                Case(
                    suite,
                    f"{s.scope}: error budget left",
                    floor is not None and left < floor,
                    f"{o.name} ({s.scope}): {left:.1f}% of the error budget left"
                    + (f" (gate: below {floor:g}%)" if floor is not None else ""),
                    level="error" if floor is not None else "warning",
                )
            )
            burn = next((b.burn_rate for b in s.burn_rates if b.window == "1h"), None)
            limit = gate[1] if gate and gate[0] == "burn-rate-above" else None
            shown = "undefined (no traffic)" if burn is None else f"{burn:.2f}x"
            cases.append(
                Case(
                    suite,
                    f"{s.scope}: burn rate over 1 h",
                    limit is not None and burn is not None and burn > limit,
                    f"{o.name} ({s.scope}): burning {shown} over the last hour"
                    + (f" (gate: above {limit:g}x)" if limit is not None else ""),
                )
            )
    return cases


def render_github(report: SloReport, gate: Gate) -> str:
    met = sum(o.status == "met" for o in report.objectives)
    return github(
        gate_cases(report, gate),
        f"ion slo · {report.service}",
        f"{met} of {len(report.objectives)} objective(s) met over their windows",
    )


def render_junit(report: SloReport, gate: Gate) -> str:
    return junit(gate_cases(report, gate), f"ion slo {report.service}")


RENDERERS: Renderers[SloReport] = Renderers(
    text=render_text, json=render_json, markdown=render_markdown, html=render_html
)

"""The cost report in four formats: rich text, JSON, Markdown (fits a PR comment) and HTML."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ioncli.cost.model import CostReport
from ioncli.render import Renderers, fit_markdown
from ioncli.render.ci import Case, github, junit
from ioncli.render.jinja import number, render_template
from ioncli.render.parts import heading, report_json, warning_lines

if TYPE_CHECKING:
    from rich.console import RenderableType


def money(value: Any, signed: bool = False) -> str:
    if value is None:
        return "–"
    v = float(value)
    sign = ("+" if v > 0.005 else "−" if v < -0.005 else "") if signed else ("−" if v < 0 else "")
    return f"{sign}${abs(v):,.2f}"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def plain(value: float) -> str:
    """A rate without exponent notation (0.0000025, not 2.5e-06)."""
    return f"{value:.10f}".rstrip("0").rstrip(".")


def scenario(value: Any) -> str:
    """One region's configuration in a cell: "2 vCPU / 2 GiB, request-based, min 1, max 10,
    concurrency 80" (or a dash when the region is not in this side)."""
    if value is None:
        return "–"
    return (
        f"{value.cpu:g} vCPU / {value.memory_gib:g} GiB, {value.billing}, "
        f"min {value.min_instances}, max {value.max_instances}, "
        f"concurrency {value.concurrency}"
    )


def changed(row: Any) -> str:
    """What a what-if changes in one region, only the settings that differ: "cpu 2 → 1,
    min 3 → 1" (a region added or removed by the change says so)."""
    if row.today is None:
        return "added: " + scenario(row.what_if)
    if row.what_if is None:
        return "removed"
    a, b = row.today, row.what_if
    fields = (
        ("cpu", a.cpu, b.cpu, " vCPU"),
        ("memory", a.memory_gib, b.memory_gib, " GiB"),
        ("billing", a.billing, b.billing, ""),
        ("min", a.min_instances, b.min_instances, ""),
        ("max", a.max_instances, b.max_instances, ""),
        ("concurrency", a.concurrency, b.concurrency, ""),
    )
    out = [f"{name} {x:g} → {y:g}{unit}" if isinstance(x, float) else f"{name} {x} → {y}{unit}"
           for name, x, y, unit in fields if x != y]  # fmt: skip
    if abs(b.requests_per_second - a.requests_per_second) > 1e-9:
        out.append(f"req/s {a.requests_per_second:,.2f} → {b.requests_per_second:,.2f}")
    return ", ".join(out) or "no change"


def _context(report: CostReport) -> dict[str, Any]:
    return {
        "report": report,
        "money": money,
        "number": number,
        "plain": plain,
        "scenario": scenario,
        "diff_of": changed,
        "percent": percent,
        "changed": [r for r in report.recommendations if r.recommended != r.current],
        "schedules": [s for s in report.schedules if s.windows or s.name != "computed"],
        "flat": [s.region for s in report.schedules if s.name == "computed" and not s.windows],
        "generated": report.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
    }


def render_json(report: CostReport) -> str:
    """JSON with schema_version first, numbers as numbers, timestamps in UTC."""
    return report_json(report)


def render_markdown(report: CostReport) -> str:
    return fit_markdown(render_template("cost_report/report.md.j2", **_context(report)))


def render_html(report: CostReport) -> str:
    return render_template("cost_report/report.html.j2", **_context(report))


def render_text(report: CostReport) -> RenderableType:
    from rich.console import Group
    from rich.text import Text

    parts: list[Any] = []
    t = report.totals
    rates = report.pricing
    overrides = f", overrides: {', '.join(rates.overrides)}" if rates.overrides else ""
    parts.append(
        heading(
            f"Cloud Run cost · {report.service}",
            f"{report.window_start:%Y-%m-%d %H:%M} .. {report.window_end:%Y-%m-%d %H:%M} UTC · "
            f"source {report.source}{' (simulated)' if report.simulated else ''} · "
            f"step {report.step_seconds} s",
            f"configuration: {report.configuration}",
            f"rates: {rates.id} ({rates.origin}, as of {rates.as_of}){overrides}",
        )
    )
    parts.extend(warning_lines(report.warnings))

    parts.extend(_region_tables(report))

    lines = Text()
    lines.append(f"On demand {money(t.monthly_on_demand)} / month")
    if t.free_tier_credit:
        lines.append(f" · free tier −{money(t.free_tier_credit)}")
    if t.commitment != "none":
        lines.append(f" · {t.commitment} commitment −{money(t.commitment_discount)}")
    lines.append(f" · net {money(t.monthly_net)}", style="bold")
    projected = "not projected" if report.limited else f"{money(t.projected_month)} projected"
    lines.append(f"\nCalendar month {report.month}: {money(t.month_to_date)} to date, {projected}")
    if report.limited:
        lines.append(f"\n⚠ {report.limited}", style="bold yellow")
    elif t.budget is not None:
        style = "bold red" if t.over_budget else "green"
        used = f"{(t.budget_used or 0):.0%}"
        verdict = "OVER BUDGET" if t.over_budget else "within budget"
        lines.append(f"\nBudget {money(t.budget)}: {used} used, {verdict}", style=style)
    parts.append(lines)

    if report.what_if is not None:
        parts.extend(_what_if_parts(report))

    if report.comparison is not None:
        c = report.comparison
        ratio = f" ({c.change_ratio:+.1%})" if c.change_ratio is not None else ""
        parts.append(
            Text(
                f"Since {c.previous_generated_at}: {money(c.previous_monthly)} → "
                f"{money(c.current_monthly)} a month, {money(c.change, signed=True)}{ratio}",
                style="bold red" if c.increased else "green",
            )
        )
        if c.basis_changes:
            parts.append(
                Text(
                    "Priced differently from the previous report ("
                    + "; ".join(c.basis_changes)
                    + "): part of the change is the pricing, not the usage.",
                    style="yellow",
                )
            )

    parts.extend(_recommendation_parts(report))
    if report.plan is not None:
        parts.append(_plan_text(report))
    parts.append(Text("Assumptions: " + "; ".join(report.assumptions), style="dim"))
    return Group(*parts)


def _what_if_parts(report: CostReport) -> list[Any]:
    from rich.table import Table
    from rich.text import Text

    w = report.what_if
    assert w is not None
    table = Table(title="What if: " + ", ".join(w.changes), title_justify="left")
    for col in ("region", "change", "$ today", "$ what if", "difference", "busy inst.",
                "cold starts / week"):  # fmt: skip
        table.add_column(col, justify="left" if col in ("region", "change") else "right",
                         no_wrap=col == "region")  # fmt: skip
    for r in w.regions:
        table.add_row(
            r.region,
            changed(r),
            money(r.today.monthly) if r.today else "–",
            money(r.what_if.monthly) if r.what_if else "–",
            money(r.difference, signed=True),
            f"{number(r.today.busy_instances_mean) if r.today else '–'} → "
            f"{number(r.what_if.busy_instances_mean) if r.what_if else '–'}",
            f"{number(r.today.cold_starts_per_week, 1) if r.today else '–'} → "
            f"{number(r.what_if.cold_starts_per_week, 1) if r.what_if else '–'}",
        )
    table.add_row("total (on demand)", "", money(w.today_on_demand),
                  money(w.what_if_on_demand), money(w.difference_on_demand, signed=True),
                  "", "")  # fmt: skip
    head = Text(
        f"What if: {money(w.difference_net, signed=True)} / month net "
        f"({money(w.today_net)} today → {money(w.what_if_net)})",
        style="bold",
    )
    parts: list[Any] = [head, table]
    for risk in w.risks:
        parts.append(Text(f"risk: {risk}", style="yellow"))
    parts.append(Text(f"Model: {w.model}. It ignores {'; '.join(w.ignores)}.", style="dim"))
    return parts


def _region_tables(report: CostReport) -> list[Any]:
    from rich.table import Table

    config = Table(title="Configuration", title_justify="left")
    for col in ("region", "tier", "billing", "vCPU", "GiB", "min", "max", "concurrency"):
        config.add_column(col, justify="left" if col in ("region", "billing") else "right",
                          no_wrap=col == "region")  # fmt: skip
    for r in report.regions:
        config.add_row(r.region, str(r.tier), r.billing, number(r.cpu), number(r.memory_gib),
                       str(r.min_instances), str(r.max_instances), str(r.concurrency))  # fmt: skip
    costs = Table(title="Monthly cost by region (run rate)", title_justify="left")
    for col in ("region", "idle min", "active", "requests", "held", "total", "to date",
                "projected"):  # fmt: skip
        costs.add_column(col, justify="left" if col == "region" else "right",
                         no_wrap=col == "region")  # fmt: skip
    for r in report.regions:
        costs.add_row(
            r.region,
            money(r.monthly.idle),
            money(r.monthly.active),
            money(r.monthly.requests),
            money(r.monthly.held),
            money(r.monthly.total),
            money(r.month_to_date),
            "–" if report.limited else money(r.projected_month),
        )
    usage = Table(title="Usage over the range", title_justify="left")
    for col in ("region", "busy inst. mean", "peak", "idle inst.", "req/s", "CPU", "memory",
                "start-up p95", "coverage"):  # fmt: skip
        usage.add_column(col, justify="left" if col == "region" else "right",
                         no_wrap=col == "region")  # fmt: skip
    for r in report.regions:
        u = r.usage
        usage.add_row(
            r.region,
            number(u.busy_instances_mean),
            number(u.busy_instances_peak),
            number(u.idle_instances_mean),
            number(u.requests_per_second),
            percent(u.cpu_utilization),
            percent(u.memory_utilization),
            f"{number(u.startup_p95_ms, 0)} ms",
            percent(u.coverage),
        )
    return [config, usage, costs]


def _recommendation_parts(report: CostReport) -> list[Any]:
    from rich.table import Table
    from rich.text import Text

    parts: list[Any] = []
    recs = Table(title="Min instances: recommendation per region", title_justify="left")
    for col in ("region", "now", "recommended", "saved / month", "cold starts / week",
                "added waiting requests / week", "added wait / week"):  # fmt: skip
        recs.add_column(col, justify="left" if col == "region" else "right",
                        no_wrap=col == "region")  # fmt: skip
    for m in report.recommendations:
        recs.add_row(
            m.region,
            str(m.current),
            str(m.recommended),
            money(m.dollars_saved_per_month),
            f"{number(m.cold_starts_per_week_before, 1)} → "
            f"{number(m.cold_starts_per_week_after, 1)}",
            f"{number(m.delayed_requests_added_per_week, 0)}",
            f"{number(m.added_wait_seconds_per_week, 0)} s",
        )
    parts.append(recs)
    parts.append(
        Text(
            f"Budget for added cold starts: {report.max_cold_start_share:.4%} of requests; "
            f"cold starts wait ~ the start-up latency p95.",
            style="dim",
        )
    )

    sched = Table(title="Scheduled min-instance windows (computed savings)", title_justify="left")
    for col in ("region", "schedule", "windows (min)", "cost / month", "saved vs now",
                "cold starts / week"):  # fmt: skip
        sched.add_column(col, justify="left" if col in ("region", "schedule", "windows (min)")
                         else "right", no_wrap=col == "region")  # fmt: skip
    for s in report.schedules:
        windows = ", ".join(f"{w.start}–{w.end}: {w.min_instances}" for w in s.windows[:6])
        if len(s.windows) > 6:
            windows += f" (+{len(s.windows) - 6} more)"
        windows = f"{windows}; else {s.default_min}" if windows else f"flat {s.default_min}"
        sched.add_row(s.region, s.name, windows, money(s.monthly_cost),
                      money(s.dollars_saved_vs_current),
                      number(s.cold_starts_per_week, 1))  # fmt: skip
    if report.schedules:  # none when the range is too short to propose one
        parts.append(sched)

    if report.billing_options:
        bill = Table(
            title="Billing setting: the same usage under the other one", title_justify="left"
        )
        for col in ("region", "now", "cost / month", "other", "cost / month ", "difference"):
            right = "cost" in col or col == "difference"
            bill.add_column(col, justify="right" if right else "left", no_wrap=col == "region")
        for b in report.billing_options:
            bill.add_row(
                b.region,
                b.current,
                money(b.monthly_current),
                b.alternative,
                money(b.monthly_alternative),
                money(b.difference, signed=True),
            )
        parts.append(bill)
    if report.rightsizing:
        sizing = Table(title="Right-sizing", title_justify="left")
        for col in ("region", "change", "now → proposed", "$ / month", "evidence", "risk"):
            sizing.add_column(col, justify="right" if col == "$ / month" else "left",
                              no_wrap=col == "region")  # fmt: skip
        for z in report.rightsizing:
            sizing.add_row(z.region, z.kind, f"{z.current} → {z.proposed}",
                           money(z.monthly_change, signed=True), z.evidence, z.risk)  # fmt: skip
        parts.append(sizing)
        for z in report.rightsizing:
            parts.append(Text(f"  {z.region}, {z.kind}: {z.command}", style="dim"))
    if report.held_revisions:
        held = Table(title="Warm instances held by revisions without traffic", title_justify="left")
        for col in ("region", "revision", "tags", "warm", "cost / month"):
            held.add_column(col)
        for h in report.held_revisions:
            held.add_row(h.region, h.revision, ", ".join(h.tags) or "–", str(h.warm_instances),
                         money(h.monthly_cost))  # fmt: skip
        parts.append(held)
    else:
        parts.append(Text("No warm instances held by revisions without traffic.", style="dim"))

    return parts


def _plan_text(report: CostReport) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    plan = report.plan
    assert plan is not None
    applied = report.applied
    title = "Apply: result" if applied is not None else "Apply: plan (dry run; --yes applies it)"
    table = Table(title=title, title_justify="left")
    for col in ("region", "min before", "min after", "$ / month", "cold starts / week", "status"):
        table.add_column(col, justify="left" if col in ("region", "status") else "right")
    outcomes = {s.region: s for s in applied.steps} if applied else {}
    for c in plan.changes:
        step = outcomes.get(c.region)
        status = "planned" if step is None else step.outcome.value
        if step is not None and step.detail:
            status += f": {step.detail}"
        table.add_row(
            c.region,
            str(c.before),
            str(c.after),
            money(c.dollars_per_month, signed=True),
            f"{c.cold_starts_per_week:+.1f}",
            status,
        )
    parts: list[Any] = [table]
    if not plan.changes:
        parts.append(Text("Nothing to change: every region already has the planned min."))
    if plan.unchanged:
        parts.append(Text(f"Unchanged: {', '.join(plan.unchanged)}", style="dim"))
    for note in report.notes:
        parts.append(Text(note, style="dim"))
    if applied is not None and applied.undo:
        parts.append(Text(f"Undo: {applied.undo}", style="bold"))
        for g in applied.undo_gcloud:
            parts.append(Text(f"  or: {g}", style="dim"))
    return Group(*parts)


# --format github|junit: the budget is a case (skipped without one), and with --compare-to the
# change against the previous report is another (a notice when the cost went up).
def gate_cases(report: CostReport) -> list[Case]:
    t = report.totals
    suite = f"ion.cost-report.{report.service}"
    cases = []
    if t.budget is None:
        cases.append(
            Case(suite, "budget", False, "no budget set (--budget or [cost] budget)", skipped=True)
        )
    else:
        verdict = "over" if t.over_budget else "within"
        cases.append(
            Case(
                suite,
                "budget",
                bool(t.over_budget),
                f"{report.month}: ${t.projected_month:,.2f} projected, {verdict} the budget of "
                f"${t.budget:,.2f}",
            )
        )
    c = report.comparison
    if c is not None:
        ratio = f" ({c.change_ratio * 100:+.1f} %)" if c.change_ratio is not None else ""
        cases.append(
            Case(
                suite,
                "change since the previous report",
                False,  # an increase is news, not a failure: --budget is the gate
                f"monthly cost ${c.previous_monthly:,.2f} -> ${c.current_monthly:,.2f}{ratio}",
                level="notice",
                annotate=bool(c.increased),
            )
        )
    return cases


def render_github(report: CostReport) -> str:
    t = report.totals
    return github(
        gate_cases(report),
        f"ion cost-report · {report.service}",
        f"${t.monthly_net:,.2f} a month net, ${t.projected_month:,.2f} projected for "
        f"{report.month}",
    )


def render_junit(report: CostReport) -> str:
    return junit(gate_cases(report), f"ion cost-report {report.service}")


RENDERERS: Renderers[CostReport] = Renderers(
    text=render_text, json=render_json, markdown=render_markdown, html=render_html
)

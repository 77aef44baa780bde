"""What each gating command judged, as CI cases (`ioncli.render.ci`): one adapter per report.

- dashboard: every value with a threshold is a case; a value at or above the gate's level
  (`--fail-on`, else warning) fails: critical as an error, warning as a warning;
- tune-alerts --check: every series is a case; it fails when one of its levels drifted
  beyond the tolerance (annotated on the series' line of the baselines file), and notes the
  moves within tolerance;
- cost-report: the budget is a case (skipped without one), and with --compare-to the
  change against the previous report is another (a notice when the cost went up).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ioncli.alerting.render import change_text
from ioncli.alerting.render import fmt as fmt_value
from ioncli.dashboards.model import DashboardReport, Level, dashboard_readings
from ioncli.dashboards.units import fmt, fmt_threshold
from ioncli.errors import UsageError
from ioncli.render.ci import Case, find_line, github, junit

if TYPE_CHECKING:
    from ioncli.alerting.model import CheckResult, Drift, TuneReport
    from ioncli.cost.model import CostReport


def dashboard_cases(report: DashboardReport, fail_on: str | None) -> list[Case]:
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


def dashboard_github(report: DashboardReport, fail_on: str | None) -> str:
    cases = dashboard_cases(report, fail_on)
    bad = sum(c.failed for c in cases)
    return github(cases, f"ion dashboard · {report.service}", f"{report.summary}; {bad} flagged")


def dashboard_junit(report: DashboardReport, fail_on: str | None) -> str:
    return junit(dashboard_cases(report, fail_on), f"ion dashboard {report.service}")


def tune_cases(report: TuneReport, check: CheckResult) -> list[Case]:
    by_series: dict[str, list[Drift]] = {}
    for d in check.drifts:
        by_series.setdefault(d.series, []).append(d)
    ids = sorted({s.id for s in report.series} | set(by_series))
    cases = []
    for sid in ids:
        drifts = by_series.get(sid, [])
        drifted = [d for d in drifts if d.beyond_tolerance]
        lines = [
            f"{d.field}: {fmt_value(d.old)} -> {fmt_value(d.new)} ({change_text(d.change)})"
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


def tune_github(report: TuneReport) -> str:
    check = _checked(report)
    cases = tune_cases(report, check)
    tol = f"{check.tolerance:.0%}"
    summary = (
        f"alert drift: {check.failed} level(s) moved more than {tol} from {check.path}"
        if check.failed
        else f"no alert drift against {check.path} (tolerance {tol})"
    )
    return github(cases, f"ion tune-alerts · {report.service}", summary)


def tune_junit(report: TuneReport) -> str:
    return junit(tune_cases(report, _checked(report)), f"ion tune-alerts {report.service}")


def cost_cases(report: CostReport) -> list[Case]:
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


def cost_github(report: CostReport) -> str:
    t = report.totals
    return github(
        cost_cases(report),
        f"ion cost-report · {report.service}",
        f"${t.monthly_net:,.2f} a month net, ${t.projected_month:,.2f} projected for "
        f"{report.month}",
    )


def cost_junit(report: CostReport) -> str:
    return junit(cost_cases(report), f"ion cost-report {report.service}")

"""The `slo` dashboard: `ion slo`'s analysis of each objective as a dashboard table.

One row per objective and scope: compliance against the objective, the budget left, the
burn rate over the last hour and six hours, and when the budget runs out at the last hour's
burn. Statuses: compliance below the objective or no budget left is critical; a quarter of
the budget or less left, or an hour burning faster than 1 (the budget gone before the window
ends), is a warning; burning faster than the objective's fastest page rule is critical.
"""

from __future__ import annotations

from collections.abc import Sequence

from ioncli.dashboards.model import Column, Level, Reading, Row, Table
from ioncli.frame import MetricFrame
from ioncli.slo.analysis import build_report
from ioncli.slo.config import DEFAULT_SLO, SloSpec

LOW_BUDGET = 0.25


def budget_table(frame: MetricFrame, slos: Sequence[SloSpec], title: str) -> Table:
    specs = tuple(slos) or (DEFAULT_SLO,)
    report = build_report(frame, specs, service="")
    columns = (
        Column("slo_compliance", "Compliance", "ratio"),
        Column("slo_budget_left", "Budget left", "ratio"),
        Column("slo_burn_1h", "Burn 1h", "×"),
        Column("slo_burn_6h", "Burn 6h", "×"),
        Column("slo_runs_out", "Runs out in", "h"),
    )
    rows, notes = [], []
    for spec, o in zip(specs, report.objectives, strict=True):
        if o.note:
            notes.append(f"{o.name}: {o.note}")
        fastest = max((r.burn_rate for r in spec.alerts if r.severity == "page"), default=None)
        for s in o.scopes:
            label = f"{o.name} {o.objective:g}% · {s.scope}"
            rates = {b.window: b.burn_rate for b in s.burn_rates}

            met = s.compliance is None or s.compliance >= spec.objective
            left = Level.OK
            if s.remaining <= LOW_BUDGET:
                left = Level.WARNING
            if s.remaining <= 0:
                left = Level.CRITICAL
            cells = (
                Reading(
                    label,
                    "slo_compliance",
                    "ratio",
                    s.compliance,
                    Level.MISSING if s.compliance is None else Level.OK if met else Level.CRITICAL,
                ),
                Reading(label, "slo_budget_left", "ratio", s.remaining, left),
                _burn(label, "1h", rates["1h"], fastest),
                _burn(label, "6h", rates["6h"], fastest),
                Reading(label, "slo_runs_out", "h", s.at_current_burn.hours, Level.UNKNOWN),
            )
            rows.append(Row(label, {"slo": o.name, "scope": s.scope}, cells))
    return Table(title, ("slo", "scope"), columns, tuple(rows), "; ".join(notes))


def _burn(label: str, window: str, value: float | None, fastest: float | None) -> Reading:
    status = Level.MISSING if value is None else Level.OK
    if value is not None and value > 1:
        status = Level.WARNING
    if value is not None and fastest is not None and value > fastest:
        status = Level.CRITICAL
    return Reading(label, f"slo_burn_{window}", "×", value, status)

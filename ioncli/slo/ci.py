"""`--format github|junit` for `ion slo`: what was judged, per objective and scope.

Cases per objective and scope: the objective met (fails when breached), the error budget left
and the burn rate over the last hour (fail when the `--fail-on` gate of that kind trips; the
same judgement as the exit code). An objective the source cannot measure is skipped.
"""

from __future__ import annotations

from ioncli.render.ci import Case, github, junit
from ioncli.slo.report import SloReport

Gate = tuple[str, float] | None


def slo_cases(report: SloReport, gate: Gate) -> list[Case]:
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


def slo_github(report: SloReport, gate: Gate) -> str:
    met = sum(o.status == "met" for o in report.objectives)
    return github(
        slo_cases(report, gate),
        f"ion slo · {report.service}",
        f"{met} of {len(report.objectives)} objective(s) met over their windows",
    )


def slo_junit(report: SloReport, gate: Gate) -> str:
    return junit(slo_cases(report, gate), f"ion slo {report.service}")


def tripped(report: SloReport, gate: Gate) -> list[str]:
    """What crosses the --fail-on gate, one line each (the exit code is 5 when any does)."""
    if gate is None:
        return []
    what, value = gate
    tripped = []
    for o in report.objectives:
        for s in o.scopes:
            if what == "budget-remaining-below" and s.remaining * 100.0 < value:
                tripped.append(
                    f"{o.name} ({s.scope}): {s.remaining * 100:.1f}% of the error budget left, "
                    f"below {value:g}%"
                )
            if what == "burn-rate-above":
                current = next((b.burn_rate for b in s.burn_rates if b.window == "1h"), None)
                if current is not None and current > value:
                    tripped.append(
                        f"{o.name} ({s.scope}): burning {current:.2f}x over the last hour, "
                        f"above {value:g}x"
                    )
    return tripped

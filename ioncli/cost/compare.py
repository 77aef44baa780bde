"""`--compare-to`: the change since a previous cost report's JSON, the way infracost shows a
diff: the monthly total before and after, and each region's cost and min instances."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ioncli.errors import UsageError

if TYPE_CHECKING:
    from ioncli.cost.report import CostReport


@dataclass(frozen=True)
class RegionDelta:
    region: str
    before: float | None
    after: float | None
    change: float
    min_before: int | None
    min_after: int | None


@dataclass(frozen=True)
class Comparison:
    previous_generated_at: str
    previous_monthly: float
    current_monthly: float
    change: float
    change_ratio: float | None
    increased: bool
    regions: tuple[RegionDelta, ...]


def compare(report: CostReport, previous: Mapping[str, Any], where: str) -> Comparison:
    """The change since a previous `ion cost-report --format json`."""
    from ioncli.cost.report import SCHEMA_VERSION

    try:
        if previous.get("schema_version") != SCHEMA_VERSION:
            raise UsageError(
                f"--compare-to {where}: schema_version {previous.get('schema_version')!r} "
                f"is not {SCHEMA_VERSION}; it is not a cost-report JSON of this version"
            )
        before_total = float(previous["totals"]["monthly_net"])
        before_regions = {
            r["region"]: (float(r["monthly"]["total"]), int(r["min_instances"]))
            for r in previous["regions"]
        }
        stamp = str(previous.get("generated_at", ""))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UsageError(
            f"--compare-to {where}: not a cost-report JSON (missing or bad {exc})"
        ) from None
    now_total = report.totals.monthly_net
    deltas = []
    current = {r.region: r for r in report.regions}
    for region in sorted(set(before_regions) | set(current)):
        b = before_regions.get(region)
        a = current.get(region)
        deltas.append(
            RegionDelta(
                region,
                b[0] if b else None,
                a.monthly.total if a else None,
                (a.monthly.total if a else 0.0) - (b[0] if b else 0.0),
                b[1] if b else None,
                a.min_instances if a else None,
            )
        )
    change = now_total - before_total
    return Comparison(
        previous_generated_at=stamp,
        previous_monthly=before_total,
        current_monthly=now_total,
        change=change,
        change_ratio=(change / before_total) if before_total else None,
        increased=change > 0.005,
        regions=tuple(deltas),
    )

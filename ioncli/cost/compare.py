"""`--compare-to`: the change since a previous cost report's JSON, the way infracost shows a
diff: the monthly total before and after, and each region's cost and min instances.

Only a report for the same service in the same currency is compared; pricing choices that
differ (commitment, free tier, rate table) are named next to the change."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ioncli.cost.model import Comparison, CostReport, RegionDelta
from ioncli.errors import UsageError

ACCEPTED_VERSIONS = (1, 2)


def _previous(previous: Mapping[str, Any], where: str) -> tuple[Any, ...]:
    """The fields a comparison needs, checked: a stub or another tool's JSON is refused."""
    version = previous.get("schema_version") if isinstance(previous, Mapping) else None
    if version not in ACCEPTED_VERSIONS:
        raise UsageError(
            f"--compare-to {where}: schema_version {version!r} is not one of "
            f"{', '.join(map(str, ACCEPTED_VERSIONS))}; it is not a cost-report JSON ion can read"
        )
    try:
        service = str(previous["service"])
        currency = str(previous["pricing"]["currency"])
        totals = previous["totals"]
        on_demand, net = float(totals["monthly_on_demand"]), float(totals["monthly_net"])
        rows = previous["regions"]
        if not isinstance(rows, list) or not rows:
            raise ValueError("regions: empty")
        regions = {
            str(r["region"]): (float(r["monthly"]["total"]), int(r["min_instances"])) for r in rows
        }
        stamp = str(previous["generated_at"])
        basis = {
            "commitment": str(totals.get("commitment", "none")),
            "free tier": "on" if float(totals.get("free_tier_credit", 0)) > 0 else "off",
            "rate table": str(previous["pricing"].get("id", "")),
            "rate overrides": ", ".join(previous["pricing"].get("overrides", [])) or "none",
        }
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UsageError(
            f"--compare-to {where}: not a complete cost-report JSON (missing or bad {exc})"
        ) from None
    values = (on_demand, net, *(v[0] for v in regions.values()))
    if not all(math.isfinite(v) and v >= 0 for v in values):
        raise UsageError(f"--compare-to {where}: costs must be finite numbers >= 0")
    return service, currency, on_demand, net, regions, stamp, basis


def compare(report: CostReport, previous: Mapping[str, Any], where: str) -> Comparison:
    """The change since a previous `ion cost-report --format json`, net of the free tier and
    commitments in the headline and in every region row (a region's share of the net total
    is its share of the on-demand total), so the rows add up to the headline."""
    service, currency, on_demand, net, before_regions, stamp, basis = _previous(previous, where)
    if service != report.service:
        raise UsageError(
            f"--compare-to {where}: it is a report for service {service!r}, this one is for "
            f"{report.service!r}"
        )
    if currency != report.pricing.currency:
        raise UsageError(
            f"--compare-to {where}: it is priced in {currency}, this report in "
            f"{report.pricing.currency}"
        )
    kept = net / on_demand if on_demand > 0 else 0.0
    t = report.totals
    now_basis = {
        "commitment": t.commitment,
        "free tier": "on" if t.free_tier_credit > 0 else "off",
        "rate table": report.pricing.id,
        "rate overrides": ", ".join(report.pricing.overrides) or "none",
    }
    changes = tuple(f"{k}: {basis[k]} -> {now_basis[k]}" for k in basis if basis[k] != now_basis[k])
    now_total = t.monthly_net
    deltas = []
    current = {r.region: r for r in report.regions}
    for region in sorted(set(before_regions) | set(current)):
        b = before_regions.get(region)
        a = current.get(region)
        before = b[0] * kept if b else None
        after = a.monthly_net if a else None
        deltas.append(
            RegionDelta(
                region,
                before,
                after,
                (after or 0.0) - (before or 0.0),
                b[1] if b else None,
                a.min_instances if a else None,
            )
        )
    change = now_total - net
    return Comparison(
        previous_generated_at=stamp,
        previous_monthly=net,
        current_monthly=now_total,
        change=change,
        change_ratio=(change / net) if net else None,
        increased=change > 0.005,
        regions=tuple(deltas),
        basis_changes=changes,
    )

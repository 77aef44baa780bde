"""Cloud Monitoring alert policies from tuned rules: plan, diff, apply (and undo on failure).

The one module that talks to AlertPolicyService; the client is handed in. One policy per
series, paging at the rule's critical level(s): a threshold condition per side (GT above,
LT below) on the catalog's query for the metric, with the rule's duration, the frame's step
as alignment period, severity CRITICAL and documentation that says where the number came
from. Policies ion manages carry the user label `managed-by: ion` plus the service and a
series key, so a rerun updates them instead of creating duplicates.

Apply order: creates and updates one at a time, each update with a mask of only the fields
that changed. If any call fails, every change already made in this run is undone (created
policies deleted, updated ones written back as they were) before the error is raised, so a
rejected update leaves the other policies as they were.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from ioncli.alerting.model import ApplyResult, PlanItem, SeriesOut, TuneReport
from ioncli.alerting.render import fmt
from ioncli.errors import ApplyError, SourceError
from ioncli.frame import SeriesKey
from ioncli.sources.catalog import MetricSpec, catalog

if TYPE_CHECKING:
    from ioncli.config import Settings

MANAGED_BY = "managed-by"
LABEL_SERVICE = "ion-service"
LABEL_SERIES = "ion-series"


def label_value(text: str) -> str:
    """A user-label value: lowercase letters, digits, `_` and `-`, at most 63 characters."""
    clean = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-")
    if len(clean) <= 63:
        return clean or "x"
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    return f"{clean[:52]}-{digest}"


def series_key(service: str, series_id: str) -> str:
    digest = hashlib.sha256(f"{service}|{series_id}".encode()).hexdigest()[:12]
    return label_value(f"{series_id[:48]}-{digest}")


def _filter(spec: MetricSpec, query: Any, key: SeriesKey, service: str) -> str:
    terms = [query.full_filter(service)]
    for name, value in key.labels:
        if name == "region":
            field = query.region_label
        else:
            field = next((g for g in query.group_by if g.endswith("." + name)), "")
        if field:
            terms.append(f'{field} = "{value}"')
    return " AND ".join(terms)


def _aggregation(query: Any, step: int) -> Any:
    from google.cloud import monitoring_v3

    return monitoring_v3.Aggregation(
        alignment_period={"seconds": max(60, step)},
        per_series_aligner=getattr(monitoring_v3.Aggregation.Aligner, query.aligner),
        cross_series_reducer=getattr(monitoring_v3.Aggregation.Reducer, query.reducer),
        group_by_fields=list(query.group_by_fields()),
    )


def alert_name(series_id: str) -> str:
    """The alert's name (Prometheus rules, PromQL conditions): letters, digits and `_`."""
    clean = re.sub(r"[^A-Za-z0-9_]+", "_", series_id).strip("_")
    digest = hashlib.sha256(series_id.encode()).hexdigest()[:6]
    return f"ion_{clean[:80]}_{digest}"


def rule_group(service: str) -> str:
    return f"ion-tune-alerts-{label_value(service)}"


def desired_policy(series: SeriesOut, spec: MetricSpec | None, report: TuneReport) -> Any:
    """The AlertPolicy ion wants for one series (raises ValueError when it cannot be built):
    the condition the report names, so what pages is what was backtested."""
    from google.cloud import monitoring_v3

    policy_type = monitoring_v3.AlertPolicy
    cond = series.rule.condition
    if spec is None:
        raise ValueError(f"metric {series.metric!r} is not in the catalog")
    if cond is None or cond.type == "none":
        raise ValueError(cond.note if cond is not None else "the rule has no condition")
    if cond.type == "promql":
        conditions = [_promql_condition(series, report)]
    else:
        conditions = _threshold_conditions(series, spec, report)
    return policy_type(
        display_name=f"ion {report.service}: {series.id}"[:512],
        user_labels={
            MANAGED_BY: "ion",
            LABEL_SERVICE: label_value(report.service),
            LABEL_SERIES: series_key(report.service, series.id),
        },
        combiner=policy_type.ConditionCombinerType.OR,
        severity=policy_type.Severity.CRITICAL,
        conditions=conditions,
        documentation=policy_type.Documentation(
            content=_documentation(series, report),
            mime_type="text/markdown",
            subject=f"{series.id} is outside its tuned range",
        ),
    )


def _promql_condition(series: SeriesOut, report: TuneReport) -> Any:
    from google.cloud import monitoring_v3

    cond = series.rule.condition
    assert cond is not None
    name, group = alert_name(series.id), rule_group(report.service)
    return monitoring_v3.AlertPolicy.Condition(
        display_name=f"{group}/{name}",
        condition_prometheus_query_language=(
            monitoring_v3.AlertPolicy.Condition.PrometheusQueryLanguageCondition(
                query=cond.query,
                duration={"seconds": cond.for_seconds},
                evaluation_interval={"seconds": cond.evaluation_interval_seconds},
                labels={"severity": "critical", "ion_rule": series.rule.kind},
                rule_group=group,
                alert_rule=name,
            )
        ),
    )


def _threshold_conditions(series: SeriesOut, spec: MetricSpec, report: TuneReport) -> list[Any]:
    """One threshold condition (one side: a band paging both ways is a PromQL condition)."""
    from google.cloud import monitoring_v3

    if spec.query is None:
        raise ValueError(f"no Cloud Monitoring query for metric {spec.name!r}")
    policy_type = monitoring_v3.AlertPolicy
    key = SeriesKey.parse(series.id)
    step = max(60, report.step_seconds)
    assert series.rule.condition is not None
    duration = series.rule.condition.for_seconds
    conditions = []
    sides = [("above", series.rule.critical, True), ("below", series.rule.low_critical, False)]
    for side, level, is_upper in sides:
        if level is None:
            continue
        value = level / spec.scale
        comparison = monitoring_v3.ComparisonType.COMPARISON_GT
        upper = is_upper
        if spec.complement:  # availability = 1 - ratio: "below X" is "ratio above 1 - X"
            value = 1.0 - value
            upper = not upper
        if not upper:
            comparison = monitoring_v3.ComparisonType.COMPARISON_LT
        threshold = policy_type.Condition.MetricThreshold(
            filter=_filter(spec, spec.query, key, report.service),
            aggregations=[_aggregation(spec.query, step)],
            comparison=comparison,
            threshold_value=value,
            duration={"seconds": duration},
        )
        if spec.denominator is not None:
            threshold.denominator_filter = _filter(spec, spec.denominator, key, report.service)
            threshold.denominator_aggregations = [_aggregation(spec.denominator, step)]
        conditions.append(
            policy_type.Condition(
                display_name=f"{series.id} {side} {fmt(level)} {spec.unit}".strip(),
                condition_threshold=threshold,
            )
        )
    if not conditions:
        raise ValueError("the rule has no critical level")
    return conditions


def _documentation(series: SeriesOut, report: TuneReport) -> str:
    r = series.rule
    learned = report.baseline_end or report.end
    return (
        f"Set by `ion tune-alerts` ({report.ion_version}) for {report.service}.\n\n"
        f"Rule **{r.kind}** ({r.parameter} {r.value:g}): {r.explanation}. "
        f"Learned from {report.source} up to {learned:%Y-%m-%d %H:%M} UTC "
        f"(median {fmt(series.baseline.get('median'))}, σ {fmt(series.baseline.get('std'))}, "
        f"p99 {fmt(series.baseline.get('p99'))}). "
        f"Tuned to at most {report.max_alerts_per_week:g} alerts a week: history "
        f"{series.history_alerts_per_week:.2f}/week, backtest "
        f"{series.backtest.alerts_per_week:.2f}/week."
        + (
            f" Runs as a {r.condition.type} condition ({r.condition.note}), "
            f"for {r.condition.for_seconds} s, evaluated every "
            f"{r.condition.evaluation_interval_seconds} s: the rule that was backtested."
            if r.condition is not None
            else ""
        )
    )


def _conditions(policy: Any) -> list[Any]:
    """The conditions without their server-assigned names, compared as messages (a PromQL
    condition's label map has no fixed byte order)."""
    from google.cloud import monitoring_v3

    out = []
    for c in policy.conditions:
        copy = monitoring_v3.AlertPolicy.Condition.deserialize(
            monitoring_v3.AlertPolicy.Condition.serialize(c)
        )
        copy.name = ""
        out.append(copy)
    return out


def _thresholds(policy: Any) -> str:
    parts = []
    for c in policy.conditions:
        if "condition_prometheus_query_language" in c:
            p = c.condition_prometheus_query_language
            digest = hashlib.sha256(p.query.encode()).hexdigest()[:8]
            parts.append(f"PromQL #{digest} for {int(p.duration.total_seconds())}s")
            continue
        t = c.condition_threshold
        sign = ">" if t.comparison == 1 else "<"
        parts.append(f"{sign} {fmt(t.threshold_value)}")
    return " or ".join(parts)


def diff(current: Any, wanted: Any) -> tuple[list[str], list[str]]:
    """(human-readable changes, update mask paths) from `current` to `wanted`."""
    changes, mask = [], []
    if current.display_name != wanted.display_name:
        changes.append(f"display_name: {current.display_name!r} -> {wanted.display_name!r}")
        mask.append("display_name")
    if _conditions(current) != _conditions(wanted):
        changes.append(f"threshold: {_thresholds(current)} -> {_thresholds(wanted)}")
        mask.append("conditions")
    if current.documentation.content != wanted.documentation.content:
        changes.append("documentation updated")
        mask.append("documentation")
    if dict(current.user_labels) != dict(wanted.user_labels):
        changes.append("user labels")
        mask.append("user_labels")
    if current.combiner != wanted.combiner:
        mask.append("combiner")
    if current.severity != wanted.severity:
        changes.append(f"severity -> {wanted.severity.name}")
        mask.append("severity")
    return changes, mask


def _managed(client: Any, project: str, service: str) -> dict[str, Any]:
    from google.api_core import exceptions

    try:
        from google.cloud import monitoring_v3

        request = monitoring_v3.ListAlertPoliciesRequest(
            name=f"projects/{project}", filter=f'user_labels."{MANAGED_BY}" = "ion"'
        )
        found = client.list_alert_policies(request=request)
        policies = list(found)
    except exceptions.GoogleAPICallError as exc:
        raise SourceError(f"cannot list alert policies in {project}: {exc.message}") from None
    out = {}
    for p in policies:
        labels = dict(p.user_labels)
        if labels.get(MANAGED_BY) == "ion" and labels.get(LABEL_SERVICE) == label_value(service):
            out[labels.get(LABEL_SERIES, "")] = p
    return out


def apply_plan(
    client: Any, project: str, report: TuneReport, settings: Settings, *, dry_run: bool
) -> ApplyResult:
    """Plan every series' policy against what exists; with dry_run False, make it so."""

    specs = catalog(settings)
    existing = _managed(client, project, report.service)
    items: list[PlanItem] = []
    work: list[tuple[PlanItem, Any, Any]] = []
    seen = set()
    for series in report.series:
        key = series_key(report.service, series.id)
        seen.add(key)
        name = f"ion {report.service}: {series.id}"
        spec = specs.get(series.metric)
        try:
            wanted = desired_policy(series, spec, report)
        except ValueError as exc:
            items.append(PlanItem("skip", series.id, name, "", [], [], str(exc)))
            continue
        current = existing.get(key)
        if current is None:
            item = PlanItem("create", series.id, name, "", [f"pages {_thresholds(wanted)}"], [])
        else:
            changes, mask = diff(current, wanted)
            action = "update" if mask else "unchanged"
            item = PlanItem(action, series.id, name, current.name, changes, mask)
            wanted.name = current.name
        items.append(item)
        if item.action in ("create", "update"):
            work.append((item, current, wanted))
    for key, policy in existing.items():
        if key not in seen:
            items.append(
                PlanItem(
                    "stale",
                    "",
                    policy.display_name,
                    policy.name,
                    [],
                    [],
                    "managed by ion but no longer tuned: left as it is",
                )
            )
    if dry_run:
        return ApplyResult(True, project, items, 0)
    try:
        _run(client, project, work)
    except ApplyError as exc:
        return ApplyResult(False, project, items, 0, exc.message)
    return ApplyResult(False, project, items, len(work))


def _run(client: Any, project: str, work: list[tuple[PlanItem, Any, Any]]) -> None:
    from google.api_core import exceptions
    from google.protobuf import field_mask_pb2

    done: list[tuple[str, Any, Any]] = []  # (action, before, after)
    for item, current, wanted in work:
        try:
            if item.action == "create":
                made = client.create_alert_policy(name=f"projects/{project}", alert_policy=wanted)
                done.append(("create", None, made))
            else:
                mask = field_mask_pb2.FieldMask(paths=item.update_mask)
                client.update_alert_policy(alert_policy=wanted, update_mask=mask)
                done.append(("update", current, item.update_mask))
        except exceptions.GoogleAPICallError as exc:
            undone = _undo(client, done)
            raise ApplyError(
                f"{item.action} of alert policy {item.display_name!r} was rejected: "
                f"{exc.message}; {undone}"
            ) from None


def _undo(client: Any, done: list[tuple[str, Any, Any]]) -> str:
    from google.api_core import exceptions
    from google.protobuf import field_mask_pb2

    failed = []
    for action, before, after in reversed(done):
        try:
            if action == "create":
                client.delete_alert_policy(name=after.name)
            else:
                client.update_alert_policy(
                    alert_policy=before, update_mask=field_mask_pb2.FieldMask(paths=after)
                )
        except exceptions.GoogleAPICallError:
            failed.append(after.name if action == "create" else before.name)
    if failed:
        return f"could not undo changes to {', '.join(failed)}: check them by hand"
    if done:
        return f"undid the {len(done)} change(s) made before it: nothing was changed"
    return "nothing was changed"


__all__ = [
    "alert_name",
    "apply_plan",
    "desired_policy",
    "diff",
    "label_value",
    "rule_group",
    "series_key",
]

"""Cloud Monitoring SLOs and burn-rate alert policies from the objectives: plan, diff, apply,
and undo on a rejected call. The only module of `ion slo` that changes the cloud; both
clients are handed in.

What is made, for a Cloud Run service S in project P:

- one Monitoring service `projects/P/services/ion-S` (custom, since the SLOs span regions);
- per objective and scope (the fleet and each region in the data) a ServiceLevelObjective
  `<objective>-<scope>` with a request-based SLI: availability as bad (5xx) / total
  `run.googleapis.com/request_count`, latency as a distribution cut of
  `run.googleapis.com/request_latencies` under the threshold; the goal and the rolling days
  (or the calendar month);
- per objective, scope and burn-rate rule an alert policy: two threshold conditions on
  `select_slo_burn_rate(SLO, lookback)` for the long and the short window, combined with AND,
  plus (availability) the traffic-aware minimum as a third condition, the 5xx count over the
  long window, at the number the replay computed at the end of the data (rerun to refresh).
  `select_slo_burn_rate` looks back at most 24 h: a longer rule is written as one PromQL
  condition over `run_googleapis_com:request_count` (availability; that metric name is the
  documented naming scheme but not confirmed against a live project), and a longer latency
  rule is not applied (the report says so).

Everything carries the user labels `managed-by: ion-slo` and `ion-service`, policies also
`ion-slo-rule`, so a rerun updates them. Order: service, SLOs, policies (they name the SLOs);
on a rejected call every change made in this run is undone in reverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ioncli.alerting.policies import label_value as clean
from ioncli.errors import ApplyError, SourceError
from ioncli.slo.config import AlertRule, SloSpec
from ioncli.slo.events import FLEET
from ioncli.slo.model import ApplySummary, SloReport

MANAGED_BY = "managed-by"
MANAGER = "ion-slo"
LABEL_SERVICE = "ion-service"
LABEL_RULE = "ion-slo-rule"
MAX_BURN_LOOKBACK = 24 * 3600  # select_slo_burn_rate accepts a lookback of at most 24 h
MAX_GOAL = 0.9999  # ServiceLevelObjective.goal's limit


def label_value(text: str) -> str:
    return clean(text)


@dataclass
class Change:
    action: str  # create, update, unchanged, stale
    kind: str  # service, slo, policy
    name: str  # display name or id
    resource: str  # full resource name ("" before it exists)
    changes: list[str]
    mask: list[str]
    wanted: Any = None
    current: Any = None

    def item(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "kind": self.kind,
            "name": self.name,
            "changes": self.changes,
        }


def _run_filter(metric: str, service: str, region: str | None, extra: str = "") -> str:
    terms = [
        f'metric.type="run.googleapis.com/{metric}"',
        'resource.type="cloud_run_revision"',
        f'resource.labels.service_name="{service}"',
    ]
    if region is not None:
        terms.append(f'resource.labels.location="{region}"')
    if extra:
        terms.append(extra)
    return " AND ".join(terms)


def desired_slo(spec: SloSpec, scope: str, service: str) -> Any:
    from google.cloud import monitoring_v3
    from google.type import calendar_period_pb2

    region = None if scope == FLEET else scope
    sli = monitoring_v3.ServiceLevelIndicator()
    if spec.sli == "availability":
        sli.request_based.good_total_ratio = monitoring_v3.TimeSeriesRatio(
            bad_service_filter=_run_filter(
                "request_count", service, region, 'metric.labels.response_code_class="5xx"'
            ),
            total_service_filter=_run_filter("request_count", service, region),
        )
    else:
        sli.request_based.distribution_cut = monitoring_v3.DistributionCut(
            distribution_filter=_run_filter("request_latencies", service, region),
            range_=monitoring_v3.Range(min_=0.0, max_=float(spec.threshold_ms or 0.0)),
        )
    slo = monitoring_v3.ServiceLevelObjective(
        display_name=f"{service} {spec.name} ({scope}): {spec.objective_percent:g}%",
        service_level_indicator=sli,
        goal=spec.objective,
        user_labels={MANAGED_BY: MANAGER, LABEL_SERVICE: label_value(service)},
    )
    if spec.window_days is None:
        slo.calendar_period = calendar_period_pb2.CalendarPeriod.MONTH
    else:
        slo.rolling_period = {"seconds": spec.window_days * 86400}
    return slo


def _lookback(seconds: int) -> str:
    return f"{seconds // 60}m"


def desired_policy(
    spec: SloSpec,
    scope: str,
    rule: AlertRule,
    *,
    slo_name: str,
    service: str,
    minimum: float | None,
) -> Any:
    """The policy for one rule, or a str saying why it is not applied."""
    from google.cloud import monitoring_v3

    policy_type = monitoring_v3.AlertPolicy
    region = None if scope == FLEET else scope
    conditions = []
    if rule.long_seconds <= MAX_BURN_LOOKBACK:
        for seconds in (rule.long_seconds, rule.short_seconds):
            conditions.append(
                policy_type.Condition(
                    display_name=f"burn rate over {_lookback(seconds)} > {rule.burn_rate:g}",
                    condition_threshold=policy_type.Condition.MetricThreshold(
                        filter=f'select_slo_burn_rate("{slo_name}", "{_lookback(seconds)}")',
                        comparison=monitoring_v3.ComparisonType.COMPARISON_GT,
                        threshold_value=rule.burn_rate,
                        duration={"seconds": 0},
                    ),
                )
            )
        if spec.sli == "availability" and minimum:
            conditions.append(_minimum_condition(rule, service, region, minimum))
    elif spec.sli == "availability":
        conditions.append(
            policy_type.Condition(
                display_name=f"burn rate over {_lookback(rule.long_seconds)} and "
                f"{_lookback(rule.short_seconds)} > {rule.burn_rate:g} (PromQL)",
                condition_prometheus_query_language=policy_type.Condition.PrometheusQueryLanguageCondition(
                    query=_promql(spec, rule, service, region),
                    duration={"seconds": 0},
                    evaluation_interval={"seconds": 60},
                ),
            )
        )
    else:
        return (
            f"{spec.name} ({scope}) {rule.name}: its {_lookback(rule.long_seconds)} window is "
            "longer than select_slo_burn_rate's 24 h, and a PromQL form of the latency buckets "
            "is not confirmed"
        )
    return policy_type(
        display_name=f"ion {service}: {spec.name} ({scope}) {rule.name}"[:512],
        user_labels={
            MANAGED_BY: MANAGER,
            LABEL_SERVICE: label_value(service),
            LABEL_RULE: label_value(f"{spec.name}-{scope}-{rule.name}"),
        },
        combiner=policy_type.ConditionCombinerType.AND,
        severity=policy_type.Severity.CRITICAL
        if rule.severity == "page"
        else policy_type.Severity.WARNING,
        conditions=conditions,
        documentation=policy_type.Documentation(
            content=(
                f"Set by `ion slo --apply` for {service}: objective {spec.name} "
                f"({spec.objective_percent:g}%, {spec.window_label}), scope {scope}. Fires when "
                f"the error budget burns faster than {rule.burn_rate:g}x over "
                f"{_lookback(rule.long_seconds)} and over {_lookback(rule.short_seconds)}"
                + (
                    f", with at least {minimum:,.0f} failed requests in the long window (the "
                    "traffic-aware minimum, as of the last run: rerun to refresh)."
                    if minimum and spec.sli == "availability"
                    else "."
                )
            ),
            mime_type="text/markdown",
            subject=f"{service} {spec.name} ({scope}): error budget burning fast",
        ),
    )


def _minimum_condition(rule: AlertRule, service: str, region: str | None, minimum: float) -> Any:
    from google.cloud import monitoring_v3

    policy_type = monitoring_v3.AlertPolicy
    extra = 'metric.labels.response_code_class="5xx"'
    return policy_type.Condition(
        display_name=f"at least {minimum:,.0f} failed requests over {_lookback(rule.long_seconds)}",
        condition_threshold=policy_type.Condition.MetricThreshold(
            filter=_run_filter("request_count", service, region, extra),
            aggregations=[
                monitoring_v3.Aggregation(
                    alignment_period={"seconds": rule.long_seconds},
                    per_series_aligner=monitoring_v3.Aggregation.Aligner.ALIGN_DELTA,
                    cross_series_reducer=monitoring_v3.Aggregation.Reducer.REDUCE_SUM,
                )
            ],
            comparison=monitoring_v3.ComparisonType.COMPARISON_GT,
            threshold_value=max(0.0, float(minimum) - 1.0),  # GT n - 1: at least n
            duration={"seconds": 0},
        ),
    )


def _promql(spec: SloSpec, rule: AlertRule, service: str, region: str | None) -> str:
    where = f'monitored_resource="cloud_run_revision",service_name="{service}"'
    if region is not None:
        where += f',location="{region}"'
    limit = f"{rule.burn_rate:g} * {spec.budget_ratio:.10g}"
    parts = []
    for seconds in (rule.long_seconds, rule.short_seconds):
        w = _lookback(seconds)
        bad = (
            f'sum(rate(run_googleapis_com:request_count{{{where},response_code_class="5xx"}}[{w}]))'
        )
        total = f"sum(rate(run_googleapis_com:request_count{{{where}}}[{w}]))"
        parts.append(f"({bad} / {total} > ({limit}))")
    return " and ".join(parts)


def _same(current: Any, wanted: Any, path: str) -> bool:
    a, b = getattr(current, path), getattr(wanted, path)
    if path == "conditions":
        return _conditions(a) == _conditions(b)
    if path == "user_labels":
        return dict(a) == dict(b)
    serialize = getattr(type(a), "serialize", None)
    if serialize is not None:
        return bool(serialize(a) == serialize(b))
    pb = getattr(a, "SerializeToString", None)  # plain protobuf (Duration)
    if pb is not None:
        return bool(pb(deterministic=True) == b.SerializeToString(deterministic=True))
    return bool(a == b)


def _conditions(conditions: Any) -> list[bytes]:
    """Conditions as bytes without their server-assigned names."""
    from google.cloud import monitoring_v3

    kind = monitoring_v3.AlertPolicy.Condition
    out = []
    for c in conditions:
        copy = kind.deserialize(kind.serialize(c))
        copy.name = ""
        out.append(kind.serialize(copy))
    return out


def _diff(current: Any, wanted: Any, paths: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(what changed, the update mask) from `current` to `wanted`."""
    mask = [p for p in paths if not _same(current, wanted, p)]
    return [p.replace("_", " ") for p in mask], mask


def plan(
    sm: Any, ap: Any, project: str, report: SloReport, slos: tuple[SloSpec, ...]
) -> tuple[list[Change], list[str]]:
    """Every change to make (and what is left alone), and what cannot be applied and why."""
    service = report.service
    service_change, existing_slos = _plan_service(sm, project, service)
    changes = [service_change]
    not_applied: list[str] = []
    policies = _managed_policies(ap, project, service)
    seen: set[str] = set()
    for spec in slos:
        result = next((o for o in report.objectives if o.name == spec.name), None)
        if result is None or not result.scopes:
            not_applied.append(f"{spec.name}: nothing measured from this source")
            continue
        if spec.objective > MAX_GOAL:
            not_applied.append(
                f"{spec.name}: Cloud Monitoring takes goals up to 99.99%, not "
                f"{spec.objective_percent:g}%"
            )
            continue
        minimums = {(sc.scope, r.name): r.min_bad_events for sc in result.replay for r in sc.rules}
        for scope in (s.scope for s in result.scopes):
            slo_change = _plan_slo(spec, scope, service, service_change, existing_slos)
            changes.append(slo_change)
            seen.add(slo_change.resource)
            for rule in spec.alerts:
                minimum = (
                    minimums.get((scope, rule.name))
                    if spec.min_bad_events is None
                    else float(spec.min_bad_events)
                )
                policy = desired_policy(
                    spec,
                    scope,
                    rule,
                    slo_name=slo_change.resource,
                    service=service,
                    minimum=minimum,
                )
                if isinstance(policy, str):
                    not_applied.append(policy)
                    continue
                seen.add(policy.user_labels[LABEL_RULE])
                changes.append(_plan_policy(policy, policies))
    for name, slo in existing_slos.items():
        if name not in seen and dict(slo.user_labels).get(MANAGED_BY) == MANAGER:
            changes.append(
                Change(
                    "stale",
                    "slo",
                    name.rsplit("/", 1)[-1],
                    name,
                    ["no longer configured: left as it is"],
                    [],
                )
            )
    for key, policy in policies.items():
        if key not in seen:
            changes.append(
                Change(
                    "stale",
                    "policy",
                    policy.display_name,
                    policy.name,
                    ["no longer configured: left as it is"],
                    [],
                )
            )
    return changes, not_applied


def _plan_service(sm: Any, project: str, service: str) -> tuple[Change, dict[str, Any]]:
    from google.api_core import exceptions
    from google.cloud import monitoring_v3

    service_id = label_value(f"ion-{service}")
    name = f"projects/{project}/services/{service_id}"
    wanted = monitoring_v3.Service(
        display_name=f"{service} (Cloud Run, managed by ion slo)",
        custom=monitoring_v3.Service.Custom(),
        user_labels={MANAGED_BY: MANAGER, LABEL_SERVICE: label_value(service)},
    )
    try:
        current = sm.get_service(name=name)
        existing = {s.name: s for s in sm.list_service_level_objectives(parent=name)}
    except exceptions.NotFound:
        return Change("create", "service", service_id, name, ["new"], [], wanted), {}
    except exceptions.GoogleAPICallError as exc:
        raise SourceError(f"cannot read the Monitoring service {name}: {exc.message}") from None
    diff, mask = _diff(current, wanted, ("display_name", "user_labels"))
    wanted.name = name
    action = "update" if mask else "unchanged"
    return Change(action, "service", service_id, name, diff, mask, wanted, current), existing


def _plan_slo(
    spec: SloSpec, scope: str, service: str, parent: Change, existing: dict[str, Any]
) -> Change:
    slo_id = label_value(f"{spec.name}-{scope}")
    name = f"{parent.resource}/serviceLevelObjectives/{slo_id}"
    wanted = desired_slo(spec, scope, service)
    current = existing.get(name)
    if current is None:
        return Change("create", "slo", slo_id, name, ["new"], [], wanted)
    period = "rolling_period" if spec.window_days else "calendar_period"
    paths = ("display_name", "service_level_indicator", "goal", period, "user_labels")
    diff, mask = _diff(current, wanted, paths)
    wanted.name = name
    return Change(
        "update" if mask else "unchanged", "slo", slo_id, name, diff, mask, wanted, current
    )


def _plan_policy(policy: Any, existing: dict[str, Any]) -> Change:
    current = existing.get(policy.user_labels[LABEL_RULE])
    if current is None:
        return Change("create", "policy", policy.display_name, "", ["new"], [], policy)
    paths = ("display_name", "conditions", "documentation", "user_labels", "combiner", "severity")
    diff, mask = _diff(current, policy, paths)
    policy.name = current.name
    return Change(
        "update" if mask else "unchanged",
        "policy",
        policy.display_name,
        current.name,
        diff,
        mask,
        policy,
        current,
    )


def _managed_policies(ap: Any, project: str, service: str) -> dict[str, Any]:
    from google.api_core import exceptions
    from google.cloud import monitoring_v3

    request = monitoring_v3.ListAlertPoliciesRequest(
        name=f"projects/{project}", filter=f'user_labels."{MANAGED_BY}" = "{MANAGER}"'
    )
    try:
        found = list(ap.list_alert_policies(request=request))
    except exceptions.GoogleAPICallError as exc:
        raise SourceError(f"cannot list alert policies in {project}: {exc.message}") from None
    out = {}
    for p in found:
        labels = dict(p.user_labels)
        if labels.get(MANAGED_BY) == MANAGER and labels.get(LABEL_SERVICE) == label_value(service):
            out[labels.get(LABEL_RULE, "")] = p
    return out


def apply_slos(
    sm: Any,
    ap: Any,
    project: str,
    report: SloReport,
    slos: tuple[SloSpec, ...],
    *,
    dry_run: bool,
) -> ApplySummary:
    changes, not_applied = plan(sm, ap, project, report, slos)
    service_change = next(c for c in changes if c.kind == "service")
    summary = ApplySummary(
        dry_run=dry_run,
        project=project,
        service=service_change.resource or f"projects/{project}/services/{service_change.name}",
        items=[c.item() for c in changes],
        applied=0,
        not_applied=not_applied,
    )
    if dry_run:
        return summary
    summary.applied = _execute(sm, ap, project, changes)
    return summary


def _execute(sm: Any, ap: Any, project: str, changes: list[Change]) -> int:
    from google.api_core import exceptions

    done: list[tuple[Change, str]] = []  # (change, the name of what it made or changed)
    for c in changes:
        if c.action not in ("create", "update"):
            continue
        try:
            done.append((c, _make(sm, ap, project, c)))
        except exceptions.GoogleAPICallError as exc:
            undone = _undo(sm, ap, done)
            raise ApplyError(
                f"{c.action} of {c.kind} {c.name!r} was rejected: {exc.message}; {undone}"
            ) from None
    return len(done)


def _make(sm: Any, ap: Any, project: str, c: Change) -> str:
    from google.protobuf import field_mask_pb2

    mask = field_mask_pb2.FieldMask(paths=c.mask)
    if c.kind == "service" and c.action == "create":
        made = sm.create_service(  # the id is not a flattened argument
            request={"parent": f"projects/{project}", "service_id": c.name, "service": c.wanted}
        )
    elif c.kind == "service":
        made = sm.update_service(request={"service": c.wanted, "update_mask": mask})
    elif c.kind == "slo" and c.action == "create":
        made = sm.create_service_level_objective(
            request={
                "parent": c.resource.rsplit("/serviceLevelObjectives/", 1)[0],
                "service_level_objective": c.wanted,
                "service_level_objective_id": c.name,
            }
        )
    elif c.kind == "slo":
        made = sm.update_service_level_objective(
            request={"service_level_objective": c.wanted, "update_mask": mask}
        )
    elif c.action == "create":
        made = ap.create_alert_policy(name=f"projects/{project}", alert_policy=c.wanted)
    else:
        made = ap.update_alert_policy(alert_policy=c.wanted, update_mask=mask)
    return str(made.name)


def _undo(sm: Any, ap: Any, done: list[tuple[Change, str]]) -> str:
    """Delete what this run created and write back what it updated, newest first."""
    from google.api_core import exceptions
    from google.protobuf import field_mask_pb2

    failed = []
    for c, name in reversed(done):
        mask = field_mask_pb2.FieldMask(paths=c.mask)
        try:
            if c.action == "create":
                {
                    "service": sm.delete_service,
                    "slo": sm.delete_service_level_objective,
                    "policy": ap.delete_alert_policy,
                }[c.kind](name=name)
            elif c.kind == "service":
                sm.update_service(request={"service": c.current, "update_mask": mask})
            elif c.kind == "slo":
                sm.update_service_level_objective(
                    request={"service_level_objective": c.current, "update_mask": mask}
                )
            else:
                ap.update_alert_policy(alert_policy=c.current, update_mask=mask)
        except exceptions.GoogleAPICallError:
            failed.append(name)
    if failed:
        return f"could not undo changes to {', '.join(failed)}: check them by hand"
    if done:
        return f"undid the {len(done)} change(s) made before it: nothing was changed"
    return "nothing was changed"

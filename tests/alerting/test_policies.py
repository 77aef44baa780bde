"""Alert policies through the real AlertPolicyServiceClient against a fake gRPC server."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import pytest
from google.cloud import monitoring_v3

from ioncli.alerting.analysis import build_report
from ioncli.alerting.model import TuneReport
from ioncli.alerting.policies import MANAGED_BY, apply_plan, desired_policy
from ioncli.alerting.promnames import series_promql
from ioncli.alerting.tune import TuneOptions
from ioncli.config import Settings
from ioncli.gcp import alert_policy_client
from ioncli.sources.catalog import catalog
from tests.fakes.alert_policy import FakeAlertPolicies

from .frames import PER_DAY, frame, latency, noise

SETTINGS = Settings(project="demo-project", service="svc")


@pytest.fixture
def fake() -> Iterator[FakeAlertPolicies]:
    server = FakeAlertPolicies()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(fake: FakeAlertPolicies) -> object:
    settings = dataclasses.replace(SETTINGS, monitoring_emulator_host=fake.address)
    return alert_policy_client(settings)


def make_report(scale: float = 1.0, rule: str = "auto") -> TuneReport:
    f = frame(
        {
            "latency_p95{region=us-central1}": latency(4) * scale,
            "availability{region=us-central1}": 0.999 + noise(4 * PER_DAY, 2, 0.0002),
            "request_rate{region=us-central1}": 50 * scale + noise(4 * PER_DAY, 3, 3.0),
            "not_in_catalog": latency(4),
        },
        4,
    )
    specs = catalog()
    directions = {n: s.bad_direction for n, s in specs.items()}
    queries = {
        c: series_promql(specs.get(c.split("{")[0]), c, "svc", f.step_seconds)
        for c in f.data.columns
    }
    options = TuneOptions(rule=rule, directions=directions, series_queries=queries)
    return build_report(f, options, service="svc")


def test_a_static_rule_pages_through_a_threshold_condition() -> None:
    r = make_report(rule="robust")
    series = next(s for s in r.series if s.metric == "latency_p95")
    policy = desired_policy(series, catalog()["latency_p95"], r)
    (condition,) = policy.conditions
    t = condition.condition_threshold
    assert 'metric.type = "run.googleapis.com/request_latencies"' in t.filter
    assert 'resource.label.location = "us-central1"' in t.filter
    assert t.comparison == monitoring_v3.ComparisonType.COMPARISON_GT
    assert t.threshold_value == series.rule.critical
    assert series.rule.condition is not None and series.rule.condition.type == "threshold"
    # No --duration at a 5-minute step: the condition over 5 minutes of data, `for` 0.
    assert t.duration.total_seconds() == series.rule.condition.for_seconds == 0
    assert t.aggregations[0].alignment_period.total_seconds() == 300
    assert policy.severity == monitoring_v3.AlertPolicy.Severity.CRITICAL
    assert policy.user_labels[MANAGED_BY] == "ion"
    assert "ion tune-alerts" in policy.documentation.content
    assert series.rule.kind in policy.documentation.content

    avail = next(s for s in r.series if s.metric == "availability")
    policy = desired_policy(avail, catalog()["availability"], r)
    (condition,) = policy.conditions
    t = condition.condition_threshold
    # availability = 1 - 5xx ratio: "availability below X" pages when the ratio is above 1 - X
    assert t.comparison == monitoring_v3.ComparisonType.COMPARISON_GT
    assert t.threshold_value == pytest.approx(1 - avail.rule.low_critical)  # type: ignore[operator]
    assert t.denominator_filter

    # Both sides under one duration, as backtested: one PromQL condition, not two thresholds.
    both = next(s for s in r.series if s.metric == "request_rate")
    (condition,) = desired_policy(both, catalog()["request_rate"], r).conditions
    query = condition.condition_prometheus_query_language.query
    assert " or " in query and "run_googleapis_com:request_count" in query


def test_a_trailing_window_rule_pages_through_its_promql() -> None:
    r = make_report(rule="zscore")
    series = next(s for s in r.series if s.metric == "latency_p95")
    cond = series.rule.condition
    assert cond is not None and cond.type == "promql"
    (condition,) = desired_policy(series, catalog()["latency_p95"], r).conditions
    p = condition.condition_prometheus_query_language
    assert p.query == cond.query
    assert "run_googleapis_com:request_latencies_bucket" in p.query
    assert "avg_over_time" in p.query and "stddev_over_time" in p.query
    assert p.duration.total_seconds() == cond.for_seconds == series.rule.duration_seconds
    assert p.evaluation_interval.total_seconds() == r.step_seconds
    assert condition.display_name == f"{p.rule_group}/{p.alert_rule}"
    assert p.labels["severity"] == "critical"


def test_dry_run_changes_nothing_then_yes_creates_and_a_rerun_is_unchanged(
    fake: FakeAlertPolicies, client: object
) -> None:
    r = make_report()
    plan = apply_plan(client, "demo-project", r, SETTINGS, dry_run=True)
    assert plan.dry_run and plan.applied == 0
    assert [i.action for i in plan.items].count("create") == 3
    skip = next(i for i in plan.items if i.action == "skip")
    assert skip.series == "not_in_catalog" and "catalog" in skip.note
    assert fake.policies == {}

    done = apply_plan(client, "demo-project", r, SETTINGS, dry_run=False)
    assert done.applied == 3 and len(fake.policies) == 3

    again = apply_plan(client, "demo-project", r, SETTINGS, dry_run=False)
    assert {i.action for i in again.items} == {"unchanged", "skip"}
    assert len(fake.policies) == 3  # reruns update, never duplicate


def test_changed_thresholds_update_with_a_mask(fake: FakeAlertPolicies, client: object) -> None:
    apply_plan(client, "demo-project", make_report(rule="robust"), SETTINGS, dry_run=False)
    fake.calls.clear()
    moved = make_report(scale=2.0, rule="robust")
    result = apply_plan(client, "demo-project", moved, SETTINGS, dry_run=False)
    updates = [i for i in result.items if i.action == "update"]
    assert updates and all("conditions" in i.update_mask for i in updates)
    assert all("display_name" not in i.update_mask for i in updates)
    assert any("threshold:" in c for i in updates for c in i.changes)
    assert "create" not in fake.calls
    lat = next(p for p in fake.policies.values() if "latency_p95" in p.display_name)
    series = next(s for s in moved.series if s.metric == "latency_p95")
    assert lat.conditions[0].condition_threshold.threshold_value == pytest.approx(
        series.rule.critical
    )


def test_a_rejected_update_leaves_every_policy_as_it_was(
    fake: FakeAlertPolicies, client: object
) -> None:
    apply_plan(client, "demo-project", make_report(), SETTINGS, dry_run=False)
    before = fake.snapshot()
    victim = next(p for p in fake.policies.values() if "request_rate" in p.display_name)
    fake.reject_update.add(victim.name)
    result = apply_plan(client, "demo-project", make_report(scale=2.0), SETTINGS, dry_run=False)
    assert result.error is not None and result.applied == 0
    assert re.search(r"rejected.*(undid the \d+ change\(s\)|nothing was changed)", result.error)
    assert fake.snapshot() == before


def test_policies_of_other_services_and_unmanaged_ones_are_left_alone(
    fake: FakeAlertPolicies, client: object
) -> None:
    mine = desired_policy(make_report().series[0], catalog()["latency_p95"], make_report())
    other = monitoring_v3.AlertPolicy.deserialize(monitoring_v3.AlertPolicy.serialize(mine))
    other.user_labels["ion-service"] = "another"
    fake.add(other)
    hand = monitoring_v3.AlertPolicy(display_name="by hand", conditions=list(mine.conditions))
    fake.add(hand)
    result = apply_plan(client, "demo-project", make_report(), SETTINGS, dry_run=False)
    assert result.applied == 3 and len(fake.policies) == 5

"""`ion slo --apply`: the real ServiceMonitoringServiceClient and AlertPolicyServiceClient
against fakes on 127.0.0.1 (one port, as ION_MONITORING_EMULATOR_HOST expects)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ioncli.cli import run
from tests.fakes import start_grpc_server
from tests.fakes.alert_policy import FakeAlertPolicies
from tests.fakes.service_monitoring import FakeServiceMonitoring

SIM = ["slo", "--source", "sim", "--until", "2026-11-01T00:00:00Z", "--region", "us-central1"]
SERVICE = "projects/demo-project/services/ion-ion-mentoring"


@dataclass
class Cloud:
    slos: FakeServiceMonitoring
    policies: FakeAlertPolicies


@pytest.fixture
def cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    monkeypatch.chdir(tmp_path)
    fakes = Cloud(FakeServiceMonitoring(), FakeAlertPolicies())
    server, address = start_grpc_server(fakes.slos.handler(), fakes.policies.handler())
    monkeypatch.setenv("ION_MONITORING_EMULATOR_HOST", address)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo-project")
    try:
        yield fakes
    finally:
        server.stop(grace=None)


def apply(tmp_path: Path, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = run([*SIM, "--apply", *extra, "--format", "json", "-o", "out.json"])
    out = tmp_path / "out.json"
    return code, json.loads(out.read_text()) if out.exists() else {}


def test_dry_run_plans_and_changes_nothing(cloud: Cloud, tmp_path: Path) -> None:
    code, data = apply(tmp_path)
    assert code == 0
    plan = data["apply"]
    assert plan["dry_run"] is True and plan["applied"] == 0
    kinds = [(i["action"], i["kind"]) for i in plan["items"]]
    # The service, an SLO per scope (fleet and us-central1), three rules per scope.
    assert kinds.count(("create", "service")) == 1
    assert kinds.count(("create", "slo")) == 2
    assert kinds.count(("create", "policy")) == 6
    assert not cloud.slos.services and not cloud.policies.policies
    assert not any(c.startswith("create") for c in cloud.slos.calls + cloud.policies.calls)


def test_apply_creates_then_a_rerun_changes_nothing(cloud: Cloud, tmp_path: Path) -> None:
    code, data = apply(tmp_path, "--yes")
    assert code == 0 and data["apply"]["applied"] == 9
    (service,) = cloud.slos.services.values()
    assert service.name == SERVICE and service.user_labels["managed-by"] == "ion-slo"
    slo = cloud.slos.slos[f"{SERVICE}/serviceLevelObjectives/availability-us-central1"]
    assert slo.goal == pytest.approx(0.9995)
    assert slo.rolling_period.total_seconds() == 28 * 86400
    ratio = slo.service_level_indicator.request_based.good_total_ratio
    assert 'resource.labels.location="us-central1"' in ratio.total_service_filter
    assert 'response_code_class="5xx"' in ratio.bad_service_filter
    policies = {p.user_labels["ion-slo-rule"]: p for p in cloud.policies.policies.values()}
    fast = policies["availability-us-central1-page-1h"]
    filters = [c.condition_threshold.filter for c in fast.conditions]
    slo_name = f"{SERVICE}/serviceLevelObjectives/availability-us-central1"
    assert filters[:2] == [
        f'select_slo_burn_rate("{slo_name}", "60m")',
        f'select_slo_burn_rate("{slo_name}", "5m")',
    ]
    assert [c.condition_threshold.threshold_value for c in fast.conditions[:2]] == [14.4, 14.4]
    minimum = fast.conditions[2].condition_threshold
    assert "5xx" in minimum.filter and minimum.threshold_value > 100
    assert minimum.aggregations[0].alignment_period.total_seconds() == 3600
    assert fast.combiner == 1 and fast.severity == 1  # AND, CRITICAL
    ticket = policies["availability-us-central1-ticket-3d"]
    query = ticket.conditions[0].condition_prometheus_query_language.query
    assert "[4320m]" in query and "[360m]" in query and ticket.severity == 3  # WARNING

    before = (cloud.slos.snapshot(), cloud.policies.snapshot())
    cloud.slos.calls.clear()
    cloud.policies.calls.clear()
    code, data = apply(tmp_path, "--yes")
    assert code == 0 and data["apply"]["applied"] == 0
    assert {i["action"] for i in data["apply"]["items"]} == {"unchanged"}
    assert (cloud.slos.snapshot(), cloud.policies.snapshot()) == before
    writes = [
        c
        for c in cloud.slos.calls + cloud.policies.calls
        if c.split("_")[0] in ("create", "update", "delete")
    ]
    assert writes == []


def test_a_changed_objective_updates_in_place(cloud: Cloud, tmp_path: Path) -> None:
    assert apply(tmp_path, "--yes")[0] == 0
    (tmp_path / "ion.toml").write_text("[slo.availability]\nobjective = 99.9\n")
    code, data = apply(tmp_path, "--yes")
    assert code == 0
    updates = {
        (i["kind"], i["name"]): i["changes"]
        for i in data["apply"]["items"]
        if i["action"] == "update"
    }
    assert ("slo", "availability-us-central1") in updates
    assert "goal" in updates[("slo", "availability-us-central1")]
    slo = cloud.slos.slos[f"{SERVICE}/serviceLevelObjectives/availability-us-central1"]
    assert slo.goal == pytest.approx(0.999)
    assert len(cloud.slos.slos) == 2 and len(cloud.policies.policies) == 6


def test_a_rejected_call_undoes_everything_made_before_it(
    cloud: Cloud, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cloud.slos.reject.add("availability-us-central1")  # the region's SLO
    # Made before it: the service, the fleet SLO and its three policies.
    code, _ = apply(tmp_path, "--yes")
    assert code == 1
    err = capsys.readouterr().err
    assert "was rejected" in err and "undid the 5 change(s)" in err
    assert not cloud.slos.services and not cloud.slos.slos and not cloud.policies.policies


def test_what_cannot_be_applied_is_said(cloud: Cloud, tmp_path: Path) -> None:
    (tmp_path / "ion.toml").write_text(
        '[slo.latency]\nsli = "latency"\nobjective = 99.0\nthreshold_ms = 200\n'
    )
    code, data = apply(tmp_path)
    assert code == 0
    missing = data["apply"]["not_applied"]
    assert any("ticket-3d" in m and "24 h" in m for m in missing)
    kinds = [(i["action"], i["kind"]) for i in data["apply"]["items"]]
    assert kinds.count(("create", "policy")) == 4  # the two page rules per scope


def test_apply_needs_a_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run([*SIM, "--apply"]) == 3
    assert "no Google Cloud project" in capsys.readouterr().err
    assert run([*SIM, "--yes"]) == 2


def test_a_rejected_update_writes_back_what_was_updated(cloud: Cloud, tmp_path: Path) -> None:
    assert apply(tmp_path, "--yes")[0] == 0
    before = (cloud.slos.snapshot(), cloud.policies.snapshot())
    (tmp_path / "ion.toml").write_text("[slo.availability]\nobjective = 99.9\n")
    cloud.policies.reject_update.add("ion ion-mentoring: availability (us-central1) page-6h")
    assert apply(tmp_path, "--yes")[0] == 1
    assert (cloud.slos.snapshot(), cloud.policies.snapshot()) == before

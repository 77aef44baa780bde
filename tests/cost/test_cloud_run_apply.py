"""Applying min instances through the real ServicesClient against the fake Admin API."""

from __future__ import annotations

from typing import Any

import pytest

from ioncli.cost.cloud_run import Outcome, apply_plan, make_plan
from ioncli.cost.service_config import from_cloud_run
from ioncli.errors import ConfigError, PolicyViolation, SourceError, UsageError
from tests.fakes.cloud_run import FakeCloudRun

REGIONS = ("us-central1", "europe-west1", "asia-southeast1")


def _fleet(fake: FakeCloudRun, clients: tuple[Any, Any]) -> Any:
    return from_cloud_run(clients[0], clients[1], fake.project, "ion-mentoring", REGIONS)


@pytest.fixture
def three_regions(fake_run: FakeCloudRun) -> FakeCloudRun:
    fake_run.add_service("us-central1", min_instances=3, max_instances=100, cpu="2", memory="2Gi")
    fake_run.add_service("europe-west1", min_instances=2, max_instances=50, cpu="2", memory="2Gi")
    fake_run.add_service("asia-southeast1", min_instances=1, max_instances=30)
    return fake_run


def test_reads_configuration_through_the_real_client(
    three_regions: FakeCloudRun, run_clients: Any
) -> None:
    fleet = _fleet(three_regions, run_clients)
    us = fleet.region("us-central1")
    assert (us.min_instances, us.max_instances, us.size.cpu, us.size.memory_gib) == (
        3,
        100,
        2.0,
        2.0,
    )
    assert us.warm_serving == 3
    assert us.billing.value == "request-based"
    assert us.etag == '"us-central1-1"'
    asia = fleet.region("asia-southeast1")
    assert (asia.size.cpu, asia.size.memory_gib, asia.max_instances) == (1.0, 0.5, 30)
    assert not fleet.offline


def test_tagged_revision_with_its_own_min_is_flagged(
    fake_run: FakeCloudRun, run_clients: Any
) -> None:
    fake_run.add_service(
        "us-central1",
        min_instances=2,
        cpu_idle=False,
        revisions=[("ion-00002-new", 100, "", 0), ("ion-00001-old", 0, "canary", 3)],
    )
    fleet = from_cloud_run(
        run_clients[0], run_clients[1], fake_run.project, "ion-mentoring", ["us-central1"]
    )
    us = fleet.region("us-central1")
    assert us.billing.value == "instance-based"
    assert us.warm_serving == 2
    [held] = us.held_elsewhere
    assert (held.name, held.tags, held.warm) == ("ion-00001-old", ("canary",), 3)


def test_missing_service_is_a_config_error(fake_run: FakeCloudRun, run_clients: Any) -> None:
    with pytest.raises(ConfigError, match="does not exist") as info:
        _fleet(fake_run, run_clients)
    # list_services found nothing in the region, and the hint says so.
    assert info.value.hint == "no Cloud Run services in us-central1; check `regions` and `project`"


def test_permission_denied_reading_is_a_source_error(
    three_regions: FakeCloudRun, run_clients: Any
) -> None:
    three_regions.deny.add(three_regions.service_name("europe-west1", "ion-mentoring"))
    with pytest.raises(SourceError, match="permission denied"):
        _fleet(three_regions, run_clients)


def test_apply_finished_operation_sets_min_with_mask_and_etag(
    three_regions: FakeCloudRun, run_clients: Any
) -> None:
    fleet = _fleet(three_regions, run_clients)
    plan = make_plan(fleet, {"us-central1": 2, "europe-west1": 1}, floor=0, force=False)
    result = apply_plan(run_clients[0], plan, poll_seconds=0.01)
    assert result.ok, result
    assert [s.outcome for s in result.steps] == [Outcome.APPLIED, Outcome.APPLIED]
    svc = three_regions.services[three_regions.service_name("us-central1", "ion-mentoring")]
    assert svc.scaling.min_instance_count == 2
    assert svc.scaling.max_instance_count == 100
    first = three_regions.updates[0]
    assert list(first.update_mask.paths) == ["scaling.min_instance_count"]
    assert first.service.etag == '"us-central1-1"'
    assert "--set us-central1=3" in result.undo and "--set europe-west1=2" in result.undo
    assert result.undo_gcloud[0].endswith("--region us-central1 --min=3")


def test_apply_waits_for_a_pending_operation(three_regions: FakeCloudRun, run_clients: Any) -> None:
    three_regions.pending_polls = 2
    fleet = _fleet(three_regions, run_clients)
    plan = make_plan(fleet, {"asia-southeast1": 0}, floor=0, force=False)
    result = apply_plan(run_clients[0], plan, poll_seconds=0.01)
    assert result.ok, result
    op = next(iter(three_regions.operations.values()))
    assert op.polls_left <= 0
    assert (
        three_regions.services[
            three_regions.service_name("asia-southeast1", "ion-mentoring")
        ].scaling.min_instance_count
        == 0
    )


def test_concurrent_change_is_detected_and_later_regions_untouched(
    three_regions: FakeCloudRun, run_clients: Any
) -> None:
    fleet = _fleet(three_regions, run_clients)
    plan = make_plan(
        fleet, {"us-central1": 2, "europe-west1": 1, "asia-southeast1": 0}, floor=0, force=False
    )
    three_regions.set_min("europe-west1", 4)
    eu_before = three_regions.snapshot()
    result = apply_plan(run_clients[0], plan, poll_seconds=0.01)
    outcomes = [(s.region, s.outcome) for s in result.steps]
    assert outcomes == [
        ("us-central1", Outcome.APPLIED),
        ("europe-west1", Outcome.FAILED),
        ("asia-southeast1", Outcome.NOT_ATTEMPTED),
    ]
    assert "someone changed it" in result.steps[1].detail
    after = three_regions.snapshot()
    for region in ("europe-west1", "asia-southeast1"):
        name = three_regions.service_name(region, "ion-mentoring")
        assert after[name] == eu_before[name]
    assert result.undo.endswith("--set us-central1=3")


def test_stale_etag_is_refused_by_the_server(three_regions: FakeCloudRun, run_clients: Any) -> None:
    from google.api_core import exceptions as gexc
    from google.cloud import run_v2
    from google.protobuf import field_mask_pb2

    name = three_regions.service_name("us-central1", "ion-mentoring")
    svc = run_clients[0].get_service(name=name)
    three_regions.set_min("us-central1", 3)  # same value, but the etag moves on
    snapshot = three_regions.snapshot()
    svc.scaling.min_instance_count = 1
    with pytest.raises(gexc.Aborted):
        run_clients[0].update_service(
            request=run_v2.UpdateServiceRequest(
                service=svc,
                update_mask=field_mask_pb2.FieldMask(paths=["scaling.min_instance_count"]),
            )
        )
    assert three_regions.snapshot() == snapshot


def test_failed_operation_leaves_the_service_as_it_was(
    three_regions: FakeCloudRun, run_clients: Any
) -> None:
    fleet = _fleet(three_regions, run_clients)
    eu = three_regions.service_name("europe-west1", "ion-mentoring")
    three_regions.fail_operation.add(eu)
    plan = make_plan(fleet, {"europe-west1": 1, "asia-southeast1": 0}, floor=0, force=False)
    before = three_regions.snapshot()
    result = apply_plan(run_clients[0], plan, poll_seconds=0.01)
    assert not result.ok
    assert [s.outcome for s in result.steps] == [Outcome.FAILED, Outcome.NOT_ATTEMPTED]
    assert "failed" in result.steps[0].detail.lower()
    assert three_regions.snapshot() == before
    assert result.undo == ""


def test_permission_denied_on_update(three_regions: FakeCloudRun, run_clients: Any) -> None:
    fleet = _fleet(three_regions, run_clients)
    three_regions.deny.add(three_regions.service_name("us-central1", "ion-mentoring"))
    before = three_regions.snapshot()
    result = apply_plan(
        run_clients[0],
        make_plan(fleet, {"us-central1": 1}, floor=0, force=False),
        poll_seconds=0.01,
    )
    assert result.steps[0].outcome is Outcome.FAILED
    assert "permission denied" in result.steps[0].detail
    assert three_regions.snapshot() == before


def test_plan_refusals(three_regions: FakeCloudRun, run_clients: Any) -> None:
    fleet = _fleet(three_regions, run_clients)
    with pytest.raises(UsageError, match="negative"):
        make_plan(fleet, {"us-central1": -1}, floor=0, force=False)
    with pytest.raises(UsageError, match="above the max"):
        make_plan(fleet, {"asia-southeast1": 31}, floor=0, force=False)
    with pytest.raises(UsageError, match="unknown region"):
        make_plan(fleet, {"mars-north1": 1}, floor=0, force=False)
    with pytest.raises(PolicyViolation, match="floor 2"):
        make_plan(fleet, {"us-central1": 1}, floor=2, force=False)
    plan = make_plan(fleet, {"us-central1": 1, "asia-southeast1": 1}, floor=2, force=True)
    assert [c.region for c in plan.changes] == ["us-central1"]
    assert plan.unchanged == ("asia-southeast1",)


def test_an_operation_that_never_finishes_is_reported_as_unknown(
    three_regions: FakeCloudRun, run_clients: Any
) -> None:
    three_regions.pending_polls = 10_000
    fleet = _fleet(three_regions, run_clients)
    plan = make_plan(fleet, {"us-central1": 2, "europe-west1": 1}, floor=0, force=False)
    result = apply_plan(run_clients[0], plan, timeout=0.3, poll_seconds=0.05)
    assert [s.outcome for s in result.steps] == [Outcome.FAILED, Outcome.NOT_ATTEMPTED]
    assert "did not finish within 0.3 s" in result.steps[0].detail
    assert "outcome is unknown" in result.steps[0].detail


def test_the_whole_service_is_sent_so_a_mask_ignoring_server_blanks_nothing(
    three_regions: FakeCloudRun, run_clients: Any
) -> None:
    from google.cloud import run_v2

    three_regions.wholesale = True
    name = three_regions.service_name("us-central1", "ion-mentoring")
    template = run_v2.RevisionTemplate.serialize(three_regions.services[name].template)
    fleet = _fleet(three_regions, run_clients)
    result = apply_plan(
        run_clients[0],
        make_plan(fleet, {"us-central1": 1}, floor=0, force=False),
        poll_seconds=0.01,
    )
    assert result.ok, result
    svc = three_regions.services[name]
    assert run_v2.RevisionTemplate.serialize(svc.template) == template
    assert (svc.scaling.min_instance_count, svc.scaling.max_instance_count) == (1, 100)


def test_a_stopped_apply_says_where_it_failed_what_changed_and_what_it_left() -> None:
    from ioncli.cost.cloud_run import ApplyResult, StepResult

    result = ApplyResult(
        (
            StepResult("us-central1", 3, 2, Outcome.APPLIED),
            StepResult("europe-west1", 2, 1, Outcome.FAILED, "permission denied"),
            StepResult("asia-southeast1", 1, 0, Outcome.NOT_ATTEMPTED),
        )
    )
    assert not result.ok
    assert result.failure() == (
        "apply stopped: failed in europe-west1 (permission denied); changed: us-central1; "
        "not attempted: asia-southeast1"
    )
    nothing = ApplyResult((StepResult("us-central1", 3, 2, Outcome.FAILED, "quota"),))
    assert nothing.failure() == (
        "apply stopped: failed in us-central1 (quota); changed: none; not attempted: none"
    )

"""The only module that changes Cloud Run: set the service-level min instances, safely.

A plan lists, per region, the value before and after with its dollar change and cold-start
risk. Applying it goes region by region: read the service, check nobody changed the value
since the plan, send `update_service` with the update mask `scaling.min_instance_count` and
the etag just read (so a concurrent change is refused, not overwritten), wait for the
operation, and read the service back to verify. The first failure stops the rest; the
result says what was changed, what failed and what was not attempted, and how to undo.
"""

from __future__ import annotations

import concurrent.futures
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ioncli.cost.service_config import FleetConfig, call
from ioncli.errors import IonError, PolicyViolation, UsageError

MASK_PATH = "scaling.min_instance_count"


@dataclass(frozen=True)
class Change:
    region: str
    resource: str
    before: int
    after: int
    max_instances: int
    dollars_per_month: float  # after minus before (negative saves money)
    cold_starts_per_week: float  # after minus before (positive adds cold starts)


@dataclass(frozen=True)
class Plan:
    service: str
    changes: tuple[Change, ...]
    unchanged: tuple[str, ...] = ()

    @property
    def dollars_per_month(self) -> float:
        return sum(c.dollars_per_month for c in self.changes)


class Outcome(StrEnum):
    APPLIED = "applied"
    FAILED = "failed"
    NOT_ATTEMPTED = "not attempted"


@dataclass(frozen=True)
class StepResult:
    region: str
    before: int
    after: int
    outcome: Outcome
    detail: str = ""


@dataclass(frozen=True)
class ApplyResult:
    steps: tuple[StepResult, ...]
    undo: str = ""  # the command that puts back what was changed ("" when nothing was)
    undo_gcloud: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(s.outcome is Outcome.APPLIED for s in self.steps)

    def failure(self) -> str:
        """Why the apply stopped, as one line: where it failed, what it changed, what it left."""
        done = [s.region for s in self.steps if s.outcome is Outcome.APPLIED]
        failed = [f"{s.region} ({s.detail})" for s in self.steps if s.outcome is Outcome.FAILED]
        skipped = [s.region for s in self.steps if s.outcome is Outcome.NOT_ATTEMPTED]
        return (
            f"apply stopped: failed in {', '.join(failed)}; changed: {', '.join(done) or 'none'}"
            f"; not attempted: {', '.join(skipped) or 'none'}"
        )


def make_plan(
    fleet: FleetConfig,
    targets: Mapping[str, int],
    *,
    floor: int,
    force: bool,
    estimate: Callable[[str, int], tuple[float, float]] | None = None,
) -> Plan:
    """Check each target against the service's limits and the configured floor.

    `estimate(region, new_min)` gives (dollar change per month, cold starts added per week);
    it is asked only about changes that passed the checks.
    """
    changes, unchanged = [], []
    for region, after in targets.items():
        try:
            current = fleet.region(region)
        except KeyError:
            known = ", ".join(r.region for r in fleet.regions)
            raise UsageError(f"--set {region}={after}: unknown region (known: {known})") from None
        if after < 0:
            raise UsageError(f"--set {region}={after}: min instances cannot be negative")
        if after > current.max_instances:
            raise UsageError(
                f"--set {region}={after}: min instances above the max "
                f"({current.max_instances}) of {fleet.service} in {region}"
            )
        if after < floor and after < current.min_instances and not force:
            raise PolicyViolation(
                f"refusing to lower min instances in {region} to {after}: below the "
                f"configured floor {floor} ([cost] min_instance_floor)",
                hint="pass --force to go below it",
            )
        if after == current.min_instances:
            unchanged.append(region)
            continue
        dollars, cold = estimate(region, after) if estimate else (0.0, 0.0)
        changes.append(
            Change(
                region,
                current.resource,
                current.min_instances,
                after,
                current.max_instances,
                dollars,
                cold,
            )
        )
    return Plan(fleet.service, tuple(changes), tuple(unchanged))


def apply_plan(
    services_client: Any,
    plan: Plan,
    *,
    timeout: float = 300.0,
    poll_seconds: float = 1.0,
    undo_prefix: Sequence[str] = ("ion", "cost-report", "--apply", "--yes"),
) -> ApplyResult:
    """Apply the plan region by region; stop at the first failure."""
    steps: list[StepResult] = []
    done: list[Change] = []
    failed = False
    for change in plan.changes:
        if failed:
            steps.append(
                StepResult(change.region, change.before, change.after, Outcome.NOT_ATTEMPTED)
            )
            continue
        try:
            _apply_one(services_client, change, timeout, poll_seconds)
        except _StepFailed as exc:
            failed = True
            steps.append(
                StepResult(change.region, change.before, change.after, Outcome.FAILED, str(exc))
            )
            continue
        done.append(change)
        steps.append(
            StepResult(
                change.region, change.before, change.after, Outcome.APPLIED, "verified by read-back"
            )
        )
    return ApplyResult(tuple(steps), *undo_commands(plan.service, done, undo_prefix))


def undo_commands(
    service: str, done: Sequence[Change], prefix: Sequence[str]
) -> tuple[str, tuple[str, ...]]:
    if not done:
        return "", ()
    args = [*prefix, "--force"]
    for c in done:
        args += ["--set", f"{c.region}={c.before}"]
    gcloud = tuple(
        shlex.join(
            [
                "gcloud",
                "run",
                "services",
                "update",
                service,
                "--region",
                c.region,
                f"--min={c.before}",
            ]
        )
        for c in done
    )
    return shlex.join(args), gcloud


class _StepFailed(Exception):
    pass


def _apply_one(client: Any, change: Change, timeout: float, poll_seconds: float) -> None:
    from google.api_core import exceptions as gexc
    from google.api_core.future import polling as gpolling
    from google.cloud import run_v2
    from google.protobuf import field_mask_pb2

    try:
        svc = call(lambda: client.get_service(name=change.resource), change.resource, "read")
    except IonError as exc:
        raise _StepFailed(f"could not read the service: {exc}") from None
    if svc.scaling.min_instance_count != change.before:
        raise _StepFailed(
            f"min instances is now {svc.scaling.min_instance_count}, not {change.before} as "
            "planned: someone changed it; rerun to make a new plan"
        )
    # Send the whole service as read (with its etag), changed in one field: should a server
    # ever ignore the mask, it would re-apply what is there rather than blank the rest.
    template = run_v2.RevisionTemplate.serialize(svc.template)
    max_before = svc.scaling.max_instance_count
    svc.scaling.min_instance_count = change.after
    request = run_v2.UpdateServiceRequest(
        service=svc, update_mask=field_mask_pb2.FieldMask(paths=[MASK_PATH])
    )
    polling = gpolling.DEFAULT_POLLING.with_delay(
        initial=poll_seconds, maximum=poll_seconds * 10, multiplier=1.5
    ).with_timeout(timeout)
    try:
        operation = client.update_service(request=request)
        operation.result(timeout=timeout, polling=polling)
    except gexc.Aborted as exc:
        raise _StepFailed(
            f"the service changed while ion was applying (etag mismatch: {exc.message}); "
            "nothing was overwritten"
        ) from None
    except gexc.PermissionDenied as exc:
        raise _StepFailed(f"permission denied: {exc.message}") from None
    except gexc.GoogleAPICallError as exc:
        raise _StepFailed(f"the update failed: {exc.message or exc}") from None
    except (gexc.RetryError, TimeoutError, _concurrent_timeout()) as exc:
        raise _StepFailed(
            f"the operation did not finish within {timeout:g} s ({exc}); its outcome is "
            "unknown: check the service"
        ) from None
    try:
        back = call(lambda: client.get_service(name=change.resource), change.resource, "read")
    except IonError as exc:
        raise _StepFailed(f"the update finished but reading it back failed: {exc}") from None
    if back.scaling.min_instance_count != change.after:
        raise _StepFailed(
            f"read-back shows min instances {back.scaling.min_instance_count}, "
            f"expected {change.after}"
        )
    if (
        back.scaling.max_instance_count != max_before
        or run_v2.RevisionTemplate.serialize(back.template) != template
    ):
        raise _StepFailed(
            "read-back shows min instances set, but the max or the revision template changed "
            "too: check the service"
        )


def _concurrent_timeout() -> type[BaseException]:
    return concurrent.futures.TimeoutError

"""A fake Cloud Run Admin API v2 (Services, Revisions, long-running Operations) over gRPC.

The real `run_v2.ServicesClient` / `RevisionsClient` talk to it through a plaintext channel on
127.0.0.1. It holds services and revisions as the library's own message types and behaves
like Google where ion relies on it:

- `UpdateService` honours the update mask (only the paths it knows; others are rejected),
  refuses a stale etag with ABORTED, checks min <= max, bumps etag and generation, and answers
  with an Operation that is finished at once or after `pending_polls` GetOperation calls
  (the change lands only when the operation finishes);
- `fail_operation` makes an update's operation finish with an error and change nothing;
- `wholesale` makes updates apply the whole body, scaling and template, whatever the mask
  (what Cloud Run is reported to do with a mask path it does not know);
- `deny` lists resource names for which every call fails with PERMISSION_DENIED;
- `updates` records every accepted update request, for assertions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.cloud import run_v2
from google.longrunning import operations_pb2
from google.protobuf import any_pb2
from google.rpc import code_pb2, status_pb2

from tests.fakes import start_grpc_server

_MASK_PATHS = {"scaling.min_instance_count", "scaling.max_instance_count"}


@dataclass
class _PendingOp:
    name: str
    service: str
    apply: Callable[[], run_v2.Service] | None
    polls_left: int
    error: status_pb2.Status | None = None
    result: run_v2.Service | None = None


@dataclass
class FakeCloudRun:
    project: str = "demo-project"
    pending_polls: int = 0
    fail_operation: set[str] = field(default_factory=set)
    wholesale: bool = False
    deny: set[str] = field(default_factory=set)
    services: dict[str, run_v2.Service] = field(default_factory=dict)
    revisions: dict[str, run_v2.Revision] = field(default_factory=dict)
    updates: list[run_v2.UpdateServiceRequest] = field(default_factory=list)
    operations: dict[str, _PendingOp] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: Any = None
    _counter: int = 0
    address: str = ""

    # --- building the fleet ------------------------------------------------------------

    def service_name(self, region: str, service: str) -> str:
        return f"projects/{self.project}/locations/{region}/services/{service}"

    def add_service(
        self,
        region: str,
        service: str = "ion-mentoring",
        *,
        min_instances: int = 0,
        max_instances: int = 100,
        cpu: str = "1",
        memory: str = "512Mi",
        cpu_idle: bool = True,
        concurrency: int = 80,
        revisions: Iterable[tuple[str, int, str, int]] = (),
    ) -> run_v2.Service:
        """Add a service; `revisions` are (name, traffic percent, tag, revision-level min)."""
        name = self.service_name(region, service)
        resources = run_v2.ResourceRequirements(
            limits={"cpu": cpu, "memory": memory}, cpu_idle=cpu_idle
        )
        container = run_v2.Container(image="gcr.io/demo/ion:1", resources=resources)
        revs = list(revisions) or [(f"{service}-00001-abc", 100, "", 0)]
        svc = run_v2.Service(
            name=name,
            uid=f"uid-{region}",
            generation=1,
            etag=f'"{region}-1"',
            scaling=run_v2.ServiceScaling(
                min_instance_count=min_instances, max_instance_count=max_instances
            ),
            template=run_v2.RevisionTemplate(
                containers=[container], max_instance_request_concurrency=concurrency
            ),
            latest_ready_revision=f"{name}/revisions/{revs[0][0]}",
        )
        for rev_id, percent, tag, rev_min in revs:
            rev_name = f"{name}/revisions/{rev_id}"
            svc.traffic.append(
                run_v2.TrafficTarget(
                    type_=run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION,
                    revision=rev_id,
                    percent=percent,
                    tag=tag,
                )
            )
            svc.traffic_statuses.append(
                run_v2.TrafficTargetStatus(revision=rev_id, percent=percent, tag=tag)
            )
            self.revisions[rev_name] = run_v2.Revision(
                name=rev_name,
                service=name,
                scaling=run_v2.RevisionScaling(min_instance_count=rev_min, max_instance_count=100),
                containers=[container],
                max_instance_request_concurrency=concurrency,
            )
        self.services[name] = svc
        return svc

    def snapshot(self) -> dict[str, bytes]:
        """Every service serialised: compare two snapshots to prove nothing changed."""
        with self._lock:
            return {n: run_v2.Service.serialize(s) for n, s in self.services.items()}

    def set_min(self, region: str, value: int, service: str = "ion-mentoring") -> None:
        """A change made behind ion's back (another operator): new value, new etag."""
        with self._lock:
            svc = self.services[self.service_name(region, service)]
            svc.scaling.min_instance_count = value
            svc.generation += 1
            svc.etag = f'"{region}-{svc.generation}"'

    # --- server --------------------------------------------------------------------------

    def start(self) -> str:
        unary = grpc.unary_unary_rpc_method_handler
        server, self.address = start_grpc_server(
            grpc.method_handlers_generic_handler(
                "google.cloud.run.v2.Services",
                {
                    "GetService": unary(
                        self._get_service,
                        request_deserializer=run_v2.GetServiceRequest.deserialize,
                        response_serializer=run_v2.Service.serialize,
                    ),
                    "ListServices": unary(
                        self._list_services,
                        request_deserializer=run_v2.ListServicesRequest.deserialize,
                        response_serializer=run_v2.ListServicesResponse.serialize,
                    ),
                    "UpdateService": unary(
                        self._update_service,
                        request_deserializer=run_v2.UpdateServiceRequest.deserialize,
                        response_serializer=operations_pb2.Operation.SerializeToString,
                    ),
                },
            ),
            grpc.method_handlers_generic_handler(
                "google.cloud.run.v2.Revisions",
                {
                    "GetRevision": unary(
                        self._get_revision,
                        request_deserializer=run_v2.GetRevisionRequest.deserialize,
                        response_serializer=run_v2.Revision.serialize,
                    ),
                    "ListRevisions": unary(
                        self._list_revisions,
                        request_deserializer=run_v2.ListRevisionsRequest.deserialize,
                        response_serializer=run_v2.ListRevisionsResponse.serialize,
                    ),
                },
            ),
            grpc.method_handlers_generic_handler(
                "google.longrunning.Operations",
                {
                    "GetOperation": unary(
                        self._get_operation,
                        request_deserializer=operations_pb2.GetOperationRequest.FromString,
                        response_serializer=operations_pb2.Operation.SerializeToString,
                    ),
                },
            ),
        )
        self._server = server
        return self.address

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(grace=None)
            self._server = None

    # --- handlers ------------------------------------------------------------------------

    def _check(self, name: str, context: grpc.ServicerContext) -> None:
        if any(name == d or name.startswith(d + "/") for d in self.deny):
            context.abort(grpc.StatusCode.PERMISSION_DENIED, f"Permission denied on {name}")

    def _get_service(self, request: run_v2.GetServiceRequest, context: Any) -> run_v2.Service:
        self._check(request.name, context)
        with self._lock:
            svc = self.services.get(request.name)
            if svc is None:
                context.abort(grpc.StatusCode.NOT_FOUND, f"Resource '{request.name}' not found.")
            return run_v2.Service.deserialize(run_v2.Service.serialize(svc))

    def _list_services(
        self, request: run_v2.ListServicesRequest, context: Any
    ) -> run_v2.ListServicesResponse:
        self._check(request.parent, context)
        with self._lock:
            found = [s for n, s in self.services.items() if n.startswith(request.parent + "/")]
            return run_v2.ListServicesResponse(services=found)

    def _get_revision(self, request: run_v2.GetRevisionRequest, context: Any) -> run_v2.Revision:
        self._check(request.name, context)
        with self._lock:
            rev = self.revisions.get(request.name)
            if rev is None:
                context.abort(grpc.StatusCode.NOT_FOUND, f"Resource '{request.name}' not found.")
            return rev

    def _list_revisions(
        self, request: run_v2.ListRevisionsRequest, context: Any
    ) -> run_v2.ListRevisionsResponse:
        self._check(request.parent, context)
        with self._lock:
            found = [r for n, r in self.revisions.items() if n.startswith(request.parent + "/")]
            return run_v2.ListRevisionsResponse(revisions=found)

    def _update_service(
        self, request: run_v2.UpdateServiceRequest, context: Any
    ) -> operations_pb2.Operation:
        name = request.service.name
        self._check(name, context)
        paths = list(request.update_mask.paths)
        unknown = [p for p in paths if p not in _MASK_PATHS]
        if not paths or unknown:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unsupported update_mask {paths}")
        with self._lock:
            current = self.services.get(name)
            if current is None:
                context.abort(grpc.StatusCode.NOT_FOUND, f"Resource '{name}' not found.")
            if request.service.etag and request.service.etag != current.etag:
                context.abort(
                    grpc.StatusCode.ABORTED,
                    f"etag {request.service.etag} does not match {current.etag}: the service "
                    "changed since it was read",
                )
            wanted = run_v2.ServiceScaling.deserialize(
                run_v2.ServiceScaling.serialize(current.scaling)
            )
            for path in paths:
                attr = path.split(".", 1)[1]
                setattr(wanted, attr, getattr(request.service.scaling, attr))
            if wanted.max_instance_count and wanted.min_instance_count > wanted.max_instance_count:
                context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "min_instance_count must not exceed max_instance_count",
                )
            self.updates.append(request)
            self._counter += 1
            op_name = f"{name.rsplit('/services/', 1)[0]}/operations/op-{self._counter}"

            body = request.service

            def apply() -> run_v2.Service:
                svc = self.services[name]
                svc.scaling = wanted
                if self.wholesale:
                    svc.scaling = body.scaling
                    svc.template = body.template
                svc.generation += 1
                svc.etag = f'"{name.split("/")[3]}-{svc.generation}"'
                return run_v2.Service.deserialize(run_v2.Service.serialize(svc))

            pending = _PendingOp(op_name, name, apply, self.pending_polls)
            if name in self.fail_operation:
                pending.apply = None
                pending.error = status_pb2.Status(
                    code=code_pb2.FAILED_PRECONDITION,
                    message="Revision failed to become ready; the change was rolled back",
                )
            self.operations[op_name] = pending
            return self._advance(pending, current)

    def _get_operation(
        self, request: operations_pb2.GetOperationRequest, context: Any
    ) -> operations_pb2.Operation:
        with self._lock:
            pending = self.operations.get(request.name)
            if pending is None:
                context.abort(grpc.StatusCode.NOT_FOUND, f"operation {request.name} not found")
            pending.polls_left -= 1
            return self._advance(pending, self.services[pending.service])

    def _advance(self, pending: _PendingOp, current: run_v2.Service) -> operations_pb2.Operation:
        metadata = any_pb2.Any()
        metadata.Pack(run_v2.Service.pb(current))
        if pending.polls_left > 0:
            return operations_pb2.Operation(name=pending.name, done=False, metadata=metadata)
        if pending.error is not None:
            return operations_pb2.Operation(
                name=pending.name, done=True, metadata=metadata, error=pending.error
            )
        if pending.result is None and pending.apply is not None:
            pending.result = pending.apply()
            pending.apply = None
        response = any_pb2.Any()
        assert pending.result is not None
        response.Pack(run_v2.Service.pb(pending.result))
        return operations_pb2.Operation(
            name=pending.name, done=True, metadata=metadata, response=response
        )

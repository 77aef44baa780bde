"""A fake Cloud Monitoring ServiceMonitoringService over gRPC on 127.0.0.1.

The real `monitoring_v3.ServiceMonitoringServiceClient` talks to it through a plaintext
channel. It keeps services and SLOs as the library's own messages and checks what Google
documents for them (types/service.py):

- Create needs an unused id (ALREADY_EXISTS otherwise) and the parent to exist (NOT_FOUND);
- an SLO needs a service level indicator, `0 < goal <= 0.9999`, and a period: a rolling one of
  whole days up to 30, or a calendar one; a request-based ratio needs exactly two of good,
  bad and total filters; a distribution cut needs its filter and a range;
- Update honours the update mask (known top-level paths only; empty = replace, keeping the
  name); Delete of a service with SLOs is refused (FAILED_PRECONDITION);
- `reject` holds names (or SLO ids) whose create or update fails with INVALID_ARGUMENT and
  changes nothing; `calls` records every RPC name.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.cloud import monitoring_v3
from google.cloud.monitoring_v3.types import service_service
from google.protobuf import empty_pb2

from tests.fakes import GrpcFake, copy_message, delete, found, masked_update, unary

Service = monitoring_v3.Service
Slo = monitoring_v3.ServiceLevelObjective
_SERVICE_PATHS = {"display_name", "user_labels", "custom", "cloud_run", "telemetry"}
_SLO_PATHS = {
    "display_name",
    "service_level_indicator",
    "goal",
    "rolling_period",
    "calendar_period",
    "user_labels",
}


_copy = copy_message


@dataclass
class FakeServiceMonitoring(GrpcFake):
    project: str = "demo-project"
    services: dict[str, Any] = field(default_factory=dict)
    slos: dict[str, Any] = field(default_factory=dict)
    reject: set[str] = field(default_factory=set)
    calls: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handler(self) -> Any:
        """The generic RPC handler (to serve next to other fakes on one port)."""
        s = service_service

        handlers = {
            "CreateService": unary(self._create_service, s.CreateServiceRequest, Service.serialize),
            "GetService": unary(self._get_service, s.GetServiceRequest, Service.serialize),
            "UpdateService": unary(self._update_service, s.UpdateServiceRequest, Service.serialize),
            "DeleteService": unary(
                self._delete_service, s.DeleteServiceRequest, empty_pb2.Empty.SerializeToString
            ),
            "CreateServiceLevelObjective": unary(
                self._create_slo, s.CreateServiceLevelObjectiveRequest, Slo.serialize
            ),
            "GetServiceLevelObjective": unary(
                self._get_slo, s.GetServiceLevelObjectiveRequest, Slo.serialize
            ),
            "ListServiceLevelObjectives": unary(
                self._list_slos,
                s.ListServiceLevelObjectivesRequest,
                s.ListServiceLevelObjectivesResponse.serialize,
            ),
            "UpdateServiceLevelObjective": unary(
                self._update_slo, s.UpdateServiceLevelObjectiveRequest, Slo.serialize
            ),
            "DeleteServiceLevelObjective": unary(
                self._delete_slo,
                s.DeleteServiceLevelObjectiveRequest,
                empty_pb2.Empty.SerializeToString,
            ),
        }
        return grpc.method_handlers_generic_handler(
            "google.monitoring.v3.ServiceMonitoringService", handlers
        )

    def snapshot(self) -> tuple[dict[str, bytes], dict[str, bytes]]:
        with self._lock:
            return (
                {n: Service.serialize(v) for n, v in self.services.items()},
                {n: Slo.serialize(v) for n, v in self.slos.items()},
            )

    # --- services ------------------------------------------------------------------------

    def _create_service(self, request: Any, context: Any) -> Any:
        self.calls.append("create_service")
        if request.parent != f"projects/{self.project}":
            context.abort(grpc.StatusCode.NOT_FOUND, f"{request.parent} not found")
        name = f"{request.parent}/services/{request.service_id}"
        if request.service_id in self.reject or name in self.reject:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"create of {name} rejected (test)")
        with self._lock:
            if name in self.services:
                context.abort(grpc.StatusCode.ALREADY_EXISTS, f"{name} already exists")
            made = _copy(request.service)
            made.name = name
            self.services[name] = made
            return _copy(made)

    def _get_service(self, request: Any, context: Any) -> Any:
        self.calls.append("get_service")
        with self._lock:
            return _copy(found(self.services, request.name, context))

    def _update_service(self, request: Any, context: Any) -> Any:
        self.calls.append("update_service")
        wanted = request.service
        paths = list(request.update_mask.paths)
        if set(paths) - _SERVICE_PATHS:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown paths {paths}")
        with self._lock:
            current = found(self.services, wanted.name, context)
            if wanted.name in self.reject:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "update rejected (test)")
            updated = masked_update(current, wanted, paths)
            self.services[updated.name] = updated
            return _copy(updated)

    def _delete_service(self, request: Any, context: Any) -> Any:
        self.calls.append("delete_service")
        with self._lock:
            if any(n.startswith(request.name + "/") for n in self.slos):
                context.abort(grpc.StatusCode.FAILED_PRECONDITION, "the service still has SLOs")
            delete(self.services, request.name, context)
        return empty_pb2.Empty()

    # --- service level objectives --------------------------------------------------------

    def _check_slo(self, slo: Any, context: Any) -> None:
        if not 0.0 < slo.goal <= 0.9999:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"goal {slo.goal} not in (0, 0.9999]")
        period = Slo.pb(slo).WhichOneof("period")
        if period is None:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "an SLO needs a period")
        if period == "rolling_period":
            seconds = slo.rolling_period.total_seconds()
            if seconds % 86400 or not 86400 <= seconds <= 30 * 86400:
                context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT, "rolling_period: whole days up to 30"
                )
        sli = monitoring_v3.ServiceLevelIndicator.pb(slo.service_level_indicator)
        kind = sli.WhichOneof("type")
        if kind != "request_based":
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "only request-based SLIs (fake)")
        request_based = sli.request_based
        method = request_based.WhichOneof("method")
        if method == "good_total_ratio":
            ratio = request_based.good_total_ratio
            given = [
                f
                for f in (
                    ratio.good_service_filter,
                    ratio.bad_service_filter,
                    ratio.total_service_filter,
                )
                if f
            ]
            if len(given) != 2:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "exactly two of good/bad/total")
        elif method == "distribution_cut":
            cut = request_based.distribution_cut
            if not cut.distribution_filter or not cut.HasField("range"):
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "a cut needs a filter and range")
        else:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "request-based SLI without a method")

    def _create_slo(self, request: Any, context: Any) -> Any:
        self.calls.append("create_slo")
        name = f"{request.parent}/serviceLevelObjectives/{request.service_level_objective_id}"
        if request.service_level_objective_id in self.reject or name in self.reject:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"create of {name} rejected (test)")
        self._check_slo(request.service_level_objective, context)
        with self._lock:
            if request.parent not in self.services:
                context.abort(grpc.StatusCode.NOT_FOUND, f"{request.parent} not found")
            if name in self.slos:
                context.abort(grpc.StatusCode.ALREADY_EXISTS, f"{name} already exists")
            made = _copy(request.service_level_objective)
            made.name = name
            self.slos[name] = made
            return _copy(made)

    def _get_slo(self, request: Any, context: Any) -> Any:
        self.calls.append("get_slo")
        with self._lock:
            return _copy(found(self.slos, request.name, context))

    def _list_slos(self, request: Any, context: Any) -> Any:
        self.calls.append("list_slos")
        with self._lock:
            if request.parent not in self.services:
                context.abort(grpc.StatusCode.NOT_FOUND, f"{request.parent} not found")
            mine = [_copy(s) for n, s in self.slos.items() if n.startswith(request.parent + "/")]
        return service_service.ListServiceLevelObjectivesResponse(service_level_objectives=mine)

    def _update_slo(self, request: Any, context: Any) -> Any:
        self.calls.append("update_slo")
        wanted = request.service_level_objective
        paths = list(request.update_mask.paths)
        if set(paths) - _SLO_PATHS:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown paths {paths}")
        with self._lock:
            current = found(self.slos, wanted.name, context)
            if wanted.name in self.reject or wanted.name.rsplit("/", 1)[-1] in self.reject:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "update rejected (test)")
            updated = masked_update(current, wanted, paths)
        self._check_slo(updated, context)
        with self._lock:
            self.slos[updated.name] = updated
            return _copy(updated)

    def _delete_slo(self, request: Any, context: Any) -> Any:
        self.calls.append("delete_slo")
        with self._lock:
            delete(self.slos, request.name, context)
        return empty_pb2.Empty()

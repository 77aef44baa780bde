"""A fake Cloud Monitoring AlertPolicyService over gRPC on 127.0.0.1.

The real `monitoring_v3.AlertPolicyServiceClient` talks to it through a plaintext channel. It
keeps policies as the library's own `AlertPolicy` messages and behaves like Google where ion
relies on it:

- Create assigns `projects/P/alertPolicies/N` and condition names, and rejects a policy with
  no conditions, more than 6, or a threshold duration that is not a whole minute;
- Update honours the update mask (only known top-level paths; an empty mask replaces the
  whole policy but keeps its name); `reject_update` holds policy names or display names
  whose update fails with INVALID_ARGUMENT (and changes nothing);
- a PromQL condition needs a query with balanced brackets (a stand-in for parsing: the
  promtool tests parse ion's queries for real) and an evaluation interval in multiples of
  30 s; a `select_slo_burn_rate("SLO", "LOOKBACK")` filter needs an SLO name and a lookback
  in one of the documented units (ns, us, ms, s, m, h) of at most 24 h;
- List filters by `user_labels."KEY" = "VALUE"` terms (the only filter ion sends);
- `calls` records every RPC name, for assertions.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.cloud import monitoring_v3
from google.protobuf import empty_pb2

from tests.fakes import GrpcFake, copy_message, delete, found, masked_update, unary

AlertPolicy = monitoring_v3.AlertPolicy
_MASK_PATHS = {
    "display_name",
    "documentation",
    "user_labels",
    "conditions",
    "combiner",
    "enabled",
    "notification_channels",
    "severity",
    "alert_strategy",
}
_BURN_RATE = re.compile(
    r'^select_slo_burn_rate\("(projects/[^/]+/services/[^/]+/serviceLevelObjectives/[^/"]+)",'
    r'\s*"(\d+)(ns|us|ms|s|m|h)"\)$'
)
_LABEL_TERM = re.compile(r'user_labels\."?([\w-]+)"?\s*=\s*"([^"]*)"')


def _promql_problem(cond: Any) -> str | None:
    """Google's documented checks on a PromQL condition, plus bracket balance as a stand-in
    for parsing the query (the promtool tests parse ion's queries for real)."""
    if not cond.query.strip():
        return "a PromQL condition needs a query"
    interval = cond.evaluation_interval.total_seconds() if "evaluation_interval" in cond else 30
    if interval <= 0 or interval % 30:
        return "evaluation_interval must be a positive multiple of 30 s"
    if cond.duration.total_seconds() < 0:
        return "duration must not be negative"
    depth = {"(": 0, "[": 0, "{": 0}
    pairs = {")": "(", "]": "[", "}": "{"}
    for ch in cond.query:
        if ch in depth:
            depth[ch] += 1
        elif ch in pairs:
            depth[pairs[ch]] -= 1
            if depth[pairs[ch]] < 0:
                return "the PromQL query does not parse: unbalanced brackets"
    if any(depth.values()):
        return "the PromQL query does not parse: unbalanced brackets"
    return None


def _check_burn_rate(text: str, context: Any) -> None:
    match = _BURN_RATE.match(text)
    if not match:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"cannot parse {text!r}")
    unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}[match.group(3)]
    seconds = int(match.group(2)) * unit
    if seconds > 24 * 3600:
        context.abort(
            grpc.StatusCode.INVALID_ARGUMENT, "select_slo_burn_rate looks back 24 h at most"
        )


_copy = copy_message


@dataclass
class FakeAlertPolicies(GrpcFake):
    project: str = "demo-project"
    policies: dict[str, Any] = field(default_factory=dict)
    reject_update: set[str] = field(default_factory=set)
    calls: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: int = 0

    def add(self, policy: Any) -> Any:
        """Store a policy as if someone had created it (gets a name)."""
        with self._lock:
            return self._store(_copy(policy))

    def snapshot(self) -> dict[str, bytes]:
        with self._lock:
            return {n: AlertPolicy.serialize(p) for n, p in self.policies.items()}

    def handler(self) -> Any:
        """The generic RPC handler (to serve next to other fakes on one port)."""
        m = monitoring_v3
        policy = AlertPolicy.serialize
        handlers = {
            "ListAlertPolicies": unary(
                self._list, m.ListAlertPoliciesRequest, m.ListAlertPoliciesResponse.serialize
            ),
            "GetAlertPolicy": unary(self._get, m.GetAlertPolicyRequest, policy),
            "CreateAlertPolicy": unary(self._create, m.CreateAlertPolicyRequest, policy),
            "UpdateAlertPolicy": unary(self._update, m.UpdateAlertPolicyRequest, policy),
            "DeleteAlertPolicy": unary(
                self._delete, m.DeleteAlertPolicyRequest, empty_pb2.Empty.SerializeToString
            ),
        }
        return grpc.method_handlers_generic_handler(
            "google.monitoring.v3.AlertPolicyService", handlers
        )

    # --- handlers ------------------------------------------------------------------------

    def _store(self, policy: Any) -> Any:
        self._counter += 1
        policy.name = f"projects/{self.project}/alertPolicies/{self._counter}"
        for i, condition in enumerate(policy.conditions):
            condition.name = f"{policy.name}/conditions/{i + 1}"
        self.policies[policy.name] = policy
        return _copy(policy)

    def _validate(self, policy: Any, context: Any) -> None:
        if not 1 <= len(policy.conditions) <= 6:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "a policy needs 1 to 6 conditions")
        for condition in policy.conditions:
            kind = AlertPolicy.Condition.pb(condition).WhichOneof("condition")
            if kind == "condition_prometheus_query_language":
                problem = _promql_problem(condition.condition_prometheus_query_language)
                if problem:
                    context.abort(grpc.StatusCode.INVALID_ARGUMENT, problem)
                continue
            threshold = condition.condition_threshold
            if threshold.duration.total_seconds() % 60:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "duration must be whole minutes")
            if not threshold.filter:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "a threshold needs a filter")
            if threshold.filter.startswith("select_slo_burn_rate("):
                _check_burn_rate(threshold.filter, context)

    def _list(self, request: Any, context: Any) -> Any:
        self.calls.append("list")
        if request.name != f"projects/{self.project}":
            context.abort(grpc.StatusCode.NOT_FOUND, f"project {request.name} not found")
        terms = _LABEL_TERM.findall(request.filter)
        with self._lock:
            found = [
                _copy(p)
                for p in self.policies.values()
                if all(p.user_labels.get(k) == v for k, v in terms)
            ]
        return monitoring_v3.ListAlertPoliciesResponse(alert_policies=found)

    def _get(self, request: Any, context: Any) -> Any:
        self.calls.append("get")
        with self._lock:
            return _copy(found(self.policies, request.name, context))

    def _create(self, request: Any, context: Any) -> Any:
        self.calls.append("create")
        if request.name != f"projects/{self.project}":
            context.abort(grpc.StatusCode.NOT_FOUND, f"project {request.name} not found")
        if request.alert_policy.name:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "name must be empty on create")
        self._validate(request.alert_policy, context)
        with self._lock:
            return self._store(_copy(request.alert_policy))

    def _update(self, request: Any, context: Any) -> Any:
        self.calls.append("update")
        wanted = request.alert_policy
        paths = list(request.update_mask.paths)
        unknown = [p for p in paths if p not in _MASK_PATHS]
        if unknown:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown update_mask paths {unknown}")
        with self._lock:
            current = found(self.policies, wanted.name, context)
            if wanted.name in self.reject_update or current.display_name in self.reject_update:
                context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT, f"update of {wanted.name} rejected (test)"
                )
            updated = masked_update(current, wanted, paths)
            self._validate(updated, context)
            for i, condition in enumerate(updated.conditions):
                if not condition.name:
                    condition.name = f"{updated.name}/conditions/u{i + 1}"
            self.policies[updated.name] = updated
            return _copy(updated)

    def _delete(self, request: Any, context: Any) -> Any:
        self.calls.append("delete")
        with self._lock:
            delete(self.policies, request.name, context)
        return empty_pb2.Empty()

"""What each region's Cloud Run service is configured to do: size, billing, min and max
instances at service and revision level, concurrency and tagged revisions.

Read from the Cloud Run Admin API v2 (clients passed in), or offline from `[cost]` in
ion.toml or a JSON/TOML file. Offline defaults are the original report's multi-region
configuration (2 vCPU / 2 GiB, concurrency 100, request-based; min 3/2/1 and max 100/50/30 in
us-central1/europe-west1/asia-southeast1), and the report says it used them.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ioncli.config_schema import check_service_tables
from ioncli.cost.pricing import Billing, Size
from ioncli.errors import ConfigError, SourceError

DEFAULT_MAX = 100  # Cloud Run's revision max when none is set

# The original report's configuration (its section "multi-region", week 14 / current min).
REPORT_DEFAULTS: dict[str, Any] = {
    "cpu": "2",
    "memory": "2Gi",
    "concurrency": 100,
    "billing": "request-based",
    "min_instances": 0,
    "max_instances": DEFAULT_MAX,
}
REPORT_REGIONS: dict[str, dict[str, Any]] = {
    "us-central1": {"min_instances": 3, "max_instances": 100},
    "europe-west1": {"min_instances": 2, "max_instances": 50},
    "asia-southeast1": {"min_instances": 1, "max_instances": 30},
}


@dataclass(frozen=True)
class RevisionInfo:
    """One revision the service can route to (by traffic or by tag)."""

    name: str
    percent: int
    tags: tuple[str, ...]
    min_instances: int  # revision-level (template) min
    max_instances: int
    size: Size
    warm: int = 0  # instances this revision keeps started (computed by `warm_instances`)

    @property
    def serving(self) -> bool:
        return self.percent > 0


@dataclass(frozen=True)
class RegionService:
    region: str
    service: str
    resource: str  # full resource name, "" when the configuration came from a file
    size: Size
    billing: Billing
    min_instances: int  # service-level min
    max_instances: int  # effective max for the serving revisions
    concurrency: int
    revisions: tuple[RevisionInfo, ...] = ()
    etag: str = ""

    @property
    def warm_serving(self) -> int:
        """Instances kept warm for the revisions that take traffic."""
        if not self.revisions:
            return min(self.min_instances, self.max_instances)
        return sum(r.warm for r in self.revisions if r.serving)

    def warm_for(self, service_min: int) -> int:
        """Instances the serving revisions would keep warm with this service-level min (a
        revision's own min can keep more)."""
        if not self.revisions:
            return min(service_min, self.max_instances)
        revs = warm_instances(service_min, self.max_instances, self.revisions)
        return sum(r.warm for r in revs if r.serving)

    @property
    def held_elsewhere(self) -> tuple[RevisionInfo, ...]:
        """Revisions with no traffic that still keep instances warm (tags + revision min)."""
        return tuple(r for r in self.revisions if not r.serving and r.warm > 0)


@dataclass(frozen=True)
class FleetConfig:
    service: str
    regions: tuple[RegionService, ...]
    origin: str  # where it came from, said in the report
    offline: bool

    def region(self, name: str) -> RegionService:
        for r in self.regions:
            if r.region == name:
                return r
        raise KeyError(name)


def parse_cpu(value: Any, where: str) -> float:
    text = str(value).strip()
    try:
        cpu = float(text[:-1]) / 1000 if text.endswith("m") else float(text)
    except ValueError:
        raise ConfigError(
            f"{where}: cpu {value!r} is not a number of vCPU (e.g. 1, 2, 500m)"
        ) from None
    if not cpu > 0 or math.isinf(cpu):
        raise ConfigError(f"{where}: cpu must be above 0, found {value!r}")
    return cpu


_MEM_UNITS = {
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
    "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
}  # fmt: skip


def parse_memory(value: Any, where: str) -> float:
    """Memory in GiB from a Kubernetes quantity ("512Mi", "2Gi", "1G") or a plain byte count."""
    text = str(value).strip()
    for suffix in sorted(_MEM_UNITS, key=len, reverse=True):
        if text.endswith(suffix):
            number, scale = text[: -len(suffix)], _MEM_UNITS[suffix]
            break
    else:
        number, scale = text, 1
    try:
        gib = float(number) * scale / 2**30
    except ValueError:
        raise ConfigError(f"{where}: memory {value!r} is not a size (e.g. 512Mi, 2Gi)") from None
    if not gib > 0 or math.isinf(gib):
        raise ConfigError(f"{where}: memory must be above 0, found {value!r}")
    return gib


def default_concurrency(cpu: float) -> int:
    return 80 if cpu >= 1 else 1


def allocate(total: int, percents: list[int]) -> list[int]:
    """Split a service-level min across revisions by traffic share; remainders go to the
    first-listed revisions (min 3 at 50/50 gives 2 + 1)."""
    shares = [total * p / 100 for p in percents]
    alloc = [math.floor(s) for s in shares]
    left = total - sum(alloc)
    for i, share in enumerate(shares):
        if left <= 0:
            break
        if share > alloc[i]:
            alloc[i] += 1
            left -= 1
    return alloc


def warm_instances(
    service_min: int, service_max: int, revisions: Iterable[RevisionInfo]
) -> tuple[RevisionInfo, ...]:
    """Fill in each revision's warm instances: the larger of its own min and its share of
    the service min, capped by its effective max.

    `revisions` are the ones the traffic block references. Cloud Run starts a revision's own
    min whenever the traffic block references it or it has a tag, even at 0% of the traffic,
    so every one of them keeps its own min warm."""

    revs = list(revisions)
    shares = allocate(service_min, [r.percent for r in revs])
    out = []
    for rev, share in zip(revs, shares, strict=True):
        own = rev.min_instances
        cap = min(rev.max_instances or DEFAULT_MAX, service_max or DEFAULT_MAX)
        out.append(replace(rev, warm=min(cap, max(own, share))))
    return tuple(out)


# --- offline ------------------------------------------------------------------------------


def from_settings(
    service: str,
    regions: Iterable[str],
    defaults: Mapping[str, Any],
    per_region: Mapping[str, Mapping[str, Any]],
    *,
    where: str,
) -> FleetConfig:
    """The configuration from `[cost.service]` / `[cost.regions.<region>]` (or a file)."""
    regions = tuple(regions)
    check_service_tables(defaults, per_region, where)  # keys: declared in the schema
    for region in per_region:
        if region not in regions:
            raise ConfigError(
                f"{where}: regions.{region} is not one of the configured regions "
                f"({', '.join(regions)})"
            )
    told = bool(defaults) or bool(per_region)
    out = []
    for region in regions:
        merged = {**REPORT_DEFAULTS, **REPORT_REGIONS.get(region, {})}
        merged.update(defaults)
        merged.update(per_region.get(region, {}))
        out.append(_region_from_values(service, region, merged, f"{where} regions.{region}"))
    report = "the original report's configuration"
    origin = f"{where} (unset keys: {report})" if told else f"defaults: {report}"
    return FleetConfig(service, tuple(out), origin, offline=True)


def _int(values: Mapping[str, Any], key: str, where: str) -> int:
    value = values[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{where}: {key} must be a whole number >= 0, found {value!r}")
    return value


def _region_from_values(
    service: str, region: str, values: Mapping[str, Any], where: str
) -> RegionService:
    cpu = parse_cpu(values["cpu"], where)
    mem = parse_memory(values["memory"], where)
    try:
        billing = Billing(str(values["billing"]))
    except ValueError:
        raise ConfigError(
            f"{where}: billing must be 'request-based' or 'instance-based', "
            f"found {values['billing']!r}"
        ) from None
    lo, hi = _int(values, "min_instances", where), _int(values, "max_instances", where)
    if hi and lo > hi:
        raise ConfigError(f"{where}: min_instances {lo} is above max_instances {hi}")
    concurrency = _int(values, "concurrency", where) or default_concurrency(cpu)
    return RegionService(
        region, service, "", Size(cpu, mem), billing, lo, hi or DEFAULT_MAX, concurrency
    )


def from_file(path: Path, service: str, regions: Iterable[str]) -> FleetConfig:
    """A JSON or TOML file shaped like `[cost]`: a `service` table and `regions.<name>`."""
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except FileNotFoundError:
        raise ConfigError(f"service configuration file {path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"service configuration file {path}: cannot parse it: {exc}") from None
    # The `[cost.service]` / `[cost.regions.*]` blocks copied from ion.toml work as they are.
    if isinstance(raw, dict) and set(raw) == {"cost"} and isinstance(raw["cost"], dict):
        raw = {k: v for k, v in raw["cost"].items() if k in ("service", "regions")}
    if not isinstance(raw, dict) or set(raw) - {"service", "regions"}:
        raise ConfigError(
            f"{path}: expected only the tables 'service' and 'regions' (or 'cost.service' "
            "and 'cost.regions' as in ion.toml)"
        )
    return from_settings(
        service, regions, raw.get("service", {}), raw.get("regions", {}), where=str(path)
    )


# --- Cloud Run Admin API --------------------------------------------------------------------


def from_cloud_run(
    services_client: Any,
    revisions_client: Any,
    project: str,
    service: str,
    regions: Iterable[str],
) -> FleetConfig:
    """Read each region's service (and its revisions) through the Admin API v2 clients."""
    out = []
    for region in regions:
        name = f"projects/{project}/locations/{region}/services/{service}"
        try:
            svc = call(lambda n=name: services_client.get_service(name=n), name, "read")
        except ConfigError as exc:
            raise ConfigError(exc.message, hint=_others(services_client, name)) from None
        revs = call(
            lambda n=name: list(revisions_client.list_revisions(parent=n)), name, "list revisions"
        )
        out.append(region_from_service(region, service, svc, revs))
    return FleetConfig(
        service, tuple(out), f"Cloud Run Admin API (project {project})", offline=False
    )


def _others(services_client: Any, name: str) -> str:
    """What a missing service's region does hold, to point at the likely typo."""
    parent = name.rsplit("/services/", 1)[0]
    try:
        found = [s.name.rsplit("/", 1)[-1] for s in services_client.list_services(parent=parent)]
    except Exception:  # the hint is best-effort; the error line already says what is wrong
        found = []
    region = parent.rsplit("/", 1)[-1]
    if not found:
        return f"no Cloud Run services in {region}; check `regions` and `project`"
    return f"services in {region}: {', '.join(sorted(found))}; check `service` or --service"


def call(fn: Any, name: str, what: str) -> Any:
    """Run one Admin API call, turning Google's errors into one clear line each."""
    from google.api_core import exceptions as gexc

    try:
        return fn()
    except gexc.NotFound:
        raise ConfigError(
            f"Cloud Run service {name} does not exist",
            hint="check `service`, `regions` and `project` in ion.toml",
        ) from None
    except gexc.PermissionDenied as exc:
        raise SourceError(
            f"permission denied to {what} {name}: {exc.message}",
            hint="the account needs roles/run.viewer (roles/run.developer to apply)",
        ) from None
    except gexc.GoogleAPICallError as exc:
        raise SourceError(f"Cloud Run Admin API failed to {what} {name}: {exc}") from None
    except gexc.RetryError as exc:
        raise SourceError(f"Cloud Run Admin API unreachable to {what} {name}: {exc}") from None


def _size_of(containers: Any, where: str) -> tuple[Size, Billing]:
    if not containers:
        return Size(1.0, 0.5), Billing.REQUEST
    res = containers[0].resources
    limits = dict(res.limits) if res else {}
    cpu = parse_cpu(limits.get("cpu", "1"), where)
    mem = parse_memory(limits.get("memory", "512Mi"), where)
    # An absent resources block means the default, request-based billing.
    billing = Billing.REQUEST if (not limits or res.cpu_idle) else Billing.INSTANCE
    return Size(cpu, mem), billing


def region_from_service(region: str, service: str, svc: Any, revisions: list[Any]) -> RegionService:
    """Turn a `run_v2.Service` and its `run_v2.Revision`s into the cost model's view."""
    size, billing = _size_of(svc.template.containers, svc.name)
    concurrency = svc.template.max_instance_request_concurrency or default_concurrency(size.cpu)
    service_max = svc.scaling.max_instance_count or 0
    by_id = {r.name.rsplit("/", 1)[-1]: r for r in revisions}
    latest = svc.latest_ready_revision.rsplit("/", 1)[-1]
    targets: dict[str, tuple[int, list[str]]] = {}
    for t in svc.traffic_statuses or svc.traffic:
        rev_id = t.revision or latest
        percent, tags = targets.get(rev_id, (0, []))
        targets[rev_id] = (percent + t.percent, [*tags, *([t.tag] if t.tag else [])])
    infos = []
    for rev_id, (percent, tags) in targets.items():
        rev = by_id.get(rev_id)
        rev_size = _size_of(rev.containers, rev.name)[0] if rev is not None else size
        infos.append(
            RevisionInfo(
                name=rev_id,
                percent=percent,
                tags=tuple(tags),
                min_instances=rev.scaling.min_instance_count if rev is not None else 0,
                max_instances=(rev.scaling.max_instance_count if rev is not None else 0)
                or DEFAULT_MAX,
                size=rev_size,
            )
        )
    revs = warm_instances(svc.scaling.min_instance_count, service_max, infos)
    serving_max = min([r.max_instances for r in revs if r.serving] or [DEFAULT_MAX])
    return RegionService(
        region=region,
        service=service,
        resource=svc.name,
        size=size,
        billing=billing,
        min_instances=svc.scaling.min_instance_count,
        max_instances=min(service_max or DEFAULT_MAX, serving_max),
        concurrency=concurrency,
        revisions=revs,
        etag=svc.etag,
    )

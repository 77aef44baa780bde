"""What `ion slo` (and the slo dashboard) asks a source for, and what each source can measure.

- every source: `request_rate` and `error_ratio_5xx` for availability;
- latency: `latency_share_le_<threshold>`, the share of requests faster than a bucket bound.
  `sim` has it for its bucket bounds (checked before fetching); `gcp` reads it from the
  `request_latencies` distribution through a catalog entry with `below` (a threshold between
  bounds is refused while decoding); `file:` has it when the file does (checked against the
  bounds the file carries); `local` never has it: `ion serve`'s history keeps percentiles.
- the default range: the longest objective's window.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ioncli.errors import ConfigError, DataError
from ioncli.slo.config import SloSpec
from ioncli.slo.events import bounds_in, check_threshold, latency_metric, metrics_for
from ioncli.sources.catalog import RUN_SERVICE
from ioncli.sources.files import read_file
from ioncli.sources.sim import LATENCY_BOUNDS

if TYPE_CHECKING:
    from ioncli.config import Settings
    from ioncli.frame import MetricFrame
    from ioncli.slo.model import SloReport

LOCAL_LATENCY = (
    "unsupported on source local: ion serve's metric history keeps latency percentiles, not "
    "the distribution's buckets, and a percentile cannot count good requests; use --source "
    "gcp (or a file with latency_share_le_* series)"
)


@dataclass(frozen=True)
class FetchPlan:
    kind: str  # gcp, local, file, sim
    spec: str  # the --source value
    settings: Settings  # with catalog entries for the latency shares
    metrics: tuple[str, ...]
    default_since: str  # the longest window, e.g. "28d"
    where: str  # the config file, for error lines


def plan(settings: Settings, slos: tuple[SloSpec, ...], source: str | None) -> FetchPlan:
    """The metrics to fetch; a latency threshold off the sim's bucket bounds is refused here."""
    spec = (source or settings.source).strip()
    kind = spec.split(":", 1)[0].lower()
    where = settings.source_file or "configuration"
    latency = [s for s in slos if s.sli == "latency"]
    if kind == "sim":
        for s in latency:
            check_threshold(s, LATENCY_BOUNDS, spec, where)
    wanted: list[str] = []
    for s in slos:
        if kind == "local" and s.sli == "latency":
            continue
        wanted.extend(m for m in metrics_for(s) if m not in wanted)
    days = max((s.window_days or 31) for s in slos)
    return FetchPlan(
        kind, spec, with_latency_entries(settings, latency), tuple(wanted), f"{days}d", where
    )


def with_latency_entries(settings: Settings, latency: list[SloSpec]) -> Settings:
    """Catalog entries for the latency shares: Cloud Monitoring's request_latencies
    distribution, summed per region, read as the share under the threshold's bucket bound."""

    extra: dict[str, Any] = {}
    for s in latency:
        assert s.threshold_ms is not None
        extra[latency_metric(s.threshold_ms)] = {
            "unit": "ratio",
            "group": "slo",
            "bad_direction": "low",
            "metric_type": "run.googleapis.com/request_latencies",
            "aligner": "ALIGN_DELTA",
            "reducer": "REDUCE_SUM",
            "filter": RUN_SERVICE,
            "below": s.threshold_ms,
        }
    if not extra:
        return settings
    return dataclasses.replace(settings, metrics={**settings.metrics, **extra})


def bucket_error(fetch: FetchPlan, slos: tuple[SloSpec, ...], exc: ConfigError) -> ConfigError:
    """A bucket-bound error from the gcp decoder, named after the objective's key."""
    latency = [s for s in slos if s.sli == "latency"]
    if "bucket bound" not in exc.message or not latency:
        return exc
    return ConfigError(
        f"{fetch.where}: key 'slo.{latency[0].name}.threshold_ms': {exc.message} "
        "of run.googleapis.com/request_latencies"
    )


def explain(fetch: FetchPlan, slos: tuple[SloSpec, ...], report: SloReport) -> None:
    """Say why an objective is unsupported; a file's threshold off its bounds is exit 3, and
    nothing measurable at all is exit 4."""
    if fetch.kind == "file" and any(o.status == "unsupported" for o in report.objectives):
        # Only the threshold's own series was read: look for the file's other bounds.
        whole: MetricFrame = read_file(Path(fetch.spec.split(":", 1)[1]).expanduser())
        for s in slos:
            if s.sli == "latency":
                check_threshold(s, bounds_in(whole), fetch.spec, fetch.where)
    for o in report.objectives:
        if o.status == "unsupported" and fetch.kind == "local" and o.sli == "latency":
            o.note = LOCAL_LATENCY
    if all(o.status == "unsupported" for o in report.objectives):
        raise DataError(f"no objective can be measured: {report.objectives[0].note}")

"""Source `local`: a running `ion serve` and its metric history endpoint.

    GET {local_url}/api/v2/metrics/history?since=<ISO 8601>&until=<ISO 8601>
    -> {"schema_version": 1, "service": "...", "step_seconds": 10,
        "series": [{"metric": "<catalog name>", "labels": {"region": "local", ...},
                    "unit": "ms", "points": [["2026-11-28T18:00:00Z", 12.5], ...]}]}

Points come oldest first; null is a gap. The service samples every 10 s; a coarser `--step`
is resampled here (mean per step, the worst value for percentiles, as the service itself
downsamples), a finer one keeps the service's own step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ioncli.errors import DataError, SourceError
from ioncli.frame import MetricFrame, SeriesKey
from ioncli.sources.base import FetchRequest
from ioncli.sources.catalog import MetricSpec, catalog, keeps_worst

HISTORY_PATH = "/api/v2/metrics/history"


class LocalSource:
    """A MetricSource over a running `ion serve`."""

    def __init__(
        self,
        base_url: str,
        service: str,
        *,
        timeout: float = 10.0,
        transport: Any = None,
        api_key: str | None = None,
        specs: Mapping[str, MetricSpec] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.service = service
        self.timeout = timeout
        self.transport = transport  # an httpx transport, for tests
        self.api_key = api_key
        self.specs = dict(specs) if specs is not None else catalog()
        self.name = "local"

    def fetch(self, request: FetchRequest) -> MetricFrame:
        body = self._get(request)
        return self._frame(body, request)

    def _get(self, request: FetchRequest) -> dict[str, Any]:
        import httpx

        url = self.base_url + HISTORY_PATH
        params = {
            "since": request.start.isoformat().replace("+00:00", "Z"),
            "until": request.end.isoformat().replace("+00:00", "Z"),
        }
        if request.step_seconds % 10 == 0 and 10 <= request.step_seconds <= 3600:
            # The service downsamples itself (the worst value of a percentile, else the mean).
            params["step"] = str(request.step_seconds)
        headers = {"Accept": "application/json"}
        if self.api_key:
            headers["X-API-Key"] = self.api_key
        hint = "start it with `ion serve`, or choose another --source"
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                response = client.get(url, params=params, headers=headers)
        except httpx.TransportError as exc:
            raise SourceError(
                f"cannot reach the local service at {self.base_url} ({type(exc).__name__})",
                hint=hint,
            ) from None
        if response.status_code != 200:
            raise SourceError(
                f"the local service at {url} answered HTTP {response.status_code}"
                + _detail(response),
                hint="is it an `ion serve` of the same version?",
            )
        try:
            body = response.json()
        except ValueError:
            raise SourceError(f"the local service at {url} did not answer JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("series"), list):
            raise SourceError(f"the local service at {url} answered without a 'series' list")
        return body

    def _frame(self, body: dict[str, Any], request: FetchRequest) -> MetricFrame:
        by_local = {spec.local_name: spec for spec in self.specs.values()}
        wanted = set(request.metrics)
        columns: dict[str, pd.Series] = {}
        units: dict[str, str] = {}
        for item in body["series"]:
            if not isinstance(item, dict):
                continue
            local_name = str(item.get("metric", ""))
            spec = by_local.get(local_name)
            metric = spec.name if spec else local_name
            if wanted and metric not in wanted:
                continue
            labels = {str(k): str(v) for k, v in (item.get("labels") or {}).items()}
            region = labels.get("region")
            if request.regions and region not in request.regions:
                continue
            points = item.get("points") or []
            try:
                times = pd.to_datetime([p[0] for p in points], utc=True, format="ISO8601")
                values = np.array(
                    [np.nan if p[1] is None else float(p[1]) for p in points], dtype=np.float64
                )
            except (ValueError, TypeError, IndexError) as exc:
                raise DataError(
                    f"the local service sent a malformed point for {metric}: {exc}"
                ) from None
            sid = SeriesKey.of(metric, labels).id
            series = pd.Series(values, index=pd.DatetimeIndex(times))
            series = series[~series.index.duplicated(keep="last")].sort_index()
            columns[sid] = series
            units[sid] = str(item.get("unit") or (spec.unit if spec else ""))
        step = int(body.get("step_seconds") or 10)
        data = pd.DataFrame(columns) if columns else pd.DataFrame(index=pd.DatetimeIndex([]))
        if columns:
            data = data[(data.index >= request.start) & (data.index < request.end)]
        target = max(step, int(request.step_seconds))
        if columns and target > step:
            data = _resample(data, target)
            step = target
        return MetricFrame(data, units, source="local", step_seconds=step)


def _detail(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        error = body.get("error", body)
        message = error.get("message") if isinstance(error, dict) else None
        if message:
            return f": {message}"
    return ""


def _resample(data: pd.DataFrame, step: int) -> pd.DataFrame:
    rule = f"{step}s"
    worst = [c for c in data.columns if keeps_worst(c)]
    rest = [c for c in data.columns if c not in worst]
    parts = []
    if rest:
        parts.append(data[rest].resample(rule, origin="epoch").mean())
    if worst:
        parts.append(data[worst].resample(rule, origin="epoch").max())
    return pd.concat(parts, axis=1)[list(data.columns)]

"""Why a source returned nothing: one line that names the cause and what would help.

"No data" has different causes that need different fixes: a server that just started, a
server that records no history, a file without the asked-for region or metric, a Cloud Run
service with another name. Each source's case is told apart here, only once it is empty.
"""

from __future__ import annotations

from typing import Any

from ioncli.errors import IonError


def explain_empty(
    src: Any, request: Any, metrics: tuple[str, ...], regions: tuple[str, ...]
) -> str:
    kind = src.name.split(":", 1)[0]
    span = ""
    if request is not None:
        span = f" between {request.start:%Y-%m-%d %H:%M} and {request.end:%Y-%m-%d %H:%M} UTC"
    if kind == "local":
        return _local(src, span)
    if kind == "file":
        return _file(src, metrics, regions)
    if kind == "gcp":
        where = ", ".join(request.regions) if request is not None and request.regions else "any"
        service = request.service if request is not None else ""
        return (
            f"Cloud Monitoring has no series{span} for service {service} "
            f"in region(s) {where}: check --service and the project, and that the service "
            "served requests in that range"
        )
    return f"source {src.name} returned no data{span}"


def _local(src: Any, span: str) -> str:
    uptime = _uptime(src)
    base = f"ion serve at {src.base_url} has no metric history{span}"
    if uptime is None:
        return base + " (it records a sample every 10 s unless started with --no-history)"
    if uptime < 20:
        return (
            f"{base}: it started {uptime:.0f} s ago and records a sample every 10 s; "
            "wait a minute and rerun"
        )
    return (
        f"{base}, though it has been up {uptime / 60:.0f} min: it was started with "
        "--no-history or --workers > 1 (no history is recorded), or the range is before it "
        "started; restart it with history on, or choose another --source"
    )


def _uptime(src: Any) -> float | None:
    import httpx

    headers = {"X-API-Key": src.api_key} if getattr(src, "api_key", None) else {}
    try:
        with httpx.Client(timeout=src.timeout, transport=src.transport) as client:
            body = client.get(f"{src.base_url}/api/v2/status", headers=headers).json()
        return float(body["uptime_seconds"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None


def _file(src: Any, metrics: tuple[str, ...], regions: tuple[str, ...]) -> str:
    from ioncli.frame import SeriesKey

    try:
        whole = src.read()
    except IonError as exc:
        return str(exc)
    keys = [SeriesKey.parse(c) for c in whole.data.columns]
    has_regions = sorted({k.label("region") or "(none)" for k in keys})
    has_metrics = sorted({k.metric for k in keys})
    if not keys:
        return f"data file {src.path} holds no series"
    if regions and not any(k.label("region") in regions for k in keys):
        return (
            f"data file {src.path} has no series for region {', '.join(regions)} "
            f"(its regions: {', '.join(has_regions)})"
        )
    if metrics and not any(k.metric in metrics for k in keys):
        return (
            f"data file {src.path} has no series for {', '.join(metrics)} "
            f"(its metrics: {', '.join(has_metrics[:12])}"
            + (" ..." if len(has_metrics) > 12 else "")
            + ")"
        )
    return (
        f"data file {src.path} has no series for metric(s) {', '.join(metrics) or 'any'} "
        f"in region(s) {', '.join(regions) or 'any'} (its regions: {', '.join(has_regions)})"
    )

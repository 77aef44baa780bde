"""/metrics is valid Prometheus text with the series a scraper needs."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.serve.conftest import PROCESS_BODY, Factory, running

pytestmark = pytest.mark.anyio


async def test_exposition_parses_and_counts(make_app: Factory) -> None:
    async with running(make_app()) as client:
        await client.post("/api/v2/process", json=PROCESS_BODY)
        await client.post("/api/v2/process", json=PROCESS_BODY)
        await client.post("/api/v2/process", content=b"{}")
        text = (await client.get("/metrics")).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    requests = {
        (s.labels["route"], s.labels["status"]): s.value
        for s in families["ion_http_requests"].samples
    }
    assert requests[("/api/v2/process", "200")] == 2
    assert requests[("/api/v2/process", "422")] == 1
    hist = [
        s
        for s in families["ion_http_request_duration_seconds"].samples
        if s.name.endswith("_count")
    ]
    assert any(
        s.labels == {"route": "/api/v2/process", "status": "200"} and s.value == 2 for s in hist
    )
    cache = {
        (s.labels["tier"], s.labels["result"]): s.value
        for s in families["ion_cache_requests"].samples
    }
    assert cache[("l1", "hit")] == 1 and cache[("l1", "miss")] == 1
    personas = {s.labels["persona"]: s.value for s in families["ion_persona_selections"].samples}
    assert sum(personas.values()) == 2
    conf = [s for s in families["ion_routing_confidence"].samples if s.name.endswith("_count")]
    assert conf[0].value == 2
    assert "process_resident_memory_bytes" in families


async def test_requests_in_flight_are_tracked_and_released(make_app: Factory) -> None:
    app = make_app()
    async with running(app) as client:
        await client.post("/api/v2/process", json=PROCESS_BODY)
        await client.post("/api/v2/process", content=b"{broken")
        await client.get("/nowhere")
        assert app.metrics.inflight == 0
        assert app.metrics.inflight_peak >= 1  # until the next history sample resets it
        assert app.metrics.busy_seconds > 0.0

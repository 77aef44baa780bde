"""Every route answers as documented, in the shape its OpenAPI schema promises."""

from __future__ import annotations

import pytest

from ioncli.serve.openapi import COMPONENTS, build_openapi
from ioncli.serve.routes import build_routes
from tests.serve.conftest import PROCESS_BODY, Factory, running
from tests.serve.openapi_check import check

pytestmark = pytest.mark.anyio


async def test_health_is_ok_without_redis(make_app: Factory) -> None:
    async with running(make_app()) as client:
        r = await client.get("/api/v2/health")
    assert r.status_code == 200
    body = r.json()
    check("HealthResponse", body)
    assert body["healthy"] is True and body["status"] == "ok"
    assert body["dependencies"]["cache_l2"] == "disabled"
    assert body["dependencies"]["responder"] == "offline"


async def test_process_answers_then_serves_the_same_body_from_cache(make_app: Factory) -> None:
    async with running(make_app()) as client:
        first = await client.post("/api/v2/process", json=PROCESS_BODY)
        second = await client.post("/api/v2/process", json=PROCESS_BODY)
    assert first.status_code == second.status_code == 200
    assert first.headers["x-cache"] == "MISS" and second.headers["x-cache"] == "HIT"
    a, b = first.json(), second.json()
    check("ProcessResponse", a)
    check("ProcessResponse", b)
    assert a["resonance_key"] == "curious-flowing-planning"
    assert a["generated"] is False and a["responder"] == "offline"
    assert a["performance"]["cache_hit"] is False
    assert b["performance"] == {**a["performance"], "cache_hit": True, "cache_tier": "l1"}
    volatile = ("performance", "request_id", "_cache_status", "metadata")
    assert {k: v for k, v in a.items() if k not in volatile} == {
        k: v for k, v in b.items() if k not in volatile
    }
    assert (a["_cache_status"], b["_cache_status"]) == ("MISS", "HIT")
    assert {**a["metadata"], "cached": True} == b["metadata"]
    assert a["request_id"] == first.headers["x-request-id"] != b["request_id"]
    assert set(a["routing"]["scores"]) == {"lua", "elro", "riri", "nana"}


async def test_free_text_gets_a_derived_key_and_its_analysis(make_app: Factory) -> None:
    async with running(make_app()) as client:
        r = await client.post("/api/v2/process", json={"user_input": "Why is this broken again?!"})
    body = r.json()
    assert r.status_code == 200
    tone = body["resonance_key"].split("-")[0]
    assert body["metadata"]["key_source"] == "derived"
    assert body["metadata"]["analysis"]["tone"] == tone


async def test_string_key_and_no_metadata(make_app: Factory) -> None:
    body = {
        "user_input": "plan it",
        "resonance_key": "urgent-burst-planning",
        "include_metadata": False,
    }
    async with running(make_app()) as client:
        r = await client.post("/api/v2/process", json=body)
    assert r.status_code == 200
    assert r.json()["metadata"] is None
    assert r.json()["persona_used"] == "Nana"


async def test_multi_persona_recommend_and_personas(make_app: Factory) -> None:
    async with running(make_app()) as client:
        multi = await client.post(
            "/api/v2/chat/multi-persona",
            json={"user_input": "Our team needs a data analysis and a technical design"},
        )
        rec = await client.post("/api/v2/recommend", json={"scenario": "team coordination"})
        everyone = await client.get("/api/v2/personas")
        lua = await client.get("/api/v2/personas/LUA")
        nobody = await client.get("/api/v2/personas/bob")
    check("MultiPersonaResponse", multi.json())
    assert multi.json()["multi"] is True and len(multi.json()["contributions"]) >= 2
    check("RecommendResponse", rec.json())
    assert rec.json()["recommended_persona"] == "Nana"
    check("PersonasResponse", everyone.json())
    assert [p["name"] for p in everyone.json()["personas"]] == ["Lua", "Elro", "Riri", "Nana"]
    assert lua.json()["persona"]["name"] == "Lua"
    assert nobody.status_code == 404
    assert nobody.json()["error"]["code"] == "INVALID_PERSONA"
    assert nobody.json()["error"]["valid_values"] == ["Lua", "Elro", "Riri", "Nana"]


async def test_bulk_process_in_order_and_concurrently(make_app: Factory) -> None:
    items = [{"user_input": f"question number {i}?"} for i in range(5)]
    async with running(make_app()) as client:
        seq = await client.post("/api/v2/bulk-process", json={"requests": items})
        par = await client.post("/api/v2/bulk-process", json={"requests": items, "parallel": True})
    for r in (seq, par):
        body = r.json()
        check("BulkResponse", body)
        assert body["total"] == body["successful"] == 5 and body["failed"] == 0
        assert [x["index"] for x in body["results"]] == list(range(5))
    assert par.json()["parallel"] is True
    # The second call is answered from the cache the first one filled.
    assert all(x["result"]["performance"]["cache_hit"] for x in par.json()["results"])
    rid = seq.json()["request_id"]
    assert seq.json()["results"][3]["result"]["request_id"] == f"{rid}-3"


async def test_v1_route_is_lenient_and_has_the_v1_shape(make_app: Factory) -> None:
    async with running(make_app()) as client:
        r = await client.post(
            "/api/persona/process",
            json={"user_input": "hello", "resonance_key": "calm-medium-seeking_advice", "extra": 1},
        )
        weird = await client.post(
            "/api/persona/process", json={"user_input": "hello", "resonance_key": "nonsense"}
        )
    assert r.status_code == 200
    check("V1ProcessResponse", r.json())
    assert set(r.json()) == {"content", "persona_used", "confidence"}
    assert weird.status_code == 200  # v1 falls back to calm-medium-learning, like the original


async def test_cache_stats_clear_and_invalidate(make_app: Factory) -> None:
    async with running(make_app()) as client:
        await client.post("/api/v2/process", json=PROCESS_BODY)
        await client.post(
            "/api/v2/process", json={**PROCESS_BODY, "resonance_key": "calm-medium-learning"}
        )
        stats = (await client.get("/api/v2/cache-stats")).json()
        check("CacheStatsResponse", stats)
        assert stats["l1"]["misses"] == 2 and stats["l2"]["status"] == "disabled"
        gone = await client.post("/api/v2/cache/invalidate", params={"pattern": "resp:calm-*"})
        check("CacheInvalidateResponse", gone.json())
        assert gone.json()["deleted_l1"] == 2  # the logical entry and its raw-body alias
        again = await client.post("/api/v2/process", json=PROCESS_BODY)
        assert again.headers["x-cache"] == "HIT"
        cleared = await client.post("/api/v2/cache/clear")
        check("CacheClearResponse", cleared.json())
        after = await client.post("/api/v2/process", json=PROCESS_BODY)
        assert after.headers["x-cache"] == "MISS"
        missing = await client.post("/api/v2/cache/invalidate")
        assert missing.status_code == 422 and missing.json()["error"]["field"] == "pattern"


async def test_status_openapi_docs_and_metrics(make_app: Factory) -> None:
    async with running(make_app()) as client:
        status = await client.get("/api/v2/status")
        spec = await client.get("/openapi.json")
        docs = await client.get("/docs")
        metrics = await client.get("/metrics")
    check("StatusResponse", status.json())
    paths = spec.json()["paths"]
    api = [p for p in paths if p.startswith("/api/")]
    assert len([p for p in api if p != "/api/v2/metrics/history"]) == 12
    assert docs.headers["content-type"].startswith("text/html")
    assert "http://" not in docs.text and "https://" not in docs.text  # nothing external
    assert "script-src 'sha256-" in docs.headers["content-security-policy"]
    assert metrics.headers["content-type"].startswith("text/plain")


def test_openapi_paths_are_generated_from_the_route_table(make_app: Factory) -> None:
    routes = build_routes(make_app().state)
    spec = build_openapi("ion", routes)
    # Every route is published with every method it answers, except the document and the
    # page that shows it; nothing is published that no route answers.
    served = {
        r.template: sorted(m.lower() for m in r.methods)
        for r in routes
        if r.template not in ("/openapi.json", "/docs")
    }
    assert {path: sorted(ops) for path, ops in spec["paths"].items()} == served
    named = {t for r in routes for op in r.operations.values() for t in (op.body, op.response)}
    assert named - {None} <= set(COMPONENTS)
    assert set(spec["components"]["schemas"]) >= {t.__name__ for t in COMPONENTS}


async def test_root_says_where_things_are(make_app: Factory) -> None:
    async with running(make_app()) as client:
        r = await client.get("/")
    check("RootResponse", r.json())
    assert r.json()["docs"] == "/docs"


async def test_warm_up_reloads_the_hottest_answers_after_a_restart(make_app: Factory) -> None:
    async with running(make_app(warm_up=10)) as client:
        first = await client.post("/api/v2/process", json=PROCESS_BODY)
    assert first.headers["x-cache"] == "MISS"
    async with running(make_app(warm_up=10)) as client:
        again = await client.post("/api/v2/process", json=PROCESS_BODY)
    assert again.headers["x-cache"] == "HIT"
    assert again.json()["content"] == first.json()["content"]
    async with running(make_app(warm_up=0)) as client:  # off: nothing is loaded
        cold = await client.post("/api/v2/process", json=PROCESS_BODY)
    assert cold.headers["x-cache"] == "MISS"


async def test_v1_lookups_count_once_and_share_the_v2_answer(make_app: Factory) -> None:
    body = {"user_input": "plan the release", "resonance_key": "urgent-burst-planning"}
    async with running(make_app()) as client:
        v2 = await client.post("/api/v2/process", json={**body, "include_metadata": False})
        v1 = await client.post("/api/persona/process", json=body)
        again = await client.post("/api/persona/process", json=body)
        await client.post("/api/persona/process", content=b"{broken")
        stats = (await client.get("/api/v2/cache-stats")).json()
    assert v1.headers["x-cache"] == "HIT" and again.headers["x-cache"] == "HIT"
    assert v1.json()["content"] == v2.json()["content"]
    assert (stats["l1"]["hits"], stats["l1"]["misses"]) == (2, 1)

"""The L2 cache against a real redis-server: TTLs, promotion, SCAN invalidation, outages."""

from __future__ import annotations

import asyncio

import pytest
import redis

from tests.serve.conftest import PROCESS_BODY, Factory, running
from tests.serve.redis_server import RedisServer

pytestmark = pytest.mark.anyio


@pytest.mark.slow
async def test_answers_are_stored_in_redis_with_the_reference_ttl(
    make_app: Factory, redis_server: RedisServer
) -> None:
    app = make_app(redis_url=redis_server.url)
    async with running(app) as client:
        first = await client.post("/api/v2/process", json=PROCESS_BODY)
        await app.state.cache.l2.drain()  # type: ignore[union-attr]
        direct = redis.Redis.from_url(redis_server.url)
        keys = [k.decode() for k in direct.scan_iter("ion:*")]
        assert len(keys) == 1
        assert keys[0].startswith("ion:persona:curious-flowing-planning|input:")
        assert 590 < direct.pttl(keys[0]) / 1000 <= 600
        # L1 forgets; the next request is served from Redis and promoted back into L1.
        app.state.cache.l1.clear()
        from_l2 = await client.post("/api/v2/process", json=PROCESS_BODY)
        from_l1 = await client.post("/api/v2/process", json=PROCESS_BODY)
        stats = (await client.get("/api/v2/cache-stats")).json()
    assert first.headers["x-cache"] == "MISS"
    assert from_l2.headers["x-cache"] == "HIT-L2"
    assert from_l2.json()["performance"]["cache_tier"] == "l2"
    assert from_l1.headers["x-cache"] == "HIT"
    assert from_l1.json()["content"] == first.json()["content"]
    assert stats["l2"]["status"] == "ok" and stats["l2"]["hits"] == 1
    assert stats["combined_hit_ratio"] == pytest.approx(2 / 3)


@pytest.mark.slow
async def test_equal_requests_share_an_entry_and_users_never_collide(
    make_app: Factory, redis_server: RedisServer
) -> None:
    app = make_app(redis_url=redis_server.url)
    async with running(app) as client:
        await client.post("/api/v2/process", json=PROCESS_BODY)
        # Same request, different bytes (key order, spacing): the normalised key matches.
        reordered = await client.post(
            "/api/v2/process",
            content=b'{ "resonance_key": "curious-flowing-planning",\n "user_input": '
            b'"I keep getting stuck planning my project, how should I start?" }',
        )
        alice = await client.post(
            "/api/v2/process", json={**PROCESS_BODY, "context": {"user_id": "alice"}}
        )
        bob = await client.post(
            "/api/v2/process", json={**PROCESS_BODY, "context": {"user_id": "bob"}}
        )
    assert reordered.headers["x-cache"] == "HIT"
    assert alice.headers["x-cache"] == bob.headers["x-cache"] == "MISS"


@pytest.mark.slow
async def test_invalidate_uses_scan_and_clear_keeps_other_keys(
    make_app: Factory, redis_server: RedisServer
) -> None:
    direct = redis.Redis.from_url(redis_server.url)
    direct.set("someone-else:key", b"keep me")
    app = make_app(redis_url=redis_server.url)
    async with running(app) as client:
        await client.post("/api/v2/process", json=PROCESS_BODY)
        await client.post(
            "/api/v2/process", json={**PROCESS_BODY, "resonance_key": "calm-medium-learning"}
        )
        await app.state.cache.l2.drain()  # type: ignore[union-attr]
        gone = (
            await client.post("/api/v2/cache/invalidate", params={"pattern": "resp:calm-*"})
        ).json()
        assert gone["deleted_l2"] == 1
        assert len(list(direct.scan_iter("ion:*"))) == 1
        cleared = (await client.post("/api/v2/cache/clear")).json()
    assert cleared["deleted_l2"] == 1
    assert list(direct.scan_iter("ion:*")) == []
    assert direct.get("someone-else:key") == b"keep me"


@pytest.mark.slow
async def test_redis_outage_degrades_and_recovers_without_failing_a_request(
    make_app: Factory, redis_server: RedisServer
) -> None:
    app = make_app(redis_url=redis_server.url)
    async with running(app) as client:
        assert (await client.post("/api/v2/process", json=PROCESS_BODY)).status_code == 200
        redis_server.stop()
        codes = []
        for i in range(30):
            r = await client.post(
                "/api/v2/process", json={"user_input": f"while redis is down {i}"}
            )
            codes.append(r.status_code)
        app.state._health = (0.0, b"")
        health = (await client.get("/api/v2/health")).json()
        stats = (await client.get("/api/v2/cache-stats")).json()
        assert codes == [200] * 30
        assert health["status"] == "degraded" and health["healthy"] is True
        assert health["dependencies"]["cache_l2"] == "degraded"
        assert stats["l2"]["errors"] >= 1 and stats["l2"]["last_error"]
        redis_server.start()  # same port: the service must find it again by itself
        for _ in range(100):
            await asyncio.sleep(0.1)
            if not app.state.cache.l2.degraded:  # type: ignore[union-attr]
                break
        app.state._health = (0.0, b"")
        health = (await client.get("/api/v2/health")).json()
        after = await client.post("/api/v2/process", json={"user_input": "redis is back"})
    assert health["dependencies"]["cache_l2"] == "ok"
    assert after.status_code == 200


@pytest.mark.slow
async def test_invalidate_while_redis_is_down_is_a_503_not_a_500(
    make_app: Factory, redis_server: RedisServer
) -> None:
    app = make_app(redis_url=redis_server.url)
    async with running(app) as client:
        redis_server.stop()
        r = await client.post("/api/v2/cache/invalidate", params={"pattern": "*"})
    assert r.status_code == 503 and r.json()["error"]["code"] == "CACHE_UNAVAILABLE"


async def test_a_redis_that_never_answers_costs_one_timeout_not_every_request(
    make_app: Factory,
) -> None:
    import socket
    import time

    # A listener that accepts connections and never replies: Redis hung, not down.
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(64)
    url = f"redis://127.0.0.1:{hole.getsockname()[1]}/0"
    try:
        app = make_app(redis_url=url, redis_timeout_seconds=0.2)
        async with running(app) as client:
            started = time.perf_counter()
            codes = [
                (await client.post("/api/v2/process", json={"user_input": f"slow {i}"})).status_code
                for i in range(20)
            ]
            elapsed = time.perf_counter() - started
            app.state._health = (0.0, b"")
            health = (await client.get("/api/v2/health")).json()
    finally:
        hole.close()
    assert codes == [200] * 20
    assert elapsed < 2.0  # one or two timeouts, then Redis is skipped during the back-off
    assert health["dependencies"]["cache_l2"] == "degraded"


@pytest.mark.slow
async def test_l2_size_counts_only_our_keys_and_big_answers_stay_out(
    make_app: Factory, redis_server: RedisServer
) -> None:
    direct = redis.Redis.from_url(redis_server.url)
    for i in range(25):
        direct.set(f"someone-else:{i}", b"x")
    app = make_app(redis_url=redis_server.url, l2_max_entry_bytes=200)
    async with running(app) as client:
        await client.post("/api/v2/process", json=PROCESS_BODY)  # an answer over 200 bytes
        await app.state.cache.l2.drain()  # type: ignore[union-attr]
        stats = (await client.get("/api/v2/cache-stats")).json()
    assert list(direct.scan_iter("ion:*")) == []
    assert stats["l2"]["size"] == 0  # the 25 foreign keys are not ours
    assert app.state.cache.l2.counters.oversized == 1  # type: ignore[union-attr]

"""Request ids, security headers, CORS, the rate limit and the optional API key."""

from __future__ import annotations

import pytest

from ioncli.errors import ConfigError
from ioncli.serve.state import Deps
from tests.serve.conftest import PROCESS_BODY, Factory, running

pytestmark = pytest.mark.anyio


async def test_request_id_is_echoed_or_made(make_app: Factory) -> None:
    async with running(make_app()) as client:
        given = await client.get("/api/v2/health", headers={"x-request-id": "trace-42"})
        bad = await client.get("/api/v2/health", headers={"x-request-id": "no spaces <allowed>"})
        made = await client.get("/api/v2/personas")
    assert given.headers["x-request-id"] == "trace-42"
    assert bad.headers["x-request-id"] != "no spaces <allowed>"
    assert made.headers["x-request-id"]


async def test_security_headers_on_every_answer(make_app: Factory) -> None:
    async with running(make_app()) as client:
        for r in (await client.get("/api/v2/health"), await client.get("/nowhere")):
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["x-frame-options"] == "DENY"
            assert "max-age" in r.headers["strict-transport-security"]
            assert "default-src 'none'" in r.headers["content-security-policy"]


async def test_cors_only_for_configured_origins(make_app: Factory) -> None:
    app = make_app(cors_origins=("https://app.example",))
    async with running(app) as client:
        ok = await client.get("/api/v2/health", headers={"origin": "https://app.example"})
        other = await client.get("/api/v2/health", headers={"origin": "https://evil.example"})
        pre = await client.options(
            "/api/v2/process",
            headers={"origin": "https://app.example", "access-control-request-method": "POST"},
        )
    assert ok.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in other.headers
    assert pre.status_code == 204
    assert "POST" in pre.headers["access-control-allow-methods"]
    assert "x-api-key" in pre.headers["access-control-allow-headers"]


async def test_rate_limit_per_client_with_retry_after(make_app: Factory) -> None:
    app = make_app(rate_limit_per_second=1.0, rate_limit_burst=3)
    async with running(app) as client:
        codes = [(await client.get("/api/v2/personas")).status_code for _ in range(5)]
        limited = await client.get("/api/v2/personas")
        health = await client.get("/api/v2/health")
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    assert limited.json()["error"]["code"] == "RATE_LIMITED"
    assert int(limited.headers["retry-after"]) >= 1
    assert health.status_code == 200  # health checks are never limited


async def test_api_key_guards_everything_but_health(make_app: Factory) -> None:
    app = make_app(Deps(environ={"ION_KEY": "s3cret"}), api_key_env="ION_KEY")
    async with running(app) as client:
        none = await client.post("/api/v2/process", json=PROCESS_BODY)
        wrong = await client.post(
            "/api/v2/process", json=PROCESS_BODY, headers={"x-api-key": "nope"}
        )
        right = await client.post(
            "/api/v2/process", json=PROCESS_BODY, headers={"x-api-key": "s3cret"}
        )
        bearer = await client.get("/metrics", headers={"authorization": "Bearer s3cret"})
        health = await client.get("/api/v2/health")
    assert none.status_code == wrong.status_code == 401
    assert none.json()["error"]["code"] == "UNAUTHORIZED"
    assert right.status_code == bearer.status_code == health.status_code == 200


def test_api_key_env_that_is_empty_is_a_config_error(make_app: Factory) -> None:
    with pytest.raises(ConfigError, match="ION_KEY"):
        make_app(Deps(environ={}), api_key_env="ION_KEY")


async def test_cors_wildcard_allows_any_origin(make_app: Factory) -> None:
    async with running(make_app(cors_origins=("*",))) as client:
        r = await client.get("/api/v2/health", headers={"origin": "https://anywhere.example"})
    assert r.headers["access-control-allow-origin"] == "*"
    assert "vary" not in r.headers


async def test_behind_a_proxy_the_client_is_the_address_the_proxy_appended(
    make_app: Factory,
) -> None:
    app = make_app(rate_limit_per_second=1.0, rate_limit_burst=1, trust_forwarded_for=True)
    async with running(app) as client:
        a1 = await client.get("/api/v2/personas", headers={"x-forwarded-for": "198.51.100.1"})
        # The client writes whatever it likes on the left; the proxy's entry is the last one.
        spoof = await client.get(
            "/api/v2/personas", headers={"x-forwarded-for": "203.0.113.99, 198.51.100.1"}
        )
        b1 = await client.get("/api/v2/personas", headers={"x-forwarded-for": "198.51.100.2"})
    assert (a1.status_code, spoof.status_code, b1.status_code) == (200, 429, 200)
    assert "198.51.100.1" in spoof.json()["error"]["message"]


async def test_forwarded_hops_counts_trusted_proxies_from_the_right(make_app: Factory) -> None:
    app = make_app(
        rate_limit_per_second=1.0, rate_limit_burst=1, trust_forwarded_for=True, forwarded_hops=2
    )
    async with running(app) as client:
        first = await client.get(
            "/api/v2/personas", headers={"x-forwarded-for": "1.1.1.1, 198.51.100.1, 10.0.0.1"}
        )
        again = await client.get(
            "/api/v2/personas", headers={"x-forwarded-for": "2.2.2.2, 198.51.100.1, 10.0.0.2"}
        )
    assert (first.status_code, again.status_code) == (200, 429)


def test_forwarded_client_parsing() -> None:
    from ioncli.serve.app import forwarded_client

    assert forwarded_client(b"a, 198.51.100.1", 1) == "198.51.100.1"
    assert forwarded_client(b"198.51.100.1:4711", 1) == "198.51.100.1"
    assert forwarded_client(b"[2001:db8::1]:443", 1) == "2001:db8::1"
    assert forwarded_client(b"198.51.100.7", 3) == "198.51.100.7"  # fewer entries than hops
    assert forwarded_client(b"not-an-address", 1) is None
    assert forwarded_client(b" , ", 1) is None


async def test_ipv6_clients_share_one_bucket_per_64(make_app: Factory) -> None:
    app = make_app(rate_limit_per_second=1.0, rate_limit_burst=1, trust_forwarded_for=True)
    async with running(app) as client:
        codes = [
            (
                await client.get(
                    "/api/v2/personas", headers={"x-forwarded-for": f"2001:db8:1:2::{i:x}"}
                )
            ).status_code
            for i in range(1, 5)
        ]
        other = await client.get("/api/v2/personas", headers={"x-forwarded-for": "2001:db8:1:3::1"})
        mapped = await client.get(
            "/api/v2/personas", headers={"x-forwarded-for": "::ffff:198.51.100.4"}
        )
        plain = await client.get("/api/v2/personas", headers={"x-forwarded-for": "198.51.100.4"})
    assert codes == [200, 429, 429, 429]
    assert other.status_code == 200  # another /64 is another client
    assert (mapped.status_code, plain.status_code) == (200, 429)  # v4-mapped is the v4 address


def test_a_flood_of_new_sources_does_not_reset_a_limited_client() -> None:
    from ioncli.serve.app import TokenBuckets

    buckets = TokenBuckets(rate=0.001, burst=1)
    buckets.MAX_CLIENTS = 100  # type: ignore[misc]
    assert buckets.take("attacker") == 0.0
    for i in range(1_000):
        assert buckets.take(f"new-{i}") == 0.0
        if i % 10 == 0:
            assert buckets.take("attacker") > 0  # still limited: recently seen, never evicted
    assert len(buckets) == 100


async def test_unauthenticated_and_unrouted_requests_spend_tokens(make_app: Factory) -> None:
    app = make_app(
        Deps(environ={"ION_KEY": "s3cret"}),
        api_key_env="ION_KEY",
        rate_limit_per_second=1.0,
        rate_limit_burst=3,
    )
    async with running(app) as client:
        guesses = [
            (await client.get("/api/v2/personas", headers={"x-api-key": f"guess{i}"})).status_code
            for i in range(3)
        ]
        after = [
            (await client.get("/api/v2/personas", headers={"x-api-key": "guess"})).status_code,
            (await client.get("/nowhere")).status_code,
            (await client.delete("/api/v2/personas")).status_code,
            (await client.options("/api/v2/process")).status_code,
        ]
        health = await client.get("/api/v2/health")
    assert guesses == [401, 401, 401]
    assert after == [429, 429, 429, 429]
    assert health.status_code == 200


async def test_two_disagreeing_api_keys_are_refused(make_app: Factory) -> None:
    app = make_app(Deps(environ={"ION_KEY": "s3cret"}), api_key_env="ION_KEY")
    async with running(app) as client:
        both = await client.get(
            "/api/v2/personas",
            headers={"x-api-key": "wrong", "authorization": "Bearer s3cret"},
        )
        reversed_ = await client.get(
            "/api/v2/personas",
            headers={"authorization": "Bearer s3cret", "x-api-key": "wrong"},
        )
        same = await client.get(
            "/api/v2/personas",
            headers={"x-api-key": "s3cret", "authorization": "Bearer s3cret"},
        )
    assert both.status_code == reversed_.status_code == 401
    assert "disagree" in both.json()["error"]["message"]
    assert same.status_code == 200


async def test_cross_site_simple_posts_are_refused(make_app: Factory) -> None:
    async with running(make_app()) as client:
        text = await client.post(
            "/api/v2/process",
            content=b'{"user_input": "hi"}',
            headers={"content-type": "text/plain"},
        )
        form = await client.post(
            "/api/v2/cache/clear",
            content=b"a=1",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        foreign = await client.post(
            "/api/v2/cache/clear", headers={"origin": "https://evil.example"}
        )
        same_site = await client.post("/api/v2/cache/clear", headers={"origin": "http://ion.test"})
        plain = await client.post("/api/v2/cache/clear")
    assert text.status_code == form.status_code == 415
    assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "FORBIDDEN_ORIGIN"
    assert same_site.status_code == plain.status_code == 200


async def test_bodies_held_back_are_capped_per_client(make_app: Factory) -> None:
    import asyncio

    from ioncli.serve.app import PRESSURE_READS

    app = make_app(max_body_reads_per_client=4)
    await app.state.startup()
    never = asyncio.Event()
    sent: dict[str, list[dict]] = {}

    def call(peer: str, name: str) -> asyncio.Task[None]:
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/api/v2/process",
            "headers": [(b"content-length", b"100")],
            "query_string": b"",
            "client": (peer, 1),
        }

        async def receive():  # type: ignore[no-untyped-def]
            await never.wait()

        async def send(message):  # type: ignore[no-untyped-def]
            sent.setdefault(name, []).append(message)

        return asyncio.create_task(app(scope, receive, send))

    held = [call("198.51.100.1", f"a{i}") for i in range(PRESSURE_READS + 2)]
    other = call("198.51.100.2", "other")
    await asyncio.sleep(0.05)
    app.reap(time_now())
    await asyncio.sleep(0.05)
    refused = [name for name, messages in sent.items() if messages[0]["status"] == 429]
    assert len(refused) == PRESSURE_READS + 2 - 4
    assert "other" not in sent  # another client still gets to send its body
    refused_tasks = held
    for task in [*refused_tasks, other]:
        task.cancel()
    await asyncio.gather(*refused_tasks, other, return_exceptions=True)
    await app.state.shutdown()


async def test_a_trickled_body_is_answered_408_at_its_deadline(make_app: Factory) -> None:
    import asyncio

    app = make_app(body_read_timeout_seconds=0.2)
    await app.state.startup()
    sent: list[dict] = []
    more = asyncio.Event()

    async def receive():  # type: ignore[no-untyped-def]
        await more.wait()  # never comes
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):  # type: ignore[no-untyped-def]
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v2/process",
        "headers": [(b"content-length", b"100")],
        "query_string": b"",
        "client": ("198.51.100.1", 1),
    }
    task = asyncio.create_task(app(scope, receive, send))
    await asyncio.sleep(0.05)
    app.reap(time_now())  # first seen waiting for its body
    assert not sent
    app.reap(time_now() + 0.3)  # still waiting past the deadline
    await asyncio.wait_for(task, 2)
    await app.state.shutdown()
    assert sent[0]["status"] == 408
    app.reap(time_now())
    assert not app._reading


async def test_sigterm_grace_answers_what_is_left_503_and_saves_history(
    make_app: Factory,
) -> None:
    import asyncio
    import sqlite3

    app = make_app(shutdown_grace_seconds=0.0)
    await app.state.startup()
    gate = asyncio.Event()
    handler = app._exact["/api/v2/personas"].methods["GET"]

    async def stuck(req):  # type: ignore[no-untyped-def]
        await gate.wait()
        return await handler(req)

    app._exact["/api/v2/personas"].methods["GET"] = stuck
    sent: list[dict] = []

    async def receive():  # type: ignore[no-untyped-def]
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):  # type: ignore[no-untyped-def]
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/v2/personas",
        "headers": [],
        "query_string": b"",
        "client": ("198.51.100.1", 1),
    }
    task = asyncio.create_task(app(scope, receive, send))
    await asyncio.sleep(0.05)
    app.begin_shutdown()
    await app._saving
    app.reap(time_now())
    await asyncio.wait_for(task, 2)
    assert sent[0]["status"] == 503
    path = app.settings.serve.history_path
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM samples").fetchone()[0] > 0
    await app.state.shutdown()


def time_now() -> float:
    import time

    return time.monotonic()


async def test_forwarded_for_is_ignored_unless_trusted(make_app: Factory) -> None:
    app = make_app(rate_limit_per_second=1.0, rate_limit_burst=1)
    async with running(app) as client:
        first = await client.get("/api/v2/personas", headers={"x-forwarded-for": "198.51.100.1"})
        spoofed = await client.get("/api/v2/personas", headers={"x-forwarded-for": "198.51.100.9"})
    assert (first.status_code, spoofed.status_code) == (200, 429)  # same socket peer

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


async def test_behind_a_proxy_the_client_is_the_first_forwarded_address(make_app: Factory) -> None:
    app = make_app(rate_limit_per_second=1.0, rate_limit_burst=1, trust_forwarded_for=True)
    async with running(app) as client:
        a1 = await client.get(
            "/api/v2/personas", headers={"x-forwarded-for": "198.51.100.1, 10.0.0.1"}
        )
        a2 = await client.get("/api/v2/personas", headers={"x-forwarded-for": "198.51.100.1"})
        b1 = await client.get("/api/v2/personas", headers={"x-forwarded-for": "198.51.100.2"})
    assert (a1.status_code, a2.status_code, b1.status_code) == (200, 429, 200)
    assert "198.51.100.1" in a2.json()["error"]["message"]


async def test_forwarded_for_is_ignored_unless_trusted(make_app: Factory) -> None:
    app = make_app(rate_limit_per_second=1.0, rate_limit_burst=1)
    async with running(app) as client:
        first = await client.get("/api/v2/personas", headers={"x-forwarded-for": "198.51.100.1"})
        spoofed = await client.get("/api/v2/personas", headers={"x-forwarded-for": "198.51.100.9"})
    assert (first.status_code, spoofed.status_code) == (200, 429)  # same socket peer

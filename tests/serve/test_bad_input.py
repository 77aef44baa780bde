"""Bad input gets a 4xx with the one error body: never a 500, never a dropped connection."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.serve.conftest import PROCESS_BODY, Factory, running
from tests.serve.openapi_check import check

pytestmark = pytest.mark.anyio


def assert_error(r: httpx.Response, status: int, code: str, field: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    check("ErrorBody", body)
    assert body["success"] is False and body["error"]["code"] == code
    assert body["request_id"] == r.headers["x-request-id"]
    if field is not None:
        assert body["error"]["field"] == field
    return body


CASES = [
    (b"", 400, "MALFORMED_JSON", None),
    (b"{not json", 400, "MALFORMED_JSON", None),
    (b'{"user_input": "caf\xc3"}', 400, "MALFORMED_JSON", None),
    (b"[1, 2]", 422, "INVALID_INPUT", "body"),
    (b'{"user_input": 5}', 422, "INVALID_INPUT", "user_input"),
    (b"{}", 422, "INVALID_INPUT", "user_input"),
    (b'{"user_input": ""}', 400, "INVALID_INPUT", "user_input"),  # the original's 400
    (b'{"user_input": "   "}', 400, "INVALID_INPUT", "user_input"),
    (b'{"user_input": "hi", "surprise": 1}', 422, "INVALID_INPUT", "surprise"),
    (b'{"user_input": "hi", "prompt_mode": "verbose"}', 422, "INVALID_INPUT", "prompt_mode"),
    (b'{"user_input": "hi", "resonance_key": "calm-medium"}', 422, "INVALID_INPUT", None),
    (
        json.dumps({"user_input": "x" * 4001}).encode(),
        422,
        "INVALID_INPUT",
        "user_input",
    ),
]


@pytest.mark.parametrize(("body", "status", "code", "field"), CASES)
async def test_process_rejects(
    make_app: Factory, body: bytes, status: int, code: str, field: str | None
) -> None:
    async with running(make_app()) as client:
        r = await client.post(
            "/api/v2/process", content=body, headers={"content-type": "application/json"}
        )
    assert_error(r, status, code, field)


async def test_unknown_enum_value_names_the_field_and_the_valid_values(make_app: Factory) -> None:
    body = {
        **PROCESS_BODY,
        "resonance_key": {"tone": "grumpy", "pace": "burst", "intent": "learning"},
    }
    async with running(make_app()) as client:
        r = await client.post("/api/v2/process", json=body)
        s = await client.post(
            "/api/v2/process", json={**PROCESS_BODY, "resonance_key": "calm-slow-learning"}
        )
    err = assert_error(r, 422, "INVALID_INPUT", "resonance_key.tone")["error"]
    assert "calm" in err["valid_values"] and len(err["valid_values"]) == 9
    assert "grumpy" in err["message"]
    err = assert_error(s, 422, "INVALID_INPUT", "resonance_key.pace")["error"]
    assert err["valid_values"] == ["burst", "flowing", "contemplative", "medium"]


async def test_one_megabyte_input_is_refused_before_it_is_read(make_app: Factory) -> None:
    big = json.dumps({"user_input": "x" * 1_000_000}).encode()
    async with running(make_app()) as client:
        r = await client.post("/api/v2/process", content=big)
    assert_error(r, 413, "REQUEST_TOO_LARGE")


async def test_bulk_limits(make_app: Factory) -> None:
    async with running(make_app(max_body_bytes=4_000_000)) as client:
        huge = await client.post(
            "/api/v2/bulk-process", json={"requests": [{"user_input": "q"}] * 10_000}
        )
        over = await client.post(
            "/api/v2/bulk-process", json={"requests": [{"user_input": "q"}] * 101}
        )
        empty = await client.post("/api/v2/bulk-process", json={"requests": []})
        bad_item = await client.post(
            "/api/v2/bulk-process",
            json={"requests": [{"user_input": "q"}, {"user_input": "q", "resonance_key": "x-y-z"}]},
        )
    assert_error(huge, 413, "REQUEST_TOO_LARGE", "requests")
    assert_error(over, 413, "REQUEST_TOO_LARGE", "requests")
    assert_error(empty, 400, "INVALID_INPUT", "requests")
    assert assert_error(bad_item, 422, "INVALID_INPUT")["error"]["field"].startswith(
        "requests[1].resonance_key"
    )


async def test_unknown_routes_and_methods(make_app: Factory) -> None:
    async with running(make_app()) as client:
        missing = await client.get("/api/v3/anything")
        wrong = await client.get("/api/v2/process")
        put = await client.put("/api/v2/health")
        head = await client.head("/api/v2/health")
        slash = await client.get("/api/v2/health/")
    assert_error(missing, 404, "NOT_FOUND")
    assert "POST" in assert_error(wrong, 405, "METHOD_NOT_ALLOWED")["error"]["message"]
    assert wrong.headers["allow"] == "OPTIONS, POST"
    assert_error(put, 405, "METHOD_NOT_ALLOWED")
    assert head.status_code == 200 and head.content == b""
    assert slash.status_code == 200


async def test_other_routes_reject_bad_bodies_too(make_app: Factory) -> None:
    async with running(make_app()) as client:
        for path in ("/api/v2/chat/multi-persona", "/api/v2/recommend", "/api/v2/bulk-process"):
            r = await client.post(path, content=b'{"nope": true}')
            assert_error(r, 422, "INVALID_INPUT")
        r = await client.post(
            "/api/v2/recommend", json={"scenario": "x", "context": {"tone": "sad"}}
        )
        assert_error(r, 422, "INVALID_INPUT", "context.tone")
        r = await client.post(
            "/api/persona/process", json={"resonance_key": "calm-medium-learning"}
        )
        assert_error(r, 422, "INVALID_INPUT", "user_input")


async def test_a_bug_is_a_500_with_the_error_body(
    make_app: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app()

    async def broken(request: object) -> object:
        raise RuntimeError("boom")

    app._exact["/api/v2/personas"].methods["GET"] = broken  # type: ignore[assignment]
    async with running(app) as client:
        r = await client.get("/api/v2/personas")
    body = assert_error(r, 500, "INTERNAL_ERROR")
    assert "boom" not in json.dumps(body)  # internals stay in the log
    assert "boom" in capsys.readouterr().err


@pytest.mark.parametrize(
    "path",
    [
        "/api/persona/process",
        "/api/v2/process",
        "/api/v2/recommend",
        "/api/v2/bulk-process",
        "/api/v2/chat/multi-persona",
    ],
)
async def test_deeply_nested_bodies_are_a_400_on_every_route(make_app: Factory, path: str) -> None:
    nested = b'{"user_input": "hi", "x": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    deeper = b"[" * 100_000 + b"]" * 100_000
    async with running(make_app()) as client:
        for body in (nested, deeper):
            r = await client.post(path, content=body)
            assert 400 <= r.status_code < 500, r.text


@pytest.mark.parametrize("step", ["%C2%B2", "%EF%BC%91%EF%BC%90", "1e1", "-10", "0", "10.0"])
async def test_history_step_must_be_ascii_digits(make_app: Factory, step: str) -> None:
    async with running(make_app()) as client:
        r = await client.get(f"/api/v2/metrics/history?step={step}")
    assert_error(r, 422, "INVALID_INPUT", "step")


async def test_openapi_is_as_strict_as_the_server(make_app: Factory) -> None:
    import re

    async with running(make_app()) as client:
        spec = (await client.get("/openapi.json")).json()
    params = spec["paths"]["/api/v2/metrics/history"]["get"]["parameters"]
    step = next(p for p in params if p["name"] == "step")["schema"]["pattern"]
    assert re.match(step, "3600") and re.match(step, "10")
    assert not re.match(step, "0") and not re.match(step, "15") and not re.match(step, "3610")
    key = spec["components"]["schemas"]["ProcessRequest"]["properties"]["resonance_key"]
    string_form = next(s for s in key["anyOf"] if s.get("type") == "string")
    assert not re.match(string_form["pattern"], "not a key")
    assert re.match(string_form["pattern"], "Calm-medium-seek-advice")

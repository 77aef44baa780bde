"""The original service's /api/v2 contract, checked over HTTP against a real `ion serve`.

Written from the reference's record of what the original answered (field names, types,
status codes, accepted spellings). ion adds its own fields next to these; a client written
for the original must find every field it reads, with the same type.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.serve.test_server import ion_serve

pytestmark = pytest.mark.slow
NAMES = {"Lua", "Elro", "Riri", "Nana"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    history = tmp_path_factory.mktemp("contract") / "history.sqlite3"
    with (
        ion_serve("--history", str(history)) as (url, _proc),
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        yield http


def has(body: dict[str, Any], **types: Any) -> None:
    for name, kind in types.items():
        assert name in body, f"missing {name}"
        assert isinstance(body[name], kind), f"{name}: {type(body[name]).__name__}"


def process(client: httpx.Client, **body: Any) -> httpx.Response:
    return client.post("/api/v2/process", json=body)


def test_health(client: httpx.Client) -> None:
    r = client.get("/api/v2/health")
    assert r.status_code == 200
    body = r.json()
    has(body, healthy=bool, service_status=dict, dependencies=dict, timestamp=str)
    has(body["service_status"], status=str, version=str, timestamp=str, cached_requests=int)
    assert body["service_status"]["status"] == "operational"
    for name in ("pipeline", "cache", "redis", "pipeline_cache"):
        assert isinstance(body["dependencies"][name], bool)
    assert body["dependencies"]["redis"] is False  # no Redis configured


def test_status(client: httpx.Client) -> None:
    body = client.get("/api/v2/status").json()
    has(body, version=str, status=str, cache_stats=dict, timestamp=str)
    assert body["status"] == "operational"
    has(body["cache_stats"], total_requests=int, cache_hits=int, cache_misses=int, hit_rate=str)


def test_process_fields_and_cache_status(client: httpx.Client) -> None:
    text = "How should I plan the contract release?"
    first = process(client, user_input=text, resonance_key="calm-medium-learning").json()
    again = process(client, user_input=text, resonance_key="calm-medium-learning").json()
    has(first, success=bool, content=str, persona_used=str, resonance_key=str, routing=dict)
    has(first, confidence=float, performance=dict, metadata=dict, timestamp=str, request_id=str)
    assert first["persona_used"] == "Elro" and first["resonance_key"] == "calm-medium-learning"
    routing = first["routing"]
    has(routing, primary_persona=str, secondary_persona=str, confidence=float, scores=dict)
    assert set(routing["scores"]) == {"lua", "elro", "riri", "nana"}
    has(routing, reasoning=str)
    perf = first["performance"]
    has(perf, execution_time_ms=float, cache_hit=bool, cache_key=str)
    assert perf["cache_key"].startswith("persona:calm-medium-learning|input:")
    meta = first["metadata"]
    has(meta, routing_result=dict, cached=bool, cache_key=str, user_provided_metadata=dict)
    assert set(meta["routing_result"]["all_scores"]) == NAMES
    has(meta["routing_result"], secondary_persona=str, reasoning=str)
    assert meta["prompt_mode"] == "default"
    assert (first["_cache_status"], again["_cache_status"]) == ("MISS", "HIT")
    assert (meta["cached"], again["metadata"]["cached"]) == (False, True)
    assert again["performance"]["cache_hit"] is True


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ({"tone": "calm", "pace": "medium", "intent": "seeking_advice"}, "seek_advice"),
        ({"tone": "calm", "pace": "medium", "intent": "seek-advice"}, "seek_advice"),
        ({"tone": "Calm", "pace": "MEDIUM", "intent": "Learning"}, "learning"),
        ({"tone": "calm", "pace": "medium", "intent": "inquiry"}, "learning"),
        ({"tone": "calm", "pace": "medium", "intent": "expressive"}, "learning"),
        ({"tone": "calm", "pace": "medium", "intent": "statement"}, "learning"),
        ("calm-medium-seeking_advice", "seek_advice"),
        ("Calm-Medium-seek-advice", "seek_advice"),
    ],
)
def test_intent_aliases_and_case_are_normalised(
    client: httpx.Client, given: Any, used: str
) -> None:
    r = process(client, user_input="alias check", resonance_key=given)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["resonance_key"] == f"calm-medium-{used}"
    assert body["metadata"]["resonance_key_given"]  # the answer says what it normalised


def test_unknown_tone_stays_a_422(client: httpx.Client) -> None:
    r = process(client, user_input="x", resonance_key={"tone": "sleepy", "pace": "medium",
                                                        "intent": "learning"})  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["field"] == "resonance_key.tone"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v2/process", {"user_input": ""}, "user_input"),
        ("/api/v2/process", {"user_input": "   "}, "user_input"),
        ("/api/v2/chat/multi-persona", {"user_input": " "}, "user_input"),
        ("/api/v2/recommend", {"scenario": ""}, "scenario"),
        ("/api/v2/bulk-process", {"requests": []}, "requests"),
    ],
)
def test_empty_input_is_400_invalid_input(
    client: httpx.Client, path: str, body: dict[str, Any], field: str
) -> None:
    r = client.post(path, json=body, params={"request_id": "contract-empty-1"})
    assert r.status_code == 400
    error = r.json()
    has(error, success=bool, error=dict, request_id=str, timestamp=str)
    assert "errors" in error
    assert error["error"]["code"] == "INVALID_INPUT" and error["error"]["field"] == field
    assert error["request_id"] == "contract-empty-1"


def test_request_id_query_parameter_is_echoed(client: httpx.Client) -> None:
    r = client.post(
        "/api/v2/process", json={"user_input": "echo me"}, params={"request_id": "abc-123"}
    )
    assert r.json()["request_id"] == "abc-123" == r.headers["x-request-id"]


def test_multi_persona(client: httpx.Client) -> None:
    body = client.post(
        "/api/v2/chat/multi-persona",
        json={"user_input": "Our team data pipeline design feels overwhelming",
              "force_multi": True},
    ).json()  # fmt: skip
    has(body, success=bool, content=str, persona_used=str, resonance_key=str, confidence=float)
    has(body, metadata=dict, timestamp=str, request_id=str)
    has(body["metadata"], complexity=str, execution_mode=str, merge_strategy=str)
    has(body["metadata"], individual_personas=list, reasoning=str)


def test_recommend(client: httpx.Client) -> None:
    body = client.post(
        "/api/v2/recommend", json={"scenario": "user needs emotional support"}
    ).json()
    has(body, recommended_persona=str, scores=dict, capabilities=dict, reasoning=str)
    has(body, timestamp=str)
    assert set(body["scores"]) == NAMES
    assert body["reasoning"].startswith("Best persona for: ")
    has(body["capabilities"], name=str, traits=list, strengths=list, best_for_tones=list)
    has(body["capabilities"], best_for_paces=list, best_for_intents=list)
    assert body["capabilities"]["name"] == body["recommended_persona"]


def test_bulk(client: httpx.Client) -> None:
    r = client.post(
        "/api/v2/bulk-process",
        json={"requests": [{"user_input": "item 1"}, {"user_input": "item 2"}],
              "parallel": True},
        params={"request_id": "bulk-1"},
    )  # fmt: skip
    body = r.json()
    has(body, success=bool, total=int, successful=int, failed=int, results=list, timestamp=str)
    assert "errors" in body and body["errors"] is None
    assert (body["total"], body["successful"], body["failed"]) == (2, 2, 0)
    item = body["results"][0]
    has(item, success=bool, content=str, persona_used=str, resonance_key=str, confidence=float)
    assert item["request_id"] == "bulk-1-0"
    over = client.post("/api/v2/bulk-process", json={"requests": [{"user_input": "q"}] * 101})
    assert over.status_code == 413 and over.json()["error"]["code"] == "REQUEST_TOO_LARGE"


def test_personas(client: httpx.Client) -> None:
    listed = client.get("/api/v2/personas").json()
    has(listed, total=int, personas=list, timestamp=str)
    assert listed["total"] == 4
    for p in listed["personas"]:
        has(p, name=str, traits=list, strengths=list, best_for_tones=list, best_for_paces=list)
        has(p, best_for_intents=list)
    one = client.get("/api/v2/personas/ELRO").json()
    has(one, name=str, traits=list, strengths=list, best_for_tones=list, best_for_paces=list)
    has(one, best_for_intents=list, timestamp=str)
    assert one["name"] == "Elro"
    missing = client.get("/api/v2/personas/zed")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "INVALID_PERSONA"


def test_cache_stats(client: httpx.Client) -> None:
    body = client.get("/api/v2/cache-stats").json()
    has(body, total_requests=int, cache_hits=int, cache_misses=int, hit_rate=str)
    has(body, avg_time_ms=str, total_time_ms=int, cache_details=dict, timestamp=str)
    has(body, redis_cache=dict)
    l1 = body["cache_details"]["l1"]
    has(l1, cache_type=str, size=int, max_size=int, hits=int, misses=int, hit_rate=str)
    has(l1, entries=list)
    has(body["cache_details"]["l2"], cache_type=str, available=bool)
    has(body["redis_cache"], enabled=bool, keyspace_hits=int, keyspace_misses=int)


def test_invalidation_patterns_in_the_original_key_format(client: httpx.Client) -> None:
    process(client, user_input="invalidate me", resonance_key="urgent-burst-planning")
    r = client.post("/api/v2/cache/invalidate", params={"pattern": "persona:urgent-*"})
    body = r.json()
    has(body, success=bool, pattern=str, deleted_count=int, timestamp=str)
    assert body["deleted_count"] >= 1
    again = process(client, user_input="invalidate me", resonance_key="urgent-burst-planning")
    assert again.json()["_cache_status"] == "MISS"
    for pattern in ("routing:*", "prompt:*"):  # nothing is cached under these: 0, not an error
        assert (
            client.post("/api/v2/cache/invalidate", params={"pattern": pattern}).json()[
                "deleted_count"
            ]
            == 0
        )


def test_cache_clear(client: httpx.Client) -> None:
    body = client.post("/api/v2/cache/clear").json()
    assert body["success"] is True and body["message"] == "Cache cleared"
    has(body, timestamp=str)


def test_status_codes(client: httpx.Client) -> None:
    assert client.post("/api/v2/process", content=b"{bad").status_code in (400, 422)
    assert client.post("/api/v2/process", json={"user_input": 5}).status_code == 422
    assert client.get("/api/v2/process").status_code == 405

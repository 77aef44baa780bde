"""L1 on its own: LRU order, per-entry TTL, the bound, glob invalidation, counters."""

from __future__ import annotations

import pytest

from ioncli.serve.app import TokenBuckets
from ioncli.serve.cache import LRUCache
from tests.serve.conftest import Factory


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_entries_expire_after_their_own_ttl(clock: Clock) -> None:
    l1 = LRUCache(10, ttl_seconds=45, clock=clock)
    l1.set("a", 1, key="resp:a")
    l1.set("b", 2, key="resp:b", ttl=10)  # shorter than the tier's TTL
    l1.set("c", 3, key="resp:c", ttl=600)  # never longer than the tier's TTL
    clock.now += 11
    assert l1.get("a") == 1 and l1.get("b") is None
    clock.now += 35
    assert l1.get("a") is None and l1.get("c") is None
    assert l1.counters.expirations == 3 and l1.counters.hits == 1 and l1.counters.misses == 3


def test_the_least_recently_used_entry_goes_first(clock: Clock) -> None:
    l1 = LRUCache(3, ttl_seconds=45, clock=clock)
    for name in "abc":
        l1.set(name, name, key=name)
    assert l1.get("a") == "a"  # a is now the most recent
    l1.set("d", "d", key="d")
    assert l1.get("b") is None and l1.get("a") == "a" and len(l1) == 3
    assert l1.counters.evictions == 1


def test_many_unique_entries_stay_within_the_bound(clock: Clock) -> None:
    l1 = LRUCache(1500, ttl_seconds=45, clock=clock)
    for i in range(20_000):
        l1.set(i, b"x" * 10, key=f"resp:{i}")
    assert len(l1) == 1500 and l1.counters.evictions == 18_500


def test_glob_invalidation_and_the_second_lookup(clock: Clock) -> None:
    l1 = LRUCache(10, ttl_seconds=45, clock=clock)
    l1.set(b"raw-digest", "answer", key="resp:calm-medium-learning:abc")
    l1.set("resp:calm-medium-learning:abc", "answer", key="resp:calm-medium-learning:abc")
    l1.set("resp:urgent-burst-planning:def", "other", key="resp:urgent-burst-planning:def")
    assert l1.get(b"unknown") is None
    assert l1.get_again("resp:urgent-burst-planning:def") == "other"
    assert (l1.counters.hits, l1.counters.misses) == (1, 0)  # the miss became a hit
    assert l1.invalidate("resp:calm-*") == 2  # the entry and its raw-body alias
    assert l1.invalidate("resp:calm-*") == 0
    assert [k for k, _ in l1.hottest()] == ["resp:urgent-burst-planning:def"]


def test_token_bucket_refills_at_its_rate(clock: Clock) -> None:
    buckets = TokenBuckets(rate=2.0, burst=2, clock=clock)
    assert [buckets.take("c") for _ in range(2)] == [0.0, 0.0]
    assert buckets.take("c") == pytest.approx(0.5)
    assert buckets.take("other") == 0.0  # per client
    clock.now += 0.5
    assert buckets.take("c") == 0.0


@pytest.mark.anyio
async def test_metadata_and_history_with_the_same_text_do_not_share_an_answer(
    make_app: Factory,
) -> None:
    from tests.serve.conftest import running

    as_metadata = {
        "user_input": "same words",
        "resonance_key": "calm-medium-learning",
        "context": {"user_id": "u1", "session_id": "s1", "metadata": {"user": "hi"}},
    }
    as_history = {
        "user_input": "same words",
        "resonance_key": "calm-medium-learning",
        "context": {
            "user_id": "u1",
            "session_id": "s1",
            "message_history": [{"role": "user", "content": "hi"}],
        },
    }
    async with running(make_app()) as client:
        first = await client.post("/api/v2/process", json=as_metadata)
        second = await client.post("/api/v2/process", json=as_history)
    assert first.headers["x-cache"] == second.headers["x-cache"] == "MISS"
    assert first.json()["performance"]["cache_key"] != second.json()["performance"]["cache_key"]

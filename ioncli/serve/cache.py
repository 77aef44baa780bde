"""The two-tier cache: an in-process LRU with per-entry TTL (L1) and Redis (L2, optional).

L1 is a plain OrderedDict: a hit costs one dict lookup and a monotonic clock read. L2 is
redis-py's asyncio client with short timeouts. When Redis fails or is slow the cache keeps
answering from L1 (the caller computes the rest), counts the error, reports L2 as degraded
and skips L2 for a short, growing back-off; the next attempt after it reconnects on its own
(redis-py opens a fresh connection). No request fails because Redis failed.

Keys are logical strings (`resp:<tone-pace-intent>:<digest>`, `routing:<key>`); Redis sees
them under a prefix so a shared Redis is never flushed, only our own keys are scanned.
"""

from __future__ import annotations

import asyncio
import fnmatch
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis.asyncio import Redis

MAX_PENDING_WRITES = 512  # L2 writes in flight; beyond this a write is dropped, not queued
SIZE_SECONDS = 5.0
SIZE_LIMIT = 100_000


@dataclass
class TierCounters:
    hits: int = 0
    misses: int = 0
    evictions: int = 0
    expirations: int = 0
    errors: int = 0
    skipped: int = 0  # lookups not sent to a degraded L2
    dropped_writes: int = 0
    oversized: int = 0  # answers too big for L2

    @property
    def hit_ratio(self) -> float | None:
        total = self.hits + self.misses
        return self.hits / total if total else None


class _Entry:
    __slots__ = ("expires", "key", "value")

    def __init__(self, key: str, value: Any, expires: float) -> None:
        self.key = key
        self.value = value
        self.expires = expires


class LRUCache:
    """L1: bounded LRU; each entry expires at its own deadline. Not thread-safe (one loop)."""

    def __init__(
        self, max_items: int, ttl_seconds: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_items = max(1, max_items)
        self.ttl = ttl_seconds
        self._clock = clock  # monotonic seconds; tests pass a fake to move time on
        self._data: OrderedDict[Any, _Entry] = OrderedDict()
        self.counters = TierCounters()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, slot: Any) -> Any | None:
        entry = self._data.get(slot)
        if entry is None:
            self.counters.misses += 1
            return None
        if entry.expires < self._clock():
            del self._data[slot]
            self.counters.expirations += 1
            self.counters.misses += 1
            return None
        self._data.move_to_end(slot)
        self.counters.hits += 1
        return entry.value

    def get_again(self, slot: Any) -> Any | None:
        """A second lookup for the same request after `get` missed: a hit replaces that miss."""
        entry = self._data.get(slot)
        if entry is None:
            return None
        if entry.expires < self._clock():
            del self._data[slot]
            self.counters.expirations += 1
            return None
        self._data.move_to_end(slot)
        self.counters.misses -= 1
        self.counters.hits += 1
        return entry.value

    def set(self, slot: Any, value: Any, *, key: str, ttl: float | None = None) -> None:
        """Store under `slot` (a logical key or a raw-body digest); `key` is what globs match."""
        ttl = self.ttl if ttl is None else min(ttl, self.ttl)
        data = self._data
        data[slot] = _Entry(key, value, self._clock() + ttl)
        data.move_to_end(slot)
        while len(data) > self.max_items:
            data.popitem(last=False)
            self.counters.evictions += 1

    def invalidate(self, pattern: str) -> int:
        doomed = [s for s, e in self._data.items() if fnmatch.fnmatchcase(e.key, pattern)]
        for slot in doomed:
            del self._data[slot]
        return len(doomed)

    def peek(self, limit: int) -> list[tuple[str, float]]:
        """The most recently used entries' keys and seconds left, without touching them."""
        now = self._clock()
        out: list[tuple[str, float]] = []
        for entry in reversed(self._data.values()):
            out.append((entry.key, entry.expires - now))
            if len(out) >= limit:
                break
        return out

    def clear(self) -> int:
        count = len(self._data)
        self._data.clear()
        return count

    def hottest(self) -> list[tuple[str, Any]]:
        """Most recently used first: (logical key, value), one per logical key."""
        seen: set[str] = set()
        out: list[tuple[str, Any]] = []
        now = self._clock()
        for entry in reversed(self._data.values()):
            if entry.key not in seen and entry.expires >= now:
                seen.add(entry.key)
                out.append((entry.key, entry.value))
        return out


class RedisTier:
    """L2 over redis-py asyncio: bytes in, bytes out, never raises to the caller."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "ion:",
        timeout: float = 0.25,
        client: Redis[bytes] | None = None,
        max_entry_bytes: int = 65_536,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from redis.asyncio import Redis

        self.url = url
        self.prefix = prefix
        self.max_entry_bytes = max_entry_bytes
        self._clock = clock
        self._size: tuple[float, int] | None = None
        self.client: Redis[bytes] = client or Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry_on_timeout=False,
            health_check_interval=0,
        )
        self.counters = TierCounters()
        self.last_error: str | None = None
        self._retry_at = 0.0
        self._backoff = 0.0
        self._pending: set[asyncio.Task[None]] = set()

    @property
    def degraded(self) -> bool:
        return self._backoff > 0.0

    def _available(self) -> bool:
        if self._backoff and self._clock() < self._retry_at:
            self.counters.skipped += 1
            return False
        return True

    def _failed(self, exc: BaseException) -> None:
        self.counters.errors += 1
        self.last_error = f"{type(exc).__name__}: {exc}"[:200]
        self._backoff = min(5.0, self._backoff * 2 if self._backoff else 0.25)
        self._retry_at = self._clock() + self._backoff

    def _ok(self) -> None:
        if self._backoff:
            self._backoff = 0.0
            self.last_error = None

    async def get(self, key: str) -> bytes | None:
        if not self._available():
            self.counters.misses += 1
            return None
        try:
            value = await self.client.get(self.prefix + key)
        except Exception as exc:  # any Redis failure degrades to a miss
            self._failed(exc)
            self.counters.misses += 1
            return None
        self._ok()
        if value is None:
            self.counters.misses += 1
            return None
        self.counters.hits += 1
        return bytes(value)

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        if not self._available():
            return
        try:
            await self.client.set(self.prefix + key, value, px=max(1, int(ttl * 1000)))
        except Exception as exc:
            self._failed(exc)
        else:
            self._ok()

    def set_later(self, key: str, value: bytes, ttl: float) -> None:
        """Write in the background so the response never waits for Redis. An answer bigger
        than `max_entry_bytes` stays in L1 only: Redis is bounded per entry (and by its own
        `maxmemory` with an LRU policy, which the README asks for)."""
        if len(value) > self.max_entry_bytes:
            self.counters.oversized += 1
            return
        if len(self._pending) >= MAX_PENDING_WRITES:
            self.counters.dropped_writes += 1
            return
        task = asyncio.get_running_loop().create_task(self.set(key, value, ttl))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def delete_matching(self, pattern: str) -> int:
        """Delete our keys matching a glob, with SCAN (never KEYS) and UNLINK in batches."""
        deleted = 0
        try:
            batch: list[bytes] = []
            async for raw in self.client.scan_iter(match=self.prefix + pattern, count=500):
                batch.append(raw)
                if len(batch) >= 500:
                    deleted += int(await self.client.unlink(*batch))
                    batch.clear()
            if batch:
                deleted += int(await self.client.unlink(*batch))
        except Exception as exc:
            self._failed(exc)
            raise
        self._ok()
        return deleted

    async def size(self) -> int | None:
        """How many of *our* keys Redis holds (a shared database holds others too): counted
        with SCAN under our prefix, at most every SIZE_SECONDS and up to SIZE_LIMIT keys."""
        if self.degraded and not self._available():
            return None
        now = self._clock()
        if self._size is not None and now - self._size[0] < SIZE_SECONDS:
            return self._size[1]
        count = 0
        try:
            async for _ in self.client.scan_iter(match=self.prefix + "*", count=1000):
                count += 1
                if count >= SIZE_LIMIT:
                    break
        except Exception as exc:
            self._failed(exc)
            return None
        self._size = (now, count)
        return count

    async def ping(self) -> bool:
        try:
            await self.client.ping()
        except Exception as exc:
            self._failed(exc)
            return False
        self._ok()
        return True

    async def drain(self) -> None:
        if self._pending:
            await asyncio.wait(list(self._pending), timeout=2.0)

    async def aclose(self) -> None:
        await self.drain()
        await self.client.aclose()  # type: ignore[attr-defined]  # stubs predate aclose


class TwoTierCache:
    """L1 in front of an optional L2; values in L2 are bytes the caller encodes."""

    def __init__(self, l1: LRUCache, l2: RedisTier | None = None) -> None:
        self.l1 = l1
        self.l2 = l2

    def l2_status(self) -> str:
        if self.l2 is None:
            return "disabled"
        return "degraded" if self.l2.degraded else "ok"

    async def invalidate(self, pattern: str) -> tuple[int, int]:
        """Drop entries whose logical key matches the glob; (deleted in L1, deleted in L2)."""
        from ioncli.serve.errors import HTTPError

        if pattern.startswith("resp:"):  # ion's earlier key format, kept as an alias
            label, _, rest = pattern[5:].partition(":")
            pattern = f"persona:{label}" + (f"|*{rest}" if rest else "")
        in_l1 = self.l1.invalidate(pattern)
        in_l2 = 0
        if self.l2 is not None:
            try:
                in_l2 = await self.l2.delete_matching(pattern)
            except Exception:
                raise HTTPError(
                    503,
                    "CACHE_UNAVAILABLE",
                    f"L1 entries were dropped ({in_l1}) but Redis did not answer; "
                    "retry once it is back",
                ) from None
        return in_l1, in_l2

    async def clear(self) -> tuple[int, int]:
        in_l1 = self.l1.clear()
        _, in_l2 = await self.invalidate("*")
        return in_l1, in_l2

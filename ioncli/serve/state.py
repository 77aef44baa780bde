"""Everything one running service holds: pipeline, cache, metrics, history, background tasks.

Built by `create_app`; started and stopped by the ASGI lifespan (or by tests directly).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from msgspec import json

from ioncli import __version__
from ioncli.mentoring.pipeline import MentoringPipeline
from ioncli.mentoring.responder import build_responder
from ioncli.serve.cache import LRUCache, RedisTier, TwoTierCache
from ioncli.serve.errors import now_iso
from ioncli.serve.history import HistoryStore, Sampler, open_store, run_sampler
from ioncli.serve.metrics import Metrics
from ioncli.serve.process import CachedAnswers
from ioncli.serve.schemas import HealthResponse, ServiceStatusOut
from ioncli.serve.sentry import SentryHooks, init_sentry

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from ioncli.config import Settings

SENTRY_CACHE_SECONDS = 60.0
MONITOR_SECONDS = 2.0  # how often a quiet service checks Redis (so health and reconnects move)


@dataclass
class Deps:
    """What tests and embedders hand in instead of what settings would build."""

    pipeline: MentoringPipeline | None = None
    redis_client: Redis[bytes] | None = None
    environ: Mapping[str, str] | None = None


def _warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_pipeline(settings: Settings, environ: Mapping[str, str]) -> MentoringPipeline:
    serve = settings.serve
    responder = build_responder(
        serve.responder_url,
        serve.responder_model,
        serve.responder_api_key_env,
        environ,
        timeout=serve.responder_timeout_seconds,
        max_retries=serve.responder_max_retries,
    )
    return MentoringPipeline(responder=responder)


class ServiceState:
    def __init__(self, settings: Settings, deps: Deps) -> None:
        serve = settings.serve
        self.settings = settings
        self.environ: Mapping[str, str] = deps.environ if deps.environ is not None else os.environ
        self.version = __version__
        self.metrics = Metrics()
        self.pipeline = deps.pipeline or build_pipeline(settings, self.environ)
        l2 = None
        if serve.redis_url or deps.redis_client is not None:
            l2 = RedisTier(
                serve.redis_url or "redis://injected",
                prefix=serve.redis_key_prefix,
                timeout=serve.redis_timeout_seconds,
                client=deps.redis_client,
                max_entry_bytes=serve.l2_max_entry_bytes,
            )
        self.cache = TwoTierCache(LRUCache(serve.l1_max_items, serve.l1_ttl_seconds), l2)
        self.metrics.cache = self.cache
        self.answers = CachedAnswers(
            self.pipeline, self.cache, self.metrics, serve.l2_response_ttl_seconds
        )
        self.started = time.time()
        self.history: HistoryStore | None = None
        self.sampler: Sampler | None = None
        self.sentry: SentryHooks | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._health: tuple[float, bytes] = (0.0, b"")
        self.started_up = False
        self._saved = False

    @property
    def responder_name(self) -> str:
        responder = getattr(self.pipeline, "responder", None)
        return str(getattr(responder, "name", "offline"))

    # ---- lifecycle ---------------------------------------------------------------------

    async def startup(self) -> None:
        if self.started_up:
            return
        self.started_up = True
        self._saved = False
        self._stop = asyncio.Event()
        serve = self.settings.serve
        self.sentry = init_sentry(self.environ, service=self.settings.service, version=self.version)
        self.answers.sentry = self.sentry
        if self.sentry is not None:
            self._tasks.append(asyncio.create_task(self._report_cache()))
        if serve.history:
            self.history = await asyncio.to_thread(
                open_store,
                Path(serve.history_path),
                serve.history_retention_days * 86400,
                _warn,
            )
            self.sampler = Sampler(self.metrics, self.cache)
            self._tasks.append(
                asyncio.create_task(run_sampler(self.sampler, self.history, self._stop))
            )
        if self.cache.l2 is not None:
            await self.cache.l2.ping()
            self._tasks.append(asyncio.create_task(self._monitor_l2()))
        if serve.warm_up > 0 and self.history is not None:
            await self.answers.warm_up(self.history, serve.warm_up)

    async def shutdown(self) -> None:
        if not self.started_up:
            return
        self.started_up = False
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=3.0)
        self._tasks.clear()
        await self.save_now()
        if self.cache.l2 is not None:
            with contextlib.suppress(Exception):
                await self.cache.l2.aclose()
        if self.sentry is not None:
            await asyncio.to_thread(self.sentry.flush)
        closer = getattr(getattr(self.pipeline, "responder", None), "aclose", None)
        if closer is not None:
            with contextlib.suppress(Exception):
                await closer()

    def background(self) -> list[asyncio.Task[None]]:
        """The service's own tasks (sampler, monitors): never cancelled as requests."""
        return list(self._tasks)

    async def save_now(self) -> None:
        """Write the last history sample and the warm-up table, once: at SIGTERM (before
        connections drain, so a slow client cannot make us lose them) or at the end."""
        if self.history is None or self.sampler is None or self._saved:
            return
        self._saved = True
        rows = self.sampler.sample(time.time())
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.history.write, rows)
        if self.settings.serve.warm_up > 0:
            with contextlib.suppress(Exception):
                entries = self.answers.hot_entries(self.settings.serve.warm_up)
                await asyncio.to_thread(self.history.save_hot, entries)

    async def _report_cache(self) -> None:
        """Sentry's cache event, once a minute, for the L1 hits and misses of that minute."""
        last = (0, 0)
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=SENTRY_CACHE_SECONDS)
            c = self.cache.l1.counters
            hits, misses = c.hits - last[0], c.misses - last[1]
            last = (c.hits, c.misses)
            if self.sentry is not None and hits + misses:
                self.sentry.cache_performance(
                    hits, misses, len(self.cache.l1), self.cache.l1.max_items
                )

    async def _monitor_l2(self) -> None:
        l2 = self.cache.l2
        assert l2 is not None
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=MONITOR_SECONDS)
            if not self._stop.is_set():
                # Even when every request is an L1 hit, health must notice Redis going away.
                await l2.ping()

    # ---- shared answers ----------------------------------------------------------------

    def health_body(self) -> bytes:
        """The health answer, rebuilt at most once a second (it is polled hard)."""
        now = time.monotonic()
        cached_at, body = self._health
        if body and now - cached_at < 1.0:
            return body
        l2 = self.cache.l2_status()
        deps = {
            "pipeline": "ok",
            "cache_l1": "ok",
            "cache_l2": l2,
            "responder": self.responder_name,
            "history": self.history_status(),
            "sentry": "enabled" if self.sentry is not None else "disabled",
        }
        degraded = l2 == "degraded" or deps["history"] == "degraded"
        status: Literal["ok", "degraded"] = "degraded" if degraded else "ok"
        uptime = time.time() - self.started
        stamp = now_iso()
        # The original's booleans next to ion's states (its `pipeline` key is a boolean).
        dependencies: dict[str, bool | str] = {
            **deps,
            "pipeline": True,
            "cache": True,
            "redis": l2 == "ok",
            "pipeline_cache": True,
        }
        requests = self.metrics.requests_total()
        errors = self.metrics.errors_5xx()
        body = json.encode(
            HealthResponse(
                healthy=True,
                status=status,
                service=self.settings.service,
                version=self.version,
                uptime_seconds=round(uptime, 3),
                dependencies=dependencies,
                checks=deps,
                service_status=ServiceStatusOut(
                    status="degraded" if degraded else "operational",
                    version=self.version,
                    timestamp=stamp,
                    uptime_ms=round(uptime * 1000.0, 1),
                    cached_requests=len(self.cache.l1),
                    error_rate=errors / requests if requests else None,
                ),
                timestamp=stamp,
            )
        )
        self._health = (now, body)
        return body

    def history_status(self) -> str:
        if self.history is None:
            return "disabled"
        return "degraded" if self.history.last_error else "ok"

    def report_exception(self, exc: BaseException, request_id: str) -> None:
        """An unexpected failure inside a handler: to stderr and Sentry, never to the client."""
        print(f"ion serve: request {request_id} failed:", file=sys.stderr)
        traceback.print_exception(exc, file=sys.stderr)
        if self.sentry is not None:
            self.sentry.capture_exception(exc, request_id)

    def timestamp(self) -> str:
        return now_iso()

"""The handlers: 11 `/api/v2` routes, the v1 route, metrics, history, OpenAPI and docs.

Each handler decodes with msgspec (errors name the field), calls the pipeline or the
cache, and encodes a Struct from schemas.py. Answers that never change (the personas) are
encoded once when the routes are built.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import msgspec

from ioncli.mentoring.models import InvalidInput, Persona, RoutingResult
from ioncli.mentoring.pipeline import analysis_dict
from ioncli.serve import schemas as s
from ioncli.serve.errors import HTTPError, empty, invalid, not_found
from ioncli.serve.history import history_response
from ioncli.serve.http import Handler, Operation, Request, Response, Route
from ioncli.serve.openapi import (
    HISTORY_PARAMS,
    NAME_PARAM,
    PATTERN_PARAM,
    TEXT,
    docs_route,
    openapi_route,
)
from ioncli.serve.process import digest, to_context, to_input
from ioncli.serve.schemas import (
    BulkItemOut,
    BulkRequest,
    BulkResponse,
    CacheClearResponse,
    CacheInvalidateResponse,
    CacheStatsResponse,
    CapabilitiesOut,
    ContributionOut,
    MultiPersonaRequest,
    MultiPersonaResponse,
    PerformanceOut,
    PersonaOut,
    PersonaResponse,
    PersonasResponse,
    ProcessRequest,
    ProcessResponse,
    RecommendRequest,
    RecommendResponse,
    RootResponse,
    RoutingOut,
    StatusResponse,
    TierStatsOut,
    V1ProcessRequest,
    V1ProcessResponse,
    decode,
)

if TYPE_CHECKING:
    from ioncli.serve.state import ServiceState

_encode = msgspec.json.Encoder().encode
HIT_L1 = ((b"x-cache", b"HIT"),)
HIT_L2 = ((b"x-cache", b"HIT-L2"),)
MISS = ((b"x-cache", b"MISS"),)
BYPASS = ((b"x-cache", b"BYPASS"),)
_CACHE_HEADERS = {"l1": HIT_L1, "l2": HIT_L2, "miss": MISS}
MAX_PATTERN_CHARS = 200


def persona_out(p: Persona) -> PersonaOut:
    return PersonaOut(
        name=p.name,
        korean_name=p.korean_name,
        archetype=p.archetype,
        traits=list(p.traits),
        strengths=list(p.strengths),
        prompt_style=p.prompt_style,
        preferred_tones=[t.value for t in p.preferred_tones],
        best_for_tones=[t.value for t in p.best_for_tones],
        best_for_paces=[x.value for x in p.best_for_paces],
        best_for_intents=[i.value for i in p.best_for_intents],
    )


def routing_out(r: RoutingResult) -> RoutingOut:
    return RoutingOut(r.primary, r.secondary, r.confidence, dict(r.scores), r.reasoning)


class Handlers:
    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self.pipeline = state.pipeline
        self.answers = state.answers
        self.metrics = state.metrics
        self.l1 = state.cache.l1
        self.process_decoder = msgspec.json.Decoder(ProcessRequest)
        self.multi_decoder = msgspec.json.Decoder(MultiPersonaRequest)
        self.recommend_decoder = msgspec.json.Decoder(RecommendRequest)
        self.bulk_decoder = msgspec.json.Decoder(BulkRequest)
        self.v1_decoder = msgspec.json.Decoder(V1ProcessRequest)
        self.item_decoder = msgspec.json.Decoder(ProcessResponse)
        personas = [persona_out(p) for p in self.pipeline.personas()]
        self.persona_names = [p.name for p in personas]
        self.personas_list = personas
        self.capabilities = {
            p.name: CapabilitiesOut(
                p.name,
                p.traits,
                p.strengths,
                p.best_for_tones,
                p.best_for_paces,
                p.best_for_intents,
            )
            for p in personas
        }
        self.root_body = _encode(
            RootResponse(
                service=state.settings.service,
                version=state.version,
                docs="/docs",
                openapi="/openapi.json",
                health="/api/v2/health",
                metrics="/metrics",
            )
        )
        self.persona_by_name = {p.name.lower(): p for p in personas}

    # ---- health and status -------------------------------------------------------------

    async def root(self, req: Request) -> Response:
        return Response(self.root_body)

    async def health(self, req: Request) -> Response:
        return Response(self.state.health_body())

    async def status(self, req: Request) -> Response:
        state = self.state
        stats = await self._cache_stats()
        degraded = b'"status":"degraded"' in state.health_body()
        return self._json(
            StatusResponse(
                success=True,
                service=state.settings.service,
                version=state.version,
                status="degraded" if degraded else "operational",
                uptime_seconds=round(time.time() - state.started, 3),
                requests_total=self.metrics.requests_total(),
                cache=stats,
                cache_stats=stats,
                responder=state.responder_name,
                timestamp=state.timestamp(),
            )
        )

    # ---- the pipeline ------------------------------------------------------------------

    async def process(self, req: Request) -> Response:
        body = req.body
        slot = digest(body)
        hit = self.l1.get(slot)
        if hit is not None:
            self.metrics.observe_routing(hit.persona, hit.confidence)
            return Response(hit.body(req.request_id), headers=HIT_L1)
        try:
            parsed = decode(self.process_decoder, body)
            pin = to_input(self.pipeline, parsed)
        except HTTPError:
            self.l1.counters.misses -= 1  # a rejected body was never a cache lookup
            raise
        result, source = await self.answers.answer(parsed, pin, slot if parsed.use_cache else None)
        self.metrics.observe_routing(result.persona, result.confidence)
        headers = _CACHE_HEADERS[source] if parsed.use_cache else BYPASS
        return Response(result.body(req.request_id), headers=headers)

    async def process_v1(self, req: Request) -> Response:
        """The v1 shape the original promised: lenient key, {content, persona_used, confidence}."""
        slot = b"v1" + digest(req.body)
        hit = self.l1.get(slot)
        if hit is not None:
            self.metrics.observe_routing(hit[1], hit[2])
            return Response(hit[0], headers=HIT_L1)
        try:
            parsed = decode(self.v1_decoder, req.body)
            key = str(self.pipeline.parse_key(parsed.resonance_key, lenient=True))
            if not parsed.user_input.strip():
                raise empty("user_input")
            as_v2 = ProcessRequest(
                user_input=parsed.user_input, resonance_key=key, include_metadata=False
            )
            pin = to_input(self.pipeline, as_v2)
        except HTTPError:
            self.l1.counters.misses -= 1  # a rejected body was never a cache lookup
            raise
        result, source = await self.answers.answer(as_v2, pin, None, counted=True)
        body = _encode(V1ProcessResponse(result.content, result.persona, result.confidence))
        self.l1.set(slot, (body, result.persona, result.confidence), key=f"persona:{key}|v1")
        self.metrics.observe_routing(result.persona, result.confidence)
        return Response(body, headers=_CACHE_HEADERS[source])

    async def multi_persona(self, req: Request) -> Response:
        parsed = decode(self.multi_decoder, req.body)
        if not parsed.user_input.strip():
            raise empty("user_input")
        try:
            out = await self.pipeline.multi_persona(
                parsed.user_input, to_context(parsed.context), parsed.force_multi
            )
        except InvalidInput as exc:
            raise invalid(exc.field, exc.message, exc.valid_values or None) from None
        self.metrics.observe_pipeline("multi-persona", out.execution_time_ms / 1000.0)
        self.metrics.observe_routing(out.primary_persona, out.routing.confidence)
        return self._json(
            MultiPersonaResponse(
                success=True,
                content=out.content,
                confidence=out.routing.confidence,
                metadata={
                    "complexity": out.complexity,
                    "execution_mode": "concurrent" if out.multi else "single",
                    "merge_strategy": "concatenate",
                    "individual_personas": list(out.personas_used),
                    "reasoning": out.routing.reasoning,
                },
                persona_used=out.primary_persona,
                personas_used=list(out.personas_used),
                complexity=out.complexity,
                multi=out.multi,
                contributions=[
                    ContributionOut(
                        c.persona, list(c.aspects), c.content, c.generated, c.fallback_reason
                    )
                    for c in out.contributions
                ],
                resonance_key=out.resonance_key,
                routing=routing_out(out.routing),
                analysis=analysis_dict(out.analysis),
                generated=out.generated,
                responder=out.responder,
                fallback_reason=out.fallback_reason,
                performance=PerformanceOut(out.execution_time_ms, None, False, None),
                timestamp=self.state.timestamp(),
                request_id=req.request_id,
            )
        )

    async def recommend(self, req: Request) -> Response:
        parsed = decode(self.recommend_decoder, req.body)
        if not parsed.scenario.strip():
            raise empty("scenario", "Scenario")
        started = time.perf_counter()
        try:
            rec = self.pipeline.recommend(parsed.scenario, parsed.context)
        except InvalidInput as exc:
            field = exc.field if exc.field == "scenario" else f"context.{exc.field}"
            raise invalid(field, exc.message, exc.valid_values or None) from None
        self.metrics.observe_pipeline("recommend", time.perf_counter() - started)
        return self._json(
            RecommendResponse(
                success=True,
                recommended_persona=rec.persona,
                scores={name.capitalize(): v for name, v in rec.scores.items()},
                reasoning="Best persona for: " + "; ".join(rec.reasons),
                reasons=list(rec.reasons),
                matched_keywords={k: list(v) for k, v in rec.matched_keywords.items()},
                resonance_key=rec.resonance_key,
                capabilities=self.capabilities[rec.persona],
                timestamp=self.state.timestamp(),
                request_id=req.request_id,
            )
        )

    async def bulk(self, req: Request) -> Response:
        parsed = decode(self.bulk_decoder, req.body)
        if not parsed.requests:
            raise empty("requests", "The requests list")
        started = time.perf_counter()
        # Validate every item before doing any work: one bad item is a 422 naming it.
        inputs = [
            to_input(self.pipeline, r, f"requests[{i}]") for i, r in enumerate(parsed.requests)
        ]

        async def one(index: int) -> BulkItemOut:
            item = parsed.requests[index]
            try:
                result, _ = await self.answers.answer(item, inputs[index], None)
            except Exception as exc:  # one item failing must not sink the others
                self.state.report_exception(exc, f"{req.request_id}-{index}")
                return BulkItemOut(
                    index, False, error={"code": "PROCESS_ERROR", "message": str(exc)[:200]}
                )
            self.metrics.observe_routing(result.persona, result.confidence)
            item_id = f"{req.request_id}-{index}"
            decoded = self.item_decoder.decode(result.body(item_id))
            return BulkItemOut(
                index,
                True,
                result=decoded,
                content=decoded.content,
                persona_used=decoded.persona_used,
                resonance_key=decoded.resonance_key,
                confidence=decoded.confidence,
                request_id=item_id,
            )

        if parsed.parallel:
            results = list(await asyncio.gather(*(one(i) for i in range(len(inputs)))))
        else:
            results = [await one(i) for i in range(len(inputs))]
        elapsed = time.perf_counter() - started
        self.metrics.observe_pipeline("bulk-process", elapsed)
        ok = sum(1 for r in results if r.success)
        errors = [{"index": r.index, **r.error} for r in results if r.error] or None
        return self._json(
            BulkResponse(
                success=ok == len(results),
                total=len(results),
                successful=ok,
                failed=len(results) - ok,
                parallel=parsed.parallel,
                results=results,
                errors=errors,
                execution_time_ms=round(elapsed * 1000, 3),
                timestamp=self.state.timestamp(),
                request_id=req.request_id,
            )
        )

    # ---- personas ----------------------------------------------------------------------

    async def personas(self, req: Request) -> Response:
        listed = self.personas_list
        return self._json(PersonasResponse(True, len(listed), listed, self.state.timestamp()))

    async def persona(self, req: Request) -> Response:
        name = req.params.get("name", "")
        p = self.persona_by_name.get(name.lower())
        if p is None:
            error = not_found(
                f"unknown persona {name[:40]!r}", code="INVALID_PERSONA", field="name"
            )
            error.valid_values = self.persona_names
            raise error
        return self._json(
            PersonaResponse(
                True,
                p,
                p.name,
                p.traits,
                p.strengths,
                p.best_for_tones,
                p.best_for_paces,
                p.best_for_intents,
                self.state.timestamp(),
            )
        )

    # ---- cache -------------------------------------------------------------------------

    async def _cache_stats(self) -> CacheStatsResponse:
        cache = self.state.cache
        c1 = cache.l1.counters
        l1 = TierStatsOut(
            enabled=True,
            status="ok",
            hits=c1.hits,
            misses=c1.misses,
            hit_ratio=c1.hit_ratio,
            evictions=c1.evictions,
            size=len(cache.l1),
            max_size=cache.l1.max_items,
            ttl_seconds=cache.l1.ttl,
            errors=0,
            last_error=None,
        )
        l2_tier = cache.l2
        if l2_tier is None:
            l2 = TierStatsOut(False, "disabled", 0, 0, None, 0, None, None, 0.0, 0, None)
            l2_hits = 0
        else:
            c2 = l2_tier.counters
            l2_hits = c2.hits
            l2 = TierStatsOut(
                enabled=True,
                status="degraded" if l2_tier.degraded else "ok",
                hits=c2.hits,
                misses=c2.misses,
                hit_ratio=c2.hit_ratio,
                evictions=0,
                size=await l2_tier.size(),
                max_size=None,
                ttl_seconds=self.state.settings.serve.l2_response_ttl_seconds,
                errors=c2.errors,
                last_error=l2_tier.last_error,
            )
        lookups = c1.hits + c1.misses
        combined = (c1.hits + l2_hits) / lookups if lookups else None
        return CacheStatsResponse(
            True, l1, l2, combined, lookups, self.state.timestamp(), **self._legacy_stats(l2)
        )

    def _legacy_stats(self, l2: TierStatsOut) -> dict[str, Any]:
        """The original's cache statistics, from the same counters."""
        cache = self.state.cache
        c1 = cache.l1.counters
        process = self.metrics.pipeline.get("process")
        computed = process.count if process is not None else 0
        total_ms = process.sum * 1000.0 if process is not None else 0.0
        hits = c1.hits + l2.hits
        total = hits + computed
        entries = [
            {"key": key, "ttl": round(ttl, 1), "hit_count": None, "expired": ttl <= 0}
            for key, ttl in cache.l1.peek(10)
        ]
        return {
            "total_requests": total,
            "cache_hits": hits,
            "cache_misses": computed,
            "hit_rate": f"{hits / total * 100:.1f}%" if total else "0.0%",
            "avg_time_ms": f"{total_ms / computed:.1f}" if computed else "0.0",
            "total_time_ms": round(total_ms),
            "cache_details": {
                "l1": {
                    "cache_type": "L1 Local",
                    "size": len(cache.l1),
                    "max_size": cache.l1.max_items,
                    "hits": c1.hits,
                    "misses": c1.misses,
                    "hit_rate": f"{(c1.hit_ratio or 0.0) * 100:.1f}%",
                    "entries": entries,
                },
                "l2": {
                    "cache_type": "L2 Redis",
                    "available": l2.status == "ok",
                    "mode": "redis" if l2.enabled else "disabled",
                    "memory_used": f"{l2.size or 0} keys",
                },
                "total_hits": c1.hits + l2.hits,
                "total_misses": c1.misses,
            },
            "redis_cache": {
                "enabled": l2.enabled,
                "keyspace_hits": l2.hits,
                "keyspace_misses": l2.misses,
                "hit_rate": round((l2.hit_ratio or 0.0) * 100, 1),
                "keys_count": l2.size or 0,
            },
        }

    async def cache_stats(self, req: Request) -> Response:
        return self._json(await self._cache_stats())

    async def cache_clear(self, req: Request) -> Response:
        in_l1, in_l2 = await self.state.cache.clear()
        return self._json(
            CacheClearResponse(True, "Cache cleared", in_l1, in_l2, self.state.timestamp())
        )

    async def cache_invalidate(self, req: Request) -> Response:
        values = req.query().get("pattern")
        if not values or not values[0]:
            raise invalid("pattern", "pattern is required, e.g. ?pattern=persona:calm-*")
        pattern = values[0]
        if len(pattern) > MAX_PATTERN_CHARS or not pattern.isprintable():
            raise invalid(
                "pattern", f"pattern must be printable and at most {MAX_PATTERN_CHARS} characters"
            )
        in_l1, in_l2 = await self.state.cache.invalidate(pattern)
        return self._json(
            CacheInvalidateResponse(
                True, pattern, in_l1 + in_l2, in_l1, in_l2, self.state.timestamp()
            )
        )

    # ---- observability -----------------------------------------------------------------

    async def prometheus(self, req: Request) -> Response:
        return Response(
            self.metrics.exposition().encode(),
            content_type=b"text/plain; version=0.0.4; charset=utf-8",
        )

    async def history(self, req: Request) -> Response:
        state = self.state
        serve = state.settings.serve
        body = await history_response(
            state.history,
            self.metrics,
            req.query(),
            state.settings.service,
            serve.history_max_points,
        )
        return Response(body)

    def _json(self, obj: object) -> Response:
        return Response(_encode(obj))


def build_routes(state: ServiceState) -> list[Route]:
    """The route table, and what /openapi.json publishes about each route."""
    h = Handlers(state)
    m = state.metrics

    def route(
        template: str,
        method: str,
        handler: Handler,
        op: Operation,
        *,
        public: bool = False,
        limited: bool = True,
    ) -> Route:
        stats = m.route(template)
        methods = {method: handler}
        return Route(template, methods, stats, public, limited, operations={method.lower(): op})

    routes = [
        route("/", "GET", h.root,
              Operation("Where things are: docs, OpenAPI, health, metrics", s.RootResponse,
                        errors=(429,), tag="observability"),
              public=True),
        route("/api/v2/health", "GET", h.health,
              Operation("Liveness and dependencies (no API key needed)", s.HealthResponse,
                        errors=()),
              public=True, limited=False),
        route("/api/v2/status", "GET", h.status,
              Operation("Version, uptime, request count and cache statistics",
                        s.StatusResponse)),
        route("/api/v2/process", "POST", h.process,
              Operation("Route a message to a persona and answer it (cached)",
                        s.ProcessResponse, body=s.ProcessRequest)),
        route("/api/v2/chat/multi-persona", "POST", h.multi_persona,
              Operation("Answer with every persona the message needs", s.MultiPersonaResponse,
                        body=s.MultiPersonaRequest)),
        route("/api/v2/recommend", "POST", h.recommend,
              Operation("Recommend a persona for a scenario, with reasons", s.RecommendResponse,
                        body=s.RecommendRequest)),
        route("/api/v2/bulk-process", "POST", h.bulk,
              Operation("Process 1-100 requests, in order or concurrently", s.BulkResponse,
                        body=s.BulkRequest)),
        route("/api/v2/personas", "GET", h.personas,
              Operation("The four personas", s.PersonasResponse)),
        route("/api/v2/personas/{name}", "GET", h.persona,
              Operation("One persona by name (case-insensitive)", s.PersonaResponse,
                        errors=(401, 404, 429), params=NAME_PARAM)),
        route("/api/v2/cache-stats", "GET", h.cache_stats,
              Operation("Hits, misses, evictions and size per cache tier",
                        s.CacheStatsResponse)),
        route("/api/v2/cache/clear", "POST", h.cache_clear,
              Operation("Drop every cached entry (our Redis keys only)", s.CacheClearResponse,
                        errors=(401, 429, 503))),
        route("/api/v2/cache/invalidate", "POST", h.cache_invalidate,
              Operation("Drop entries matching a glob (SCAN, never KEYS)",
                        s.CacheInvalidateResponse, errors=(401, 422, 429, 503),
                        params=PATTERN_PARAM)),
        route("/api/persona/process", "POST", h.process_v1,
              Operation("The v1 route: lenient key parsing, the v1 shape", s.V1ProcessResponse,
                        body=s.V1ProcessRequest, tag="v1")),
        route("/api/v2/metrics/history", "GET", h.history,
              Operation("The service's own metric history (10 s steps)", s.HistoryResponse,
                        errors=(401, 422, 429), params=HISTORY_PARAMS, tag="observability")),
        route("/metrics", "GET", h.prometheus,
              Operation("Prometheus text exposition", None, errors=(401,),
                        tag="observability", content=TEXT),
              limited=False),
    ]  # fmt: skip
    # The document describes the table above; it and the docs page are not in it themselves.
    routes.append(openapi_route(m.route("/openapi.json"), state.settings.service, list(routes)))
    routes.append(docs_route(m.route("/docs")))
    return routes

"""The cached path of `POST /api/v2/process` (and of each bulk item and the v1 route).

Lookup order: the raw body's digest in L1 (identical bytes: one dict lookup, the stored
response is sent with only the request id appended), then the normalised logical key in
L1, then L2, then the pipeline. A logical key covers everything that changes the answer:
the pipeline's own cache-key parts (persona key, input, prompt mode, the user's id and
recent history) plus `include_metadata`, hashed, so two users' contexts never share an entry.
Answers that fell back from a failed responder are not cached: the model may be back soon.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import TYPE_CHECKING, Any

import msgspec

from ioncli.mentoring.models import (
    ChatContext,
    ChatMessage,
    InvalidInput,
    ProcessInput,
    ProcessOutput,
)
from ioncli.serve.errors import empty, invalid, now_iso
from ioncli.serve.schemas import (
    CacheTier,
    ContextIn,
    PerformanceOut,
    ProcessRequest,
    ProcessResponse,
    ResonanceKeyIn,
    RoutingOut,
)

if TYPE_CHECKING:
    from ioncli.mentoring.pipeline import MentoringPipeline
    from ioncli.serve.cache import TwoTierCache
    from ioncli.serve.history import HistoryStore
    from ioncli.serve.metrics import Metrics
    from ioncli.serve.sentry import SentryHooks

_encode = msgspec.json.Encoder().encode
_decode_stored = msgspec.json.Decoder(ProcessResponse).decode
MISS_TAIL = b'","_cache_status":"MISS"}'
HIT_TAIL = b'","_cache_status":"HIT"}'
# The original's intent spellings, read as ion's intents (the original normalised these too).
INTENT_ALIASES = {
    "seeking_advice": "seek_advice",
    "inquiry": "learning",
    "expressive": "learning",
    "statement": "learning",
}


class Answer:
    """One cached answer: the response body up to the request id, plus what metrics need."""

    __slots__ = ("confidence", "content", "persona", "prefix", "tail")

    def __init__(
        self, prefix: bytes, persona: str, confidence: float, content: str, tail: bytes = MISS_TAIL
    ) -> None:
        self.prefix = prefix
        self.persona = persona
        self.confidence = confidence
        self.content = content
        self.tail = tail

    def body(self, request_id: str) -> bytes:
        return self.prefix + request_id.encode() + self.tail

    def stored(self) -> bytes:
        """The form kept in L2 and in the warm-up table: the body with an empty request id."""
        return self.prefix + MISS_TAIL


def digest(body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=16).digest()


def _answer(response: ProcessResponse) -> Answer:
    encoded = _encode(response)
    # request_id is "" here and only the cache status follows it: cut both to get the prefix.
    assert encoded.endswith(MISS_TAIL)
    prefix = encoded[: -len(MISS_TAIL)]
    return Answer(prefix, response.persona_used, response.confidence, response.content)


_MISS_FLAGS = b'"cache_hit":false,"cache_tier":null}'


def _as_hit(answer: Answer, tier: bytes) -> Answer:
    """The same body marked as a cache hit: performance is the last object before request_id,
    so the last occurrence of the flags is ours (any in user text would be escaped)."""
    at = answer.prefix.rfind(_MISS_FLAGS)
    flags = b'"cache_hit":true,"cache_tier":"' + tier + b'"}'
    prefix = answer.prefix[:at] + flags + answer.prefix[at + len(_MISS_FLAGS) :]
    # metadata.cached is the last key of metadata, which comes before performance.
    cached = prefix.rfind(b'"cached":false}', 0, at)
    if cached >= 0:
        prefix = prefix[:cached] + b'"cached":true}' + prefix[cached + 15 :]
    return Answer(prefix, answer.persona, answer.confidence, answer.content, HIT_TAIL)


def _with_performance(
    response: ProcessResponse, tier: CacheTier | None, hit: bool
) -> ProcessResponse:
    old = response.performance
    perf = PerformanceOut(old.execution_time_ms, old.cache_key, hit, tier)
    return msgspec.structs.replace(response, performance=perf, request_id="")


def answer_from_stored(stored: bytes, tier: CacheTier) -> Answer:
    return _answer(_with_performance(_decode_stored(stored), tier, True))


def to_context(ctx: ContextIn | None) -> ChatContext | None:
    if ctx is None:
        return None
    return ChatContext(
        user_id=ctx.user_id,
        session_id=ctx.session_id,
        message_history=tuple(ChatMessage(m.role, m.content) for m in ctx.message_history),
        custom_context={k: "" if v is None else str(v) for k, v in ctx.metadata.items()},
    )


def key_string(
    pipeline: MentoringPipeline, raw: ResonanceKeyIn | str | None, field: str
) -> str | None:
    """The request's key as `tone-pace-intent`; None: derive from text. Case is forgiven and
    the original's intent spellings are read as ion's; anything else unknown is a 422."""
    if raw is None:
        return None
    try:
        if isinstance(raw, ResonanceKeyIn):
            return str(pipeline.make_key(raw.tone, raw.pace, _intent(raw.intent)))
        parts = raw.strip().split("-", 2)
        if len(parts) == 3:
            parts[2] = _intent(parts[2])
        return str(pipeline.parse_key("-".join(parts)))
    except InvalidInput as exc:
        sub = exc.field if exc.field and exc.field != "resonance_key" else ""
        name = f"{field}.{sub}" if sub else field
        raise invalid(name, exc.message, exc.valid_values or None) from None


def _intent(raw: str) -> str:
    spelled = raw.strip().lower().replace("-", "_")
    return INTENT_ALIASES.get(spelled, spelled)


def given_key(raw: ResonanceKeyIn | str | None) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, ResonanceKeyIn):
        return f"{raw.tone}-{raw.pace}-{raw.intent}"
    return raw


def to_input(pipeline: MentoringPipeline, req: ProcessRequest, field: str = "") -> ProcessInput:
    where = f"{field}." if field else ""
    if not req.user_input.strip():
        raise empty(f"{where}user_input")
    return ProcessInput(
        user_input=req.user_input,
        resonance_key=key_string(pipeline, req.resonance_key, f"{where}resonance_key"),
        context=to_context(req.context),
        prompt_mode=req.prompt_mode or "standard",
        include_metadata=req.include_metadata,
    )


def logical_key(pipeline: MentoringPipeline, pin: ProcessInput, given: str | None = None) -> str:
    """`persona:<key or derived>|input:<md5 of the input, 8 hex>|v:<digest of the rest>`: the
    original's key format (so its invalidation patterns work), made unique by a digest of
    everything else that changes the answer (context, mode, metadata, the key as spelled)."""
    parts = pipeline.cache_key_parts(pin)
    ctx = pin.context
    # How many metadata pairs and history messages the context fingerprint covers: without
    # them {"user": "hi"} as metadata and a message ("user", "hi") digest alike.
    shape = f"{len(ctx.custom_context)}/{len(ctx.message_history)}" if ctx is not None else "-"
    meta = "meta" if pin.include_metadata else "nometa"
    text = "\x1f".join((*parts, meta, shape, given or ""))
    label = pin.resonance_key or "derived"
    short = hashlib.md5(pin.user_input.encode(), usedforsecurity=False).hexdigest()[:8]
    digest = hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
    return f"persona:{label}|input:{short}|v:{digest}"


def response_of(
    out: ProcessOutput,
    pin: ProcessInput,
    req: ProcessRequest,
    key: str | None,
    timestamp: str,
) -> ProcessResponse:
    routing = out.routing
    metadata: dict[str, Any] | None = None
    if pin.include_metadata:
        # The pipeline's metadata (key source, scores, analysis), then the original's fields;
        # `cached` stays last: a cache hit flips it in the encoded body.
        metadata = dict(out.metadata)
        given = given_key(req.resonance_key)
        if given is not None and given != out.resonance_key:
            metadata["resonance_key_given"] = given
        metadata["routing_result"] = {
            "secondary_persona": routing.secondary,
            "all_scores": {name.capitalize(): v for name, v in routing.scores.items()},
            "reasoning": routing.reasoning,
        }
        metadata["cache_key"] = key
        metadata["user_provided_metadata"] = (
            dict(req.context.metadata) if req.context is not None else {}
        )
        metadata["prompt_mode"] = req.prompt_mode or "default"
        metadata["cached"] = False
    return ProcessResponse(
        success=True,
        content=out.content,
        persona_used=out.persona_used,
        resonance_key=out.resonance_key,
        confidence=out.confidence,
        generated=out.generated,
        responder=out.responder,
        fallback_reason=out.fallback_reason,
        routing=RoutingOut(
            primary_persona=routing.primary,
            secondary_persona=routing.secondary,
            confidence=routing.confidence,
            scores=dict(routing.scores),
            reasoning=routing.reasoning,
        ),
        performance=PerformanceOut(round(out.execution_time_ms, 3), key, False, None),
        metadata=metadata,
        timestamp=timestamp,
        request_id="",
    )


class CachedAnswers:
    """The cached path, with the parts of the service it uses; built once per app."""

    def __init__(
        self,
        pipeline: MentoringPipeline,
        cache: TwoTierCache,
        metrics: Metrics,
        l2_ttl_seconds: float,
    ) -> None:
        self.pipeline = pipeline
        self.cache = cache
        self.metrics = metrics
        self.l2_ttl_seconds = l2_ttl_seconds
        self.sentry: SentryHooks | None = None  # set when the service starts

    async def answer(
        self,
        req: ProcessRequest,
        pin: ProcessInput,
        slot: bytes | None,
        *,
        counted: bool = False,
    ) -> tuple[Answer, str]:
        """The answer and where it came from: "l1", "l2" or "miss" (computed now)."""
        l1 = self.cache.l1
        key = logical_key(self.pipeline, pin, given_key(req.resonance_key)) if req.use_cache else ""
        if req.use_cache:
            # A raw-body lookup already counted this request's miss: a hit here replaces it.
            entry = l1.get_again(key) if counted or slot is not None else l1.get(key)
            if entry is not None:
                if slot is not None:
                    l1.set(slot, entry, key=key)
                return entry, "l1"
            l2 = self.cache.l2
            if l2 is not None:
                stored = await l2.get(key)
                if stored is not None:
                    try:
                        hit = answer_from_stored(stored, "l2")
                    except (msgspec.DecodeError, msgspec.ValidationError):
                        hit = None  # written by another version: recompute and overwrite
                    if hit is not None:
                        keep = answer_from_stored(stored, "l1")
                        l1.set(key, keep, key=key)
                        if slot is not None:
                            l1.set(slot, keep, key=key)
                        return hit, "l2"
        out = await self.pipeline.process(pin)
        self.metrics.observe_pipeline("process", out.execution_time_ms / 1000.0)
        response = response_of(out, pin, req, key or None, now_iso())
        sentry = self.sentry
        if sentry is not None and sentry.sampled():
            user_id = pin.context.user_id if pin.context else None
            sentry.persona_process(
                out.persona_used, out.resonance_key, out.confidence, out.execution_time_ms, False,
                user_id=user_id,
            )  # fmt: skip
            r = out.routing
            sentry.routing_decision(
                r.primary, r.secondary, r.confidence, r.scores, out.resonance_key
            )
        fresh = _answer(response)
        if req.use_cache and out.fallback_reason is None:
            keep = _as_hit(fresh, b"l1")
            l1.set(key, keep, key=key)
            if slot is not None:
                l1.set(slot, keep, key=key)
            if self.cache.l2 is not None:
                self.cache.l2.set_later(key, fresh.stored(), self.l2_ttl_seconds)
        return fresh, "miss"

    def hot_entries(self, limit: int) -> list[tuple[str, bytes]]:
        """The most recently used answers, for the warm-up table."""
        out: list[tuple[str, bytes]] = []
        for key, value in self.cache.l1.hottest():
            if isinstance(value, Answer) and key.startswith("persona:"):
                out.append((key, value.stored()))
                if len(out) >= limit:
                    break
        return out

    async def warm_up(self, store: HistoryStore, limit: int) -> int:
        """Load the answers that were hottest at the last shutdown into L1 (and L2 if
        missing)."""
        loaded = 0
        for key, stored in await asyncio.to_thread(store.load_hot, limit):
            try:
                entry = answer_from_stored(stored, "l1")
            except (msgspec.DecodeError, msgspec.ValidationError):
                continue
            self.cache.l1.set(key, entry, key=key)
            if self.cache.l2 is not None:
                self.cache.l2.set_later(key, stored, self.l2_ttl_seconds)
            loaded += 1
        return loaded

"""MentoringPipeline: parse or derive the key, route, build the persona prompt, get the answer.

The one object the HTTP service holds. Routing is a table lookup, prompts are compiled
templates, the analyzer is a handful of dictionary lookups; the only slow part can be the
responder, and only when a real model is configured.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from typing import Any

from ioncli.mentoring import analyzer, router
from ioncli.mentoring.models import (
    PROMPT_MODES,
    ChatContext,
    InvalidInput,
    MultiPersonaOutput,
    Persona,
    ProcessInput,
    ProcessOutput,
    Recommendation,
    ResonanceKey,
    RoutingResult,
    TextAnalysis,
)
from ioncli.mentoring.multi import answer_multi
from ioncli.mentoring.personas import PERSONAS, get_persona
from ioncli.mentoring.prompts import STANDARD_HISTORY, PromptFactory
from ioncli.mentoring.recommend import recommend as recommend_persona
from ioncli.mentoring.responder import OfflineResponder, Responder, answer_safely


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def _checked_input(request: ProcessInput) -> str:
    """The input as the pipeline uses it (surrounding space dropped), or InvalidInput."""
    user_input = request.user_input.strip()
    if not user_input:
        raise InvalidInput("user_input", "must not be empty")
    if request.prompt_mode not in PROMPT_MODES:
        raise InvalidInput(
            "prompt_mode", f"unknown prompt mode {request.prompt_mode!r}", PROMPT_MODES
        )
    return user_input


def context_fingerprint(context: ChatContext | None) -> str:
    """A digest of everything in a context that can reach a prompt ("-" when there is none).

    Fields are length-prefixed so that no two different contexts share a canonical string.
    """
    if context is None:
        return "-"
    parts: list[str] = [
        context.user_id or "",
        context.session_id or "",
        context.persona_preference or "",
    ]
    for name in sorted(context.custom_context):
        parts += (name, context.custom_context[name])
    for message in context.recent(STANDARD_HISTORY):
        parts += (message.role, message.content)
    return _digest("".join(f"{len(p)}:{p}" for p in parts))


class MentoringPipeline:
    """Routes a message to one of the four personas and produces that persona's answer."""

    def __init__(self, responder: Responder | None = None) -> None:
        self.responder: Responder = responder if responder is not None else OfflineResponder()
        self.prompts = PromptFactory()
        self.prompts.warm()

    # -- personas and keys -------------------------------------------------------------

    def personas(self) -> list[Persona]:
        return list(PERSONAS)

    def persona(self, name: str) -> Persona | None:
        return get_persona(name)

    def parse_key(self, key: str, *, lenient: bool = False) -> ResonanceKey:
        """Strict: raise InvalidInput naming the bad part. Lenient: the original's fall-backs."""
        return router.parse_lenient(key) if lenient else router.parse_strict(key)

    def make_key(self, tone: str, pace: str, intent: str) -> ResonanceKey:
        """Strict key from separate fields (the v2 request shape)."""
        return router.make_key(tone, pace, intent)

    def route(self, key: ResonanceKey) -> RoutingResult:
        return router.route(key)

    def analyze(self, text: str) -> TextAnalysis:
        return analyzer.analyze(text)

    def build_prompt(
        self,
        persona: str,
        user_input: str,
        key: ResonanceKey,
        context: ChatContext | None,
        mode: str = "standard",
    ) -> str:
        return self.prompts.create(persona).build(user_input, key, context, mode).text

    # -- answers -----------------------------------------------------------------------

    async def process(self, request: ProcessInput) -> ProcessOutput:
        started = time.perf_counter()
        user_input = _checked_input(request)
        analysis: TextAnalysis | None = None
        if request.resonance_key is None:
            analysis = analyzer.analyze(user_input)
            key = analysis.key
        else:
            key = router.parse_strict(request.resonance_key)
        routing = router.route(key)
        prompt = self.prompts.create(routing.primary).build(
            user_input, key, request.context, request.prompt_mode
        )
        answer = await answer_safely(self.responder, prompt, user_input)
        metadata: dict[str, Any] = {}
        if request.include_metadata:
            metadata = {
                "key_source": "derived" if analysis is not None else "provided",
                "prompt_mode": request.prompt_mode,
                "secondary_persona": routing.secondary,
                "all_scores": dict(routing.scores),
                "reasoning": routing.reasoning,
            }
            if analysis is not None:
                metadata["analysis"] = analysis_dict(analysis)
            if answer.model:
                metadata["model"] = answer.model
        return ProcessOutput(
            content=answer.content,
            persona_used=routing.primary,
            resonance_key=str(key),
            routing=routing,
            confidence=routing.confidence,
            generated=answer.generated,
            responder=answer.responder,
            fallback_reason=answer.fallback_reason,
            prompt_mode=request.prompt_mode,
            key_source="derived" if analysis is not None else "provided",
            analysis=analysis,
            metadata=metadata,
            execution_time_ms=round((time.perf_counter() - started) * 1000, 3),
        )

    async def multi_persona(
        self, user_input: str, context: ChatContext | None = None, force_multi: bool = False
    ) -> MultiPersonaOutput:
        return await answer_multi(self.prompts, self.responder, user_input, context, force_multi)

    def recommend(self, scenario: str, context: Mapping[str, str] | None = None) -> Recommendation:
        return recommend_persona(scenario, context)

    def cache_key_parts(self, request: ProcessInput) -> tuple[str, ...]:
        """Normalised parts for the response cache; raises InvalidInput like process() would.

        Shape (the original service's): ("persona", key or "auto", "mode:<m>", "input:<digest>",
        "ctx:<digest>", "meta:<0|1>"). "auto" means the key is derived from the input, which
        the input digest already covers, so no analysis is needed to compute a cache key.
        """
        user_input = _checked_input(request)
        key = (
            "auto"
            if request.resonance_key is None
            else str(router.parse_strict(request.resonance_key))
        )
        return (
            "persona",
            key,
            f"mode:{request.prompt_mode}",
            f"input:{_digest(user_input)}",
            f"ctx:{context_fingerprint(request.context)}",
            f"meta:{int(request.include_metadata)}",
        )

    async def aclose(self) -> None:
        await self.responder.aclose()


def analysis_dict(analysis: TextAnalysis) -> dict[str, Any]:
    return {
        "tone": analysis.tone.value,
        "pace": analysis.pace.value,
        "intent": analysis.intent.value,
        "tone_confidence": analysis.tone_confidence,
        "language": analysis.language,
        "sentence_count": analysis.sentence_count,
        "avg_sentence_length": analysis.avg_sentence_length,
        "punctuation_density": analysis.punctuation_density,
        "question_ratio": analysis.question_ratio,
        "exclamation_ratio": analysis.exclamation_ratio,
        "matched_keywords": {k: list(v) for k, v in analysis.matched_keywords.items()},
        "pace_reason": analysis.pace_reason,
    }


__all__ = ["InvalidInput", "MentoringPipeline", "analysis_dict", "context_fingerprint"]

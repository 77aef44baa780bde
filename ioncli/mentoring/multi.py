"""Multi-persona answers: a message that touches several personas' strengths gets a part from each.

Each persona whose strength keywords appear in the message takes part (in order of hits, then
Lua, Elro, Riri, Nana). Complexity is simple / moderate / complex for 0-1 / 2 / 3+ personas.
With one, that persona answers alone; with none, the router's pick does; `force_multi` adds the
router's primary and secondary until two take part. Contributions are requested concurrently.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from ioncli.mentoring import analyzer, router
from ioncli.mentoring.models import (
    PERSONA_NAMES,
    ChatContext,
    Complexity,
    InvalidInput,
    MultiPersonaOutput,
    PersonaContribution,
)
from ioncli.mentoring.personas import get_persona
from ioncli.mentoring.recommend import strength_hits
from ioncli.mentoring.responder import Responder, answer_safely

if TYPE_CHECKING:
    from ioncli.mentoring.prompts import PromptFactory


def _complexity(aspect_count: int) -> Complexity:
    return "simple" if aspect_count <= 1 else "moderate" if aspect_count == 2 else "complex"


async def answer_multi(
    prompts: PromptFactory,
    responder: Responder,
    user_input: str,
    context: ChatContext | None,
    force_multi: bool,
) -> MultiPersonaOutput:
    started = time.perf_counter()
    text = user_input.strip()
    if not text:
        raise InvalidInput("user_input", "must not be empty")
    analysis = analyzer.analyze(text)
    routing = router.route(analysis.key)
    hits = strength_hits(text.lower())
    with_aspects = sorted(
        (n for n in PERSONA_NAMES if hits.get(n)),
        key=lambda n: (-len(hits[n]), PERSONA_NAMES.index(n)),
    )
    multi = len(with_aspects) >= 2 or force_multi
    if not multi:
        # One named strength: that persona; none: the router's pick.
        participants = with_aspects[:1] or [routing.primary]
    else:
        participants = list(with_aspects)
        for name in (routing.primary, routing.secondary):
            if len(participants) >= 2:
                break
            if name not in participants:
                participants.append(name)
    primary = routing.primary if routing.primary in participants else participants[0]

    built = [
        prompts.create(name).build(text, analysis.key, context, "standard") for name in participants
    ]
    answers = await asyncio.gather(*(answer_safely(responder, p, text) for p in built))
    contributions = tuple(
        PersonaContribution(
            persona=name,
            aspects=tuple(hits.get(name, ())),
            content=answer.content,
            generated=answer.generated,
            fallback_reason=answer.fallback_reason,
        )
        for name, answer in zip(participants, answers, strict=True)
    )
    if len(contributions) == 1:
        content = contributions[0].content
    else:
        sections = []
        for c in contributions:
            persona = get_persona(c.persona)
            title = f"{c.persona} ({persona.korean_name})" if persona else c.persona
            sections.append(f"### {title}\n\n{c.content}")
        content = "\n\n".join(sections)
    reasons = [a.fallback_reason for a in answers if a.fallback_reason]
    return MultiPersonaOutput(
        content=content,
        personas_used=tuple(participants),
        primary_persona=primary,
        complexity=_complexity(len(with_aspects)),
        multi=len(participants) > 1,
        contributions=contributions,
        resonance_key=str(analysis.key),
        analysis=analysis,
        routing=routing,
        generated=all(a.generated for a in answers),
        responder=answers[0].responder if len({a.responder for a in answers}) == 1 else "mixed",
        fallback_reason=reasons[0] if reasons else None,
        execution_time_ms=round((time.perf_counter() - started) * 1000, 3),
    )

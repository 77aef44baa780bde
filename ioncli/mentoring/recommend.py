"""Scenario text -> the best persona, with every persona's score and the reasons.

score = 0.6 · strength match + 0.4 · routing affinity, where strength match = min(1, hits / 3)
over the persona's strength keywords (English and Korean) and routing affinity is the
router's score for the key the analyzer reads from the scenario. Context values count as
scenario text, except `tone`, `pace` and `intent`, which override the derived key (strictly).
Ties go to the persona earlier in Lua, Elro, Riri, Nana.
"""

from __future__ import annotations

from collections.abc import Mapping

from ioncli.mentoring import analyzer, router
from ioncli.mentoring.lexicon import PERSONA_KEYWORDS
from ioncli.mentoring.matcher import Lexicon
from ioncli.mentoring.models import PERSONA_NAMES, InvalidInput, Recommendation
from ioncli.mentoring.personas import get_persona

STRENGTH_WEIGHT = 0.6
AFFINITY_WEIGHT = 0.4
HITS_FOR_FULL_MATCH = 3

STRENGTHS = Lexicon(PERSONA_KEYWORDS)
_KEY_FIELDS = ("tone", "pace", "intent")


def strength_hits(lower_text: str) -> dict[str, list[str]]:
    """Persona name -> strength keywords found in the (lower-cased) text."""
    return STRENGTHS.match(lower_text)


def recommend(scenario: str, context: Mapping[str, str] | None = None) -> Recommendation:
    text = scenario.strip()
    if not text:
        raise InvalidInput("scenario", "must not be empty")
    context = context or {}
    analysis = analyzer.analyze(text)
    key = analysis.key
    if any(context.get(f) for f in _KEY_FIELDS):
        key = router.make_key(
            context.get("tone") or key.tone.value,
            context.get("pace") or key.pace.value,
            context.get("intent") or key.intent.value,
        )
    routing = router.route(key)
    extra = " ".join(v for k, v in sorted(context.items()) if k not in _KEY_FIELDS)
    hits = strength_hits(f"{text} {extra}".lower())

    scores: dict[str, float] = {}
    for name in PERSONA_NAMES:
        match = min(1.0, len(hits.get(name, ())) / HITS_FOR_FULL_MATCH)
        affinity = routing.scores[name.lower()]
        scores[name.lower()] = round(STRENGTH_WEIGHT * match + AFFINITY_WEIGHT * affinity, 4)
    best = max(PERSONA_NAMES, key=lambda n: scores[n.lower()])  # max keeps the first on ties
    persona = get_persona(best)
    assert persona is not None

    reasons: list[str] = []
    found = hits.get(best, [])
    if found:
        reasons.append(f"the scenario names {len(found)} of {best}'s strengths: {', '.join(found)}")
    else:
        reasons.append(f"no persona's strength keywords decide it; {best} fits the message best")
    reasons.append(
        f"the message reads as {key} ({'from context' if key != analysis.key else 'derived'}), "
        f"for which {best}'s routing affinity is {routing.scores[best.lower()]:.2f}"
        f" (router's pick: {routing.primary})"
    )
    runner_up = sorted(PERSONA_NAMES, key=lambda n: -scores[n.lower()])[1]
    if scores[runner_up.lower()] == scores[best.lower()]:
        reasons.append(f"tied with {runner_up}; ties go to the earlier of Lua, Elro, Riri, Nana")
    else:
        reasons.append(
            f"{best} {scores[best.lower()]:.2f} ahead of "
            f"{runner_up} {scores[runner_up.lower()]:.2f}"
        )
    return Recommendation(
        persona=best,
        scores=scores,
        reasons=tuple(reasons),
        matched_keywords={n.lower(): tuple(hits.get(n, ())) for n in PERSONA_NAMES},
        resonance_key=str(key),
        capabilities=persona.strengths,
    )

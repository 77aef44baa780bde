"""Resonance-key parsing and routing: 0.5·tone + 0.3·pace + 0.2·intent over the affinity table.

All 216 results are computed once at import; `route()` is a dictionary lookup.

Tie order: scores are rounded to 6 decimals (so 0.1 + 0.2 style float noise never decides a
tie) and sorted descending with a stable sort over Lua, Elro, Riri, Nana, so an exact tie goes
to the persona earlier in that list, as in the original router.
"""

from __future__ import annotations

from itertools import product

from ioncli.mentoring.affinity import (
    INTENT_AFFINITY,
    PACE_AFFINITY,
    TONE_AFFINITY,
    WEIGHT_INTENT,
    WEIGHT_PACE,
    WEIGHT_TONE,
)
from ioncli.mentoring.models import (
    DEFAULT_KEY,
    PERSONA_NAMES,
    Intent,
    InvalidInput,
    Pace,
    ResonanceKey,
    RoutingResult,
    Tone,
)

TONES = tuple(t.value for t in Tone)
PACES = tuple(p.value for p in Pace)
INTENTS = tuple(i.value for i in Intent)


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def _compute(key: ResonanceKey) -> RoutingResult:
    tone_row = TONE_AFFINITY[key.tone]
    pace_row = PACE_AFFINITY[key.pace]
    intent_row = INTENT_AFFINITY[key.intent]
    scores = [
        round(
            _clamp(
                WEIGHT_TONE * tone_row[i]
                + WEIGHT_PACE * pace_row[i]
                + WEIGHT_INTENT * intent_row[i]
            ),
            6,
        )
        for i in range(len(PERSONA_NAMES))
    ]
    order = sorted(range(len(PERSONA_NAMES)), key=lambda i: -scores[i])  # stable: tie order
    top, second = order[0], order[1]
    confidence = round(_clamp(0.3 * (scores[top] - scores[second]) + 0.7 * scores[top]), 6)
    primary, secondary = PERSONA_NAMES[top], PERSONA_NAMES[second]
    reasoning = (
        f"tone {key.tone.value}, pace {key.pace.value}, intent {key.intent.value}: "
        f"{primary} scores {scores[top]:.2f} (tone {tone_row[top]:.1f}, pace {pace_row[top]:.1f}, "
        f"intent {intent_row[top]:.1f}); runner-up {secondary} {scores[second]:.2f}"
    )
    if scores[top] == scores[second]:
        reasoning += f" (tie broken by the fixed order {', '.join(PERSONA_NAMES)})"
    return RoutingResult(
        key=key,
        primary=primary,
        secondary=secondary,
        confidence=confidence,
        secondary_confidence=scores[second],
        scores={n.lower(): s for n, s in zip(PERSONA_NAMES, scores, strict=True)},
        reasoning=reasoning,
    )


ALL_KEYS: tuple[ResonanceKey, ...] = tuple(
    ResonanceKey(t, p, i) for t, p, i in product(Tone, Pace, Intent)
)
_TABLE: dict[ResonanceKey, RoutingResult] = {k: _compute(k) for k in ALL_KEYS}


def route(key: ResonanceKey) -> RoutingResult:
    return _TABLE[key]


def make_key(tone: str, pace: str, intent: str) -> ResonanceKey:
    """Strict: each part must name a valid value (case and `-`/`_` in the intent are forgiven)."""
    t = tone.strip().lower()
    p = pace.strip().lower()
    i = intent.strip().lower().replace("-", "_")
    if t not in TONES:
        raise InvalidInput("tone", f"unknown tone {tone!r}", TONES)
    if p not in PACES:
        raise InvalidInput("pace", f"unknown pace {pace!r}", PACES)
    if i not in INTENTS:
        raise InvalidInput("intent", f"unknown intent {intent!r}", INTENTS)
    return ResonanceKey(Tone(t), Pace(p), Intent(i))


# Strict parses of strings seen before; bounded so unique garbage cannot grow it.
_PARSED: dict[str, ResonanceKey] = {}
_PARSED_LIMIT = 4096


def parse_strict(raw: str) -> ResonanceKey:
    found = _PARSED.get(raw)
    if found is not None:
        return found
    parts = raw.strip().split("-", 2)
    if len(parts) != 3 or not all(parts):
        raise InvalidInput(
            "resonance_key",
            f"resonance key {raw!r} is not tone-pace-intent (e.g. calm-medium-learning)",
            (),
        )
    key = make_key(*parts)
    if len(_PARSED) < _PARSED_LIMIT:
        _PARSED[raw] = key
    return key


_INTENT_FALLBACKS: tuple[tuple[tuple[str, ...], Intent], ...] = (
    (("seek", "advice"), Intent.SEEK_ADVICE),
    (("problem", "solving"), Intent.PROBLEM_SOLVING),
    (("learning",), Intent.LEARNING),
    (("validation",), Intent.VALIDATION),
    (("validate",), Intent.VALIDATION),
    (("planning",), Intent.PLANNING),
    (("plan",), Intent.PLANNING),
    (("reflection",), Intent.REFLECTION),
    (("reflect",), Intent.REFLECTION),
)


def parse_lenient(raw: str) -> ResonanceKey:
    """The original's forgiving parse (kept for the v1 route): never raises.

    Fewer than 3 parts or an unknown tone/pace gives calm-medium-learning; an unknown intent
    is matched by substrings (seek+advice, problem+solving, learning, validat-, plan-, reflect-),
    else learning.
    """
    parts = raw.strip().lower().split("-")
    if len(parts) < 3 or parts[0] not in TONES or parts[1] not in PACES:
        return DEFAULT_KEY
    intent_raw = "_".join(parts[2:])
    if intent_raw in INTENTS:
        intent = Intent(intent_raw)
    else:
        intent = Intent.LEARNING
        for needles, candidate in _INTENT_FALLBACKS:
            if all(n in intent_raw for n in needles):
                intent = candidate
                break
    return ResonanceKey(Tone(parts[0]), Pace(parts[1]), intent)

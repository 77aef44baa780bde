"""The router's 76 affinity values (36 tone + 16 pace + 24 intent), as the original had them.

Each row lists a value's affinity for the four personas in the order Lua, Elro, Riri, Nana.
"""

from __future__ import annotations

from ioncli.mentoring.models import PERSONA_NAMES, Intent, Pace, Tone

TONE_AFFINITY: dict[Tone, tuple[float, float, float, float]] = {
    Tone.FRUSTRATED: (1.0, 0.4, 0.6, 0.5),
    Tone.PLAYFUL: (1.0, 0.3, 0.4, 0.7),
    Tone.ANXIOUS: (1.0, 0.5, 0.6, 0.7),
    Tone.ANALYTICAL: (0.3, 1.0, 1.0, 0.5),
    Tone.CALM: (0.6, 1.0, 1.0, 0.7),
    Tone.CURIOUS: (0.7, 1.0, 0.9, 0.8),
    Tone.URGENT: (0.5, 0.8, 0.6, 1.0),
    Tone.CONFUSED: (0.8, 0.6, 0.7, 1.0),
    Tone.COLLABORATIVE: (0.6, 0.5, 0.7, 1.0),
}

PACE_AFFINITY: dict[Pace, tuple[float, float, float, float]] = {
    Pace.BURST: (1.0, 0.4, 0.5, 0.6),
    Pace.FLOWING: (1.0, 0.8, 0.9, 0.9),
    Pace.CONTEMPLATIVE: (0.9, 0.7, 1.0, 0.8),
    Pace.MEDIUM: (0.8, 1.0, 1.0, 1.0),
}

INTENT_AFFINITY: dict[Intent, tuple[float, float, float, float]] = {
    Intent.SEEK_ADVICE: (1.0, 0.6, 0.7, 0.8),
    Intent.PROBLEM_SOLVING: (0.7, 1.0, 0.9, 0.8),
    Intent.LEARNING: (0.6, 1.0, 0.9, 0.7),
    Intent.VALIDATION: (0.8, 0.7, 1.0, 0.9),
    Intent.PLANNING: (0.5, 0.8, 0.9, 1.0),
    Intent.REFLECTION: (1.0, 0.4, 0.7, 0.6),
}

WEIGHT_TONE = 0.5
WEIGHT_PACE = 0.3
WEIGHT_INTENT = 0.2

# A value is in a persona's "best for" list when its affinity reaches this.
BEST_FOR_THRESHOLD = 0.8


def persona_index(name: str) -> int:
    return PERSONA_NAMES.index(name)


def value_count() -> int:
    """How many affinity values the tables hold (76)."""
    return sum(
        len(row)
        for table in (TONE_AFFINITY, PACE_AFFINITY, INTENT_AFFINITY)
        for row in table.values()
    )

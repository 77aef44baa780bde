"""The router against the reference: its 76 affinity values and what they give over all 216 keys."""

from __future__ import annotations

from collections import Counter
from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ioncli.mentoring import MentoringPipeline
from ioncli.mentoring.affinity import value_count
from ioncli.mentoring.models import DEFAULT_KEY, InvalidInput
from ioncli.mentoring.router import ALL_KEYS, INTENTS, PACES, TONES

# The original service's affinity tables, typed in again here on purpose: the test
# recomputes the routing independently of ioncli.mentoring.affinity. Order Lua, Elro, Riri, Nana.
TONE = {
    "frustrated": (1.0, 0.4, 0.6, 0.5),
    "playful": (1.0, 0.3, 0.4, 0.7),
    "anxious": (1.0, 0.5, 0.6, 0.7),
    "analytical": (0.3, 1.0, 1.0, 0.5),
    "calm": (0.6, 1.0, 1.0, 0.7),
    "curious": (0.7, 1.0, 0.9, 0.8),
    "urgent": (0.5, 0.8, 0.6, 1.0),
    "confused": (0.8, 0.6, 0.7, 1.0),
    "collaborative": (0.6, 0.5, 0.7, 1.0),
}
PACE = {
    "burst": (1.0, 0.4, 0.5, 0.6),
    "flowing": (1.0, 0.8, 0.9, 0.9),
    "contemplative": (0.9, 0.7, 1.0, 0.8),
    "medium": (0.8, 1.0, 1.0, 1.0),
}
INTENT = {
    "seek_advice": (1.0, 0.6, 0.7, 0.8),
    "problem_solving": (0.7, 1.0, 0.9, 0.8),
    "learning": (0.6, 1.0, 0.9, 0.7),
    "validation": (0.8, 0.7, 1.0, 0.9),
    "planning": (0.5, 0.8, 0.9, 1.0),
    "reflection": (1.0, 0.4, 0.7, 0.6),
}
NAMES = ("Lua", "Elro", "Riri", "Nana")


def expected(tone: str, pace: str, intent: str) -> tuple[str, str, float, list[float]]:
    scores = [
        round(0.5 * TONE[tone][i] + 0.3 * PACE[pace][i] + 0.2 * INTENT[intent][i], 6)
        for i in range(4)
    ]
    order = sorted(range(4), key=lambda i: -scores[i])
    top, second = scores[order[0]], scores[order[1]]
    confidence = min(1.0, max(0.0, 0.3 * (top - second) + 0.7 * top))
    return NAMES[order[0]], NAMES[order[1]], confidence, scores


pipeline = MentoringPipeline()


def test_the_tables_hold_76_values() -> None:
    assert value_count() == 76
    assert len(ALL_KEYS) == 216 == len(set(ALL_KEYS))


def test_every_key_routes_as_the_reference_computes() -> None:
    for tone, pace, intent in product(TONE, PACE, INTENT):
        result = pipeline.route(pipeline.parse_key(f"{tone}-{pace}-{intent}"))
        primary, secondary, confidence, scores = expected(tone, pace, intent)
        assert result.primary == primary, (tone, pace, intent)
        assert result.secondary == secondary, (tone, pace, intent)
        assert result.confidence == pytest.approx(confidence, abs=1e-6)
        assert [result.scores[n.lower()] for n in NAMES] == pytest.approx(scores, abs=1e-6)
        assert result.secondary_confidence == pytest.approx(sorted(scores)[-2], abs=1e-6)


def test_primary_counts_confidence_range_and_ties_match_the_reference() -> None:
    results = [pipeline.route(k) for k in ALL_KEYS]
    assert Counter(r.primary for r in results) == {"Lua": 83, "Nana": 66, "Riri": 52, "Elro": 15}
    confidences = [r.confidence for r in results]
    assert min(confidences) == pytest.approx(0.546, abs=5e-4)
    assert max(confidences) == pytest.approx(0.823, abs=5e-4)
    ties = [r for r in results if r.scores[r.primary.lower()] == r.secondary_confidence]
    assert len(ties) == 7
    for r in ties:  # the earlier persona in Lua, Elro, Riri, Nana wins
        assert NAMES.index(r.primary) < NAMES.index(r.secondary)
        assert "tie broken" in r.reasoning


@pytest.mark.parametrize(
    ("key", "primary", "scores", "confidence"),
    [
        ("frustrated-burst-seek_advice", "Lua", (1.0, 0.44, 0.59, 0.59), 0.823),
        ("calm-medium-learning", "Elro", (0.66, 1.0, 0.98, 0.79), 0.706),
        ("urgent-burst-planning", "Nana", (0.65, 0.68, 0.63, 0.88), 0.676),
    ],
)
def test_reference_examples(
    key: str, primary: str, scores: tuple[float, ...], confidence: float
) -> None:
    result = pipeline.route(pipeline.parse_key(key))
    assert result.primary == primary
    assert tuple(result.scores[n.lower()] for n in NAMES) == pytest.approx(scores)
    assert result.confidence == pytest.approx(confidence)
    assert primary in result.reasoning


def test_strict_parse_names_the_bad_part_and_the_valid_values() -> None:
    with pytest.raises(InvalidInput) as tone:
        pipeline.parse_key("grumpy-medium-learning")
    assert tone.value.field == "tone"
    assert tone.value.valid_values == TONES
    with pytest.raises(InvalidInput) as pace:
        pipeline.parse_key("calm-slow-learning")
    assert pace.value.field == "pace"
    assert pace.value.valid_values == PACES
    with pytest.raises(InvalidInput) as intent:
        pipeline.parse_key("calm-medium-chatting")
    assert intent.value.field == "intent"
    assert intent.value.valid_values == INTENTS
    with pytest.raises(InvalidInput) as shape:
        pipeline.parse_key("calm-medium")
    assert shape.value.field == "resonance_key"
    with pytest.raises(InvalidInput):
        pipeline.parse_key("")


def test_strict_parse_forgives_case_spaces_and_dashes_in_the_intent() -> None:
    assert str(pipeline.parse_key(" Calm-MEDIUM-seek-advice ")) == "calm-medium-seek_advice"
    assert str(pipeline.make_key("URGENT", "burst", "problem-solving")) == (
        "urgent-burst-problem_solving"
    )
    with pytest.raises(InvalidInput) as bad:
        pipeline.make_key("calm", "medium", "seeking_advice")
    assert bad.value.field == "intent"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("calm-medium", str(DEFAULT_KEY)),
        ("grumpy-medium-learning", str(DEFAULT_KEY)),
        ("calm-slow-planning", str(DEFAULT_KEY)),
        ("anxious-burst-seeking_advice", "anxious-burst-seek_advice"),
        ("anxious-burst-seek-advice", "anxious-burst-seek_advice"),
        ("curious-flowing-problem-solving-now", "curious-flowing-problem_solving"),
        ("calm-medium-validate", "calm-medium-validation"),
        ("calm-medium-plan_ahead", "calm-medium-planning"),
        ("calm-medium-reflect", "calm-medium-reflection"),
        ("calm-medium-gibberish", "calm-medium-learning"),
    ],
)
def test_lenient_parse_keeps_the_original_fallbacks(raw: str, key: str) -> None:
    assert str(pipeline.parse_key(raw, lenient=True)) == key


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60) | st.sampled_from(TONES).map(lambda t: f"{t}-medium-x"))
def test_any_string_parses_to_a_key_or_a_clear_invalid_input(raw: str) -> None:
    try:
        key = pipeline.parse_key(raw)
    except InvalidInput as exc:
        assert exc.field in {"tone", "pace", "intent", "resonance_key"}
        assert exc.message
    else:
        assert key in ALL_KEYS
    assert pipeline.parse_key(raw, lenient=True) in ALL_KEYS

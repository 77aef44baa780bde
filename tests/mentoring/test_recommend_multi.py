"""recommend (scenario -> persona with scores and reasons) and multi-persona answers."""

from __future__ import annotations

import asyncio

import pytest

from ioncli.mentoring import InvalidInput, MentoringPipeline
from ioncli.mentoring.models import MultiPersonaOutput, Prompt
from ioncli.mentoring.responder import ResponderResult

pipeline = MentoringPipeline()


@pytest.mark.parametrize(
    ("scenario", "persona"),
    [
        ("I need emotional support and motivation for my creative work", "Lua"),
        ("Design the API architecture and refactor the code", "Elro"),
        ("Analyze the data and the metrics for quality", "Riri"),
        ("Coordinate the team process and documentation", "Nana"),
        ("감정적으로 지쳤어요, 공감이 필요해요", "Lua"),
        ("시스템 구조와 코드 설계를 검토해 주세요", "Elro"),
        ("품질 지표 데이터를 분석해 주세요", "Riri"),
        ("팀 협업과 일정 조정이 필요해요", "Nana"),
    ],
)
def test_recommend_picks_the_persona_whose_strengths_the_scenario_names(
    scenario: str, persona: str
) -> None:
    result = pipeline.recommend(scenario)
    assert result.persona == persona
    assert set(result.scores) == {"lua", "elro", "riri", "nana"}
    assert max(result.scores.values()) == result.scores[persona.lower()]
    assert all(0 <= s <= 1 for s in result.scores.values())
    assert result.matched_keywords[persona.lower()]
    assert persona in result.reasons[0]
    found = pipeline.persona(persona)
    assert found is not None
    assert result.capabilities == found.strengths


def test_without_keywords_the_router_decides() -> None:
    result = pipeline.recommend("hello")
    assert result.persona == pipeline.route(pipeline.parse_key(result.resonance_key)).primary
    assert "no persona's strength keywords" in result.reasons[0]


def test_context_can_set_the_key_and_add_text() -> None:
    result = pipeline.recommend("something", {"tone": "anxious", "pace": "burst"})
    assert result.resonance_key.startswith("anxious-burst-")
    assert result.persona == "Lua"
    assert "from context" in result.reasons[1]
    with_role = pipeline.recommend("help me", {"role": "data analyst for the metrics team"})
    assert with_role.matched_keywords["riri"]
    with pytest.raises(InvalidInput) as bad:
        pipeline.recommend("x", {"tone": "grumpy"})
    assert bad.value.field == "tone"
    with pytest.raises(InvalidInput) as empty:
        pipeline.recommend("  ")
    assert empty.value.field == "scenario"


def multi(text: str, force: bool = False) -> MultiPersonaOutput:
    return asyncio.run(pipeline.multi_persona(text, force_multi=force))


def test_a_message_spanning_several_strengths_gets_a_part_from_each() -> None:
    out = multi("Our team needs a process to review the code design and measure quality metrics")
    assert set(out.personas_used) == {"Elro", "Riri", "Nana"}
    assert out.multi is True
    assert out.complexity == "complex"
    assert out.primary_persona in out.personas_used
    assert [c.persona for c in out.contributions] == list(out.personas_used)
    for contribution in out.contributions:
        assert contribution.aspects
        assert contribution.generated is False
        assert f"### {contribution.persona} (" in out.content
        assert contribution.content.startswith(f"You are {contribution.persona}")
    assert out.generated is False
    assert out.responder == "offline"


def test_two_aspects_are_moderate() -> None:
    out = multi("I want to refactor the code but I also need some motivation")
    assert set(out.personas_used) == {"Elro", "Lua"}
    assert out.complexity == "moderate"


def test_a_single_topic_is_answered_by_the_routed_persona_alone() -> None:
    out = multi("How do I fix this bug?")
    assert out.multi is False
    assert out.complexity == "simple"
    assert out.personas_used == (out.routing.primary,)
    assert out.content == out.contributions[0].content
    assert out.resonance_key == str(out.analysis.key)


def test_one_named_strength_is_answered_by_that_persona() -> None:
    out = multi("The architecture is weird haha")
    assert out.routing.primary == "Lua"  # playful
    assert out.personas_used == ("Elro",)
    assert out.primary_persona == "Elro"
    assert out.multi is False


def test_force_multi_brings_in_the_runner_up() -> None:
    out = multi("How do I fix this bug?", force=True)
    assert out.multi is True
    assert out.personas_used == (out.routing.primary, out.routing.secondary)


class GateResponder:
    """Holds every answer until all expected requests are in flight: proves they run together."""

    name = "gate"

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.in_flight = 0
        self.peak = 0
        self.all_in = asyncio.Event()

    async def respond(self, prompt: Prompt, user_input: str) -> ResponderResult:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        if self.in_flight >= self.expected:
            self.all_in.set()
        await asyncio.wait_for(self.all_in.wait(), timeout=5)
        self.in_flight -= 1
        return ResponderResult(f"{prompt.persona} says hi", True, self.name)

    async def aclose(self) -> None:
        return None


def test_contributions_are_requested_concurrently() -> None:
    async def run() -> tuple[MultiPersonaOutput, int]:
        gate = GateResponder(expected=3)
        out = await MentoringPipeline(gate).multi_persona(
            "Our team needs a process to review the code design and measure quality metrics"
        )
        return out, gate.peak

    out, peak = asyncio.run(run())
    assert peak == 3
    assert out.generated is True
    assert out.responder == "gate"
    assert "Elro says hi" in out.content


def test_empty_message_is_invalid() -> None:
    with pytest.raises(InvalidInput):
        multi(" ")

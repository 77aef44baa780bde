"""MentoringPipeline end to end in offline mode: personas, process, cache keys."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ioncli.mentoring import InvalidInput, MentoringPipeline
from ioncli.mentoring.models import (
    PERSONA_NAMES,
    ChatContext,
    ChatMessage,
    Intent,
    Pace,
    ProcessInput,
    ProcessOutput,
    Tone,
)

pipeline = MentoringPipeline()


def process(request: ProcessInput) -> ProcessOutput:
    return asyncio.run(pipeline.process(request))


def test_the_four_personas() -> None:
    personas = pipeline.personas()
    assert [p.name for p in personas] == list(PERSONA_NAMES)
    assert [p.korean_name for p in personas] == ["루아", "엘로", "리리", "나나"]
    lua = pipeline.persona(" LUA ")
    assert lua is not None
    assert lua.traits == ("empathetic", "creative", "flexible")
    assert lua.prompt_style == "warm_and_encouraging"
    assert lua.preferred_tones == (Tone.FRUSTRATED, Tone.PLAYFUL, Tone.ANXIOUS)
    # "best for" = affinity >= 0.8
    assert lua.best_for_tones == (Tone.FRUSTRATED, Tone.PLAYFUL, Tone.ANXIOUS, Tone.CONFUSED)
    assert lua.best_for_paces == (Pace.BURST, Pace.FLOWING, Pace.CONTEMPLATIVE, Pace.MEDIUM)
    assert lua.best_for_intents == (Intent.SEEK_ADVICE, Intent.VALIDATION, Intent.REFLECTION)
    elro = pipeline.persona("elro")
    assert elro is not None
    assert elro.best_for_tones == (Tone.ANALYTICAL, Tone.CALM, Tone.CURIOUS, Tone.URGENT)
    assert pipeline.persona("nobody") is None


def test_process_with_a_key_uses_that_key() -> None:
    out = process(ProcessInput("Hello there", resonance_key="frustrated-burst-seek_advice"))
    assert out.persona_used == "Lua"
    assert out.resonance_key == "frustrated-burst-seek_advice"
    assert out.confidence == pytest.approx(0.823)
    assert out.routing.secondary == "Riri"
    assert out.generated is False
    assert out.responder == "offline"
    assert out.fallback_reason is None
    assert out.key_source == "provided"
    assert out.analysis is None
    assert out.content.startswith("You are Lua")
    assert "Hello there" in out.content
    assert out.metadata["key_source"] == "provided"
    assert out.metadata["all_scores"] == {"lua": 1.0, "elro": 0.44, "riri": 0.59, "nana": 0.59}
    assert "analysis" not in out.metadata
    assert out.execution_time_ms >= 0


def test_process_without_a_key_derives_it_and_returns_the_analysis() -> None:
    out = process(ProcessInput("Our team needs a roadmap with milestones for next quarter."))
    assert out.key_source == "derived"
    assert out.resonance_key == "collaborative-medium-planning"
    assert out.persona_used == "Nana"
    assert out.analysis is not None
    analysis = out.metadata["analysis"]
    assert analysis["tone"] == "collaborative"
    assert analysis["intent"] == "planning"
    assert "team*" in analysis["matched_keywords"]["tone:collaborative"]
    assert set(analysis) >= {
        "sentence_count",
        "avg_sentence_length",
        "punctuation_density",
        "question_ratio",
        "exclamation_ratio",
        "pace_reason",
    }


def test_process_in_summary_light_mode() -> None:
    out = process(ProcessInput("Sum up", "calm-medium-learning", prompt_mode="summary_light"))
    assert out.prompt_mode == "summary_light"
    assert "Tone=calm; Pace=medium; Intent=learning" in out.content


def test_process_without_metadata() -> None:
    out = process(ProcessInput("Hi", "calm-medium-learning", include_metadata=False))
    assert out.metadata == {}
    assert out.routing.primary == "Elro"


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (ProcessInput("   "), "user_input"),
        (ProcessInput("hi", "calm-medium-shouting"), "intent"),
        (ProcessInput("hi", "loud-medium-learning"), "tone"),
        (ProcessInput("hi", "calm"), "resonance_key"),
        (ProcessInput("hi", prompt_mode="long"), "prompt_mode"),
    ],
)
def test_bad_requests_are_invalid_input_never_silently_replaced(
    request_: ProcessInput, field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        process(request_)
    assert raised.value.field == field
    with pytest.raises(InvalidInput):
        pipeline.cache_key_parts(request_)


CTX_A = ChatContext(user_id="alice", message_history=(ChatMessage("user", "hi"),))


def test_equal_requests_share_a_cache_key() -> None:
    first = pipeline.cache_key_parts(ProcessInput("How?", "calm-medium-learning", CTX_A))
    again = pipeline.cache_key_parts(
        ProcessInput(
            "  How?  ",
            " Calm-Medium-learning ",
            ChatContext(user_id="alice", message_history=(ChatMessage("user", "hi"),)),
        )
    )
    assert first == again
    assert first[0] == "persona"
    assert first[1] == "calm-medium-learning"
    assert first[2] == "mode:standard"


def test_anything_that_changes_the_answer_changes_the_cache_key() -> None:
    base = ProcessInput("How?", "calm-medium-learning", CTX_A)
    variants = [
        ProcessInput("How!", "calm-medium-learning", CTX_A),
        ProcessInput("How?", "calm-medium-planning", CTX_A),
        ProcessInput("How?", None, CTX_A),
        ProcessInput("How?", "calm-medium-learning", CTX_A, prompt_mode="summary_light"),
        ProcessInput("How?", "calm-medium-learning", CTX_A, include_metadata=False),
        ProcessInput("How?", "calm-medium-learning", None),
        ProcessInput("How?", "calm-medium-learning", ChatContext(user_id="bob")),
        ProcessInput("How?", "calm-medium-learning", ChatContext(user_id="alice")),
        ProcessInput("How?", "calm-medium-learning", ChatContext(user_id="alice", session_id="s")),
        ProcessInput(
            "How?",
            "calm-medium-learning",
            ChatContext(user_id="alice", message_history=(ChatMessage("assistant", "hi"),)),
        ),
        ProcessInput(
            "How?",
            "calm-medium-learning",
            ChatContext(user_id="alice", custom_context={"running_summary": "x"}),
        ),
    ]
    keys = {pipeline.cache_key_parts(base), *(pipeline.cache_key_parts(v) for v in variants)}
    assert len(keys) == len(variants) + 1


def test_field_boundaries_cannot_make_two_users_collide() -> None:
    one = ChatContext(user_id="ab", session_id="c")
    other = ChatContext(user_id="a", session_id="bc")
    assert pipeline.cache_key_parts(ProcessInput("x", None, one)) != pipeline.cache_key_parts(
        ProcessInput("x", None, other)
    )


def test_history_older_than_the_prompt_shows_does_not_split_the_cache() -> None:
    recent = tuple(ChatMessage("user", f"m{i}") for i in range(3))
    old = ChatContext(user_id="u", message_history=(ChatMessage("user", "long ago"), *recent))
    new = ChatContext(user_id="u", message_history=(ChatMessage("user", "other"), *recent))
    assert pipeline.build_prompt("Lua", "x", pipeline.parse_key("calm-medium-learning"), old) == (
        pipeline.build_prompt("Lua", "x", pipeline.parse_key("calm-medium-learning"), new)
    )
    assert pipeline.cache_key_parts(ProcessInput("x", None, old)) == pipeline.cache_key_parts(
        ProcessInput("x", None, new)
    )


def test_results_encode_to_json_as_they_are() -> None:
    # The HTTP layer encodes these dataclasses directly; none may hold a type msgspec rejects.
    out = process(ProcessInput("Why does my deploy fail??"))
    multi = asyncio.run(pipeline.multi_persona("Refactor the code and motivate the team"))
    for value in (out, multi, pipeline.recommend("team roadmap"), pipeline.personas()):
        decoded = msgspec.json.decode(msgspec.json.encode(value))
        assert decoded
    assert (
        msgspec.json.decode(msgspec.json.encode(out))["routing"]["scores"]["lua"]
        == (out.routing.scores["lua"])
    )


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(max_size=300),
    key=st.none() | st.text(max_size=40) | st.sampled_from(["calm-medium-learning"]),
    mode=st.sampled_from(["standard", "summary_light"]),
    history=st.lists(st.tuples(st.sampled_from(["user", "assistant", "x"]), st.text()), max_size=5),
)
def test_any_request_is_answered_or_rejected_as_invalid_input(
    text: str, key: str | None, mode: str, history: list[tuple[str, str]]
) -> None:
    context = ChatContext(user_id="u", message_history=tuple(ChatMessage(r, c) for r, c in history))
    request = ProcessInput(text, key, context, prompt_mode=mode)
    try:
        out = process(request)
    except InvalidInput as exc:
        assert exc.field in {"user_input", "resonance_key", "tone", "pace", "intent"}
        return
    assert out.content
    assert out.persona_used in PERSONA_NAMES
    assert pipeline.cache_key_parts(request)

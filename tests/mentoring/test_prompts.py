"""Prompt builders: every persona and mode renders; context and history as in the reference."""

from __future__ import annotations

import pytest

from ioncli.mentoring import InvalidInput, MentoringPipeline
from ioncli.mentoring.models import PERSONA_NAMES, ChatContext, ChatMessage, Prompt, ResonanceKey

pipeline = MentoringPipeline()
KEY = pipeline.parse_key("anxious-flowing-planning")
HISTORY = tuple(
    ChatMessage("user" if i % 2 == 0 else "assistant", f"message {i} " + "x" * 150)
    for i in range(5)
)
CONTEXT = ChatContext(
    user_id="user-1",
    session_id="session-9",
    message_history=HISTORY,
    persona_preference="Riri",
    custom_context={"running_summary": "They are preparing a release."},
)

OPENINGS = {
    "Lua": "## Situation",
    "Elro": "## Request to analyse",
    "Riri": "## Request to analyse",
    "Nana": "## Team situation",
}
CLOSINGS = {
    "Lua": "Lua's empathetic, creative reply",
    "Elro": "4. Caveats",
    "Riri": "4. Recommendations",
    "Nana": "4. Execution plan",
}


@pytest.mark.parametrize("persona", PERSONA_NAMES)
@pytest.mark.parametrize("context", [None, CONTEXT])
def test_standard_prompt_of_every_persona(persona: str, context: ChatContext | None) -> None:
    text = pipeline.build_prompt(persona, "Help me plan the launch <{{ x }}>", KEY, context)
    found = pipeline.persona(persona)
    assert found is not None
    assert text.startswith(found.system_prompt)
    assert "Answer in the language the person writes in." in found.system_prompt
    assert OPENINGS[persona] in text
    assert CLOSINGS[persona] in text
    assert "Help me plan the launch <{{ x }}>" in text  # user text is data, never a template
    if context is None:
        assert "No additional context." in text
        assert "No previous messages." in text
    else:
        assert "- User ID: user-1" in text
        assert "- Session ID: session-9" in text
        assert "- Preferred persona: Riri" in text
        assert "- Current tone: anxious" in text
        assert "- Conversation pace: flowing" in text
        assert "- User intent: planning" in text
        # The last 3 messages, 100 characters each plus "...".
        assert "message 1" not in text
        for i in (2, 3, 4):
            label = "User" if i % 2 == 0 else "Assistant"
            line = next(ln for ln in text.splitlines() if ln.startswith(f"{label}: message {i}"))
            assert len(line) == len(label) + 2 + 100 + 3
            assert line.endswith("...")


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_summary_light_prompt_of_every_persona(persona: str) -> None:
    text = pipeline.build_prompt(persona, "What now?", KEY, CONTEXT, mode="summary_light")
    lines = text.splitlines()
    assert lines[0].startswith(f"You are {persona} (")
    assert "Tone=anxious; Pace=flowing; Intent=planning" in lines
    assert "RunningSummary: They are preparing a release." in lines
    assert "Input: What now?" in lines
    assert (
        "Rules: 1-3 bullet points, at most 80 words, no preface, in the language of the input."
        in lines
    )
    recent = [ln for ln in lines if ln.startswith("- ") and "message" in ln]
    assert len(recent) == 2
    assert all(len(ln) <= len("- Assistant: ") + 120 + 3 for ln in recent)
    assert len(text) < 800  # compact: far shorter than the standard prompt


def test_summary_light_without_context() -> None:
    text = pipeline.build_prompt("Lua", "hi", KEY, None, mode="summary_light")
    assert "RunningSummary" not in text
    assert "Recent:" not in text


def test_unknown_persona_and_mode_are_invalid_input() -> None:
    with pytest.raises(InvalidInput) as persona:
        pipeline.build_prompt("Zed", "hi", KEY, None)
    assert persona.value.field == "persona"
    assert set(persona.value.valid_values) == set(PERSONA_NAMES)
    with pytest.raises(InvalidInput) as mode:
        pipeline.build_prompt("Lua", "hi", KEY, None, mode="verbose")
    assert mode.value.field == "prompt_mode"
    assert mode.value.valid_values == ("standard", "summary_light")


def test_lookups_ignore_case() -> None:
    assert pipeline.build_prompt("eLrO", "hi", KEY, None).startswith("You are Elro")


class EchoBuilder:
    def build(
        self,
        user_input: str,
        key: ResonanceKey,
        context: ChatContext | None = None,
        mode: str = "standard",
    ) -> Prompt:
        return Prompt("Echo", mode, "You are Echo.", f"{key}: {user_input}")


def test_the_factory_registers_more_builders() -> None:
    custom = MentoringPipeline()
    custom.prompts.register("Echo", EchoBuilder)
    assert "Echo" in custom.prompts.available()
    assert custom.build_prompt("echo", "hi", KEY, None) == (
        "You are Echo.\n\nanxious-flowing-planning: hi"
    )
    custom.prompts.register("Lua", EchoBuilder)  # replacing a built-in one works too
    assert custom.build_prompt("Lua", "hi", KEY, None).startswith("You are Echo.")
    assert pipeline.build_prompt("Lua", "hi", KEY, None).startswith("You are Lua")

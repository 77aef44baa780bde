"""The mentoring pipeline's vocabulary: enums, keys, and the plain data it passes around.

Everything here is a dataclass (or a StrEnum) that msgspec and `dataclasses.asdict` encode
straight to JSON; mappings inside are plain dicts for that reason. What is shared between
requests is frozen (ResonanceKey, Persona, RoutingResult: every request with the same key gets
the same RoutingResult, so treat its scores as read-only). Per-request objects are not frozen:
a frozen dataclass's __init__ costs about 3 µs, a tenth of the pipeline's whole budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, get_args


class Tone(StrEnum):
    FRUSTRATED = "frustrated"
    PLAYFUL = "playful"
    ANXIOUS = "anxious"
    ANALYTICAL = "analytical"
    CALM = "calm"
    CURIOUS = "curious"
    URGENT = "urgent"
    CONFUSED = "confused"
    COLLABORATIVE = "collaborative"


class Pace(StrEnum):
    BURST = "burst"
    FLOWING = "flowing"
    CONTEMPLATIVE = "contemplative"
    MEDIUM = "medium"


class Intent(StrEnum):
    SEEK_ADVICE = "seek_advice"
    PROBLEM_SOLVING = "problem_solving"
    LEARNING = "learning"
    VALIDATION = "validation"
    PLANNING = "planning"
    REFLECTION = "reflection"


# Declaration order is also the router's tie order (see router.py).
PERSONA_NAMES: tuple[str, ...] = ("Lua", "Elro", "Riri", "Nana")
PromptMode = Literal["standard", "summary_light"]
PROMPT_MODES: tuple[str, ...] = get_args(PromptMode)
# How many aspects a multi-persona answer covers: one, two, three or more.
Complexity = Literal["simple", "moderate", "complex"]


class InvalidInput(Exception):
    """A request field the pipeline cannot use; the HTTP layer turns it into a 422."""

    def __init__(self, field: str, message: str, valid_values: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.valid_values = valid_values

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True, slots=True)
class ResonanceKey:
    """One of the 216 `tone-pace-intent` combinations."""

    tone: Tone
    pace: Pace
    intent: Intent

    def __str__(self) -> str:
        return f"{self.tone.value}-{self.pace.value}-{self.intent.value}"

    @property
    def value(self) -> str:
        return str(self)


DEFAULT_KEY = ResonanceKey(Tone.CALM, Pace.MEDIUM, Intent.LEARNING)


@dataclass(frozen=True, slots=True)
class Persona:
    name: str
    korean_name: str
    archetype: str
    traits: tuple[str, ...]
    strengths: tuple[str, ...]
    prompt_style: str
    preferred_tones: tuple[Tone, ...]
    system_prompt: str
    # Filled from the affinity table: every value whose affinity for this persona is >= 0.8.
    best_for_tones: tuple[Tone, ...] = ()
    best_for_paces: tuple[Pace, ...] = ()
    best_for_intents: tuple[Intent, ...] = ()


@dataclass(frozen=True, slots=True)
class RoutingResult:
    key: ResonanceKey
    primary: str
    secondary: str
    confidence: float
    secondary_confidence: float
    scores: Mapping[str, float]  # lower-case persona name -> score in [0, 1]
    reasoning: str


@dataclass(slots=True)
class TextAnalysis:
    """What the analyzer read from free text, and why (the evidence travels with the answer)."""

    tone: Tone
    pace: Pace
    intent: Intent
    tone_confidence: float
    language: str  # "en", "ko" or "mixed"
    sentence_count: int
    avg_sentence_length: float  # whitespace words per sentence
    punctuation_density: float  # share of characters that are . , ! ? ; :
    question_ratio: float  # questions per sentence
    exclamation_ratio: float  # exclamations per sentence
    matched_keywords: Mapping[str, tuple[str, ...]]  # "tone:urgent" / "intent:planning" -> hits
    pace_reason: str

    @property
    def key(self) -> ResonanceKey:
        return ResonanceKey(self.tone, self.pace, self.intent)


@dataclass(slots=True)
class ChatMessage:
    role: str  # "user" or "assistant"
    content: str


@dataclass(slots=True)
class ChatContext:
    user_id: str | None = None
    session_id: str | None = None
    message_history: tuple[ChatMessage, ...] = ()
    persona_preference: str | None = None
    custom_context: Mapping[str, str] = field(default_factory=dict)

    def recent(self, limit: int) -> tuple[ChatMessage, ...]:
        return self.message_history[-limit:] if limit > 0 else ()


@dataclass(slots=True)
class Prompt:
    """A built prompt: the persona's system part and the per-request user part."""

    persona: str
    mode: str
    system: str
    user: str

    @property
    def text(self) -> str:
        return f"{self.system}\n\n{self.user}"


@dataclass(slots=True)
class ProcessInput:
    user_input: str
    resonance_key: str | None = None  # None: derive the key from the text itself
    context: ChatContext | None = None
    prompt_mode: str = "standard"
    include_metadata: bool = True


@dataclass(slots=True)
class ProcessOutput:
    content: str
    persona_used: str
    resonance_key: str
    routing: RoutingResult
    confidence: float
    generated: bool  # False: content is the persona prompt (offline mode or a fall-back)
    responder: str  # "offline" or "openai-compatible"
    fallback_reason: str | None
    prompt_mode: str
    key_source: str  # "provided" or "derived"
    analysis: TextAnalysis | None
    metadata: Mapping[str, Any]
    execution_time_ms: float


@dataclass(slots=True)
class PersonaContribution:
    persona: str
    aspects: tuple[str, ...]  # keywords that made this persona take part
    content: str
    generated: bool
    fallback_reason: str | None


@dataclass(slots=True)
class MultiPersonaOutput:
    content: str
    personas_used: tuple[str, ...]
    primary_persona: str
    complexity: Complexity
    multi: bool  # False: one persona answered alone
    contributions: tuple[PersonaContribution, ...]
    resonance_key: str
    analysis: TextAnalysis
    routing: RoutingResult
    generated: bool
    responder: str
    fallback_reason: str | None
    execution_time_ms: float


@dataclass(slots=True)
class Recommendation:
    persona: str
    scores: Mapping[str, float]  # lower-case persona name -> score
    reasons: tuple[str, ...]
    matched_keywords: Mapping[str, tuple[str, ...]]  # lower-case persona name -> hits
    resonance_key: str
    capabilities: tuple[str, ...]  # the recommended persona's strengths

"""Prompt builders: one per persona, made by a factory that accepts more, text from templates/.

A builder turns (user input, key, context, mode) into a `Prompt`: the persona's system part
and a user part rendered from `templates/prompts/<persona>/<mode>.j2`. Templates are compiled
once per builder; building a prompt is one render.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import TYPE_CHECKING, Any, Protocol

from ioncli.mentoring.models import (
    PROMPT_MODES,
    ChatContext,
    Intent,
    InvalidInput,
    Persona,
    Prompt,
    ResonanceKey,
)
from ioncli.mentoring.personas import PERSONAS
from ioncli.render.jinja import environment

if TYPE_CHECKING:
    from jinja2 import Environment, Template

# How much conversation each mode shows, and how long each message may be (as the original).
STANDARD_HISTORY = 3
STANDARD_MESSAGE_CHARS = 100
LIGHT_HISTORY = 2
LIGHT_MESSAGE_CHARS = 120

INTENT_WORDS = {
    Intent.SEEK_ADVICE: "advice",
    Intent.PROBLEM_SOLVING: "to solve a problem",
    Intent.LEARNING: "to learn",
    Intent.VALIDATION: "their thinking checked",
    Intent.PLANNING: "to plan",
    Intent.REFLECTION: "to reflect",
}
_ROLE_LABELS = {"user": "User", "assistant": "Assistant"}


def _truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def _history(context: ChatContext | None, limit: int, chars: int) -> list[tuple[str, str]]:
    if context is None:
        return []
    return [
        (
            _ROLE_LABELS.get(m.role.lower(), m.role.capitalize() or "User"),
            _truncate(m.content, chars),
        )
        for m in context.recent(limit)
    ]


@cache
def prompt_environment() -> Environment:
    """The shared environment without auto-reload.

    With auto-reload on, every render's `extends` looks its base template up again and stats
    its file: a system call per request, and a fifth of the render's cost.
    """

    return environment().overlay(auto_reload=False)


class TemplatePromptBuilder:
    """Builds one persona's prompts from `prompts/<folder>/standard.j2` and `summary_light.j2`."""

    def __init__(self, persona: Persona, folder: str | None = None) -> None:
        self.persona = persona
        folder = folder or persona.name.lower()
        env = prompt_environment()
        self._templates: dict[str, Template] = {
            mode: env.get_template(f"prompts/{folder}/{mode}.j2") for mode in PROMPT_MODES
        }
        self._light_system = f"You are {persona.name} ({persona.korean_name}): {persona.archetype}."

    def build(
        self,
        user_input: str,
        key: ResonanceKey,
        context: ChatContext | None = None,
        mode: str = "standard",
    ) -> Prompt:
        template = self._templates.get(mode)
        if template is None:
            raise InvalidInput("prompt_mode", f"unknown prompt mode {mode!r}", PROMPT_MODES)
        variables: dict[str, Any] = {
            "persona_name": self.persona.name,
            "user_input": user_input,
            "tone": key.tone.value,
            "pace": key.pace.value,
            "intent": key.intent.value,
            "intent_words": INTENT_WORDS[key.intent],
            "context": context,
        }
        if mode == "summary_light":
            variables["history"] = _history(context, LIGHT_HISTORY, LIGHT_MESSAGE_CHARS)
            summary = context.custom_context.get("running_summary") if context else None
            variables["running_summary"] = _truncate(summary, 600) if summary else None
            system = self._light_system
        else:
            variables["history"] = _history(context, STANDARD_HISTORY, STANDARD_MESSAGE_CHARS)
            system = self.persona.system_prompt
        # A shared context skips copying the environment's globals (the templates use none):
        # a third off every render.
        text = "".join(template.root_render_func(template.new_context(variables, shared=True)))
        return Prompt(self.persona.name, mode, system, text.strip())


class PromptBuilder(Protocol):
    def build(
        self,
        user_input: str,
        key: ResonanceKey,
        context: ChatContext | None = None,
        mode: str = "standard",
    ) -> Prompt: ...


BuilderFactory = Callable[[], PromptBuilder]


class PromptFactory:
    """Persona name -> builder. `register` adds or replaces one; lookups ignore case.

    Builders are made on first use and kept (a builder compiles its templates once).
    """

    def __init__(self) -> None:
        self._factories: dict[str, BuilderFactory] = {}
        self._names: dict[str, str] = {}
        self._builders: dict[str, PromptBuilder] = {}
        for persona in PERSONAS:
            self.register(persona.name, partial(TemplatePromptBuilder, persona))

    def register(self, name: str, factory: BuilderFactory) -> None:
        lower = name.strip().lower()
        self._factories[lower] = factory
        self._names[lower] = name.strip()
        self._builders.pop(lower, None)

    def available(self) -> list[str]:
        return list(self._names.values())

    def create(self, name: str) -> PromptBuilder:
        lower = name.strip().lower()
        builder = self._builders.get(lower)
        if builder is None:
            factory = self._factories.get(lower)
            if factory is None:
                raise InvalidInput("persona", f"unknown persona {name!r}", tuple(self.available()))
            builder = self._builders[lower] = factory()
        return builder

    def warm(self) -> None:
        """Make every registered builder now, so no request pays for compiling templates."""
        for name in list(self._factories):
            self.create(name)

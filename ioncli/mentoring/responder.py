"""Who writes the answer: offline (the prompt itself) or an OpenAI-compatible chat endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ioncli.mentoring.models import Prompt


@dataclass(frozen=True, slots=True)
class ResponderResult:
    content: str
    generated: bool  # False: content is the persona prompt, not a model's answer
    responder: str
    fallback_reason: str | None = None
    model: str | None = None


class Responder(Protocol):
    name: str

    async def respond(self, prompt: Prompt, user_input: str) -> ResponderResult: ...

    async def aclose(self) -> None: ...


class OfflineResponder:
    """Returns the persona prompt as the content, marked generated=False (needs no model)."""

    name = "offline"

    async def respond(self, prompt: Prompt, user_input: str) -> ResponderResult:
        return offline_result(prompt)

    async def aclose(self) -> None:
        return None


def offline_result(prompt: Prompt, fallback_reason: str | None = None) -> ResponderResult:
    return ResponderResult(
        content=prompt.text, generated=False, responder="offline", fallback_reason=fallback_reason
    )

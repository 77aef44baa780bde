"""Who writes the answer: offline (the prompt itself) or an OpenAI-compatible chat endpoint."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ioncli.errors import ConfigError
from ioncli.mentoring.models import Prompt

if TYPE_CHECKING:
    import httpx


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


async def answer_safely(responder: Responder, prompt: Prompt, user_input: str) -> ResponderResult:
    """Ask the responder; if it breaks its promise and raises, answer offline and say why.

    Registered responders are user code: a bug in one must cost the answer, not the request.
    """
    try:
        return await responder.respond(prompt, user_input)
    except Exception as exc:
        name = getattr(responder, "name", type(responder).__name__)
        return offline_result(prompt, f"{name}: raised {type(exc).__name__}: {exc}")


RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER_SECONDS = 5.0


class OpenAICompatibleResponder:
    """Asks an OpenAI-compatible chat-completions endpoint (Vertex AI, vLLM, Ollama, ...).

    Each attempt has `timeout` seconds; timeouts, connection errors, 429 and 5xx are retried
    up to `max_retries` times with exponential back-off (a Retry-After of up to 5 s is
    honoured). Anything else, or running out of attempts, falls back to the offline answer
    and says why in `fallback_reason`: a request never fails because the model did.
    """

    name = "openai-compatible"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        *,
        timeout: float = 10.0,
        max_retries: int = 2,
        backoff: float = 0.25,
        max_tokens: int | None = None,
        temperature: float | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        import httpx

        url = base_url.rstrip("/")
        self.url = url if url.endswith("/chat/completions") else f"{url}/chat/completions"
        self.model = model
        self.max_retries = max(0, max_retries)
        self.backoff = backoff
        self.max_tokens = max_tokens
        self.temperature = temperature
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout)
        self._timeout = timeout

    async def respond(self, prompt: Prompt, user_input: str) -> ResponderResult:
        import httpx

        body: dict[str, Any] = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
        }
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        if self.temperature is not None:
            body["temperature"] = self.temperature
        attempts = self.max_retries + 1
        problem = "no attempt made"
        for attempt in range(attempts):
            delay = self.backoff * (2**attempt)
            try:
                response = await self._client.post(
                    self.url, json=body, headers=self._headers, timeout=self._timeout
                )
            except httpx.TimeoutException:
                problem = f"timed out after {self._timeout:g} s"
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            else:
                if response.status_code == 200:
                    content, model, parse_problem = _parse_completion(response)
                    if content is not None:
                        return ResponderResult(
                            content=content,
                            generated=True,
                            responder=self.name,
                            model=model or self.model,
                        )
                    return offline_result(prompt, f"{self.name}: {parse_problem}")
                problem = f"HTTP {response.status_code}"
                if response.status_code not in RETRY_STATUSES:
                    return offline_result(prompt, f"{self.name}: {problem} (not retried)")
                delay = max(delay, _retry_after(response.headers.get("retry-after")))
            if attempt + 1 < attempts:
                await asyncio.sleep(delay)
        tries = "attempt" if attempts == 1 else "attempts"
        return offline_result(prompt, f"{self.name}: {problem} after {attempts} {tries}")

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()


def _retry_after(value: str | None) -> float:
    if not value:
        return 0.0
    try:
        seconds = float(value)
    except ValueError:
        return 0.0  # an HTTP date: fall back to our own back-off
    return min(max(0.0, seconds), MAX_RETRY_AFTER_SECONDS)


def _parse_completion(response: httpx.Response) -> tuple[str | None, str | None, str]:
    try:
        data = response.json()
    except ValueError:
        return None, None, "response is not JSON"
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return None, None, "response has no choices[0].message.content"
    if not isinstance(content, str) or not content.strip():
        return None, None, "response content is empty"
    model = data.get("model") if isinstance(data.get("model"), str) else None
    return content.strip(), model, ""


def build_responder(
    url: str | None,
    model: str | None,
    api_key_env: str | None,
    env: Mapping[str, str],
    *,
    timeout: float = 10.0,
    max_retries: int = 2,
) -> Responder:
    """The responder the settings ask for: offline unless a URL is set (then a model must be)."""
    if not url:
        return OfflineResponder()
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"serve.responder_url {url!r} must start with http:// or https://")
    if not model:
        raise ConfigError(
            "serve.responder_model is not set",
            hint="a responder_url needs the model name the endpoint serves",
        )
    api_key = env.get(api_key_env) if api_key_env else None
    return OpenAICompatibleResponder(
        url, model, api_key or None, timeout=timeout, max_retries=max_retries
    )

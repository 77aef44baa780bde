"""The responders: offline, and the OpenAI-compatible client against a fake server on loopback."""

from __future__ import annotations

import asyncio

import pytest

from ioncli.errors import ConfigError
from ioncli.mentoring import MentoringPipeline
from ioncli.mentoring.models import ProcessInput, ProcessOutput, Prompt
from ioncli.mentoring.responder import (
    OfflineResponder,
    OpenAICompatibleResponder,
    Responder,
    ResponderResult,
    build_responder,
)
from tests.helpers import free_port
from tests.mentoring.fake_openai import fake_chat_server

PROMPT = Prompt(persona="Elro", mode="standard", system="You are Elro.", user="## Request\nhi")


def respond(responder: Responder) -> ResponderResult:
    async def run() -> ResponderResult:
        try:
            return await responder.respond(PROMPT, "hi")
        finally:
            await responder.aclose()

    return asyncio.run(run())


def test_offline_returns_the_prompt_and_says_it_is_not_generated() -> None:
    result = respond(OfflineResponder())
    assert result.content == PROMPT.text
    assert result.generated is False
    assert result.responder == "offline"
    assert result.fallback_reason is None


def test_a_chat_completion_is_the_answer() -> None:
    with fake_chat_server() as server:
        server.script.append(("ok", "  Here is the plan.  "))
        responder = OpenAICompatibleResponder(server.url, "tiny-model", "secret-key")
        result = respond(responder)
    assert result.content == "Here is the plan."
    assert result.generated is True
    assert result.responder == "openai-compatible"
    assert result.model == "tiny-model"
    [request] = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["Authorization"] == "Bearer secret-key"
    assert request.body["model"] == "tiny-model"
    assert request.body["messages"] == [
        {"role": "system", "content": PROMPT.system},
        {"role": "user", "content": PROMPT.user},
    ]


def test_no_api_key_sends_no_authorization_header() -> None:
    with fake_chat_server() as server:
        respond(OpenAICompatibleResponder(f"{server.url}/chat/completions", "m"))
    assert "Authorization" not in server.requests[0].headers


def test_server_errors_are_retried_then_answered() -> None:
    with fake_chat_server() as server:
        server.script.extend([("status", 503), ("status", 429, "0")])
        result = respond(OpenAICompatibleResponder(server.url, "m", max_retries=2, backoff=0.01))
    assert result.generated is True
    assert len(server.requests) == 3


def test_retries_are_bounded_and_the_fallback_says_why() -> None:
    with fake_chat_server() as server:
        server.script.extend([("status", 500)] * 5)
        result = respond(OpenAICompatibleResponder(server.url, "m", max_retries=2, backoff=0.01))
    assert len(server.requests) == 3
    assert result.generated is False
    assert result.content == PROMPT.text
    assert result.responder == "offline"
    assert result.fallback_reason == "openai-compatible: HTTP 500 after 3 attempts"


def test_client_errors_are_not_retried() -> None:
    with fake_chat_server() as server:
        server.script.append(("status", 401))
        result = respond(OpenAICompatibleResponder(server.url, "m", max_retries=3, backoff=0.01))
    assert len(server.requests) == 1
    assert result.fallback_reason == "openai-compatible: HTTP 401 (not retried)"


def test_a_slow_endpoint_times_out_and_falls_back() -> None:
    with fake_chat_server() as server:
        server.script.extend([("sleep", 1.0), ("sleep", 1.0)])
        responder = OpenAICompatibleResponder(
            server.url, "m", timeout=0.05, max_retries=1, backoff=0.01
        )  # the test waits for two real timeouts: keep them short
        result = respond(responder)
    assert result.generated is False
    assert result.fallback_reason == "openai-compatible: timed out after 0.05 s after 2 attempts"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "response is not JSON"),
        ('{"choices": []}', "response has no choices[0].message.content"),
        ('{"choices": [{"message": {"content": "  "}}]}', "response content is empty"),
    ],
)
def test_malformed_answers_fall_back(body: str, reason: str) -> None:
    with fake_chat_server() as server:
        server.script.append(("raw", body))
        result = respond(OpenAICompatibleResponder(server.url, "m", backoff=0.01))
    assert result.fallback_reason == f"openai-compatible: {reason}"
    assert result.generated is False


def test_an_unreachable_endpoint_falls_back() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    result = respond(OpenAICompatibleResponder(url, "m", max_retries=1, backoff=0.01))
    assert result.generated is False
    assert result.fallback_reason is not None
    assert result.fallback_reason.startswith("openai-compatible: ConnectError")
    assert result.fallback_reason.endswith("after 2 attempts")


def test_the_pipeline_reports_generated_answers_and_fallbacks() -> None:
    async def run(url: str) -> tuple[ProcessOutput, ProcessOutput]:
        pipeline = MentoringPipeline(OpenAICompatibleResponder(url, "m", backoff=0.01))
        try:
            ok = await pipeline.process(ProcessInput("How do caches work?"))
            failed = await pipeline.process(ProcessInput("How do caches work?"))
        finally:
            await pipeline.aclose()
        return ok, failed

    with fake_chat_server() as server:
        server.script.extend([("ok", "Caches keep answers."), *[("status", 502)] * 3])
        ok, failed = asyncio.run(run(server.url))
    assert ok.content == "Caches keep answers."
    assert ok.generated is True
    assert ok.responder == "openai-compatible"
    assert ok.fallback_reason is None
    assert failed.generated is False
    assert failed.responder == "offline"
    assert failed.fallback_reason == "openai-compatible: HTTP 502 after 3 attempts"
    assert failed.content.startswith("You are Elro")


def test_build_responder_from_settings() -> None:
    assert isinstance(build_responder(None, None, "KEY", {}), OfflineResponder)
    with pytest.raises(ConfigError, match="responder_model"):
        build_responder("http://127.0.0.1:9/v1", None, "KEY", {})
    with pytest.raises(ConfigError, match="http"):
        build_responder("127.0.0.1:9/v1", "m", "KEY", {})
    built = build_responder("http://127.0.0.1:9/v1", "m", "KEY", {"KEY": "abc"})
    assert isinstance(built, OpenAICompatibleResponder)
    assert built.url == "http://127.0.0.1:9/v1/chat/completions"
    asyncio.run(built.aclose())


class BrokenResponder:
    name = "broken"

    async def respond(self, prompt: Prompt, user_input: str) -> ResponderResult:
        raise RuntimeError("bug in a custom responder")

    async def aclose(self) -> None:
        return None


def test_a_responder_that_raises_costs_the_answer_not_the_request() -> None:
    pipeline = MentoringPipeline(BrokenResponder())
    out = asyncio.run(pipeline.process(ProcessInput("hi", "calm-medium-learning")))
    assert out.generated is False
    assert out.responder == "offline"
    assert out.fallback_reason == "broken: raised RuntimeError: bug in a custom responder"
    multi = asyncio.run(pipeline.multi_persona("refactor the code and motivate me"))
    assert multi.generated is False
    assert multi.fallback_reason is not None

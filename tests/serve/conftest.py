"""Fixtures for `ion serve`: apps built in-process, driven through httpx's ASGI transport."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from ioncli.config import ServeSettings, Settings
from ioncli.serve.app import App, create_app
from ioncli.serve.state import Deps

Factory = Callable[..., App]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def make_app(tmp_path: Path) -> Factory:
    """Build an app with ServeSettings overrides; history goes to this test's folder."""

    def build(deps: Deps | None = None, **serve: Any) -> App:
        serve.setdefault("history_path", str(tmp_path / "history.sqlite3"))
        settings = Settings(serve=dataclasses.replace(ServeSettings(), **serve))
        return create_app(settings, deps or Deps(environ={}))

    return build


@asynccontextmanager
async def running(app: App) -> AsyncIterator[httpx.AsyncClient]:
    """Start the app's lifespan and give a client that talks to it in-process."""
    await app.state.startup()
    try:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://ion.test") as client:
            yield client
    finally:
        await app.state.shutdown()


PROCESS_BODY = {
    "user_input": "I keep getting stuck planning my project, how should I start?",
    "resonance_key": {"tone": "curious", "pace": "flowing", "intent": "planning"},
}


@pytest.fixture
def redis_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    from tests.serve.redis_server import RedisServer

    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()

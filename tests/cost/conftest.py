"""Fixtures for the cost tests: a fake Cloud Run Admin API and the real clients bound to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.cloud_run import FakeCloudRun


@pytest.fixture
def fake_run() -> Iterator[FakeCloudRun]:
    fake = FakeCloudRun()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def run_clients(fake_run: FakeCloudRun) -> tuple[Any, Any]:
    """The library's own ServicesClient and RevisionsClient over a plaintext channel."""
    from ioncli.config import Settings
    from ioncli.gcp import run_revisions_client, run_services_client

    settings = Settings(run_emulator_host=fake_run.address)
    return run_services_client(settings), run_revisions_client(settings)

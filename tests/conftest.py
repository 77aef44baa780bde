"""Fixtures every area shares. No test may reach a non-loopback address."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Keep a developer's own settings and cloud credentials out of the tests, and make sure
    # google.auth never probes the GCE metadata server (169.254.169.254) if a client is built
    # without an explicit channel by mistake.
    for name in list(os.environ):
        if name.startswith("ION_") and name != "ION_REQUIRE_SYSTEM_DEPS":
            monkeypatch.delenv(name, raising=False)
    for name in (
        "GOOGLE_CLOUD_PROJECT",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "GITHUB_STEP_SUMMARY",
        "PORT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")
    monkeypatch.setenv("GCE_METADATA_IP", "127.0.0.1:9")

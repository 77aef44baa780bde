"""Fixtures every area shares. No test may reach a non-loopback address."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built once per test run (pip takes seconds) for every test that
    installs it. Under pytest-xdist the workers share one build: the first builds it in the
    run's common temp folder while the others wait on a lock."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder; each worker has its own below it
    out = base / "wheel"
    with (base / "wheel.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not any(out.glob("ion_ops-*.whl")):
            subprocess.run(
                [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out),
                 str(ROOT)],
                check=True,
                capture_output=True,
                text=True,
            )  # fmt: skip
    (built,) = out.glob("ion_ops-*.whl")
    return built


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


@pytest.fixture(autouse=True)
def _processes_only_in_slow_tests(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `pytest -m "not slow"` is the quick loop: a test that starts a process (a server, the
    # installed CLI, promtool, redis-server, a browser) must say so with the `slow` mark.
    if request.node.get_closest_marker("slow") is not None:
        return

    def refuse(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        raise AssertionError(f"{request.node.nodeid} starts a process ({args!r}): mark it slow")

    monkeypatch.setattr(subprocess.Popen, "_execute_child", refuse)

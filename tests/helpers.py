"""Small helpers shared by the tests: system programs, free ports, running the installed CLI."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def require_program(name: str) -> str:
    """The path of a system program; skip the test when it is missing (fail under CI)."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("ION_REQUIRE_SYSTEM_DEPS") == "1":
            pytest.fail(f"{name} is required (ION_REQUIRE_SYSTEM_DEPS=1) but not on PATH")
        pytest.skip(f"{name} is not installed (Debian package; .ci/run installs it)")
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ion_executable() -> list[str]:
    """How to run the installed `ion` in a subprocess (the script next to this Python)."""
    script = Path(sys.executable).with_name("ion")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ioncli"]


def run_ion(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `ion ARGS` as a user would, with colour off, and capture its output."""
    base = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    full_env = {**base, "NO_COLOR": "1", "COLUMNS": "100", **(env or {})}
    return subprocess.run(
        [*ion_executable(), *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# Chromium as the probe on this machine kind runs it: headless, no sandbox (root in CI), and
# no background networking, so nothing but the page under test is fetched.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_browser() -> tuple[str, Any]:
    """The system chromium and playwright's sync API to drive it (skip or fail like above)."""
    chromium = require_program("chromium")
    try:
        from playwright import sync_api
    except ImportError:  # the [test] extra has it; a bare environment may not
        if os.environ.get("ION_REQUIRE_SYSTEM_DEPS") == "1":
            pytest.fail("playwright (the [test] extra) is required to drive chromium")
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    return chromium, sync_api

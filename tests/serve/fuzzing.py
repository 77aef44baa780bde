"""What the schemathesis fuzz of `ion serve` needs, shared by tests/serve/test_fuzz.py (25
examples per operation, in CI) and benchmarks/bench_serve_fuzz.py (the long run)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.helpers import free_port, ion_executable

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def start_server(history: Path, *, within: float = 20.0) -> tuple[str, subprocess.Popen[bytes]]:
    """`ion serve` on a free loopback port (no ION_ settings from outside), once it answers."""
    port = free_port()
    proc = subprocess.Popen(
        [*ion_executable(), "serve", "--port", str(port), "--history", str(history)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if not k.startswith("ION_") and k != "PORT"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + within
    while True:
        try:
            httpx.get(f"{url}/api/v2/health", timeout=0.5)
            return url, proc
        except httpx.TransportError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("ion serve did not start") from None
            time.sleep(0.05)


def stop_server(proc: subprocess.Popen[bytes]) -> str:
    """Stop the server; its stderr (where a crashed handler's traceback would be)."""
    proc.terminate()
    _, err = proc.communicate(timeout=20)
    return err.decode()


def load_schema(url: str) -> Any:
    """The server's own /openapi.json, with 413 (a body over the size limit) accepted as a
    rejection of invalid input like 400 and 422."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    schema.config.checks.negative_data_rejection.expected_statuses.append("413")
    return schema


def fuzz_settings(examples: int, *, derandomize: bool = False) -> Callable[[Any], Any]:
    """Hypothesis settings for one operation: no deadline or health checks (a real server on
    a loaded machine), no example database (runs are independent)."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=derandomize,
    )

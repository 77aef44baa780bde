"""Fuzz the whole API from its own /openapi.json with schemathesis, against the real server.

Every operation gets a bounded number of generated requests (valid and invalid); the checks
are: no 5xx, only documented status codes and content types, and every body matches its
schema (success bodies and the error body alike). The count stays small enough for CI.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.helpers import free_port, ion_executable

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("ION_FUZZ_EXAMPLES", "25"))
# Deterministic in CI (the same examples every run); ION_FUZZ_RANDOM=1 explores new ones.
DERANDOMIZE = os.environ.get("ION_FUZZ_RANDOM") != "1"


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    history = tmp_path_factory.mktemp("fuzz") / "history.sqlite3"
    proc = subprocess.Popen(
        [*ion_executable(), "serve", "--port", str(port), "--history", str(history)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if not k.startswith("ION_") and k != "PORT"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(f"{url}/api/v2/health", timeout=0.5)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise AssertionError("ion serve did not start") from None
            time.sleep(0.05)
    yield url
    proc.terminate()
    _, err = proc.communicate(timeout=20)
    assert "Traceback" not in err.decode(), err.decode()  # no handler crashed


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


# Driven through Hypothesis directly: schemathesis' own pytest plugin does not run under
# this project's pytest version (it reads a private pytest attribute that is gone).
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_never_fails_and_never_breaks_its_schema(server_url: str, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_url(f"{server_url}/openapi.json")
    # 413 is how a body over the size limit is refused: a rejection like 400 and 422.
    schema.config.checks.negative_data_rejection.expected_statuses.append("413")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 15  # 12 API endpoints, the history, /metrics and /
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=DERANDOMIZE,
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS, timeout=10)

        try:
            check()
        except Unsatisfiable:
            # Some operations have no invalid input (no body, any string is a valid name).
            assert mode is GenerationMode.NEGATIVE
            assert not operation.body, operation.label

"""Fuzz the whole API from its own /openapi.json with schemathesis, against the real server.

Every operation gets a bounded number of generated requests (valid and invalid); the checks
are: no 5xx, only documented status codes and content types, and every body matches its
schema (success bodies and the error body alike). The count stays small enough for CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import schemathesis

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("ION_FUZZ_EXAMPLES", "25"))
# Deterministic in CI (the same examples every run); ION_FUZZ_RANDOM=1 explores new ones.
DERANDOMIZE = os.environ.get("ION_FUZZ_RANDOM") != "1"


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.serve.fuzzing import start_server, stop_server

    url, proc = start_server(tmp_path_factory.mktemp("fuzz") / "history.sqlite3")
    yield url
    err = stop_server(proc)
    assert "Traceback" not in err, err  # no handler crashed


# Driven through Hypothesis directly: schemathesis' own pytest plugin does not run under
# this project's pytest version (it reads a private pytest attribute that is gone). The
# modes are named, and schemathesis imported, only here: collecting the suite (every pytest
# run, every xdist worker) does not pay for importing it.
@pytest.mark.parametrize("mode_name", ["positive", "negative"])
def test_api_never_fails_and_never_breaks_its_schema(server_url: str, mode_name: str) -> None:
    from hypothesis import given
    from hypothesis.errors import Unsatisfiable
    from schemathesis.generation.modes import GenerationMode

    from tests.serve.fuzzing import CHECKS, fuzz_settings, load_schema

    mode = GenerationMode(mode_name)
    schema = load_schema(server_url)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 15  # 12 API endpoints, the history, /metrics and /
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @fuzz_settings(EXAMPLES, derandomize=DERANDOMIZE)
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS, timeout=10)

        try:
            check()
        except Unsatisfiable:
            # Some operations have no invalid input (no body, any string is a valid name).
            assert mode is GenerationMode.NEGATIVE
            assert not operation.body, operation.label

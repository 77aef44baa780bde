"""`ion --help` stays fast: the CLI module must not import the heavy libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("pandas", "numpy", "grpc", "google.cloud", "pyarrow", "granian", "redis")

PROBE = """
import sys
from ioncli.cli import run
code = run({args!r})
heavy = sorted({{m.split('.')[0] if not m.startswith('google.cloud') else 'google.cloud'
                for m in sys.modules if m.startswith({heavy!r})}})
print('HEAVY=' + ','.join(heavy))
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["dashboard", "--help"],
        ["serve", "--help"],
        ["tune-alerts", "--help"],
        ["cost-report", "--help"],
        ["--version"],
    ],
)
def test_help_imports_no_heavy_library(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        env={"NO_COLOR": "1", "PATH": ""},
    )
    line = [ln for ln in result.stdout.splitlines() if ln.startswith("HEAVY=")][-1]
    assert line == "HEAVY=", f"`ion {' '.join(args)}` imported {line[6:]}"


@pytest.mark.slow
def test_importing_the_cli_module_leaves_heavy_packages_out() -> None:
    code = f"import sys, ioncli.cli; print([m for m in sys.modules if m.startswith({HEAVY!r})])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"

"""A real wheel carries templates/ and baselines/, and ion finds them from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow


def test_wheel_contains_templates_baselines_and_schemas(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    shipped_templates = {
        "ioncli/templates/" + str(p.relative_to(ROOT / "templates"))
        for p in (ROOT / "templates").rglob("*")
        if p.is_file()
    }
    assert shipped_templates <= set(names)
    assert any(n.startswith("ioncli/baselines/") for n in names)
    assert "ioncli/cli.py" in names


def test_installed_wheel_finds_its_templates_from_another_directory(
    wheel: Path, tmp_path: Path
) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = (
        "import ioncli, ioncli.resources as r; "
        "print(ioncli.__file__); print(r.templates_dir()); print(r.baselines_dir()); "
        "print(sorted(p.name for p in r.templates_dir().iterdir()))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    module_file, templates, baselines, listing = result.stdout.splitlines()
    assert module_file.startswith(str(target))  # the wheel's copy, not the checkout
    assert templates.startswith(str(target))
    assert baselines.startswith(str(target))
    assert listing != "[]"
    version = subprocess.run(
        [sys.executable, "-m", "ioncli", "--version"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.startswith("ion ")

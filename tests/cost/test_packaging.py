"""The wheel ships the rate table, the schema and the templates, and an installed copy
produces a cost report from another directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_installed_wheel_reports_costs(wheel: Path, tmp_path: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "ioncli/cost/rates/cloud-run-usd-2026.json" in names
    assert "ioncli/schemas/cost_report.schema.json" in names
    assert {
        "ioncli/templates/cost_report/report.md.j2",
        "ioncli/templates/cost_report/report.html.j2",
    } <= names
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ION_")}
    env.update({"PYTHONPATH": str(site), "NO_COLOR": "1"})
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ioncli",
            "cost-report",
            "--source",
            "sim",
            "--since",
            "6h",
            "-f",
            "json",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["pricing"]["origin"] == "shipped"
    assert report["pricing"]["id"] == "cloud-run-usd-2026-08"

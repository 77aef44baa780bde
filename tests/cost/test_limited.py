"""cost-report on minutes of data: says so everywhere, projects nothing, proposes no schedule."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from ioncli.cli import run

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "ioncli" / "schemas" / "cost_report.schema.json").read_text())
SHORT = ["cost-report", "--source", "sim:3", "--since", "4m", "--until", "2026-03-01T00:00:00Z"]


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")


def test_four_minutes_project_nothing_and_say_why(capsys: pytest.CaptureFixture[str]) -> None:
    assert run([*SHORT, "--budget", "1", "-f", "json"]) == 0  # no verdict from 4 minutes
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, SCHEMA)
    assert doc["limited"].startswith("too little data to project: 4 minutes")
    assert doc["schedules"] == [] and doc["totals"]["over_budget"] is False
    assert run([*SHORT, "-f", "markdown"]) == 0
    md = capsys.readouterr().out
    assert "**Too little data:**" in md and "not projected" in md
    assert run(SHORT) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "not projected" in text and "too little data to project" in text
    assert "Scheduled min-instance windows" not in text
    assert run([*SHORT, "-f", "html"]) == 0
    assert "Too little data:" in capsys.readouterr().out


def test_a_day_is_enough(capsys: pytest.CaptureFixture[str]) -> None:
    day = [*SHORT[:4], "1d", *SHORT[5:], "-f", "json"]
    assert run(day) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["limited"] == "" and doc["schedules"]

"""`ion slo` as a user runs it: the four formats, the JSON schema, config errors, CI gates."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from ioncli.cli import run
from tests.helpers import ROOT

SCHEMA = json.loads((ROOT / "ioncli" / "schemas" / "slo.schema.json").read_text())
SIM = ["--source", "sim", "--until", "2026-11-01T00:00:00Z"]
LATENCY = """
[slo.availability]
objective = 99.95

[slo.latency]
sli = "latency"
objective = 99.0
threshold_ms = 200
"""


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    return tmp_path


def ion(*args: str) -> int:
    return run(list(args))


def test_json_matches_the_schema_with_both_slis(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (cwd / "ion.toml").write_text(LATENCY)
    assert ion("slo", *SIM, "--format", "json", "-o", "slo.json") == 0
    data = json.loads((cwd / "slo.json").read_text())
    jsonschema.validate(data, SCHEMA)
    names = [o["name"] for o in data["objectives"]]
    assert names == ["availability", "latency"]
    availability = data["objectives"][0]
    assert availability["window_start"] == "2026-10-04T00:00:00Z"  # 28 days by default
    assert [s["scope"] for s in availability["scopes"]] == [
        "fleet",
        "asia-southeast1",
        "europe-west1",
        "us-central1",
    ]
    assert data["simulated"] is True
    fleet = availability["scopes"][0]
    assert 0 < fleet["consumed"] < 1 and availability["status"] == "met"
    replay = availability["replay"][0]["rules"]
    assert [r["name"] for r in replay] == [
        "page-1h",
        "page-6h",
        "ticket-3d",
        "static-slo",
        "static-5xx",
    ]
    # On the same history the static objective threshold pages more often for nothing.
    assert replay[3]["false_alerts"] > replay[0]["false_alerts"]


def test_text_markdown_and_html(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ion("slo", *SIM) == 0
    text = capsys.readouterr().out
    assert "availability: 99.95% availability (non-5xx), 28d rolling" in text
    assert "runs out" in text and "page-1h" in text
    assert max(len(line) for line in text.splitlines()) <= 100
    assert ion("slo", *SIM, "--format", "markdown") == 0
    md = capsys.readouterr().out
    assert md.startswith("## Service level objectives")
    assert "| fleet |" in md and "<details>" in md and len(md) < 65_536
    assert ion("slo", *SIM, "--format", "html", "-o", "slo.html") == 0
    html = (cwd / "slo.html").read_text()
    assert html.startswith("<!doctype html>") and "<script" not in html
    assert "Alert rules replayed" in html


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("[slo.a]\nobjective = 100\n", "slo.a.objective"),
        ("[slo.a]\nobjective = 100.5\n", "no error budget at 100%"),
        ('[slo.a]\nsli = "errors"\n', "must be one of availability, latency"),
        (
            '[slo.a]\nsli = "latency"\nthreshold_ms = 180\n',
            "between the latency buckets 150 and 200",
        ),
        ('[slo.a]\nsli = "latency"\n', "is needed for a latency SLI"),
        ('[slo.a]\nwindow = "45d"\n', "whole days from 1d to 30d"),
        ("[slo.a]\nbudget = 3\n", "unknown key 'slo.a.budget'"),
        ('[[slo.a.alerts]]\nlong = "5m"\nshort = "1h"\nburn_rate = 2\n', "shorter than 'long'"),
    ],
)
def test_bad_objectives_are_one_line_and_exit_3(
    cwd: Path, capsys: pytest.CaptureFixture[str], toml: str, needle: str
) -> None:
    (cwd / "ion.toml").write_text(toml)
    assert ion("slo", *SIM) == 3
    err = capsys.readouterr().err
    assert needle in err and "ion.toml" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_fail_on_gates_exit_5_after_writing_the_report(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = ion(
        "slo",
        *SIM,
        "--format",
        "markdown",
        "-o",
        "r.md",
        "--fail-on",
        "budget-remaining-below",
        "50",
    )
    assert code == 5
    err = capsys.readouterr().err
    assert "availability (fleet)" in err and "below 50%" in err
    assert "fail-on" in (cwd / "r.md").read_text()
    assert ion("slo", *SIM, "--fail-on", "budget-remaining-below", "1") == 0
    capsys.readouterr()
    assert ion("slo", *SIM, "--fail-on", "burn-rate-above", "0.1", "-o", "r.txt") == 5
    assert "burning" in capsys.readouterr().err
    assert ion("slo", *SIM, "--fail-on", "burn-rate-above", "50") == 0
    capsys.readouterr()
    assert ion("slo", *SIM, "--fail-on", "budget-left", "5") == 2


def test_unknown_slo_name_is_a_usage_error(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ion("slo", *SIM, "--slo", "nope") == 2
    assert "configured: availability" in capsys.readouterr().err


def test_file_source_with_latency_shares(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import UTC, datetime, timedelta

    from ioncli.sources.sim import simulate

    end = datetime(2026, 11, 1, tzinfo=UTC)
    metrics = ("request_rate", "error_ratio_5xx", "latency_share_le_200")
    simulate(end - timedelta(days=3), end, metrics=metrics).to_parquet(cwd / "week.parquet")
    (cwd / "ion.toml").write_text(LATENCY)
    assert ion("slo", "--source", "file:week.parquet", "--format", "json", "-o", "f.json") == 0
    data = json.loads((cwd / "f.json").read_text())
    latency = data["objectives"][1]
    assert latency["status"] in ("met", "breached") and latency["partial"] is True
    (cwd / "ion.toml").write_text(LATENCY.replace("200", "250"))
    assert ion("slo", "--source", "file:week.parquet") == 3
    assert "over the last latency bucket bound 200" in capsys.readouterr().err


def test_github_and_junit_say_what_was_judged(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import xml.etree.ElementTree as ET

    gate = ["--fail-on", "budget-remaining-below", "30"]
    assert ion("slo", *SIM, *gate, "--format", "github") == 5
    out = capsys.readouterr().out
    errors = [line for line in out.splitlines() if line.startswith("::error")]
    # asia-southeast1 (7.4% left) and europe-west1 (14.0%) are under 30%; the fleet has 25.7%.
    assert len(errors) == 3 and all("error budget left" in e for e in errors)
    assert "objective(s) met" in out.splitlines()[-1]
    assert ion("slo", *SIM, *gate, "--format", "junit", "-o", "slo.xml") == 5
    root = ET.parse(cwd / "slo.xml").getroot()
    assert root.get("failures") == "3" and root.get("tests") == "12"

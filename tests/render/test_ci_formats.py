"""`--format github` (annotations) and `--format junit` for the gating commands."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ioncli.cli import run
from ioncli.render.ci import Case, annotation, github, junit
from tests.dashboards.frames import flat, frame, healthy_fleet, with_spike


def test_annotations_escape_what_github_parses() -> None:
    case = Case("s", "n", True, "50% of a,b:\nc", file="base lines/x,y.json", line=7)
    line = annotation(case, "ion: t")
    assert line == "::error file=base lines/x%2Cy.json,line=7,title=ion%3A t::50%25 of a,b:%0Ac"


def test_junit_counts_failures_and_skips_and_escapes() -> None:
    cases = [
        Case("a", "<one>", True, 'bad "x"', detail="x & y"),
        Case("a", "two", False, "ok"),
        Case("b", "three", False, "no budget", skipped=True),
    ]
    root = ET.fromstring(junit(cases, "ion"))
    assert root.attrib["tests"] == "3" and root.attrib["failures"] == "1"
    assert root.attrib["skipped"] == "1"
    first = root.find("testsuite/testcase")
    assert first is not None and first.attrib["name"] == "<one>"
    failure = first.find("failure")
    assert failure is not None and failure.text == "x & y"
    assert github(cases, "t", "done").splitlines() == ['::error title=t::bad "x"', "done"]


@pytest.fixture
def burning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    series = healthy_fleet()
    series["latency_p95{region=us-central1}"] = with_spike(flat(50.0), 100, 20, 250.0)
    path = tmp_path / "burning.parquet"
    frame(series, source="file").to_parquet(path)
    return path


def test_dashboard_annotations_and_junit(burning: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["dashboard", "--source", f"file:{burning}", "--fail-on", "critical"]
    assert run([*args, "-f", "json"]) == 5
    counts = json.loads(capsys.readouterr().out)["counts"]
    assert run([*args, "-f", "github"]) == 5
    out, err = capsys.readouterr()
    errors = [ln for ln in out.splitlines() if ln.startswith("::error ")]
    # one annotation per breached value, as many as the headline counts critical
    assert len(errors) == counts["critical"] >= 1
    assert all("title=ion dashboard · ion-mentoring::" in ln for ln in errors)
    assert any("us-central1 · latency_p95 is critical at" in ln for ln in errors)
    # the gate's line counts the same values as the headline
    assert f"{counts['critical']} value(s) at or above critical" in err
    assert run([*args, "-f", "junit"]) == 5
    root = ET.fromstring(capsys.readouterr().out)
    assert int(root.attrib["failures"]) == counts["critical"]
    assert int(root.attrib["tests"]) > counts["critical"]


def test_tune_alerts_drift_as_annotations_on_the_baselines_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    base = ["tune-alerts", "--source", "sim:5", "--metric", "latency_p95", "--step", "5m"]
    assert run([*base, "--since", "2d", "--region", "us-central1", "--region", "europe-west1"]) == 0
    capsys.readouterr()
    assert run([*base, "-f", "github"]) == 2  # not without --check
    assert "use it with --check" in capsys.readouterr().err
    path = tmp_path / "baselines" / "ion-mentoring.json"
    doc = json.loads(path.read_text())
    sid = sorted(doc["series"])[0]
    doc["series"][sid]["rule"]["critical"] *= 2
    path.write_text(json.dumps(doc, indent=2))
    region = ["--region", "us-central1", "--region", "europe-west1"]
    assert run([*base, *region, "--check", "-f", "github"]) == 5
    out = capsys.readouterr().out
    (line,) = [ln for ln in out.splitlines() if ln.startswith("::error")]
    number = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if f'"{sid}"' in t)
    assert f"file=baselines/ion-mentoring.json,line={number}," in line
    assert f"alert drift on {sid}: critical" in line and "-50.0 %" in line
    assert run([*base, *region, "--check", "-f", "junit"]) == 5
    root = ET.fromstring(capsys.readouterr().out)
    assert (root.attrib["tests"], root.attrib["failures"]) == ("2", "1")


def test_cost_budget_as_a_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    base = ["cost-report", "--source", "sim:3", "--since", "7d", "--until", "2026-03-01T00:00Z"]
    assert run([*base, "-f", "junit"]) == 0
    root = ET.fromstring(capsys.readouterr().out)
    assert root.attrib["skipped"] == "1"
    assert run([*base, "--budget", "1", "-f", "github"]) == 5
    out = capsys.readouterr().out
    assert out.startswith("::error title=ion cost-report · ion-mentoring::2026-02:")
    assert "over the budget of $1.00" in out


def test_other_commands_refuse_the_ci_formats(capsys: pytest.CaptureFixture[str]) -> None:
    from ioncli.errors import UsageError
    from ioncli.render import Format, OutputOptions, Renderers, emit

    plain: Renderers[str] = Renderers(str, str, str, str)
    with pytest.raises(UsageError, match="for the gating commands"):
        emit("x", plain, OutputOptions(Format.JUNIT))

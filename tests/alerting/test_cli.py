"""`ion tune-alerts` as a user runs it: formats, files, exit codes, --check and --apply."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from tests.fakes.alert_policy import FakeAlertPolicies
from tests.helpers import run_ion

from .frames import PER_DAY, index, latency

SCHEMA = json.loads(
    (
        Path(__file__).resolve().parents[2] / "ioncli" / "schemas" / "tune_alerts.schema.json"
    ).read_text()
)
SIM = ["--source", "sim:3", "--since", "2d", "--until", "2026-03-01T00:00:00Z", "--step", "5m"]


def write_csv(path: Path, days: float, spike_day: float | None = None) -> Path:
    values = latency(days)
    if spike_day is not None:
        at = int(spike_day * PER_DAY)
        values[at : at + 3] = 900.0
    rows = [f"{t:%Y-%m-%d %H:%M:%S},{v:.3f}" for t, v in zip(index(days), values, strict=True)]
    path.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "latency_p95.csv", 5, spike_day=4.2)


@pytest.mark.slow
def test_json_learn_then_test_on_a_nab_style_csv(tmp_path: Path, csv_file: Path) -> None:
    run = run_ion(
        "tune-alerts",
        "--source",
        f"file:{csv_file}",
        "--baseline-end",
        "2026-01-07T00:00:00",
        "--format",
        "json",
        "--write",  # a file source writes nothing unless asked
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    jsonschema.validate(data, SCHEMA)
    (series,) = data["series"]
    assert series["id"] == "latency_p95" and series["direction"] == "high"
    assert data["baseline_end"] == "2026-01-07T00:00:00Z"
    starts = [a["start"] for a in series["backtest"]["alerts"]]
    assert any(s.startswith("2026-01-09T04:") or s.startswith("2026-01-09T05:") for s in starts)
    assert all(s >= "2026-01-07T00:00:00Z" for s in starts)
    written = json.loads((tmp_path / "baselines" / "ion-mentoring.json").read_text())
    assert written["series"]["latency_p95"]["rule"]["kind"] == series["rule"]["kind"]


@pytest.mark.slow
def test_every_format_and_output_file(tmp_path: Path) -> None:
    for fmt, marker in (
        ("markdown", "### Proposed rules"),
        ("html", "<!doctype html>"),
        ("text", "Proposed rules"),
    ):
        out = tmp_path / f"report.{fmt}"
        run = run_ion(
            "tune-alerts",
            *SIM,
            "--metric",
            "latency_p95",
            "--format",
            fmt,
            "-o",
            str(out),
            "--no-write",
            cwd=tmp_path,
        )
        assert run.returncode == 0, run.stderr
        assert marker in out.read_text()
    assert not (tmp_path / "baselines").exists()


@pytest.mark.slow
def test_check_passes_then_fails_on_drift_and_on_a_broken_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ("tune-alerts", *SIM, "--metric", "latency_p95", "--metric", "availability")
    assert ion(capsys, *args, "--format", "json")[0] == 0
    path = tmp_path / "baselines" / "ion-mentoring.json"
    code, out, err = ion(capsys, *args, "--check")
    assert code == 0, err
    assert "no drift" in out

    data = json.loads(path.read_text())
    sid = next(iter(data["series"]))
    rule = data["series"][sid]["rule"]
    rule["critical"] = (rule["critical"] or rule["low"]["critical"]) * 3
    path.write_text(json.dumps(data))
    drift = run_ion(*args, "--check", "--format", "markdown", cwd=tmp_path)
    assert drift.returncode == 5
    assert "alert drift" in drift.stderr and "**drift**" in drift.stdout
    assert json.loads(path.read_text()) == data  # --check never rewrites the file

    path.write_text(path.read_text()[:-20])
    code, _, err = ion(capsys, *args, "--check")
    assert code == 3
    assert "not valid JSON at line" in err and "Traceback" not in err


def ion(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process (same entry point as the script, no interpreter start-up)."""
    from ioncli.cli import run

    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, " ".join(err.split())


def test_bad_input_exit_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    short = write_csv(tmp_path / "short.csv", 0.5)
    code, _, err = ion(capsys, "tune-alerts", "--source", f"file:{short}")
    assert code == 4 and "not enough data" in err and "24 h" in err

    ok = write_csv(tmp_path / "ok.csv", 3)
    code, _, err = ion(
        capsys, "tune-alerts", "--source", f"file:{ok}", "--baseline-end", "2030-01-01"
    )
    assert code == 4 and "outside the data" in err

    code, _, err = ion(capsys, "tune-alerts", "--source", f"file:{ok}", "--baseline-end", "soon")
    assert code == 2 and "not an ISO time" in err

    code, _, _ = ion(capsys, "tune-alerts", "--source", f"file:{ok}", "--yes")
    assert code == 2

    incidents = tmp_path / "inc.csv"
    incidents.write_text("start,end\n2025-12-01,2026-02-01\n")
    code, _, err = ion(
        capsys, "tune-alerts", "--source", f"file:{ok}", "--incidents", str(incidents)
    )
    assert code == 4 and "entirely inside known incidents" in err

    (tmp_path / "ion.toml").write_text('[alerts]\nrule = "magic"\n')
    code, _, err = ion(capsys, "tune-alerts", "--source", f"file:{ok}")
    assert code == 3 and "alerts.rule" in err
    (tmp_path / "ion.toml").unlink()

    flat = tmp_path / "flat.csv"
    rows = [
        f"{t:%Y-%m-%d %H:%M:%S},{v}"
        for t, v in zip(index(2), np.full(2 * PER_DAY, 3.0), strict=True)
    ]
    flat.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    code, out, err = ion(capsys, "tune-alerts", "--source", f"file:{flat}", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["series"][0]["baseline"]["std"] == 0


@pytest.fixture
def fake() -> Iterator[FakeAlertPolicies]:
    server = FakeAlertPolicies()
    server.start()
    yield server
    server.stop()


@pytest.mark.slow
def test_apply_is_a_dry_run_until_yes(
    tmp_path: Path,
    fake: FakeAlertPolicies,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ("tune-alerts", *SIM, "--metric", "latency_p95", "--region", "us-central1", "--apply")
    code, _, err = ion(capsys, *args)
    assert code == 3 and "project" in err

    monkeypatch.setenv("ION_MONITORING_EMULATOR_HOST", fake.address)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo-project")
    code, out, err = ion(capsys, *args, "--format", "json")
    assert code == 0, err
    plan = json.loads(out)["apply"]
    assert plan["dry_run"] and [i["action"] for i in plan["items"]] == ["create"]
    assert fake.policies == {}

    code, out, err = ion(capsys, *args, "--yes")
    assert code == 0, err
    assert "applied 1" in out
    assert len(fake.policies) == 1
    code, out, _ = ion(capsys, *args, "--yes", "--format", "json")
    assert [i["action"] for i in json.loads(out)["apply"]["items"]] == ["unchanged"]

    # Through the installed script too, as CI would run it.
    env = {"ION_MONITORING_EMULATOR_HOST": fake.address, "GOOGLE_CLOUD_PROJECT": "demo-project"}
    again = run_ion(*args, cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert "unchanged" in again.stdout and "dry run" in again.stdout, again.stdout


def test_a_rejected_apply_leaves_the_baselines_file_and_still_prints_the_report(
    tmp_path: Path,
    fake: FakeAlertPolicies,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ION_MONITORING_EMULATOR_HOST", fake.address)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo-project")
    args = ("tune-alerts", *SIM, "--metric", "latency_p95", "--region", "us-central1")
    code, _, err = ion(capsys, *args, "--apply", "--yes")
    assert code == 0, err
    target = tmp_path / "baselines" / "ion-mentoring.json"
    before = target.read_bytes()
    policies = fake.snapshot()
    fake.reject_update.update(p.name for p in fake.policies.values())

    # A different range moves the thresholds: the update is rejected and undone.
    moved = [a if a != "2026-03-01T00:00:00Z" else "2026-03-03T00:00:00Z" for a in args]
    code, out, err = ion(capsys, *moved, "--apply", "--yes", "--format", "json")
    assert code == 1 and "rejected" in err
    report = json.loads(out)  # the report is still printed, and it says what happened
    jsonschema.validate(report, SCHEMA)
    assert report["apply"]["error"] and "rejected" in report["apply"]["error"]
    assert report["baselines_file"] is None
    assert target.read_bytes() == before
    assert fake.snapshot() == policies


def test_duration_is_whole_steps_rounded_up_and_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ("tune-alerts", *SIM, "--metric", "latency_p95", "--no-write", "--format", "json")
    for given, expected in ((300, 300), (60, 300), (0, 0), (301, 600), (600, 600)):
        code, out, err = ion(capsys, *args, "--duration", str(given))
        assert code == 0, err
        data = json.loads(out)
        for s in data["series"]:
            assert s["rule"]["duration_seconds"] == expected
            assert s["rule"]["condition"]["for_seconds"] == expected
        rounded = [w for w in data["warnings"] if "--duration" in w]
        assert bool(rounded) == (given != expected), data["warnings"]
    code, out, _ = ion(capsys, *args[:-2], "--duration", "60")
    assert "rounded up to 300 s" in out
    # Without --duration: 5 minutes of data, one point at this 5-minute step (`for` 0).
    code, out, _ = ion(capsys, *args)
    assert {s["rule"]["duration_seconds"] for s in json.loads(out)["series"]} == {0}


@pytest.mark.slow
def test_prometheus_rules_format_passes_promtool_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.helpers import require_program

    promtool = require_program("promtool")
    monkeypatch.chdir(tmp_path)
    out_file = tmp_path / "ion-rules.yml"
    rules_args = ("--no-write", "--format", "prometheus-rules", "-o", str(out_file))
    code, _, err = ion(capsys, "tune-alerts", *SIM, *rules_args)
    assert code == 0, err
    text = out_file.read_text()
    assert "run_googleapis_com:request_latencies_bucket" in text
    import subprocess

    done = subprocess.run(
        [promtool, "check", "rules", str(out_file)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    code, out, _ = ion(capsys, "tune-alerts", *SIM, "--no-write", "--format", "json")
    data = json.loads(out)
    written = [s for s in data["series"] if s["rule"]["condition"]["type"] != "none"]
    assert text.count("- alert: ") == len(written) > 0

"""`tune-alerts --check` as a CI gate that means drift; default runs never clobber baselines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .test_cli import ion, write_csv

ONE = ("--metric", "latency_p95", "--region", "us-central1", "--step", "5m")


def test_check_right_after_writing_passes_on_the_default_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The default range ends "now": --check must reuse the written window, not a newer one.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    args = ("tune-alerts", "--source", "sim:5", "--since", "2d", *ONE)
    code, _, err = ion(capsys, *args)
    assert code == 0, err
    stored = json.loads((tmp_path / "baselines" / "ion-mentoring.json").read_text())
    code, out, err = ion(capsys, "tune-alerts", "--source", "sim:5", *ONE, "--check")
    assert code == 0, err
    assert "no drift" in out and "Drifted" not in out and "Noise" not in out
    code, out, _ = ion(capsys, "tune-alerts", "--source", "sim:5", *ONE, "--check", "-f", "json")
    checked = json.loads(out)
    assert checked["start"] == stored["window"]["start"]
    assert checked["end"] == stored["window"]["end"]
    assert checked["check"]["drifts"] == []


def test_check_on_a_file_source_after_an_explicit_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    data = write_csv(tmp_path / "latency_p95.csv", 3)
    code, _, err = ion(capsys, "tune-alerts", "--source", f"file:{data}", "--write")
    assert code == 0, err
    code, out, err = ion(capsys, "tune-alerts", "--source", f"file:{data}", "--check")
    assert code == 0, err
    assert "no drift" in out


def test_a_file_source_or_another_service_leaves_the_baselines_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The README's CSV example used to replace 75 committed series with one.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    committed = tmp_path / "baselines" / "ion-mentoring.json"
    committed.parent.mkdir()
    committed.write_text('{"keep": true}')
    data = write_csv(tmp_path / "cpu.csv", 2)
    code, out, err = ion(capsys, "tune-alerts", "--source", f"file:{data}")
    assert code == 0, err
    assert committed.read_text() == '{"keep": true}'
    assert "not written: the data came from a file" in " ".join(out.split())
    code, _, err = ion(
        capsys, "tune-alerts", "--source", "sim:5", "--since", "1d", *ONE, "--service", "other"
    )
    assert code == 0, err
    assert not (tmp_path / "baselines" / "other.json").exists()
    code, _, err = ion(
        capsys, "tune-alerts", "--source", "sim:5", "--since", "1d", *ONE, "--check", "--write"
    )
    assert code == 2 and "--check never writes" in err


def test_drift_rows_are_signed_and_split_from_noise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "80")
    args = ("tune-alerts", "--source", "sim:5", "--since", "2d", *ONE)
    assert ion(capsys, *args)[0] == 0
    path = tmp_path / "baselines" / "ion-mentoring.json"
    doc = json.loads(path.read_text())
    (sid,) = doc["series"]
    rule = doc["series"][sid]["rule"]
    now_critical, now_warning = rule["critical"], rule["warning"]
    rule["critical"] = now_critical / 0.85  # now is 15 % below the committed value
    rule["warning"] = now_warning / 1.03  # now is 3 % above: noise within 10 %
    path.write_text(json.dumps(doc))
    code, out, err = ion(capsys, "tune-alerts", "--source", "sim:5", *ONE, "--check")
    assert code == 5 and "alert drift" in err
    text = " ".join(out.split())
    assert "1 drifted, 1 moved within tolerance" in text
    assert "-15.0 %" in text and "+3.0 %" in text
    assert sid in out  # the whole id, never cut with an ellipsis
    assert "…" not in out
    code, out, _ = ion(
        capsys, "tune-alerts", "--source", "sim:5", *ONE, "--check", "-f", "markdown"
    )
    assert "Alert drift: 1 drifted" in out and "Noise within tolerance (1)" in out


def test_check_and_apply_fail_fast_before_pulling_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A local source with nothing listening would be exit 4 if the data came first.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    (tmp_path / "ion.toml").write_text('local_url = "http://127.0.0.1:9"\n')
    code, _, err = ion(capsys, "tune-alerts", "--check")
    assert code == 3 and "no baselines file" in err
    code, _, err = ion(capsys, "tune-alerts", "--apply")
    assert code == 3 and "project" in err


def test_help_states_the_real_default_range() -> None:
    from typer.testing import CliRunner

    from ioncli.cli import app

    text = " ".join(CliRunner().invoke(app, ["tune-alerts", "--help"]).output.split())
    assert "Default 7d" in text and "Default 24h" not in text


def test_check_right_after_writing_passes_on_cloud_monitoring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The real Monitoring client against the fake MetricService, as in production: the
    # default range ends "now minus the data lag", so a later --check must reuse the stored one.
    from datetime import UTC, datetime, timedelta

    from ioncli.sources.sim import simulate
    from tests.fakes.monitoring import serve_monitoring
    from tests.fakes.monitoring_fleet import fleet_series

    monkeypatch.chdir(tmp_path)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    frame = simulate(now - timedelta(hours=32), now, seed=5, regions=("us-central1",))
    args = ("tune-alerts", "--source", "gcp", "--metric", "latency_p95", "--step", "5m")
    with serve_monitoring(fleet_series(frame)) as fake:
        monkeypatch.setenv("ION_MONITORING_EMULATOR_HOST", fake.address)
        monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo")
        code, _, err = ion(capsys, *args, "--since", "30h", "--region", "us-central1")
        assert code == 0, err
        code, out, err = ion(capsys, *args, "--region", "us-central1", "--check")
    assert code == 0, err
    assert "no drift" in out

"""`ion dashboard` as users drive it: sources, formats, exit codes, CI gate, step summary."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import jsonschema
import pytest

from ioncli.cli import run
from tests.dashboards.frames import flat, frame, healthy_fleet, with_spike
from tests.helpers import ROOT, ion_executable, run_ion

SCHEMA = json.loads((ROOT / "ioncli" / "schemas" / "dashboard.schema.json").read_text())


@pytest.fixture
def healthy(tmp_path: Path) -> Path:
    path = tmp_path / "healthy.parquet"
    frame(healthy_fleet(), source="file").to_parquet(path)
    return path


@pytest.fixture
def burning(tmp_path: Path) -> Path:
    series = healthy_fleet()
    series["latency_p95{region=us-central1}"] = with_spike(flat(50.0), 100, 20, 250.0)
    path = tmp_path / "burning.parquet"
    frame(series, source="file").to_parquet(path)
    return path


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ion.toml or baselines/ of the developer's checkout
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "80")


def test_json_from_a_file_matches_the_schema(
    healthy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["dashboard", "all", "--source", f"file:{healthy}", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, SCHEMA)
    assert doc["status"] == "ok" and len(doc["dashboards"]) == 5


def test_default_is_the_overview_and_several_can_be_named(
    healthy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["dashboard", "--source", f"file:{healthy}", "-f", "json"])
    assert [d["name"] for d in json.loads(capsys.readouterr().out)["dashboards"]] == ["overview"]
    run(["dashboard", "cache", "performance", "--source", f"file:{healthy}", "-f", "json"])
    names = [d["name"] for d in json.loads(capsys.readouterr().out)["dashboards"]]
    assert names == ["performance", "cache"]


def test_fail_on_gates_after_the_report_is_written(
    burning: Path, healthy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(
        ["dashboard", "--source", f"file:{burning}", "-f", "markdown", "--fail-on", "critical"]
    )
    out, err = capsys.readouterr()
    assert code == 5
    assert out.startswith("🔴 **ion-mentoring is CRITICAL")
    assert "latency_p95{region=us-central1}" in err and "--fail-on" in err
    assert run(["dashboard", "--source", f"file:{healthy}", "--fail-on", "warning"]) == 0


def test_an_empty_time_range_is_exit_4(healthy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(
        [
            "dashboard",
            "--source",
            f"file:{healthy}",
            "--since",
            "2020-01-01T00:00",
            "--until",
            "2020-01-02T00:00",
        ]
    )
    assert code == 4
    err = capsys.readouterr().err
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        ["nonsense"],
        ["--watch", "5", "--format", "json"],
        ["--watch", "5", "--step-summary"],
        ["--watch", "5", "--fail-on", "critical"],
        ["--fail-on", "sometimes"],
    ],
)
def test_usage_errors_are_exit_2(args: list[str], healthy: Path) -> None:
    assert run(["dashboard", "--source", f"file:{healthy}", *args]) == 2


def test_output_file_and_step_summary(
    healthy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("before\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = tmp_path / "dash.html"
    args = ["dashboard", "all", "--source", f"file:{healthy}", "-f", "html", "-o", str(out)]
    assert run([*args, "--step-summary"]) == 0
    assert out.read_text().startswith("<!doctype html>")
    appended = summary.read_text()
    assert appended.startswith("before\n\n---\n\n🟢 **ion-mentoring is OK")


def test_committed_baselines_are_used_and_named(
    healthy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "baselines").mkdir()
    rule = {"kind": "tuned", "direction": "high", "warning": 30.0, "critical": 45.0}
    (tmp_path / "baselines" / "ion-mentoring.json").write_text(
        json.dumps(
            {
                "schema_version": 1,
                "service": "ion-mentoring",
                "series": {
                    "latency_p95{region=us-central1}": {"rule": rule},
                    "retired_metric{region=us-central1}": {"rule": rule},
                },
            }
        )
    )
    assert run(["dashboard", "--source", f"file:{healthy}", "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["thresholds"]["kind"] == "baselines"
    assert doc["thresholds"]["origin"].endswith("ion-mentoring.json")
    assert doc["status"] == "critical"  # 50 ms against the tuned 45 ms


@pytest.mark.slow
def test_the_installed_command_on_the_simulator_reads_well_at_80_columns() -> None:
    result = run_ion("dashboard", "all", "--source", "sim", "--since", "3h", env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(("✓", "▲", "✖"))
    assert "sim:7 (simulated)" in result.stdout
    assert all(len(line) <= 80 for line in lines)
    assert "\x1b[" not in result.stdout


@pytest.mark.slow
def test_watch_refreshes_until_interrupted_and_survives_a_failed_refresh(
    tmp_path: Path, healthy: Path
) -> None:
    import pty
    import threading

    # PYTHONFAULTHANDLER: if Ctrl-C ever fails to stop it, SIGABRT makes it print every
    # thread's stack, so the failure says where it hung.
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "80", "PYTHONFAULTHANDLER": "1"}
    # --watch needs a terminal: give it a pseudo-terminal and read what it draws.
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*ion_executable(), "dashboard", "--source", f"file:{healthy}", "--watch", "1"],
        cwd=tmp_path,
        env=env,
        stdout=slave,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(slave)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()

    def shown(text: str, within: float = 60.0) -> bool:
        # Wait for what the screen shows, not for wall-clock time: on a loaded machine the
        # first frame can take seconds, and a SIGINT before it would interrupt the imports.
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if text in b"".join(chunks).decode("utf-8", "replace"):
                return True
            if proc.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    try:
        assert shown("Overview"), "the first frame never appeared"
        healthy.unlink()  # the next refresh fails: the view stays and says so
        assert shown("refresh failed"), "the failed refresh was never shown"
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)
            _, err = proc.communicate(timeout=10)
            pytest.fail(f"ion dashboard --watch did not stop at Ctrl-C; where it was:\n{err}")
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(timeout=5)
    os.close(master)
    out = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, err
    assert "Overview" in out
    assert "refresh failed" in out and "showing the last data" in out


@pytest.mark.slow
def test_watch_off_a_terminal_is_a_usage_error(healthy: Path, tmp_path: Path) -> None:
    # Piped, a live view would print nothing and never stop: the README promises exit 2.
    result = run_ion("dashboard", "--source", f"file:{healthy}", "--watch", "1", cwd=tmp_path)
    assert result.returncode == 2
    assert "--watch needs a terminal" in result.stderr


def test_a_malformed_baselines_file_is_a_configuration_error(
    healthy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "baselines").mkdir()
    (tmp_path / "baselines" / "ion-mentoring.json").write_text("{not json")
    assert run(["dashboard", "--source", f"file:{healthy}"]) == 3
    err = capsys.readouterr().err
    assert "ion-mentoring.json" in err and len(err.strip().splitlines()) == 1


def test_the_same_data_gives_the_same_report(
    healthy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = []
    for _ in range(2):
        assert run(["dashboard", "all", "--source", f"file:{healthy}", "-f", "json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        doc.pop("generated_at")
        outputs.append(doc)
    assert outputs[0] == outputs[1]

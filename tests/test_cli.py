"""The CLI as users drive it: Typer's runner in-process and the installed `ion` in a subprocess."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ioncli import __version__
from ioncli.cli import app, run
from tests.helpers import run_ion

COMMANDS = ["serve", "dashboard", "tune-alerts", "cost-report"]
runner = CliRunner()


def plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_root_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"], env={"NO_COLOR": "1", "COLUMNS": "120"})
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in plain(result.output)
    assert "Exit codes" in plain(result.output)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples(command: str) -> None:
    result = runner.invoke(app, [command, "--help"], env={"NO_COLOR": "1", "COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    text = plain(result.output)
    assert "Examples" in text
    assert f"ion {command}" in text


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_flag(flag: str) -> None:
    result = runner.invoke(app, [flag])
    assert result.exit_code == 0
    assert result.output.strip() == f"ion {__version__}"


def test_root_help_has_no_stray_markup_escapes() -> None:
    result = runner.invoke(app, ["--help"])
    assert "[tool.ion]" in result.output and "\\[" not in result.output


def test_no_arguments_shows_help_and_is_a_usage_error() -> None:
    assert run([]) == 2


def test_unknown_command_is_a_usage_error() -> None:
    assert run(["frobnicate"]) == 2


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_config_file_is_exit_3_before_any_work(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["--config", str(tmp_path / "missing.toml"), command])
    err = capsys.readouterr().err
    assert code == 3
    assert "missing.toml does not exist" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", COMMANDS)
def test_malformed_config_is_one_line_and_exit_3(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.toml").write_text("regions = [\n")
    code = run(["--config", str(tmp_path / "bad.toml"), command])
    err = capsys.readouterr().err.strip()
    assert code == 3
    assert "malformed TOML" in err
    assert len(err.splitlines()) == 1


def test_unexpected_errors_are_one_line_without_debug_and_a_traceback_with_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import ioncli.commands._common as common

    def explode(self: common.AppState) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(common.AppState, "settings", explode)
    assert run(["dashboard"]) == 1
    err = capsys.readouterr().err
    assert "unexpected ZeroDivisionError: boom" in err
    assert "--debug" in err
    assert "Traceback" not in err
    assert run(["--debug", "dashboard"]) == 1
    assert "Traceback" in capsys.readouterr().err


@pytest.mark.slow
def test_installed_ion_runs_in_a_subprocess(tmp_path: Path) -> None:
    version = run_ion("--version", cwd=tmp_path)
    assert version.returncode == 0
    assert version.stdout.strip() == f"ion {__version__}"
    help_text = run_ion("--help", cwd=tmp_path)
    assert help_text.returncode == 0
    for command in COMMANDS:
        assert command in help_text.stdout
    bad = run_ion("--config", "nope.toml", "dashboard", cwd=tmp_path)
    assert bad.returncode == 3
    assert bad.stderr.strip() == "error: config file nope.toml does not exist"


@pytest.mark.slow
def test_python_dash_m_ioncli_is_the_same_cli(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "ioncli", "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"ion {__version__}"


def test_shell_completion_is_offered() -> None:
    result = runner.invoke(app, ["--show-completion", "bash"], env={"SHELL": "/bin/bash"})
    assert result.exit_code == 0
    assert "complete" in result.output


def test_quiet_and_verbose_change_only_the_commentary_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    data = tmp_path / "latency_p95.csv"
    rows = [f"2026-01-01T00:{m:02d}:00Z,{m}" for m in range(30)] + ["2026-01-01T00:05:00Z,9"]
    data.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    args = ["dashboard", "--source", f"file:{data}", "-f", "json"]
    assert run(args) == 0
    err = capsys.readouterr().err
    assert "warning: latency_p95.csv: 1 duplicate timestamps" in err
    assert run(["--quiet", *args]) == 0
    quiet_out, quiet_err = capsys.readouterr()
    assert quiet_err == "" and "duplicate timestamps" in quiet_out  # still in the report
    assert run(["-v", *args]) == 0
    assert "ion: loaded 1 series x 30 steps" in capsys.readouterr().err
    assert run(["-q", "-v", *args]) == 2

"""The output conventions every report command shares (ioncli.render)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ioncli.errors import UsageError
from ioncli.render import (
    MARKDOWN_LIMIT,
    Format,
    OutputOptions,
    Renderers,
    append_step_summary,
    emit,
    fit_markdown,
    to_json,
    write_atomic,
)

SAMPLE = {"title": "hello", "value": 1.5}
RENDERERS: Renderers[dict[str, object]] = Renderers(
    text=lambda r: f"[bold]{r['title']}[/bold] {r['value']}",
    json=to_json,
    markdown=lambda r: f"# {r['title']}\n\nvalue: {r['value']}\n",
    html=lambda r: f"<h1>{r['title']}</h1>",
)


def test_write_atomic_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old")
    write_atomic(target, "new content")
    assert target.read_text() == "new content"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]  # no temp file left behind


def test_write_atomic_into_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        write_atomic(tmp_path / "nope" / "report.md", "x")


def test_write_atomic_onto_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a directory"):
        write_atomic(tmp_path, "x")


def test_a_failing_write_leaves_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")

    def broken_replace(self: Path, other: Path) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", broken_replace)
    with pytest.raises(UsageError, match="No space left"):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_fit_markdown_keeps_short_text_and_cuts_long_text_with_a_note() -> None:
    assert fit_markdown("# short\n") == "# short\n"
    long = "".join(f"| row {i} | {'x' * 80} |\n" for i in range(2000))
    cut = fit_markdown(long)
    assert len(cut) <= MARKDOWN_LIMIT
    assert "Truncated" in cut
    body = cut.split("\n\n> **Truncated:**")[0]
    assert long.startswith(body)
    assert body.endswith("|")  # cut at a line boundary, never mid-row


def test_to_json_uses_iso_utc_and_null_for_nan() -> None:
    moment = datetime(2026, 11, 28, 19, 0, tzinfo=timezone(timedelta(hours=9)))
    data = json.loads(to_json({"t": moment, "x": math.nan, "y": 2, "f": Format.JSON}))
    assert data == {"t": "2026-11-28T10:00:00Z", "x": None, "y": 2, "f": "json"}


def test_to_json_treats_naive_datetimes_as_utc() -> None:
    assert json.loads(to_json([datetime(2026, 1, 1, 12)])) == ["2026-01-01T12:00:00Z"]
    assert json.loads(to_json([datetime(2026, 1, 1, 12, tzinfo=UTC)])) == ["2026-01-01T12:00:00Z"]


@pytest.mark.parametrize("fmt", [Format.TEXT, Format.JSON, Format.MARKDOWN, Format.HTML])
def test_emit_writes_each_format_to_the_output_file(tmp_path: Path, fmt: Format) -> None:
    target = tmp_path / f"out.{fmt.value}"
    emit(SAMPLE, RENDERERS, OutputOptions(fmt, target), env={})
    text = target.read_text()
    assert "hello" in text
    assert "\x1b[" not in text  # files never get terminal colour codes


def test_emit_text_to_a_pipe_is_plain(capsys: pytest.CaptureFixture[str]) -> None:
    emit(SAMPLE, RENDERERS, OutputOptions(Format.TEXT), env={})
    out = capsys.readouterr().out
    assert out.strip() == "hello 1.5"


def test_step_summary_appends_markdown_when_the_variable_is_set(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    emit(
        SAMPLE,
        RENDERERS,
        OutputOptions(Format.JSON, tmp_path / "r.json", step_summary=True),
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert summary.read_text() == "earlier step\n\n---\n\n# hello\n\nvalue: 1.5\n"


def test_step_summary_without_the_variable_writes_nothing() -> None:
    assert append_step_summary("# x", env={}) is False


def test_output_gets_the_umask_mode_and_keeps_an_existing_files_mode(tmp_path: Path) -> None:
    import os
    import stat

    old = os.umask(0o022)
    try:
        fresh = tmp_path / "new.md"
        write_atomic(fresh, "x")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644  # not mkstemp's 0600
        os.umask(0o077)
        kept = tmp_path / "kept.md"
        kept.write_text("old")
        kept.chmod(0o640)
        write_atomic(kept, "new")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_a_symlinked_output_keeps_the_link_and_replaces_its_target(tmp_path: Path) -> None:
    real = tmp_path / "real" / "report.md"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "report.md"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert sorted(p.name for p in real.parent.iterdir()) == ["report.md"]


def test_a_fifo_or_device_is_written_to_not_replaced(tmp_path: Path) -> None:
    import os
    import stat
    import threading

    write_atomic(Path("/dev/null"), "gone")  # as root, replacing it would break the box
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    write_atomic(fifo, "through the pipe")
    reader.join(timeout=10)
    assert got == ["through the pipe"] and stat.S_ISFIFO(fifo.stat().st_mode)


def test_dash_output_is_stdout(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    emit(SAMPLE, RENDERERS, OutputOptions(Format.JSON, Path("-")))
    assert json.loads(capsys.readouterr().out) == SAMPLE
    assert not (tmp_path / "-").exists()


def test_reports_appended_to_one_step_summary_stay_apart(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    append_step_summary("## One\n\n| a |\n|---|\n| 1 |", env)
    append_step_summary("## Two\n", env)
    text = summary.read_text()
    # a heading right under a table row would be read as one more row
    assert text == "## One\n\n| a |\n|---|\n| 1 |\n\n---\n\n## Two\n"

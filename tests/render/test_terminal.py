"""Text output at 80 columns: nothing cut (no ellipsis, no figure split), ids whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table

from ioncli.cli import run
from ioncli.render import readable

SIM = ["--source", "sim:3", "--until", "2026-03-01T00:00:00Z"]


def _text(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert run(list(args)) in (0, 5)
    return capsys.readouterr().out


@pytest.fixture(autouse=True)
def _narrow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "80")


def _fits(text: str) -> None:
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_cost_figures_are_never_cut(capsys: pytest.CaptureFixture[str]) -> None:
    text = _text(capsys, "cost-report", *SIM, "--since", "7d")
    _fits(text)
    doc = json.loads(_text(capsys, "cost-report", *SIM, "--since", "7d", "-f", "json"))
    for region in doc["regions"]:
        assert f"${region['monthly']['total']:,.2f}" in text  # e.g. $660.43, whole


def test_tune_alerts_ids_whole_and_short_at_80_columns(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["tune-alerts", *SIM, "--since", "2d", "--step", "5m", "--no-write"]
    text = _text(capsys, *args)
    _fits(text)
    doc = json.loads(_text(capsys, *args, "-f", "json"))
    lines = text.splitlines()
    for series in doc["series"]:
        assert series["id"] in lines  # on a line of its own, never cut or folded
    rules = lines[lines.index("Proposed rules") + 1 :]
    block = rules[
        : next(i for i, ln in enumerate(rules) if not ln.strip() or ln == "Why each rule")
    ]
    assert len(block) <= 3.5 * len(doc["series"])  # was 5-6 lines a series


def test_dashboard_and_slo_fit(capsys: pytest.CaptureFixture[str]) -> None:
    _fits(_text(capsys, "dashboard", "all", *SIM, "--since", "1d"))
    _fits(_text(capsys, "slo", *SIM))


def test_a_wide_table_is_stacked_and_a_narrow_one_kept() -> None:
    table = Table(title="Money")
    for name in ("region", "billing", "idle min", "active", "requests", "total", "projected"):
        table.add_column(name, justify="left" if name in ("region", "billing") else "right")
    table.add_row("asia-southeast1", "request-based", *["$12,345.67"] * 5)
    console = Console(width=80, record=True, color_system=None)
    console.print(readable(table))
    text = console.export_text()
    assert text.splitlines()[:2] == ["Money", "asia-southeast1"]
    assert text.count("$12,345.67") == 5 and "…" not in text
    small = Table()
    small.add_column("a")
    small.add_row("1")
    console = Console(width=80, record=True, color_system=None)
    console.print(readable(small))
    assert "┃ a ┃" in console.export_text()


def test_a_table_that_fits_only_by_breaking_words_is_stacked() -> None:
    # rich's own minimum counts the no-wrap figure columns by their longest word, so this
    # table "fitted" in 80 columns with `comp|uted` folded and the region cut to `us-centr`.
    table = Table(title="Windows")
    for name in ("region", "schedule", "windows (min)", "cost / month", "saved vs now",
                 "cold starts / week"):  # fmt: skip
        wraps = name in ("schedule", "windows (min)")
        table.add_column(name, justify="left" if wraps else "right", no_wrap=not wraps)
    windows = "daily 08:00–09:00: 4, daily 12:00–13:00: 4"
    table.add_row("us-central1", "computed original report", windows, "$616.69", "$16.64", "101")
    console = Console(width=80, record=True, color_system=None)
    console.print(readable(table))
    text = console.export_text()
    assert text.splitlines()[:2] == ["Windows", "us-central1"]
    assert "computed original report" in text and "…" not in text

"""Every template under templates/ parses; each area's tests render its own with real reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from ioncli.render.jinja import autoescapes, environment, md_cell, number
from ioncli.resources import templates_dir

TEMPLATES = sorted(str(p.relative_to(templates_dir())) for p in templates_dir().rglob("*.j2"))


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_compiles(name: str) -> None:
    environment().get_template(name)


def test_html_templates_escape_values_and_markdown_ones_do_not() -> None:
    assert autoescapes("dashboard/report.html.j2")
    assert autoescapes("page.html")
    assert autoescapes("chart.svg.j2")
    assert not autoescapes("dashboard/report.md.j2")
    assert not autoescapes(None)


def test_markdown_cells_are_escaped() -> None:
    assert md_cell("a|b\nc <script>") == "a\\|b c &lt;script&gt;"


def test_number_filter() -> None:
    assert number(None) == "–"
    assert number(float("nan")) == "–"
    assert number(1234567.0) == "1,234,567"
    assert number(0.12345, 3) == "0.123"


def test_simulated_reports_say_so_in_markdown_and_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ioncli.cli import run

    monkeypatch.chdir(tmp_path)
    sim = ["--source", "sim:3", "--until", "2026-03-01T00:00:00Z"]
    for args in (
        ["cost-report", *sim, "--since", "1d"],
        ["tune-alerts", *sim, "--since", "2d", "--step", "5m", "--metric", "latency_p95",
         "--no-write"],
    ):  # fmt: skip
        for fmt in ("markdown", "html"):
            assert run([*args, "-f", fmt]) == 0
            assert "simulated" in capsys.readouterr().out, (args[0], fmt)

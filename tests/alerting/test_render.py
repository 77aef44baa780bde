"""The tune-alerts report read by a person: what each rule is and which condition runs."""

from __future__ import annotations

from datetime import timedelta

from rich.console import Console

from ioncli.alerting.analysis import build_report
from ioncli.alerting.model import TuneReport
from ioncli.alerting.render import render_markdown, render_text
from ioncli.alerting.tune import TuneOptions

from .frames import START, frame, latency


def _report() -> TuneReport:
    options = TuneOptions(
        baseline_end=(START + timedelta(days=3)).to_pydatetime(),
        directions={"latency_p95": "high"},
    )
    return build_report(frame({"latency_p95": latency(6)}, 6), options, service="svc")


def test_text_and_markdown_say_the_rule_and_the_condition_that_runs() -> None:
    report = _report()
    (series,) = report.series
    assert series.rule.kind == "envelope" and series.rule.adaptive
    cond = series.rule.condition
    assert cond is not None and cond.type == "promql"
    console = Console(width=200, record=True, color_system=None)
    console.print(render_text(report))
    text = " ".join(console.export_text().split())  # the console wraps long lines
    # An adaptive band moves: the table shows where it stands now, the rule says what it is.
    assert "now > " in text
    assert f"rule: {series.rule.explanation}" in text
    assert f"runs as: {cond.note}" in text
    md = render_markdown(report)
    assert f"Rule: {series.rule.explanation}" in md
    assert f"runs as {cond.note}" in md
    assert "| now &gt; " in md  # the md filter escapes ">"

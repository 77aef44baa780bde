"""`ion dashboard slo`: the same analysis as `ion slo`, as a dashboard table."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from ioncli.cli import run
from ioncli.dashboards.model import Level
from ioncli.slo.board import budget_table
from ioncli.slo.config import SloSpec
from tests.helpers import ROOT
from tests.slo.frames import frame, steady_day

SCHEMA = json.loads((ROOT / "ioncli" / "schemas" / "dashboard.schema.json").read_text())


def test_statuses_follow_the_budget_and_the_objective() -> None:
    rate, errors = steady_day()
    errors[100] = 0.5  # 300 of the 864 allowed: 65% left
    spec = SloSpec("availability", "availability", 0.999, window_days=1)
    (row,) = budget_table(frame(rate, errors), (spec,), "Error budgets").rows[1:]
    compliance, left, burn_1h, _, _ = row.cells
    assert (compliance.status, left.status, burn_1h.status) == (Level.OK,) * 3
    assert left.value == pytest.approx(1 - 300 / 864)
    errors[200] = 1.0  # 600 more: overspent
    table = budget_table(frame(rate, errors), (spec,), "Error budgets")
    compliance, left, *_ = table.rows[0].cells
    assert (compliance.status, left.status) == (Level.CRITICAL, Level.CRITICAL)
    assert table.rows[0].labels == {"slo": "availability", "scope": "fleet"}


def test_dashboard_slo_reads_the_window_and_matches_the_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["dashboard", "slo", "--source", "sim", "--until", "2026-11-01T00:00:00Z"]
    assert run([*args, "--format", "json", "-o", "d.json"]) == 0
    data = json.loads((tmp_path / "d.json").read_text())
    jsonschema.validate(data, SCHEMA)
    assert data["start"].startswith("2026-10-04")  # 28 days, not the dashboards' day
    (board,) = data["dashboards"]
    (table,) = board["widgets"]
    assert [r["labels"]["scope"] for r in table["rows"]] == [
        "fleet",
        "asia-southeast1",
        "europe-west1",
        "us-central1",
    ]
    for fmt in ("markdown", "html", "text"):
        assert run([*args, "--format", fmt, "-o", f"d.{fmt}"]) == 0
    assert "Error budgets" in (tmp_path / "d.markdown").read_text()
    assert "Budget left" in (tmp_path / "d.html").read_text()


def test_all_stays_the_reports_five_dashboards() -> None:
    from ioncli.dashboards import definitions

    assert [d.name for d in definitions.select(["all"])] == list(definitions.NAMES)
    assert [d.name for d in definitions.select(["overview", "slo"])] == ["overview", "slo"]

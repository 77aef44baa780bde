"""The baselines file (written, read by the dashboard's thresholds, checked for drift) and the
incidents file."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest

from ioncli.alerting import baselines
from ioncli.alerting.analysis import build_report
from ioncli.alerting.incidents import load_incidents
from ioncli.alerting.tune import TuneOptions
from ioncli.errors import ConfigError, DataError
from ioncli.thresholds import load_thresholds

from .frames import PER_DAY, START, frame, latency, noise


def schema(name: str) -> dict[str, object]:
    path = Path(__file__).resolve().parents[2] / "ioncli" / "schemas" / name
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def report(seed: int = 1, scale: float = 1.0):  # type: ignore[no-untyped-def]
    f = frame(
        {
            "latency_p95{region=r1}": latency(4, seed) * scale,
            "availability{region=r1}": 0.999 + noise(4 * PER_DAY, seed, 0.0002),
            "request_rate{region=r1}": 50 + noise(4 * PER_DAY, seed + 1, 3.0),
        },
        4,
    )
    directions = {"latency_p95": "high", "availability": "low", "request_rate": "both"}
    return build_report(f, TuneOptions(directions=directions), service="svc")


def test_written_file_matches_its_schema_and_the_dashboard_reads_it(tmp_path: Path) -> None:
    path = baselines.write(report(), tmp_path / "baselines")
    assert path == tmp_path / "baselines" / "svc.json"
    data = json.loads(path.read_text())
    jsonschema.validate(data, schema("baselines.schema.json"))
    assert (
        data["ion_version"] and data["source"] == "test" and data["window"]["step_seconds"] == 300
    )
    both = data["series"]["request_rate{region=r1}"]["rule"]
    assert both["direction"] == "high" and both["both_ways"] and both["low"]["critical"] is not None
    low = data["series"]["availability{region=r1}"]["rule"]
    assert low["direction"] == "low" and low["critical"] < 0.999
    thresholds = load_thresholds(tmp_path / "baselines", "svc")
    t = thresholds.for_series("latency_p95{region=r1}", "latency_p95")
    assert t is not None and t.direction == "high" and t.critical is not None
    assert "svc.json" in t.origin
    assert not list((tmp_path / "baselines").glob(".*.tmp"))  # atomic: no temp left behind


def test_check_passes_on_the_same_data_and_flags_moved_thresholds(tmp_path: Path) -> None:
    path = baselines.write(report(), tmp_path)
    same = baselines.check(report(), path, 0.10)
    assert same.failed == 0
    moved = baselines.check(report(scale=1.5), path, 0.10)
    assert moved.failed >= 1
    drift = next(d for d in moved.drifts if d.beyond_tolerance)
    assert drift.series == "latency_p95{region=r1}" and drift.change is not None
    assert drift.change > 0.10


def test_check_flags_added_and_removed_series(tmp_path: Path) -> None:
    path = baselines.write(report(), tmp_path)
    fewer = report()
    fewer.series = fewer.series[:1]
    result = baselines.check(fewer, path, 0.10)
    gone = [d for d in result.drifts if d.field == "series"]
    assert {d.new for d in gone} == {"gone"} and len(gone) == 2


def test_a_hand_broken_baselines_file_is_a_clear_config_error(tmp_path: Path) -> None:
    path = tmp_path / "svc.json"
    path.write_text('{"schema_version": 1, "series": {"a": {"rule": {"warning": 1,}}}}')
    with pytest.raises(ConfigError, match=r"svc.json: not valid JSON at line 1, column"):
        baselines.check(report(), path, 0.1)
    path.write_text('{"schema_version": 1, "series": {"a": {"rule": {"warning": "high"}}}}')
    with pytest.raises(ConfigError, match="must be a number"):
        baselines.check(report(), path, 0.1)
    with pytest.raises(ConfigError, match="no baselines file"):
        baselines.check(report(), tmp_path / "missing.json", 0.1)


def test_report_json_matches_its_schema_and_only_the_chosen_rule_has_alerts() -> None:
    from ioncli.alerting.render import render_json

    r = report()
    text = render_json(r)
    data = json.loads(text)
    jsonschema.validate(data, schema("tune_alerts.schema.json"))
    assert next(iter(data)) == "schema_version"

    def lists_named_alerts(doc: object) -> int:
        if isinstance(doc, dict):
            return sum(
                1 if k == "alerts" and isinstance(v, list) else lists_named_alerts(v)
                for k, v in doc.items()
            )
        if isinstance(doc, list):
            return sum(lists_named_alerts(v) for v in doc)
        return 0

    assert lists_named_alerts(data) == len(r.series)


def test_every_format_renders_with_check_and_apply_sections() -> None:
    from ioncli.alerting.model import ApplyResult, CheckResult, Drift, PlanItem
    from ioncli.alerting.render import render_html, render_markdown, render_plain_text

    r = report()
    r = dataclasses.replace(
        r,
        check=CheckResult(
            "baselines/svc.json", 0.1, [Drift("a|b", "critical", 1.0, 2.0, 1.0, True)], 1
        ),
        apply=ApplyResult(
            True, "demo", [PlanItem("create", "a", "ion svc: a", "", ["pages > 3"], [])], 0
        ),
        warnings=["<script>alert(1)</script>"],
    )
    md = render_markdown(r)
    assert "### Proposed rules" in md and "a\\|b" in md and "<script>" not in md
    html = render_html(r)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Alert drift: 1 drifted" in html
    text = render_plain_text(r)
    assert "Proposed rules" in text and "1 drifted" in text and "dry run" in text


def test_incidents_files_in_csv_and_json(tmp_path: Path) -> None:
    csv_path = tmp_path / "inc.csv"
    csv_path.write_text(
        "start,end,name,series\n2026-01-05T01:00,2026-01-05T02:00Z,db,latency_p95;availability\n"
    )
    (inc,) = load_incidents(csv_path)
    assert inc.name == "db" and inc.series == ("latency_p95", "availability")
    assert inc.start.tzinfo is not None
    json_path = tmp_path / "inc.json"
    json_path.write_text(
        json.dumps(
            {"incidents": [{"start": "2026-01-05T01:00:00Z", "end": "2026-01-05T03:00:00Z"}]}
        )
    )
    (inc2,) = load_incidents(json_path)
    assert inc2.end - inc2.start == timedelta(hours=2)

    bad = tmp_path / "bad.csv"
    bad.write_text("when,until\n1,2\n")
    with pytest.raises(DataError, match="'start' and 'end' columns"):
        load_incidents(bad)
    bad.write_text("start,end\nyesterday,2026-01-05T00:00\n")
    with pytest.raises(DataError, match=r"bad.csv row 2: 'yesterday' is not an ISO 8601 time"):
        load_incidents(bad)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("[{")
    with pytest.raises(DataError, match="not valid JSON"):
        load_incidents(bad_json)
    assert START  # the frames module's start is a Monday, used by other tests


def test_the_steps_after_the_analysis_are_added_as_typed_fields() -> None:
    from ioncli.alerting.analysis import with_extras
    from ioncli.alerting.model import ApplyResult, CheckResult

    built = report()
    check = CheckResult("baselines/svc.json", 0.1, [], 0)
    applied = ApplyResult(True, "demo", [], 0)
    done = with_extras(
        built, check=check, apply=applied, baselines_file="b/svc.json", warnings=["later"]
    )
    assert (done.check, done.apply, done.baselines_file) == (check, applied, "b/svc.json")
    assert done.warnings == [*built.warnings, "later"]  # the analysis's own warnings first
    assert built.check is None and built.baselines_file is None  # the built report is kept

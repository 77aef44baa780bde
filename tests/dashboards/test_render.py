"""Every format from one report: JSON matches its schema, Markdown and HTML escape what the
data says, text reads at 80 columns in a plain pipe."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import jsonschema
import pytest

from ioncli.dashboards import definitions
from ioncli.dashboards.analysis import build_report
from ioncli.dashboards.model import DashboardReport
from ioncli.dashboards.render import RENDERERS, render_html, render_json, render_markdown
from ioncli.dashboards.units import clip, fmt, spark, squeeze
from ioncli.frame import Incident
from ioncli.render import MARKDOWN_LIMIT, render_plain
from ioncli.thresholds import default_thresholds
from tests.dashboards.frames import NASTY, START, flat, frame, healthy_fleet, noisy, with_spike
from tests.helpers import ROOT

SCHEMA = json.loads((ROOT / "ioncli" / "schemas" / "dashboard.schema.json").read_text())


def make(series: dict[str, list[float]], *names: str) -> DashboardReport:
    f = frame(series)
    f.warnings.append("region asia-southeast1: quota exceeded, retried 3 times")
    f.incidents.append(
        Incident(START + timedelta(minutes=199), START + timedelta(minutes=210), "incident <b>", ())
    )
    return build_report(
        f, default_thresholds(), definitions.select(list(names)), service="svc", generated_at=START
    )


def eventful() -> dict[str, list[float]]:
    series = healthy_fleet(300)
    series["latency_p95{region=us-central1}"] = with_spike(noisy(50.0, 300), 200, 100, 250.0)
    series[f"latency_p95{{region={NASTY}}}"] = flat(150.0, 300)
    series["latency_p95{region=a|b *bold* `code` [link](http://x)}"] = flat(50.0, 300)
    series[f"pipeline_latency_p95{{endpoint={NASTY},region=x}}"] = flat(40.0, 300)
    series["replica_lag{region=us-central1}"] = flat(0.2, 300)
    del series["cache_hit_ratio{region=europe-west1}"]
    return series


@pytest.fixture(scope="module")
def full() -> DashboardReport:
    return make(eventful(), "all")


def validate(doc: Any) -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]]


def test_the_schema_itself_is_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("name", [*definitions.NAMES, "all"])
def test_json_matches_the_schema_for_every_dashboard(name: str) -> None:
    doc = json.loads(render_json(make(eventful(), name)))
    validate(doc)
    assert next(iter(doc)) == "schema_version"


def test_json_of_a_source_missing_most_metrics_matches_the_schema() -> None:
    doc = json.loads(render_json(make({"latency_p95{region=a}": flat(50.0)}, "all")))
    validate(doc)
    stats = [w for d in doc["dashboards"] for w in d["widgets"] if w["kind"] == "stat"]
    availability = next(s for s in stats if s["title"] == "Availability")["reading"]
    assert availability["value"] is None and availability["status"] == "missing"


def test_json_keeps_units_raw_and_timestamps_utc(full: DashboardReport) -> None:
    doc = json.loads(render_json(full))
    assert doc["start"] == "2026-11-28T00:00:00Z"
    assert doc["thresholds"] == {"kind": "defaults", "origin": "the report's 9 default rules"}
    overview = doc["dashboards"][0]
    availability = overview["widgets"][0]["reading"]
    assert availability["unit"] == "ratio" and 0.99 < availability["value"] <= 1.0
    assert doc["warnings"] == ["region asia-southeast1: quota exceeded, retried 3 times"]


def test_markdown_has_a_summary_line_on_top_and_status_marks(full: DashboardReport) -> None:
    md = render_markdown(full)
    first = md.splitlines()[0]
    assert first.startswith("🔴 **svc is CRITICAL:")
    assert "## 🔴 Performance" in md
    assert "| 🔴 | Latency p95 · us-central1 |" in md
    assert "quota exceeded" in md
    assert "❔ missing" in md  # the cache cell for europe-west1
    assert len(md) < MARKDOWN_LIMIT


def test_markdown_tables_survive_hostile_labels(full: DashboardReport) -> None:
    md = render_markdown(full)
    assert "<script>" not in md and "<b>" not in md
    assert "&lt;script&gt;" in md and "incident &lt;b&gt;" in md
    assert "a\\|b \\*bold\\* \\`code\\` \\[link\\](http://x)" in md
    assert "…" in md  # the 120-character name was shortened (JSON keeps it whole)
    # Every row of a table has as many unescaped pipes as its header: no cell was split.
    tables: list[list[str]] = [[]]
    for line in md.splitlines():
        if line.startswith("|"):
            tables[-1].append(line)
        elif tables[-1]:
            tables.append([])
    for rows in filter(None, tables):
        counts = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
        assert len(counts) == 1, rows


def test_markdown_is_cut_under_the_limit_with_a_note() -> None:
    series = {}
    for i in range(400):
        series[f"latency_p95{{region=region-{i:03d}-{'x' * 60}}}"] = flat(150.0, 30)
    md = render_markdown(make(series, "all"))
    assert len(md) <= MARKDOWN_LIMIT
    assert "Truncated" in md


def test_html_is_self_contained_and_escapes_every_label(full: DashboardReport) -> None:
    html = render_html(full)
    assert html.startswith("<!doctype html>")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&#34;x&#34;)" in html
    assert "incident &lt;b&gt;" in html
    assert not re.search(r"""(src|href)=["'](?!#)""", html)  # no external resources
    assert "url(" not in html and "@import" not in html
    assert html.count('<svg viewBox="0 0 720 230"') == 10  # every chart of all 5 dashboards
    assert "time (UTC)" in html and ">ms<" in html  # axis captions with units
    assert "warning 100 ms" in html  # threshold level drawn on the latency chart


def test_text_reads_at_80_columns_in_a_plain_pipe(full: DashboardReport) -> None:
    text = render_plain(RENDERERS.text(full), width=80)
    assert "\x1b[" not in text
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "✖" in text and "missing" in text
    assert "Overview" in text and "Infrastructure" in text
    assert "<script>" in text  # shown literally, never interpreted as markup
    assert "quota exceeded" in text


@pytest.mark.parametrize("fmt_name", ["text", "json", "markdown", "html"])
@pytest.mark.parametrize("name", definitions.NAMES)
def test_every_dashboard_renders_in_every_format(fmt_name: str, name: str) -> None:
    r = make(healthy_fleet(), name)
    out = getattr(RENDERERS, fmt_name)(r)
    rendered = out if isinstance(out, str) else render_plain(out, width=80)
    assert definitions.DASHBOARDS[definitions.NAMES.index(name)].title in rendered


def test_value_formats() -> None:
    assert fmt(0.99951, "ratio") == "99.951%"
    assert fmt(0.003, "ratio") == "0.300%"
    assert fmt(0.835, "ratio") == "83.5%"
    assert fmt(36.4, "ms") == "36.4 ms"
    assert fmt(9270.0, "req/s") == "9,270 req/s"
    assert fmt(None, "ms") == "missing"
    assert fmt(float("nan"), "ms") == "missing"


def test_sparkline_scales_to_its_range_and_shows_gaps() -> None:
    assert spark([0.0, 1.0, None, 2.0]) == "▁▅ █"
    assert spark([5.0, 5.0]) == "▁▁"
    assert spark([None]) == ""
    assert len(spark(list(range(100)), 10)) == 10


def test_a_narrow_sparkline_keeps_the_whole_range_and_the_spike() -> None:
    values: list[float | None] = [1.0] * 100
    values[3] = 9.0  # early in the range: a narrow line must not cut it off
    assert squeeze(values, 10, "max")[0] == 9.0
    assert squeeze(values, 10, "mean")[0] == pytest.approx(1.8)
    assert spark(values, 10, "max") == "█▁▁▁▁▁▁▁▁▁"
    assert squeeze([None, None, 1.0], 2) == [None, 1.0]


def test_clip_keeps_head_and_tail() -> None:
    long = "a" * 30 + "b" * 30
    short = clip(long, 20)
    assert len(short) == 20 and short.startswith("a") and short.endswith("b") and "…" in short


@pytest.mark.parametrize("fmt_name", ["text", "json", "markdown", "html"])
def test_a_single_point_renders_in_every_format(fmt_name: str) -> None:
    r = make({"latency_p95{region=a}": [50.0], "availability{region=a}": [1.0]}, "all")
    out = getattr(RENDERERS, fmt_name)(r)
    rendered = out if isinstance(out, str) else render_plain(out, width=80)
    assert "50.0 ms" in rendered or '"value": 50.0' in rendered


def test_cell_notes_show_under_tables_in_every_format() -> None:
    series = healthy_fleet()
    series["latency_p95{region=us-central1}"] = flat(50.0, 60) + flat(float("nan"), 60)
    r = make(series, "overview")
    note = "us-central1 · Latency p95: stale: last point 11-28 00:59 UTC"
    assert note in render_plain(RENDERERS.text(r), width=80)
    assert f"- {note}" in render_markdown(r)
    assert note in render_html(r)

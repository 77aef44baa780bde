"""The report built from a literal frame: totals by hand, the four formats, compare-to."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from ioncli.cost.analysis import build_report, plan_apply, priced_regions, with_extras
from ioncli.cost.cloud_run import ApplyResult, Change, Outcome, Plan, StepResult
from ioncli.cost.compare import compare
from ioncli.cost.model import CostReport, Options
from ioncli.cost.pricing import load_table
from ioncli.cost.render import RENDERERS
from ioncli.cost.service_config import from_settings
from ioncli.errors import ConfigError, DataError, UsageError
from ioncli.frame import SeriesKey, from_points
from ioncli.render import MARKDOWN_LIMIT, render_plain

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "ioncli/schemas/cost_report.schema.json").read_text()
)
TABLE = load_table()
HOURS = 168  # 2026-11-01 00:00 .. 2026-11-08 00:00 UTC, hourly
NOW = datetime(2026, 11, 8, 0, 5, tzinfo=UTC)
MONTH = 730 * 3600


def _frame(busy: float = 1.0, rps: float = 10.0, drop: str | None = None):  # type: ignore[no-untyped-def]
    times = [datetime(2026, 11, 1, tzinfo=UTC).timestamp() + 3600 * i for i in range(HOURS)]
    stamps = [datetime.fromtimestamp(t, UTC) for t in times]
    region = {"region": "us-central1"}
    points = {
        SeriesKey.of("billable_instance_time", region): (stamps, [busy] * HOURS),
        SeriesKey.of("request_rate", region): (stamps, [rps] * HOURS),
        SeriesKey.of("startup_latency_p95", region): (stamps, [1000.0] * HOURS),
    }
    if drop:
        del points[SeriesKey.of(drop, region)]
    return from_points(points, source="test", step_seconds=3600)


def _fleet(min_instances: int = 2):  # type: ignore[no-untyped-def]
    return from_settings(
        "svc",
        ("us-central1",),
        {"cpu": "1", "memory": "512Mi", "min_instances": min_instances, "max_instances": 10},
        {},
        where="test",
    )


def _report(options: Options | None = None, **kw: object) -> CostReport:
    return build_report(_frame(**kw), _fleet(), TABLE, options or Options(), now=NOW)  # type: ignore[arg-type]


def test_monthly_cost_worked_by_hand() -> None:
    report = _report()
    [us] = report.regions
    # 1 vCPU / 0.5 GiB, min 2, one instance busy all the time, 10 req/s:
    # idle: 1 instance x (0.0000025 + 0.5 x 0.0000025) x 2,628,000 s = $9.855
    # active: 1 x (0.000024 + 0.5 x 0.0000025) x 2,628,000 = $66.357
    # requests: 10 x 2,628,000 / 1e6 x $0.40 = $10.512
    assert us.monthly.idle == pytest.approx(9.855)
    assert us.monthly.active == pytest.approx(66.357)
    assert us.monthly.requests == pytest.approx(10.512)
    assert us.monthly.total == pytest.approx(86.724)
    t = report.totals
    # free tier once: $4.32 CPU + $0.90 memory + $0.80 requests, all used up here
    assert t.free_tier_credit == pytest.approx(6.02)
    assert t.monthly_net == pytest.approx(86.724 - 6.02)
    # the range covers Nov 1-7 entirely: measured; the other 23 days at the run rate
    assert us.month_to_date == pytest.approx(86.724 * 7 * 86400 / MONTH)
    assert us.projected_month == pytest.approx(86.724 * 30 * 86400 / MONTH)
    # Month to date the free tier offsets only what was credited so far: $4.32 of CPU, all
    # of the 604,800 s x 0.5 GiB x $0.0000025 = $0.756 of memory (under its $0.90), $0.80
    # of requests: $5.876.
    assert t.month_to_date == pytest.approx(86.724 * 7 * 86400 / MONTH - 5.876)
    assert t.projected_month == pytest.approx(86.724 * 30 * 86400 / MONTH - 6.02)
    assert report.month == "2026-11"


def test_budget_gate() -> None:
    # projected: 86.724 x 30 days / 730 h - 6.02 = $79.52
    assert not _report(Options(budget=80)).totals.over_budget
    over = _report(Options(budget=79)).totals
    assert over.over_budget and over.budget_used == pytest.approx(79.516 / 79, rel=1e-4)


def test_commitment_and_no_free_tier() -> None:
    t = _report(Options(free_tier=False, commitment="1y")).totals
    assert t.free_tier_credit == 0
    assert t.commitment_discount == pytest.approx(86.724 * 0.17)
    assert t.monthly_net == pytest.approx(86.724 * 0.83)


def test_recommendation_drops_idle_min_instances_and_respects_the_floor() -> None:
    [rec] = _report().recommendations
    # Busy instances never change, so lowering the min adds no cold start.
    assert (rec.current, rec.recommended) == (2, 0)
    assert rec.dollars_saved_per_month == pytest.approx(9.855)
    assert rec.cold_starts_added_per_week == 0
    [floored] = _report(Options(floor=1)).recommendations
    assert floored.recommended == 1
    assert floored.dollars_saved_per_month == pytest.approx(9.855)


def test_missing_metrics_are_one_clear_error() -> None:
    with pytest.raises(DataError, match="no request_rate for region us-central1"):
        _report(drop="request_rate")
    report = _report(drop="startup_latency_p95")
    assert any("no startup_latency_p95" in w for w in report.warnings)


def _full_report() -> CostReport:
    report = _report(Options(budget=50))
    previous = json.loads(RENDERERS.json(_report(rps=5.0)))
    plan = Plan(
        "svc",
        (
            Change(
                "us-central1", "projects/p/locations/us-central1/services/svc", 2, 0, 10, -9.86, 0.0
            ),
        ),
    )
    applied = ApplyResult(
        (StepResult("us-central1", 2, 0, Outcome.FAILED, "permission denied | <b>"),),
    )
    return with_extras(
        report, comparison=compare(report, previous, "prev.json"), plan=plan, applied=applied
    )


def test_compare_to_shows_the_increase() -> None:
    c = _full_report().comparison
    assert c is not None
    # 5 more req/s: 5 x 2,628,000 / 1e6 x 0.40 = $5.256 more a month
    assert c.change == pytest.approx(5.256)
    assert c.increased
    with pytest.raises(UsageError, match="not a complete cost-report JSON"):
        compare(_report(), {"schema_version": 1, "totals": {}}, "x.json")
    with pytest.raises(UsageError, match="schema_version 7"):
        compare(_report(), {"schema_version": 7}, "x.json")


@pytest.mark.parametrize("make", [_report, _full_report])
def test_every_format_renders(make) -> None:  # type: ignore[no-untyped-def]
    report = make()
    data = json.loads(RENDERERS.json(report))
    assert next(iter(data)) == "schema_version"
    jsonschema.validate(data, SCHEMA, format_checker=jsonschema.FormatChecker())
    md = RENDERERS.markdown(report)
    assert len(md) < MARKDOWN_LIMIT
    assert "| us-central1 (tier 1) |" in md
    html = RENDERERS.html(report)
    assert (
        html.startswith("<!doctype html>")
        and "<script" not in html
        and "http" not in html.split("<body>")[0]
    )
    text = render_plain(RENDERERS.text(report), width=160)
    assert "us-central1" in text and "$86.72" in text


def test_values_are_escaped() -> None:
    report = _full_report()
    assert "permission denied \\| &lt;b&gt;" in RENDERERS.markdown(report)
    assert "permission denied | &lt;b&gt;" in RENDERERS.html(report)


def test_free_tier_covers_idle_time_under_instance_based_billing() -> None:
    fleet = from_settings(
        "svc",
        ("us-central1",),
        {"cpu": "1", "memory": "512Mi", "min_instances": 1, "billing": "instance-based"},
        {},
        where="test",
    )
    report = build_report(_frame(busy=0.0, rps=0.0), fleet, TABLE, Options(), now=NOW)
    [us] = report.regions
    # One idle instance all month at the instance-based rate: (0.000018 + 0.5 x 0.000002)
    # x 2,628,000 = $49.932, all of it on the instance-based SKUs the free tier offsets:
    # $4.32 of CPU and $0.90 of memory.
    assert us.monthly.idle == pytest.approx(49.932)
    assert report.totals.free_tier_credit == pytest.approx(4.32 + 0.90)


def test_the_other_billing_setting_priced_by_hand() -> None:
    report = _report()
    [option] = report.billing_options
    [us] = report.regions
    assert (option.current, option.alternative) == ("request-based", "instance-based")
    assert option.monthly_current == pytest.approx(us.monthly.total)
    # Instance-based: max(min 2, 1 busy) = 2 instances all month at (0.000018 + 0.5 x
    # 0.000002) = $0.000019/s -> 2 x 0.000019 x 2,628,000 = $99.864, no request fee.
    assert option.monthly_alternative == pytest.approx(99.864)
    assert option.difference == pytest.approx(99.864 - 86.724)


def test_priced_regions_come_from_the_flag_or_the_configuration() -> None:
    asked = priced_regions(["us-central1", "us-central1"], ["x"], TABLE, live=False,
                           configured_where="ion.toml regions")  # fmt: skip
    assert asked == ("us-central1",)
    configured = priced_regions([], ["europe-west1"], TABLE, live=False, configured_where="f")
    assert configured == ("europe-west1",)
    # A live Cloud Run judges region names itself.
    assert priced_regions(["mars-north1"], [], TABLE, live=True, configured_where="f") == (
        "mars-north1",
    )


def test_an_unknown_region_names_where_it_came_from() -> None:
    with pytest.raises(UsageError, match=r"^--region: unknown Cloud Run region 'mars-north1'"):
        priced_regions(["mars-north1"], [], TABLE, live=False, configured_where="f")
    with pytest.raises(ConfigError, match=r"^ion.toml regions: unknown Cloud Run region 'mars"):
        priced_regions([], ["mars-north1"], TABLE, live=False, configured_where="ion.toml regions")


def test_the_apply_plan_sets_each_recommendation_or_what_set_names() -> None:
    report, frame = _report(), _frame()
    live = replace(_fleet(), offline=False)
    plan = plan_apply(report, frame, live, TABLE, Options(), targets={}, force=False)
    [rec] = report.recommendations
    assert (rec.current, rec.recommended) == (2, 0)  # one instance busy all the time: no min
    assert [(c.region, c.before, c.after) for c in plan.changes] == [("us-central1", 2, 0)]
    plan = plan_apply(report, frame, live, TABLE, Options(), targets={"us-central1": 3},
                      force=False)  # fmt: skip
    [change] = plan.changes
    assert (change.before, change.after) == (2, 3)
    assert change.dollars_per_month > 0  # one more warm instance, priced by the estimator


def test_the_apply_plan_needs_the_live_configuration() -> None:
    with pytest.raises(UsageError, match="needs the live configuration"):
        plan_apply(_report(), _frame(), _fleet(), TABLE, Options(), targets={}, force=False)

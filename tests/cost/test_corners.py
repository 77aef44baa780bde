"""Regression tests for the corners of the cost report, each with its figure worked by hand
from the shipped rates (Tier 1: request-based $0.000024 /vCPU-s and $0.0000025 /GiB-s, idle
min instances $0.0000025 for both, instance-based $0.000018 and $0.000002, $0.40 a million
requests; a month of 730 h = 2,628,000 s)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from ioncli.cli import run
from ioncli.cost.analysis import build_report, estimator
from ioncli.cost.compare import compare
from ioncli.cost.model import CostReport, Options
from ioncli.cost.pricing import load_table
from ioncli.cost.render import RENDERERS
from ioncli.cost.service_config import FleetConfig, from_file, from_settings
from ioncli.errors import ConfigError, UsageError
from ioncli.frame import MetricFrame, SeriesKey, from_points

TABLE = load_table()
MONTH = 730 * 3600
NOW = datetime(2026, 12, 1, 0, 5, tzinfo=UTC)


def _frame(
    start: datetime,
    hours: int,
    *,
    busy: float = 1.0,
    rps: float = 10.0,
    idle: float | None = None,
    region: str = "us-central1",
    empty: tuple[str, ...] = (),
) -> MetricFrame:
    stamps = [start + timedelta(hours=i) for i in range(hours)]
    points = {}
    for reg in (region, *empty):
        labels = {"region": reg}
        blank = reg != region
        values = {
            "billable_instance_time": busy,
            "request_rate": rps,
            "startup_latency_p95": 1000.0,
            **({"instances_idle": idle} if idle is not None else {}),
        }
        for metric, value in values.items():
            points[SeriesKey.of(metric, labels)] = (
                stamps,
                [float("nan") if blank else value] * hours,
            )
    return from_points(points, source="test", step_seconds=3600)


def _fleet(
    min_instances: int = 2,
    *,
    billing: str = "request-based",
    regions: tuple[str, ...] = ("us-central1",),
    max_instances: int = 10,
    service: str = "svc",
) -> FleetConfig:
    return from_settings(
        service,
        regions,
        {
            "cpu": "1",
            "memory": "512Mi",
            "min_instances": min_instances,
            "max_instances": max_instances,
            "billing": billing,
        },
        {},
        where="test",
    )


WEEK = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday


def _report(frame: MetricFrame, fleet: FleetConfig, options: Options | None = None) -> CostReport:
    return build_report(frame, fleet, TABLE, options or Options(), now=NOW)


# --- 1. instance-based: lowering the min saves what the min instances cost ----------------


def test_instance_based_idle_min_instances_are_saved_by_lowering_the_min() -> None:
    # No traffic; Cloud Monitoring sees the 3 min instances idle. Each costs
    # (1 x $0.000018 + 0.5 x $0.000002) x 2,628,000 s = $49.932 a month: 3 -> 0 saves $149.796.
    frame = _frame(WEEK, 168, busy=0.0, rps=0.0, idle=3.0)
    fleet = _fleet(3, billing="instance-based")
    report = _report(frame, fleet)
    [us] = report.regions
    assert us.monthly.total == pytest.approx(149.796)
    [rec] = report.recommendations
    assert (rec.current, rec.recommended) == (3, 0)
    assert rec.dollars_saved_per_month == pytest.approx(149.796)
    assert [round(p.monthly_cost, 3) for p in rec.curve[:4]] == [0.0, 49.932, 99.864, 149.796]
    # The --apply plan's estimate uses the same model.
    dollars, _ = estimator(frame, fleet, TABLE)("us-central1", 0)
    assert dollars == pytest.approx(-149.796)


def test_instance_based_with_one_busy_instance_keeps_it() -> None:
    # One instance busy all the time, two more idle under min 3: min 0 keeps the busy one
    # ($49.932) and saves the other two: 2 x $49.932 = $99.864.
    frame = _frame(WEEK, 168, busy=1.0, rps=1.0, idle=2.0)
    [rec] = _report(frame, _fleet(3, billing="instance-based")).recommendations
    assert rec.monthly_before == pytest.approx(149.796)
    assert rec.monthly_after == pytest.approx(49.932)
    assert rec.dollars_saved_per_month == pytest.approx(99.864)


# --- 2. a configured region without metrics stays in the total ----------------------------


@pytest.mark.parametrize("columns", ["absent", "empty"])
def test_a_region_without_metrics_is_priced_as_idle(columns: str) -> None:
    # europe-west1 (Tier 1), min 3, no traffic: 3 x (1 x $0.0000025 + 0.5 x $0.0000025)
    # x 2,628,000 s = 3 x $9.855 = $29.565 a month, added to us-central1's $86.724.
    empty = ("europe-west1",) if columns == "empty" else ()
    frame = _frame(WEEK, 168, empty=empty)
    fleet = from_settings(
        "svc",
        ("us-central1", "europe-west1"),
        {"cpu": "1", "memory": "512Mi", "max_instances": 10},
        {"us-central1": {"min_instances": 2}, "europe-west1": {"min_instances": 3}},
        where="test",
    )
    report = _report(frame, fleet)
    eu = report.regions[1]
    assert eu.region == "europe-west1"
    assert eu.monthly.idle == pytest.approx(29.565)
    assert report.totals.monthly_on_demand == pytest.approx(86.724 + 29.565)
    assert any("europe-west1: no request or busy-instance metrics" in w for w in report.warnings)


# --- 3. a floor above a region's max ------------------------------------------------------


def test_floor_above_the_max_is_capped_with_a_warning() -> None:
    # Max 3, floor 5: the floor there is 3. Busy 1, min 2 -> 3 adds one idle instance:
    # $9.855 more a month.
    report = _report(_frame(WEEK, 168), _fleet(2, max_instances=3), Options(floor=5))
    [rec] = report.recommendations
    assert rec.recommended == 3
    assert rec.dollars_saved_per_month == pytest.approx(-9.855)
    assert any("min_instance_floor 5 is above the max instances (3)" in w for w in report.warnings)


# --- 4. --compare-to ----------------------------------------------------------------------


def _previous(**changes: object) -> dict[str, object]:
    data: dict[str, object] = json.loads(RENDERERS.json(_report(_frame(WEEK, 168), _fleet())))
    data.update(changes)
    return data


def test_compare_refuses_another_service_currency_or_a_stub() -> None:
    report = _report(_frame(WEEK, 168), _fleet())
    with pytest.raises(UsageError, match="a report for service 'other'"):
        compare(report, _previous(service="other"), "x.json")
    euro = _previous()
    euro["pricing"] = {**euro["pricing"], "currency": "EUR"}  # type: ignore[dict-item]
    with pytest.raises(UsageError, match="priced in EUR"):
        compare(report, euro, "x.json")
    stub = {"schema_version": 2, "service": "svc", "totals": {"monthly_net": 15}, "regions": []}
    with pytest.raises(UsageError, match="not a complete cost-report JSON"):
        compare(report, stub, "x.json")


def test_compare_reads_a_schema_1_report() -> None:
    # A report written before schema 2 has no per-region net: it is derived the same way
    # (on demand x net / on demand), so an unchanged report shows no change.
    old = _previous(schema_version=1)
    for row in old["regions"]:  # type: ignore[attr-defined]
        del row["monthly_net"]
    c = compare(_report(_frame(WEEK, 168), _fleet()), old, "x.json")
    assert c.change == pytest.approx(0.0)
    assert c.regions[0].change == pytest.approx(0.0)


def test_compare_rows_add_up_to_the_headline_under_a_commitment() -> None:
    # Previous: no commitment: $86.724 - $6.02 free tier = $80.704 net.
    # Now: 3-year commitment, 17% off request-based spend after the free tier:
    # $80.704 x 0.83 = $66.98432; the change is -$13.71968, in the headline and in the row.
    report = _report(_frame(WEEK, 168), _fleet(), Options(commitment="3y"))
    c = compare(report, _previous(), "x.json")
    assert c.change == pytest.approx(-13.71968)
    [row] = c.regions
    assert (row.before, row.after) == pytest.approx((80.704, 66.98432))
    assert row.change == pytest.approx(c.change)
    assert c.basis_changes == ("commitment: none -> 3y",)


# --- 5. rates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (float("inf"), "must be a finite number >= 0, found inf"),
        (float("nan"), "must be a finite number >= 0, found nan"),
        (1e9, "refusing a rate over 100x the list price"),
    ],
)
def test_infinite_or_absurd_rates_are_refused(value: float, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_table(overrides={"req.cpu.t1": value})


@pytest.mark.parametrize("hours", [0, -730, 10_000])
def test_month_hours_out_of_range_is_refused(tmp_path: Path, hours: float) -> None:
    raw = json.loads(
        (
            Path(__file__).resolve().parents[2] / "ioncli/cost/rates/cloud-run-usd-2026.json"
        ).read_text()
    )
    raw["month_hours"] = hours
    path = tmp_path / "rates.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match="month_hours must be between 672 and 744"):
        load_table(path)


# --- 6. month to date and the free tier ---------------------------------------------------


def test_month_to_date_credits_only_what_the_free_tier_covers_so_far() -> None:
    # Two days into November, min 1, 0.1 busy instances, 0.5 req/s, per second:
    #   idle 0.9 x $0.00000375 = $0.000003375; active 0.1 x $0.00002525 = $0.000002525;
    #   requests 0.5 x $0.0000004 = $0.0000002; total $0.0000061 -> 172,800 s: $1.05408.
    # Credited so far: CPU 0.1 x 0.000024 x 172,800 = $0.41472, memory 0.1 x 0.5 x 0.0000025
    # x 172,800 = $0.0216, requests 0.5 x 172,800 x 0.0000004 = $0.03456: $0.47088.
    # Month to date: $1.05408 - $0.47088 = $0.5832.
    frame = _frame(datetime(2026, 11, 1, tzinfo=UTC), 48, busy=0.1, rps=0.5)
    t = _report(frame, _fleet(1)).totals
    assert t.month_to_date == pytest.approx(0.5832)
    # November (30 days, 2,592,000 s): $15.8112 on demand; credit: CPU min(4.32, 6.2208),
    # memory $0.324, requests $0.5184 = $5.1624 -> projected $10.6488.
    assert t.projected_month == pytest.approx(10.6488)


# --- 7. a range ending at midnight on the 1st ---------------------------------------------


def test_a_range_ending_at_the_month_boundary_is_that_month() -> None:
    # Hourly data from Nov 24 00:00 to Nov 30 23:00: the range ends Dec 1 00:00 (exclusive).
    # November is complete: to date = projected = $0.000033/s x 2,592,000 s = $85.536.
    frame = _frame(datetime(2026, 11, 24, tzinfo=UTC), 168)
    report = _report(frame, _fleet())
    [us] = report.regions
    assert report.month == "2026-11"
    assert us.month_to_date == pytest.approx(85.536)
    assert us.projected_month == pytest.approx(85.536)


# --- 8. the smaller ones ------------------------------------------------------------------


def test_instance_based_without_idle_metric_counts_lingering_instances() -> None:
    # One instance busy 10 minutes an hour, no instances_idle metric: it lingers 15 minutes
    # more, so it lives 25 minutes an hour: 25/60 x $0.000019 x 2,628,000 s = $20.805.
    times = [WEEK + timedelta(minutes=i) for i in range(60 * 24)]
    busy = [1.0 if i % 60 < 10 else 0.0 for i in range(len(times))]
    labels = {"region": "us-central1"}
    frame = from_points(
        {
            SeriesKey.of("billable_instance_time", labels): (times, busy),
            SeriesKey.of("request_rate", labels): (times, [b * 2 for b in busy]),
        },
        source="test",
        step_seconds=60,
    )
    report = _report(frame, _fleet(0, billing="instance-based"))
    assert report.regions[0].monthly.total == pytest.approx(20.805)
    assert any("no instances_idle metric" in w for w in report.warnings)


def test_the_commitment_coverage_and_the_reason_say_what_they_mean() -> None:
    report = _report(_frame(WEEK, 168), _fleet(), Options(commitment="1y"))
    assert any("a commitment covering it entirely" in a for a in report.assumptions)
    assert "added waiting requests" in report.recommendations[0].reason


def test_the_original_reports_windows_only_for_its_service() -> None:
    ours = _report(_frame(WEEK, 168), _fleet(service="ion-mentoring"))
    assert [s.name for s in ours.schedules] == ["computed", "original report"]
    other = _report(_frame(WEEK, 168), _fleet(service="svc"))
    assert [s.name for s in other.schedules] == ["computed"]
    assert "$70" not in RENDERERS.markdown(ours)


def test_service_config_accepts_the_block_copied_from_ion_toml(tmp_path: Path) -> None:
    path = tmp_path / "svc.toml"
    path.write_text(
        '[cost.service]\ncpu = "1"\nmemory = "1Gi"\n\n'
        "[cost.regions.us-central1]\nmin_instances = 4\n"
    )
    fleet = from_file(path, "svc", ("us-central1",))
    [us] = fleet.regions
    assert (us.size.cpu, us.size.memory_gib, us.min_instances) == (1.0, 1.0, 4)


@pytest.fixture
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    return tmp_path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--budget", "1,5"), "--budget '1,5': a comma may only group thousands"),
        # Refused before any metric is read (the file does not even exist).
        (("--apply", "--set", "us-central1=-1"), "--set us-central1=-1: min instances cannot be"),
    ],
)
def test_bad_flags_fail_before_the_pull(
    capsys: pytest.CaptureFixture[str], _cwd: Path, args: tuple[str, ...], message: str
) -> None:
    code = run(["cost-report", "--source", "file:missing.parquet", *args])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert message in err and err.count("\n") == 1


def test_budget_with_thousands_separator(capsys: pytest.CaptureFixture[str], _cwd: Path) -> None:
    # The simulated fleet costs about $1,500 a month (its projection moves with the hour of
    # the day it is run), far less than $15,000: exit 0 (read as 15000, not 15).
    code = run(
        ["cost-report", "--source", "sim", "--since", "1d", "--budget", "15,000", "-f", "json"]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["totals"]["budget"] == 15000


def test_a_future_until_is_said(capsys: pytest.CaptureFixture[str], _cwd: Path) -> None:
    later = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:00:00Z")
    code = run(["cost-report", "--source", "sim", "--since", "3d", "--until", later, "-f", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert any(f"--until {later} is in the future" in w for w in json.loads(out)["warnings"])


def test_idle_region_arrays_are_zero() -> None:
    frame = _frame(WEEK, 3, empty=("europe-west1",))
    from ioncli.cost.usage import extract

    series, _ = extract(frame, ("europe-west1",), MONTH)
    assert np.all(series["europe-west1"].busy == 0)

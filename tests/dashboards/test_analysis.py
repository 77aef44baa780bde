"""The analysis on literal frames: current values, statuses, fleet values, missing data,
alerts and anomalies, exactly as the dashboards show them."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from ioncli.dashboards import definitions
from ioncli.dashboards.analysis import build_report
from ioncli.dashboards.model import (
    AlertList,
    AnomalyList,
    Chart,
    DashboardReport,
    Level,
    Stat,
    Table,
)
from ioncli.errors import DataError
from ioncli.frame import Incident, MetricFrame
from ioncli.sources.catalog import DEFAULT_METRICS
from ioncli.thresholds import Threshold, ThresholdSet, default_thresholds
from tests.dashboards.frames import START, flat, frame, healthy_fleet, noisy, with_spike


def report(
    f: MetricFrame,
    *names: str,
    thresholds: ThresholdSet | None = None,
    regions: tuple[str, ...] = (),
) -> DashboardReport:
    return build_report(
        f,
        thresholds or default_thresholds(),
        definitions.select(list(names)),
        service="svc",
        generated_at=START,
        regions=regions,
    )


def stat(r: DashboardReport, board: str, title: str) -> Stat:
    d = next(d for d in r.dashboards if d.name == board)
    return next(w for w in d.widgets if isinstance(w, Stat) and w.title == title)


def table(r: DashboardReport, board: str, title: str) -> Table:
    d = next(d for d in r.dashboards if d.name == board)
    return next(w for w in d.widgets if isinstance(w, Table) and w.title == title)


def widget(r: DashboardReport, board: str, kind: type) -> list:  # type: ignore[type-arg]
    d = next(d for d in r.dashboards if d.name == board)
    return [w for w in d.widgets if isinstance(w, kind)]


def test_a_healthy_fleet_is_ok_everywhere_and_says_which_thresholds() -> None:
    r = report(frame(healthy_fleet()), "all")
    assert [d.name for d in r.dashboards] == list(definitions.NAMES)
    assert r.status is Level.OK
    assert r.counts["critical"] == r.counts["warning"] == r.counts["missing"] == 0
    assert r.thresholds.kind == "defaults"
    assert "default rules" in r.summary
    assert r.regions == ("europe-west1", "us-central1")


def test_current_value_is_the_mean_of_the_last_five_minutes() -> None:
    values = flat(50.0, 60)
    values[-5:] = [100.0, 200.0, 300.0, 400.0, 500.0]  # mean 300: critical (> 200 ms)
    r = report(frame({"latency_p95{region=us-central1}": values}), "overview")
    s = stat(r, "overview", "Latency p95 (worst)")
    assert s.reading.value == pytest.approx(300.0)
    assert s.reading.status is Level.CRITICAL
    assert s.reading.threshold is not None and s.reading.threshold.critical == 200.0


def test_statuses_follow_the_default_rules_in_both_directions() -> None:
    f = frame(
        {
            "latency_p95{region=a}": flat(150.0),  # warn > 100
            "cache_hit_ratio{region=a}": flat(0.5),  # warn < 0.70
            "cpu_utilization{region=a}": flat(0.5),  # ok
            "latency_p50{region=a}": flat(10.0),  # no rule
        }
    )
    r = report(f, "all")
    lat = table(r, "performance", "Latency by region").rows[0].cells
    assert [c.status for c in lat[:2]] == [Level.UNKNOWN, Level.WARNING]
    assert stat(r, "cache", "Hit ratio (combined)").reading.status is Level.WARNING
    cpu = table(r, "infrastructure", "Utilisation by region").rows[0].cells[0]
    assert cpu.status is Level.OK


def test_fleet_ratio_is_request_weighted_and_status_is_the_worst_region() -> None:
    f = frame(
        {
            "availability{region=busy}": flat(1.0),
            "availability{region=quiet}": flat(0.99),  # critical on its own (< 99.95%)
            "request_rate{region=busy}": flat(990.0),
            "request_rate{region=quiet}": flat(10.0),
        }
    )
    s = stat(report(f, "overview"), "overview", "Availability")
    assert s.reading.value == pytest.approx((990 * 1.0 + 10 * 0.99) / 1000)
    assert s.reading.status is Level.CRITICAL
    assert "quiet" in s.reading.note
    throughput = stat(report(f, "overview"), "overview", "Throughput")
    assert throughput.reading.value == pytest.approx(1000.0)
    assert throughput.reading.status is Level.UNKNOWN  # no default rule for traffic


def test_a_missing_metric_is_missing_not_zero_and_the_rest_renders() -> None:
    f = frame({"latency_p95{region=a}": flat(50.0)})
    r = report(f, "overview")
    avail = stat(r, "overview", "Availability").reading
    assert avail.value is None
    assert avail.status is Level.MISSING
    assert stat(r, "overview", "Latency p95 (worst)").reading.value == 50.0
    regions = table(r, "overview", "Regions")
    cells = {c.metric: c for c in regions.rows[0].cells}
    assert cells["availability"].status is Level.MISSING and cells["availability"].value is None
    assert r.counts["missing"] >= 1


def test_a_series_that_stopped_reporting_is_marked_stale() -> None:
    stopped = flat(50.0, 60) + flat(math.nan, 60)
    f = frame({"latency_p95{region=a}": stopped, "cpu_utilization{region=a}": flat(0.5)})
    s = stat(report(f, "overview"), "overview", "Latency p95 (worst)")
    assert s.reading.value == 50.0
    assert s.reading.note == "stale: last point 11-28 00:59 UTC"


def test_a_series_with_only_gaps_is_missing() -> None:
    f = frame({"latency_p95{region=a}": flat(50.0), "cpu_utilization{region=a}": flat(math.nan)})
    cells = table(report(f, "infrastructure"), "infrastructure", "Utilisation by region").rows
    cpu = next(c for c in cells[0].cells if c.metric == "cpu_utilization")
    assert cpu.status is Level.MISSING and cpu.value is None


def test_replica_lag_only_where_configured() -> None:
    without = report(frame(healthy_fleet()), "infrastructure")
    util = table(without, "infrastructure", "Utilisation by region")
    assert [c.metric for c in util.columns] == [
        "cpu_utilization",
        "memory_utilization",
        "billable_instance_time",
    ]
    assert "not configured: replica_lag" in util.note
    assert not any(c.title == "Replica lag" for c in widget(without, "infrastructure", Chart))
    series = healthy_fleet() | {"replica_lag{region=us-central1}": flat(0.9)}
    lag = table(report(frame(series), "infrastructure"), "infrastructure", "Utilisation by region")
    cell = next(c for c in lag.rows[1].cells if c.metric == "replica_lag")
    assert cell.status is Level.WARNING  # > 0.5 s (default rule 6)


def test_endpoint_breakdown_and_a_note_when_no_endpoint_labels() -> None:
    r = report(frame(healthy_fleet()), "performance", "reliability")
    by_endpoint = table(r, "performance", "Pipeline latency by endpoint")
    assert by_endpoint.rows[0].labels == {
        "region": "europe-west1",
        "endpoint": "/api/v2/process",
    }
    errors = table(r, "reliability", "Errors by endpoint")
    assert errors.rows == () and "endpoint" in errors.note


def test_baselines_override_the_default_rule_per_series() -> None:
    tuned = ThresholdSet(
        {"latency_p95{region=a}": Threshold("latency_p95", "high", 40.0, 45.0, 300, "svc.json")},
        default_thresholds().by_metric,
        "baselines/svc.json",
    )
    f = frame({"latency_p95{region=a}": flat(50.0), "latency_p95{region=b}": flat(50.0)})
    r = report(f, "performance", thresholds=tuned)
    cells = {row.label: row.cells[1] for row in table(r, "performance", "Latency by region").rows}
    assert cells["a"].status is Level.CRITICAL and cells["a"].threshold.origin == "svc.json"  # type: ignore[union-attr]
    assert cells["b"].status is Level.OK
    assert r.thresholds.kind == "baselines" and r.thresholds.origin == "baselines/svc.json"
    assert "baselines" in r.summary


def test_active_alerts_list_every_thresholded_series_beyond_its_level() -> None:
    values = with_spike(flat(50.0), 100, 20, 250.0)
    f = frame({"latency_p95{region=a}": values, "memory_utilization{region=a}": flat(0.9)})
    (alerts,) = widget(report(f, "overview"), "overview", AlertList)
    by_series = {a.series: a for a in alerts.alerts}
    assert by_series["latency_p95{region=a}"].status is Level.CRITICAL
    assert by_series["latency_p95{region=a}"].since == START + timedelta(minutes=100)
    assert by_series["latency_p95{region=a}"].held_seconds == 20 * 60
    assert by_series["latency_p95{region=a}"].firing  # held longer than the rule's 300 s
    assert by_series["memory_utilization{region=a}"].status is Level.WARNING
    assert by_series["memory_utilization{region=a}"].since == START
    assert alerts.alerts[0].status is Level.CRITICAL  # most severe first


def test_breaches_name_what_trips_a_ci_gate() -> None:
    f = frame(
        {
            "latency_p95{region=a}": flat(150.0),  # warning
            "memory_utilization{region=a}": flat(0.5),
            "cache_hit_ratio{region=a}": flat(0.5),  # warning, fleet value of one region
            "cache_hit_ratio{region=b}": flat(0.9),
        }
    )
    r = report(f, "all")
    assert r.breaches(Level.CRITICAL) == []
    assert r.breaches(Level.WARNING) == [
        "cache_hit_ratio fleet (worst: a)",
        "cache_hit_ratio{region=a}",
        "latency_p95{region=a}",
    ]


def test_an_alert_that_has_not_lasted_its_duration_is_not_firing_yet() -> None:
    values = with_spike(flat(50.0), 117, 3, 250.0)  # 5-minute mean 170 ms: warning
    (alerts,) = widget(
        report(frame({"latency_p95{region=a}": values}), "overview"), "overview", AlertList
    )
    (alert,) = alerts.alerts
    assert alert.status is Level.WARNING
    assert alert.since == START + timedelta(minutes=117)
    assert alert.held_seconds == 180 and not alert.firing


def test_anomalies_find_a_spike_against_the_baseline_and_name_the_incident() -> None:
    values = with_spike(noisy(50.0, 240), 150, 10, 120.0)
    f = frame({"latency_p95{region=a}": values, "latency_p50{region=a}": noisy(20.0, 240, 2)})
    f.incidents.append(
        Incident(START + timedelta(minutes=149), START + timedelta(minutes=161), "deploy", ())
    )
    (anomalies,) = widget(report(f, "performance"), "performance", AnomalyList)
    assert anomalies.total == 1
    (a,) = anomalies.anomalies
    assert a.series == "latency_p95{region=a}"
    assert a.start == START + timedelta(minutes=150)
    assert a.end == START + timedelta(minutes=159) and a.seconds == 600
    assert a.peak == 120.0 and a.baseline == pytest.approx(50.0, rel=0.05)
    assert a.direction == "above" and a.score > 5
    assert a.incident == "deploy"


def test_a_dip_in_latency_is_not_an_anomaly_but_a_traffic_drop_is() -> None:
    f = frame(
        {
            "latency_p95{region=a}": with_spike(noisy(50.0, 240), 150, 10, 5.0),
            "request_rate{region=a}": with_spike(noisy(100.0, 240, 3), 150, 10, 10.0),
        }
    )
    (anomalies,) = widget(report(f, "performance"), "performance", AnomalyList)
    assert [a.metric for a in anomalies.anomalies] == ["request_rate"]
    assert anomalies.anomalies[0].direction == "below"


def test_too_little_history_for_anomalies_says_so() -> None:
    (anomalies,) = widget(
        report(frame(healthy_fleet(20)), "performance"), "performance", AnomalyList
    )
    assert anomalies.anomalies == () and "not enough history" in anomalies.method


def test_charts_keep_the_worst_point_of_each_bucket() -> None:
    values = with_spike(flat(50.0, 1000), 500, 1, 900.0)
    r = report(frame({"latency_p95{region=a}": values}), "performance")
    chart = next(c for c in widget(r, "performance", Chart) if c.title == "Latency p95 by region")
    assert len(chart.times) <= 200 and chart.bucket_reduce == "max"
    assert max(v for v in chart.lines[0].values if v is not None) == 900.0
    assert chart.threshold is not None and chart.threshold.warning == 100.0


def test_region_filter_keeps_only_those_regions() -> None:
    r = report(frame(healthy_fleet()), "overview", regions=("europe-west1",))
    assert [row.label for row in table(r, "overview", "Regions").rows] == ["europe-west1"]
    assert r.regions == ("europe-west1",)


def test_an_empty_frame_is_a_data_error() -> None:
    with pytest.raises(DataError, match="no data points"):
        report(frame({}), "overview")
    with pytest.raises(DataError):
        report(frame({"latency_p95{region=a}": flat(math.nan)}), "overview")


def test_the_overview_fetches_every_thresholded_metric_the_catalog_knows() -> None:
    tuned = ThresholdSet(
        {
            "request_rate{region=a}": Threshold("request_rate", "high", 1.0, 2.0, 300, "x"),
            "retired{region=a}": Threshold("retired", "high", 1.0, 2.0, 300, "x"),
        },
        default_thresholds().by_metric,
        "baselines/svc.json",
    )
    known = [m.name for m in DEFAULT_METRICS]
    cache = definitions.to_fetch(definitions.select(["cache"]), tuned, known)
    assert "memory_utilization" not in cache
    overview = definitions.to_fetch(definitions.select(["overview"]), tuned, known)
    assert {"memory_utilization", "replica_lag", "request_rate"} <= set(overview)
    assert "retired" not in overview and list(overview) == sorted(overview)


def test_metrics_of_includes_the_weights_for_ratios() -> None:
    wanted = definitions.metrics_of(definitions.select(["cache"]))
    assert {"cache_hit_ratio_l1", "cache_evictions", "request_rate"} <= wanted
    assert definitions.select([]) == list(definitions.DASHBOARDS)

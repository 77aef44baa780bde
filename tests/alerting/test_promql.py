"""The translator registry and the series' PromQL names (promtool runs them in test_promtool)."""

from __future__ import annotations

import pytest

from ioncli.alerting import promql
from ioncli.alerting.analysis import build_report
from ioncli.alerting.promnames import fallback, metric_name, series_promql, series_queries
from ioncli.alerting.tune import TuneOptions, auto_kinds
from ioncli.frame import SeriesKey
from ioncli.sources.catalog import catalog

from .frames import frame, latency


def test_auto_never_offers_a_kind_without_a_translator(monkeypatch: pytest.MonkeyPatch) -> None:
    f = frame({"latency_p95": latency(4)}, 4)
    (s,) = build_report(f, TuneOptions(), service="svc").series
    assert s.rule.kind in promql.TRANSLATORS
    assert s.rule.condition is not None and s.rule.condition.type in ("threshold", "promql")
    chosen = s.rule.kind
    monkeypatch.delitem(promql.TRANSLATORS, chosen)
    assert chosen not in auto_kinds()
    (again,) = build_report(f, TuneOptions(), service="svc").series
    assert again.rule.kind != chosen
    row = next(c for c in again.candidates if c.kind == chosen)
    assert not row.available and "not offered by auto" in row.note
    # Forced, it still runs and is backtested, but the report says it is not applied.
    (forced,) = build_report(f, TuneOptions(rule=chosen), service="svc").series
    assert forced.rule.condition is not None and forced.rule.condition.type == "none"


def test_constants_are_written_as_the_same_doubles() -> None:
    for value in (0.1, 1 / 3, 123456.789e-12, -7.25, 1e300):
        assert float(promql.num(value)) == value
    assert promql.window("x", 60, 60) == "(x)[3599s:60s]"
    assert promql.window("x", 12, 300, 12) == "(x)[3599s:300s] offset 3600s"


def test_cloud_monitoring_promql_names() -> None:
    assert metric_name("run.googleapis.com/request_count") == "run_googleapis_com:request_count"
    assert (
        metric_name("run.googleapis.com/container/instance_count")
        == "run_googleapis_com:container_instance_count"
    )
    assert metric_name("prometheus.googleapis.com/ion_cache_requests_total/counter") == (
        "ion_cache_requests_total"
    )


def test_catalog_series_as_promql() -> None:
    specs = catalog()
    rate = series_promql(specs["request_rate"], "request_rate{region=us-east1}", "svc", 60)
    assert rate == (
        "sum by (location) (rate(run_googleapis_com:request_count{monitored_resource="
        '"cloud_run_revision", service_name="svc", location="us-east1"}[60s]))'
    )
    p95 = series_promql(specs["latency_p95"], "latency_p95{region=us-east1}", "svc", 300)
    assert p95 is not None and p95.startswith("histogram_quantile(0.95, sum by (location, le)")
    assert "run_googleapis_com:request_latencies_bucket" in p95 and "[300s]" in p95
    avail = series_promql(specs["availability"], "availability{region=us-east1}", "svc", 60)
    assert avail is not None and avail.startswith("1 - (")
    assert 'response_code_class="5xx"' in avail
    hit = series_promql(specs["cache_hit_ratio_l2"], "cache_hit_ratio_l2{region=r}", "svc", 60)
    assert hit is not None and "ion_cache_requests_total{namespace=" in hit
    pipe = series_promql(
        specs["pipeline_latency_p95"], "pipeline_latency_p95{endpoint=process,region=r}", "s", 60
    )
    assert pipe is not None and pipe.endswith(") * 1000.0") and 'endpoint="process"' in pipe
    assert fallback(SeriesKey.parse("cpu.csv{host=a}")) == 'cpu_csv{host="a"}'


def test_series_queries_name_every_column_of_the_frame() -> None:
    specs = catalog()
    f = frame({"latency_p95{region=r1}": latency(1), "cpu.csv{host=a}": latency(1)}, 1)
    queries = series_queries(f, specs, "svc")
    assert list(queries) == ["latency_p95{region=r1}", "cpu.csv{host=a}"]
    assert queries["latency_p95{region=r1}"] == series_promql(
        specs["latency_p95"], "latency_p95{region=r1}", "svc", f.step_seconds
    )
    assert queries["cpu.csv{host=a}"] == 'cpu_csv{host="a"}'  # no catalog entry: its name


def test_the_envelope_note_names_only_the_sides_that_run() -> None:
    from .test_envelope_promql import envelope, values

    # Hourly data: one value an hour has no median worth the name, so the range alone runs.
    hourly = envelope(values(9, 4, 3600), 3600, 4 * 24, "both", 1, 1.0)
    assert (hourly.level, hourly.spread, hourly.day) == (None, None, None)
    note = promql.translate(hourly, hourly.grid[0], "x")
    assert note is not None
    assert note.note == "trailing windows (range): PromQL condition"
    # Every 20 minutes with a hump, a noisy stretch and a missing peak: every side runs.
    v = values(3, 1.5, 1200)
    full = envelope(v, 1200, int(1.5 * 86_400 // 1200), "both", 2, 2.0)
    assert None not in (full.level, full.volume, full.spread, full.day)
    both = promql.translate(full, full.grid[0], "x")
    assert both is not None
    assert both.note == (
        "trailing windows (range, hourly medians, hourly means, spread, same hour of past days):"
        " PromQL condition"
    )


def test_the_volume_side_asks_the_hourly_mean_to_clear_its_limit_by_its_slack() -> None:
    # promtool cannot show the slack deciding anything (Prometheus's running mean of equal
    # values is exact), so the text is checked: the same sums in the same order as numpy.
    from ioncli.alerting.adaptive import MEAN_SLACK
    from ioncli.alerting.envelope_promql import envelope_query

    from .test_envelope_promql import envelope, values

    env = envelope(values(3, 1.5, 1200), 1200, int(1.5 * 86_400 // 1200), "both", 2, 2.0)
    assert env.volume is not None
    query = envelope_query(env, env.grid[0], "x")
    mean = "((avg_over_time((x)[3599s:1200s])) and (count_over_time((x)[3599s:1200s]) >= 1))"
    slack = f"{MEAN_SLACK!r} * abs({mean})"
    assert f"{mean} > ((" in query and f")) + {slack})" in query
    assert f"{mean} < ((" in query and f")) - {slack})" in query

"""The catalog: 25 default entries with queries, and user entries from ion.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from ioncli.config import Settings, load_settings
from ioncli.errors import ConfigError, DataError
from ioncli.sources.catalog import (
    DEFAULT_METRICS,
    catalog,
    check_metrics,
    filter_problem,
    keeps_worst,
)


def test_defaults_have_queries_units_and_well_formed_filters() -> None:
    assert len(DEFAULT_METRICS) == 25
    assert len({m.name for m in DEFAULT_METRICS}) == 25
    for spec in DEFAULT_METRICS:
        assert spec.unit and spec.query is not None, spec.name
        for query in (spec.query, spec.denominator):
            if query is not None:
                assert filter_problem(query.filter) is None, spec.name
                assert query.full_filter("svc").count("metric.type") == 1


def test_downsampling_keeps_the_worst_of_percentiles_only() -> None:
    worst = {m.name for m in DEFAULT_METRICS if keeps_worst(m.name)}
    assert worst == {
        "latency_p50",
        "latency_p95",
        "latency_p99",
        "startup_latency_p95",
        "max_concurrency_p95",
        "pipeline_latency_p95",
    }
    # Series ids start with the metric's name: the local source decides on those.
    assert keeps_worst("latency_p95{region=us-central1}")


def test_user_entries_add_and_override(tmp_path: Path) -> None:
    path = tmp_path / "ion.toml"
    path.write_text(
        "[metrics.queue_depth]\n"
        'unit = "count"\n'
        'metric_type = "custom.googleapis.com/ion/queue_depth"\n'
        'reducer = "REDUCE_MAX"\n'
        "[metrics.queue_depth.denominator]\n"
        'metric_type = "custom.googleapis.com/ion/queue_capacity"\n'
        "[metrics.cpu_utilization]\n"
        'reducer = "REDUCE_PERCENTILE_50"\n'
    )
    settings = load_settings(path)
    specs = catalog(settings)
    assert specs["queue_depth"].unit == "count"
    assert specs["queue_depth"].query is not None
    assert specs["queue_depth"].query.reducer == "REDUCE_MAX"
    assert specs["queue_depth"].denominator is not None
    cpu = specs["cpu_utilization"]
    assert cpu.query is not None and cpu.query.reducer == "REDUCE_PERCENTILE_50"
    assert cpu.query.metric_type.endswith("cpu/utilizations") and cpu.unit == "ratio"
    assert check_metrics(("queue_depth",), settings) == ("queue_depth",)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"queue": {"unit": "count", "colour": "red"}}, "unknown key 'metrics.queue.colour'"),
        ({"queue": {"metric_type": "x"}}, "new metric 'metrics.queue' needs a 'unit'"),
        ({"latency_p95": {"aligner": "ALIGN_FAST"}}, "unknown aligner 'ALIGN_FAST'"),
        ({"latency_p95": {"scale": "big"}}, "'metrics.latency_p95.scale' has the wrong type"),
        ({"latency_p95": {"filter": "metric.labels.x = 'a'"}}, "malformed"),
        ({"latency_p95": {"filter": 'metric.type = "x"'}}, "with 'metric_type'"),
        ({"latency_p95": {"denominator": {"colour": 1}}}, "'metrics.latency_p95.denominator"),
    ],
)
def test_bad_entries_name_the_key_and_the_file(entry: dict, message: str) -> None:  # type: ignore[type-arg]
    settings = Settings(metrics=entry, source_file="ion.toml")
    with pytest.raises(ConfigError, match="ion.toml: .*" + message.replace("(", r"\(")):
        catalog(settings)


def test_bad_entries_stop_every_source(tmp_path: Path) -> None:
    from ioncli.commands._source import load_frame

    with pytest.raises(ConfigError):
        load_frame(Settings(metrics={"x": {}}), "sim", "1h", None, None)


def test_unknown_metric_lists_every_known_name() -> None:
    with pytest.raises(DataError) as info:
        check_metrics(("latency_p42",))
    assert all(m.name in str(info.value) for m in DEFAULT_METRICS)

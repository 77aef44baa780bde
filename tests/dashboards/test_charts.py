"""SVG chart geometry: nice ticks, UTC time labels, gaps, threshold levels on or off the chart."""

from __future__ import annotations

from datetime import timedelta

from ioncli.dashboards.charts import HEIGHT, LEFT, TOP, WIDTH, chart_svg, nice_step, spark_path
from ioncli.dashboards.model import Chart, Level, Line, ThresholdInfo
from ioncli.dashboards.units import fmt
from tests.dashboards.frames import START


def chart(values: list[float | None], unit: str = "ms", **kw: object) -> Chart:
    times = tuple(START + timedelta(hours=i) for i in range(len(values)))
    line = Line("us-central1", ("latency_p95{region=us-central1}",), tuple(values), Level.OK)
    return Chart("Latency", unit, times, (line,), 3600, "max", **kw)  # type: ignore[arg-type]


def test_nice_steps() -> None:
    assert nice_step(100, 5) == 20
    assert nice_step(0.0007, 5) == 0.0002
    assert nice_step(9, 4) == 2.5


def test_axes_have_round_ticks_and_time_labels() -> None:
    g = chart_svg(chart([50.0, 60.0, 170.0, 80.0] * 6), fmt)
    assert [t.label for t in g.y_ticks] == ["50", "75", "100", "125", "150", "175"]
    assert all(TOP <= t.pos <= HEIGHT for t in g.y_ticks)
    labels = [t.label for t in g.x_ticks]
    assert labels[0] == "00:00" and len(labels) <= 7
    assert all(LEFT <= t.pos <= WIDTH for t in g.x_ticks)
    assert g.y_caption == "ms"


def test_ratio_ticks_read_as_percentages() -> None:
    g = chart_svg(chart([0.9991, 0.9996, 0.9993], "ratio"), fmt)
    assert g.y_caption == "%"
    assert all(t.label.endswith("%") for t in g.y_ticks)
    assert [t.label for t in g.y_ticks] == ["99.90%", "99.92%", "99.94%", "99.96%"]


def test_a_gap_lifts_the_pen() -> None:
    g = chart_svg(chart([1.0, 2.0, None, 3.0, 4.0]), fmt)
    assert g.paths[0].d.count("M") == 2 and g.paths[0].d.count("L") == 2


def test_thresholds_near_the_data_are_drawn_and_far_ones_are_named() -> None:
    near = ThresholdInfo("high", 100.0, 200.0, 300, "default")
    g = chart_svg(chart([50.0, 60.0, 70.0], threshold=near), fmt)
    assert [lv.label for lv in g.levels] == ["warning 100 ms", "critical 200 ms"]
    far = ThresholdInfo("high", 5000.0, None, 300, "default")
    g = chart_svg(chart([50.0, 60.0, 70.0], threshold=far), fmt)
    assert g.levels == () and g.off_chart == ("warning level 5,000 ms is off the chart",)


def test_too_few_points_is_an_empty_chart() -> None:
    assert chart_svg(chart([5.0]), fmt).empty
    assert chart_svg(chart([None, None]), fmt).empty


def test_spark_path_scales_to_its_box() -> None:
    d = spark_path([0.0, 10.0], width=100, height=20)
    assert d == "M0.0,18.0 L100.0,2.0"
    assert spark_path([None]) == ""

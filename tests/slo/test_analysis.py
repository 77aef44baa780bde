"""Budget, consumption, burn rates and exhaustion on literal frames, checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ioncli.slo.analysis import build_report
from ioncli.slo.config import SloSpec
from tests.slo.frames import DAY, frame, minute, steady_day

# 99.9% over one rolling day: the budget is 0.1% of the day's requests.
DAILY = SloSpec("availability", "availability", 0.999, window_days=1)


def fleet(report, i=0):  # type: ignore[no-untyped-def]
    return report.objectives[i].scopes[0]


def test_budget_consumption_burn_rates_and_exhaustion_by_hand() -> None:
    rate, errors = steady_day()  # 600 requests a minute, 864,000 in the day
    errors[100] = 0.5  # 300 bad requests at minute 100
    errors[DAY - 10 :] = 0.01  # 6 bad a minute in the last 10 minutes: 60
    report = build_report(frame(rate, errors), (DAILY,), service="s")
    f = fleet(report)
    assert f.total_events == pytest.approx(864_000)
    assert f.bad_events == pytest.approx(360)
    assert f.compliance == pytest.approx(1 - 360 / 864_000)
    assert f.budget_events == pytest.approx(864)  # 0.1% of 864,000
    assert f.budget_minutes == pytest.approx(1.44)  # 0.1% of 1,440 minutes
    assert f.consumed == pytest.approx(360 / 864)
    assert f.remaining == pytest.approx(1 - 360 / 864)
    assert f.consumed_minutes == pytest.approx(1.44 * 360 / 864)
    assert f.exhausted_at is None
    rates = {b.window: b.burn_rate for b in f.burn_rates}
    assert rates["5m"] == pytest.approx(30 / 3000 / 0.001)  # 10x
    assert rates["1h"] == pytest.approx(60 / 36_000 / 0.001)  # 1.667x
    assert rates["6h"] == pytest.approx(60 / 216_000 / 0.001)  # 0.278x
    assert rates["3d"] == pytest.approx(360 / 864_000 / 0.001)  # the whole day: 0.417x
    # At the 1 h burn the rest lasts remaining x 1 day / 1.667 = 8.4 h, to the minute.
    assert f.at_current_burn.hours == pytest.approx(8.4)
    assert f.at_current_burn.at == minute(DAY + 8 * 60 + 24).to_pydatetime()
    # At the window's average burn (0.4167x): 0.5833 x 24 h / 0.4167 = 33.6 h.
    assert f.at_average_burn.hours == pytest.approx(33.6)
    assert f.at_average_burn.at == minute(DAY + 33 * 60 + 36).to_pydatetime()
    assert report.objectives[0].status == "met"
    assert not report.objectives[0].partial
    worst = f.episodes[0]
    assert (worst.start, worst.minutes, worst.bad_events) == (minute(100), 1.0, 300)
    assert worst.budget_consumed == pytest.approx(300 / 864)
    assert worst.peak_burn_rate == pytest.approx(500)


def test_exhaustion_time_is_the_minute_the_budget_ran_out() -> None:
    rate, errors = steady_day()
    errors[100] = 0.5  # 300 bad
    errors[200] = 1.0  # 600 more: 900 > the 864 allowed, at minute 200
    report = build_report(frame(rate, errors), (DAILY,), service="s")
    f = fleet(report)
    assert f.exhausted_at == minute(200).to_pydatetime()
    assert f.remaining == pytest.approx(1 - 900 / 864)
    assert f.at_current_burn.hours == 0.0
    assert report.objectives[0].status == "breached"


def test_gaps_count_as_neither_good_nor_bad() -> None:
    rate, errors = steady_day()
    errors[100] = 0.5
    rate[500:600] = np.nan  # 100 minutes without data
    errors[500:600] = np.nan
    f = fleet(build_report(frame(rate, errors), (DAILY,), service="s"))
    assert f.total_events == pytest.approx(1340 * 600)
    assert f.bad_events == pytest.approx(300)
    assert f.coverage == pytest.approx(1340 / 1440)
    # The budget is the whole day's: the traffic seen, projected over the missing minutes.
    assert f.budget_events == pytest.approx(864)
    assert f.compliance == pytest.approx(1 - 300 / (1340 * 600))


def test_zero_traffic_leaves_compliance_undefined_and_the_budget_untouched() -> None:
    rate = np.zeros(DAY)
    errors = np.full(DAY, np.nan)  # no requests: nothing to divide
    report = build_report(frame(rate, errors), (DAILY,), service="s")
    f = fleet(report)
    assert f.compliance is None
    assert f.consumed == 0.0
    assert f.remaining == 1.0
    assert all(b.burn_rate is None for b in f.burn_rates)
    assert report.objectives[0].status == "undefined"
    assert "undefined" in report.objectives[0].note


def test_a_window_longer_than_the_data_is_partial() -> None:
    rate, errors = steady_day()
    spec = SloSpec("availability", "availability", 0.999, window_days=28)
    report = build_report(frame(rate, errors), (spec,), service="s")
    o = report.objectives[0]
    assert o.partial
    assert fleet(report).coverage == pytest.approx(1 / 28)
    assert "1/28" not in o.note and "3.6%" in o.note


def test_latency_counts_good_requests_from_the_bucket_share() -> None:
    rate, errors = steady_day()
    share = np.ones(DAY)
    share[10:20] = 0.9  # 10% of 600 slower than 200 ms for 10 minutes: 600 bad
    spec = SloSpec("latency", "latency", 0.99, window_days=1, threshold_ms=200.0)
    f = fleet(build_report(frame(rate, errors, latency=share), (spec,), service="s"))
    assert f.bad_events == pytest.approx(600)
    assert f.budget_events == pytest.approx(8640)
    assert f.consumed == pytest.approx(600 / 8640)


def test_a_source_without_latency_buckets_is_unsupported() -> None:
    rate, errors = steady_day()
    spec = SloSpec("latency", "latency", 0.99, window_days=1, threshold_ms=200.0)
    o = build_report(frame(rate, errors), (spec,), service="s").objectives[0]
    assert o.status == "unsupported"
    assert "latency_share_le_200" in o.note
    assert o.scopes == []


def test_a_calendar_month_window_starts_on_the_first() -> None:
    rate, errors = steady_day()  # 2 March 2026, the month's second day
    spec = SloSpec("availability", "availability", 0.999, window_days=None)
    report = build_report(frame(rate, errors), (spec,), service="s")
    o = report.objectives[0]
    assert o.window == "calendar-month"
    assert o.window_start is not None and o.window_start.isoformat() == "2026-03-01T00:00:00+00:00"
    f = fleet(report)
    assert f.budget_minutes == pytest.approx(0.001 * 31 * 1440)  # March has 31 days
    assert f.coverage == pytest.approx(0.5)  # one of the two days so far has data
    assert o.partial


def test_the_gate_and_the_apply_are_added_after_the_analysis() -> None:
    from ioncli.slo.analysis import tripped, with_extras
    from ioncli.slo.model import ApplySummary

    rate, errors = steady_day()
    errors[100] = 0.5  # 300 of the day's 864 allowed bad requests: 65.3% left
    built = build_report(frame(rate, errors), (DAILY,), service="s")
    assert tripped(built, None) == []
    assert tripped(built, ("budget-remaining-below", 50.0)) == []
    lines = tripped(built, ("budget-remaining-below", 70.0))
    assert lines == [  # the fleet and its one region
        f"availability ({scope}): 65.3% of the error budget left, below 70%"
        for scope in ("fleet", "r1")
    ]
    summary = ApplySummary(True, "demo", "s", [], 0, [])
    done = with_extras(built, apply=summary, gate=lines)
    assert (done.apply, done.gate) == (summary, lines)
    assert built.apply is None and built.gate == []

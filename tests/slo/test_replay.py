"""Burn-rate rules replayed on literal frames: when they fire, what they catch, what the
traffic-aware minimum saves; and static thresholds on the same history."""

from __future__ import annotations

import numpy as np
import pytest

from ioncli.slo.analysis import build_report
from ioncli.slo.config import AlertRule, SloSpec
from tests.slo.frames import DAY, frame, minute, steady_day

FAST = AlertRule("page-1h", "page", 3600, 300, 14.4)
DAILY = SloSpec("availability", "availability", 0.999, window_days=1, alerts=(FAST,))


def rules(report):  # type: ignore[no-untyped-def]
    return {r.name: r for r in report.objectives[0].replay[0].rules}


def test_the_fast_page_fires_when_both_windows_burn_past_14_4() -> None:
    rate, errors = steady_day()  # 600 requests a minute
    errors[600:620] = 0.05  # 30 bad a minute for 20 minutes: 600 bad
    report = build_report(frame(rate, errors), (DAILY,), service="s")
    page = rules(report)["page-1h"]
    # The hour needs more than 14.4 x 0.1% x 36,000 = 518.4 bad: the 18th bad minute (617).
    # It stays on while the last 5 minutes still burn over 14.4x: until minute 622 (2 of
    # the 5 were bad); at 623 only one was (10x) and it closes.
    assert [(a.start, a.end) for a in page.alerts] == [
        (minute(617).to_pydatetime(), minute(623).to_pydatetime())
    ]
    assert page.incidents_caught == 1 and page.incidents_missed == 0
    assert page.false_alerts == 0
    detection = page.detections[0]
    assert detection.minutes_after_start == 17
    # Spent by then: 18 bad minutes x 30 = 540 of the day's 864.
    assert detection.budget_burned_before == pytest.approx(540 / 864)
    # At average traffic the minimum is the same 518.4 bad: it changes nothing here.
    assert page.min_bad_events == pytest.approx(14.4 * 0.001 * 600 * 60)
    assert page.without_minimum is not None and page.without_minimum["episodes"] == 1


def test_the_traffic_aware_minimum_skips_a_blip_at_low_traffic() -> None:
    rate, errors = steady_day()
    rate[1140:] = 0.1  # 6 requests a minute for the last five hours
    errors[1300] = 1.0  # all 6 fail: 1000x burn in that minute, 16.7x over the hour
    report = build_report(frame(rate, errors), (DAILY,), service="s")
    page = rules(report)["page-1h"]
    assert page.without_minimum is not None
    assert page.without_minimum["episodes"] == 1  # the ratio alone pages for 6 requests
    assert page.without_minimum["false_alerts"] == 1
    assert page.episodes == 0  # it needs ~455 bad requests at the day's average traffic
    # Those 6 requests are 0.9% of the budget: not a budget-burning incident.
    assert report.objectives[0].replay[0].incidents == 0


def test_static_thresholds_page_on_noise_the_burn_rate_ignores() -> None:
    rate, errors = steady_day()
    # Short wobbles just over the objective's ratio: 6 minutes at 0.2% every 2 hours.
    for start in range(0, DAY, 120):
        errors[start : start + 6] = 0.002
    report = build_report(frame(rate, errors), (DAILY,), service="s")
    by_name = rules(report)
    assert by_name["static-slo"].episodes == 12  # 0.2% > 0.1% for 5 minutes, 12 times
    assert by_name["static-slo"].false_alerts == 12
    assert by_name["page-1h"].episodes == 0  # 2x at most over 5 minutes
    assert by_name["static-5xx"].episodes == 0  # never above 1%
    assert report.objectives[0].replay[0].incidents == 0


def test_replay_covers_every_region_and_the_fleet() -> None:
    from ioncli.sources.sim import simulate
    from tests.slo.frames import T0

    sim = simulate(T0, T0 + np.timedelta64(2, "D"), metrics=("request_rate", "error_ratio_5xx"))
    report = build_report(sim, (DAILY,), service="s")
    scopes = [r.scope for r in report.objectives[0].replay]
    assert scopes == ["fleet", "asia-southeast1", "europe-west1", "us-central1"]

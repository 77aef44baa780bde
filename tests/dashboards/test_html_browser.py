"""The HTML report in a real headless Chromium: it renders, logs no errors, asks the network
for nothing and draws its charts."""

from __future__ import annotations

from pathlib import Path

import pytest

from ioncli.dashboards import definitions
from ioncli.dashboards.analysis import build_report
from ioncli.dashboards.render import render_html
from ioncli.thresholds import default_thresholds
from tests.dashboards.frames import NASTY, START, flat, frame, healthy_fleet, noisy, with_spike
from tests.helpers import CHROMIUM_FLAGS, require_browser


@pytest.mark.slow
def test_html_renders_in_chromium_with_charts_and_no_requests(tmp_path: Path) -> None:
    chromium, sync_api = require_browser()
    series = healthy_fleet(600)
    series["latency_p95{region=us-central1}"] = with_spike(noisy(50.0, 600), 400, 30, 250.0)
    series[f"latency_p95{{region={NASTY}}}"] = flat(150.0, 600)
    report = build_report(
        frame(series),
        default_thresholds(),
        definitions.select(["all"]),
        service="svc",
        generated_at=START,
    )
    page_path = tmp_path / "dashboard.html"
    page_path.write_text(render_html(report), encoding="utf-8")
    url = page_path.as_uri()

    problems: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        # A fresh profile per run (playwright passes it as --user-data-dir).
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url, wait_until="load")
            charts = page.locator("svg.plot")
            chart_count = charts.count()
            drawn = page.locator("svg.plot path.series").count()
            boxes = [charts.nth(i).bounding_box() for i in range(chart_count)]
            ticks = page.locator("svg.plot text.tick").count()
            title = page.title()
            heading = page.locator("h1").inner_text()
        finally:
            context.close()

    assert problems == []
    assert requests == [url]  # nothing but the page itself: works offline
    assert chart_count == 9 and drawn >= chart_count  # replica lag is not configured here
    assert all(b is not None and b["width"] > 300 and b["height"] > 80 for b in boxes)
    assert ticks > 4 * chart_count  # axes carry labels
    assert title.startswith("svc · ion dashboard")
    assert "svc" in heading

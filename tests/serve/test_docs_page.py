"""The /docs page in a real browser: it lists every operation, can call one, and loads
nothing but the service itself (no CDN), under its own Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import CHROMIUM_FLAGS, require_browser
from tests.serve.test_server import ion_serve

pytestmark = pytest.mark.slow


def test_docs_page_works_offline_in_chromium(tmp_path: Path) -> None:
    chromium, sync_api = require_browser()
    problems: list[str] = []
    requests: list[str] = []
    with ion_serve("--no-history") as (url, _proc), sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(f"{url}/docs", wait_until="networkidle")
            operations = page.locator("details")
            count = operations.count()
            health = operations.filter(has_text="/api/v2/health")
            health.locator("summary").click()
            health.locator("button").click()
            # The page's CSP forbids eval, so waits go through locators, not JS snippets.
            health.locator("pre", has_text="healthy").wait_for()
            answer = health.locator("pre").inner_text()
            process = operations.filter(has_text="POST /api/v2/process")
            process.locator("summary").click()
            process.locator("button").click()
            process.locator("pre", has_text="persona_used").wait_for()
            processed = process.locator("pre").inner_text()
            # With a trailing slash the page must still find /openapi.json (it rendered
            # nothing when it fetched a relative URL).
            page.goto(f"{url}/docs/", wait_until="networkidle")
            page.locator("details").first.wait_for()
            slash_count = page.locator("details").count()
        finally:
            context.close()
    assert problems == []
    assert all(r.startswith(url) for r in requests), requests
    assert count == slash_count == 15
    assert answer.startswith("200") and '"healthy": true' in answer
    assert processed.startswith("200") and '"persona_used"' in processed

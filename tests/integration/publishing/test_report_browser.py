"""The leadership report in headless Chromium: every chart draws, nothing errors or is fetched.

Chromium is Debian's package (``scripts/install-chromium.sh``; CI installs it the same way),
driven by the installed Python ``playwright`` with ``executable_path``, because Playwright's
own browser download cannot reach its CDN from these machines. A missing browser fails the
test with the command to run: a skipped browser test would hide a broken report.

Screenshots go to the test's tmp folder and, when ``SALESPLAN_SCREENSHOT_DIR`` is set, there
too (the README's screenshot is taken that way from the real demo).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# tests/ is on sys.path (pytest's rootdir conftest); the snapshot builder is shared with the
# report's unit tests.
from unit.publishing.serving_fixture import build_publication

from publishing.report import CHART_IDS, render_report

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR_ENV = "SALESPLAN_SCREENSHOT_DIR"
# Per chart: its plotly data, and the SVG marks plotly drew for it (bars, points, line and
# band paths with a non-empty path).
RENDERED = """
ids => ids.map(id => {
  const div = document.getElementById(id);
  if (!div) return {id, found: false};
  const marks = [...div.querySelectorAll('.trace .point, .trace path.js-line')]
    .filter(el => el.tagName === 'g' ? el.querySelector('path[d]') !== null
                                     : (el.getAttribute('d') || '').length > 2);
  return {
    id,
    found: true,
    svg: div.querySelectorAll('svg.main-svg').length,
    traces: (div._fullData || []).length,
    points: (div.data || []).reduce((n, t) => n + ((t.x || t.y || []).length || 0), 0),
    marks: marks.length,
  };
})
"""


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's chromium (or ``$SALESPLAN_CHROMIUM``); fails with what to run when missing."""
    candidate = os.environ.get("SALESPLAN_CHROMIUM") or shutil.which("chromium")
    if not candidate or not Path(candidate).exists():
        pytest.fail(
            "Chromium is not installed: run `bash scripts/install-chromium.sh` (CI installs it "
            "the same way), or point SALESPLAN_CHROMIUM at a Chromium binary",
            pytrace=False,
        )
    return candidate


@pytest.fixture(scope="module")
def serving_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_publication(tmp_path_factory.mktemp("publication")).serving_db


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_chart_renders_in_chromium_without_errors_or_requests(
    chromium: str, serving_db: Path, tmp_path: Path, lang: str
):
    from playwright.sync_api import sync_playwright

    report = render_report(serving_db, "2026-08", lang, tmp_path / f"report_{lang}.html")
    errors: list[str] = []
    requests: list[str] = []
    failed: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("request", lambda request: requests.append(request.url))
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.goto(report.as_uri(), wait_until="load")
            page.wait_for_function(
                "ids => ids.every(id => document.getElementById(id)?._fullLayout)",
                arg=list(CHART_IDS),
                timeout=30_000,
            )
            charts = page.evaluate(RENDERED, list(CHART_IDS))
            screenshot = tmp_path / f"report_{lang}.png"
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()

    for chart in charts:
        assert chart["found"], chart
        assert chart["svg"] >= 1, chart
        assert chart["traces"] >= 1, chart
        assert chart["points"] > 0, chart
        assert chart["marks"] > 0, chart
    assert errors == []
    assert failed == []
    assert [url for url in requests if not url.startswith(("file://", "data:"))] == []
    assert screenshot.stat().st_size > 50_000  # a rendered page, not a blank one
    copy_dir = os.environ.get(SCREENSHOT_DIR_ENV)
    if copy_dir:
        Path(copy_dir).mkdir(parents=True, exist_ok=True)
        shutil.copy(screenshot, Path(copy_dir) / screenshot.name)

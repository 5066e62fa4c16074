"""Save a full-page PNG of a leadership report with headless Debian Chromium.

For the README's screenshot and for reviewing a report without a desktop::

    uv run --frozen python scripts/screenshot_report.py .salesplan/reports/2026-10/report_en.html \
        docs/report.png

Uses the same browser and launch flags as the report's browser test
(tests/integration/publishing/test_report_browser.py): Debian's ``chromium`` (installed by
``scripts/install-chromium.sh``) or ``$SALESPLAN_CHROMIUM``. Chinese reports need a CJK font on
the machine (Debian: ``fonts-noto-cjk``); without one the labels render as boxes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

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


def screenshot(report: Path, out: Path, width: int = 1280) -> Path:
    """Render ``report`` and save a full-page PNG to ``out``; return ``out``.

    Raises:
        FileNotFoundError: when Chromium or the report is missing.
        RuntimeError: when the page logs errors while rendering.
    """
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("SALESPLAN_CHROMIUM") or shutil.which("chromium")
    if not chromium or not Path(chromium).exists():
        raise FileNotFoundError(
            "Chromium is not installed: run `bash scripts/install-chromium.sh` or set "
            "SALESPLAN_CHROMIUM"
        )
    if not report.exists():
        raise FileNotFoundError(f"{report}: no such report")
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(report.resolve().as_uri(), wait_until="load")
            # Every chart div gets _fullLayout once plotly has drawn it.
            page.wait_for_function(
                "() => [...document.querySelectorAll('.plotly-graph-div')]"
                ".every(div => div._fullLayout)",
                timeout=30_000,
            )
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), full_page=True)
        finally:
            browser.close()
    if errors:
        raise RuntimeError(f"{report}: the page logged errors: {errors}")
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="the report's HTML file")
    parser.add_argument("out", type=Path, help="the PNG file to write")
    parser.add_argument("--width", type=int, default=1280, help="viewport width in pixels")
    args = parser.parse_args(argv)
    try:
        print(screenshot(args.report, args.out, args.width))
    except (FileNotFoundError, RuntimeError) as error:
        print(f"screenshot_report: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

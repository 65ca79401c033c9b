"""Real Chromium through Playwright, for tests that measure what a reader sees or prints.

The system's Chromium is used (``/usr/bin/chromium``, from ``make system``); Playwright
downloads no browser of its own. Tests that need it skip when it is absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module's tests."""
    from playwright.sync_api import sync_playwright  # only where a browser is wanted

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield launched
        finally:
            launched.close()


def svg_page(browser: Any, svg: bytes) -> Any:
    """A page showing ``svg`` at its own size (1 SVG unit = 1 CSS pixel), top left."""
    text = svg.decode("utf-8")
    page = browser.new_page()
    page.set_content(
        '<!DOCTYPE html><html><body style="margin:0">'
        + text[text.find("<svg") :]
        + "</body></html>"
    )
    return page

"""Shared fixtures: a real headless browser (Debian's chromium; never downloaded by Playwright),
and hypothesis without per-example deadlines."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# No per-example deadline: on a shared 2-core machine a loaded moment is not a failure.
settings.register_profile("animato", deadline=None)
settings.load_profile("animato")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """A launched headless Chromium; skipped without it, except on CI where it must exist."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found: install the Debian package 'chromium'"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def recorded_page(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A fresh 1280 × 900 page and the list of every URL it requests (for the caller to check
    that none leaves where it should stay)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    requested: list[str] = []
    opened.on("request", lambda request: requested.append(request.url))
    try:
        yield opened, requested
    finally:
        context.close()

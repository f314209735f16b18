"""Shared fixtures: a real headless browser (Debian's chromium; never downloaded by Playwright),
and hypothesis without per-example deadlines."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser

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

"""The simulation report in a real headless Chromium: charts drawn, figures shown, no network.

The screenshot goes to tests/artifacts/simulation.png (git-ignored) for a look by eye.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from animato import load_plan
from animato.simulate import simulate
from tests.simulate.simplan import END, START, write_history

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent.parent / "artifacts"


def test_the_report_shows_its_charts_and_figures(browser: Browser, tmp_path: Path) -> None:
    plan_dir, source = write_history(tmp_path)
    report = simulate(load_plan(plan_dir), source, tmp_path / "out", START, END).report
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "simulation.png"), full_page=True)
    try:
        assert page.locator("h1").inner_text() == "Simulation: Simulation test"
        charts = page.locator("figure svg")
        assert charts.count() == 3  # weekly volumes, pressure per week, pressure per month
        for i in range(3):
            box = charts.nth(i).bounding_box()
            assert box is not None and box["width"] > 600 and box["height"] > 150
        # the weekly volume bars: 5 messages, stacked by program (one program here)
        bars = charts.nth(0).locator("rect.bar")
        assert bars.count() == 1 and bars.first.locator("title").text_content() == "01/03 · p: 5"
        assert charts.nth(1).locator("line.cap").count() == 1  # the weekly cap is drawn
        cards = page.locator(".card").all_inner_texts()
        assert any(c.startswith("66.7%") for c in cards)  # customer-weeks at the cap
        assert any(c.startswith("60%") for c in cards)  # customer-centricity
        decisions = page.locator("table").nth(1).inner_text()
        assert "dropped:cap_week" in decisions and "postponed:cap_week" in decisions
    finally:
        context.close()
    assert all(url.startswith("file://") for url in requested), requested

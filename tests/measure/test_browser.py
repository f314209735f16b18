"""The KPI report in a real headless Chromium: charts drawn, verdicts shown, no network.

The screenshot goes to tests/artifacts/report.png (git-ignored) for a look by eye.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.csv as pcsv
import pytest

from animato.measure import page, results
from tests.measure.measureplan import END, START, filled

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent.parent / "artifacts"


def test_the_report_shows_incrementality_pareto_and_kpis(browser: Browser, tmp_path: Path) -> None:
    store = filled(tmp_path / "plan")
    written = page.write(store.plan, results.compute(store, START, END), tmp_path / "out")
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    tab = context.new_page()
    requested: list[str] = []
    tab.on("request", lambda request: requested.append(request.url))
    tab.goto(written.as_uri())
    tab.wait_for_load_state("load")
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    try:
        assert tab.locator("h1").inner_text() == "Results: Mesure"
        charts = tab.locator("figure svg")
        assert charts.count() == 2  # treated against control, Pareto
        for i in range(2):
            box = charts.nth(i).bounding_box()
            assert box is not None and box["width"] > 600 and box["height"] > 150
        # treated 50 % against holdout 50 %: one pair of grouped bars
        assert charts.nth(0).locator("rect.bar").count() == 2  # against the holdout
        cards = tab.locator(".card").all_inner_texts()
        assert any(c.startswith("70 EUR") and "incremental revenue (actions)" in c for c in cards)
        table = tab.locator("table").first.inner_text()
        assert "Panier abandonné" in table and "not yet significant" in table
        assert "[-53.6 pt, +53.6 pt]" in table  # the conversion uplift's interval
        verdict = tab.locator(".v-unsure").first
        assert verdict.is_visible()
        kpis = tab.locator("table").last.inner_text()
        assert "CA additionnel" in kpis and "not met" in kpis and "Conversion" in kpis
        assert "privacy proxies" in tab.locator("body").inner_text()
    finally:
        context.close()
    assert all(url.startswith("file://") for url in requested), requested
    tables = written.parent / "tables"
    assert sorted(p.name for p in tables.glob("*.csv")) == [
        "actions.csv", "channels.csv", "incrementality.csv", "kpis.csv", "pareto.csv",
        "programs.csv", "scores.csv", "variants.csv",
    ]  # fmt: skip
    assert pcsv.read_csv(tables / "incrementality.csv").num_rows == 3

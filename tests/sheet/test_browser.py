"""The written site in a real headless Chromium: pages render, drawings are visible, no network.

Screenshots go to tests/artifacts/ (git-ignored) for a look by eye.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from animato.plan import inspect_plan
from animato.sheet import write_site
from tests.conftest import recorded_page
from tests.sheet.conftest import YEAR

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent.parent / "artifacts"
RETAIL = Path(__file__).parent.parent.parent / "examples" / "retail"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page that records every URL it requests."""
    with recorded_page(browser) as (opened, requested):
        yield opened
    assert all(url.startswith("file://") for url in requested), requested


def visit(page: Page, file: Path, shot: str) -> None:
    """Open a written file and save a full-page screenshot of it."""
    page.goto(file.as_uri())
    page.wait_for_load_state("load")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)


def check_flow(page: Page, steps: int) -> None:
    """The flow diagram is visible, sized, and has one visible box per step inside it."""
    diagram = page.locator("svg.flow")
    assert diagram.is_visible()
    outer = diagram.bounding_box()
    assert outer is not None and outer["width"] > 300 and outer["height"] > 200
    boxes = page.locator("svg.flow g.step")
    assert boxes.count() == steps
    for i in range(steps):
        box = boxes.nth(i).bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0
        assert outer["y"] <= box["y"] and box["y"] + box["height"] <= outer["y"] + outer["height"]


def test_overview(page: Page, site: Path) -> None:
    visit(page, site / "index.html", "sheet-index")
    assert page.locator("h1").inner_text() == "Maison Test"
    # The stylesheet is applied (section titles are underlined by a border).
    style = page.evaluate("getComputedStyle(document.querySelector('h2')).borderBottomStyle")
    assert style == "solid"
    assert page.locator("#programme-fidelite").is_visible()
    page.get_by_role("link", name="Bienvenue").first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/scenarios/bienvenue.html")


def test_scenario_sheet(page: Page, site: Path) -> None:
    visit(page, site / "scenarios" / "bienvenue.html", "sheet-scenario-bienvenue")
    assert page.locator("h1").inner_text() == "Bienvenue"
    check_flow(page, steps=2)
    assert page.locator("svg.flow g.decision").count() == 1
    page.locator("svg.flow").screenshot(path=str(ARTIFACTS / "sheet-flow-bienvenue.png"))


def test_calendar(page: Page, site: Path) -> None:
    visit(page, site / "calendar.html", "sheet-calendar")
    chart = page.locator("svg.gantt")
    box = chart.bounding_box()
    assert chart.is_visible() and box is not None and box["width"] > 800
    # Sends in 2026: winter sales 1, Christmas 1, 52 Mondays, 12 monthly, 1 one-off, 1 brand day.
    assert page.locator("svg.gantt g.campaign polygon").count() == 68
    assert "Lundi de Pâques" in page.locator("main").inner_text()


def test_matrix_and_tree(page: Page, site: Path) -> None:
    visit(page, site / "matrix.html", "sheet-matrix")
    rows = page.locator("table.matrix tbody tr")
    assert rows.count() == 9
    assert "Bienvenue" in rows.first.inner_text()
    visit(page, site / "tree.html", "sheet-tree")
    assert page.locator("svg.tree").count() == 3
    assert all(page.locator("svg.tree").nth(i).is_visible() for i in range(3))


def test_retail_example(page: Page, tmp_path: Path) -> None:
    if not (RETAIL / "plan.yaml").is_file():
        pytest.skip("examples/retail has no plan.yaml yet")
    result = inspect_plan(RETAIL)
    assert result.errors == [], result.errors
    assert result.plan is not None
    index = write_site(result, tmp_path / "retail", year=YEAR)
    visit(page, index, "sheet-retail-index")
    scenario = result.plan.scenarios[0]
    visit(page, tmp_path / "retail" / "scenarios" / f"{scenario.id}.html", "sheet-retail-scenario")
    check_flow(page, steps=len(scenario.steps))


def test_retail_data_collection_map(page: Page, tmp_path: Path) -> None:
    result = inspect_plan(RETAIL)
    assert result.plan is not None
    write_site(result, tmp_path / "retail", year=YEAR)
    visit(page, tmp_path / "retail" / "collection.html", "sheet-retail-collection")
    assert page.locator("h1").inner_text() == "Cartographie de la collecte"
    tables = page.locator("table.collection")
    assert tables.count() == len(result.plan.collection)
    rows = page.locator("table.collection tbody tr")
    assert rows.count() == sum(len(stage.collects) for stage in result.plan.collection)
    birth = rows.filter(has_text="birth_date")
    assert birth.count() == 1 and birth.is_visible()
    assert "Différé" not in birth.inner_text() and "Contrat" in birth.inner_text()
    birth.get_by_role("link", name="Anniversaire du client").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/scenarios/anniversaire_client.html")

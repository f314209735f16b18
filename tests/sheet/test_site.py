"""The written site of the fixture plan: every page, its Markdown twin, links that resolve."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from animato.cli import app
from animato.errors import PlanError
from animato.plan import Inspection, Plan
from animato.plan.model import Campaign, Scenario
from animato.sheet import build_site, write_site
from tests.sheet.conftest import MINI_PLAN, YEAR

PAGES = ["index", "tree", "calendar", "matrix", "collection"]


def test_every_page_is_written_in_html_and_markdown(site: Path, plan: Plan) -> None:
    pages = PAGES + [f"scenarios/{s.id}" for s in plan.scenarios]
    pages += [f"campaigns/{c.id}" for c in plan.campaigns]
    for page in pages:
        assert (site / f"{page}.html").is_file(), page
        assert (site / f"{page}.md").is_file(), page
    for scenario in plan.scenarios:
        assert (site / "scenarios" / f"{scenario.id}.svg").is_file()
    assert (site / "style.css").is_file()
    assert (site / f"calendar-{YEAR}.svg").is_file()
    assert sorted(p.name for p in site.glob("tree-*.svg")) == [
        "tree-client.svg",
        "tree-loyal.svg",
        "tree-prospect.svg",
    ]


def test_overview_names_programs_and_actions(site: Path, plan: Plan) -> None:
    for name in ("index.html", "index.md"):
        text = (site / name).read_text(encoding="utf-8")
        assert "Maison Test" in text
        for program in plan.programs:
            assert program.name in text
        actions: list[Scenario | Campaign] = [*plan.scenarios, *plan.campaigns]
        for action in actions:
            assert action.name.replace("'", "&#x27;" if name.endswith("html") else "'") in text
    html = (site / "index.html").read_text(encoding="utf-8")
    assert 'id="programme-accueil"' in html and 'id="programme-fidelite"' in html


def test_scenario_sheet(site: Path) -> None:
    html = (site / "scenarios" / "bienvenue.html").read_text(encoding="utf-8")
    assert "<h1>Bienvenue</h1>" in html and "Fiche scénario" in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="diagram flow"' in html
    assert html.count('class="node step"') == 2
    for expected in ("bienvenue.mjml", "rappel.liquid", "not opened(&#x27;t1&#x27;)", "DIX"):
        assert expected in html
    markdown = (site / "scenarios" / "bienvenue.md").read_text(encoding="utf-8")
    assert markdown.splitlines()[2] == "# Fiche scénario — Bienvenue"
    assert "![Logigramme — Bienvenue](bienvenue.svg)" in markdown
    assert "| **T2** | Rappel | 3\u202fj, à 10:00 | `not opened('t1')` | SMS |" in markdown


def test_campaign_sheet_lists_its_dates(site: Path) -> None:
    markdown = (site / "campaigns" / "noel.md").read_text(encoding="utf-8")
    assert "vendredi 11 décembre 2026" in markdown
    held = (site / "campaigns" / "soldes_hiver.md").read_text(encoding="utf-8")
    assert "mercredi 7 janvier 2026" in held and "Trêve des soldes" in held


def test_calendar_and_matrix_pages(site: Path) -> None:
    calendar = (site / "calendar.md").read_text(encoding="utf-8")
    assert "| Décembre | Noël (11);" in calendar
    assert "Lundi de Pâques" in calendar  # French public holidays, in French
    matrix = (site / "matrix.md").read_text(encoding="utf-8")
    assert matrix.index("[Bienvenue]") < matrix.index("[Noël]") < matrix.index("[Relance")


def test_links_resolve_and_nothing_is_fetched(site: Path) -> None:
    for path in site.rglob("*"):
        if path.suffix not in (".html", ".md", ".svg"):
            continue
        text = path.read_text(encoding="utf-8")
        assert "<script" not in text, path
        assert set(re.findall(r"https?://[^\"')\s]+", text)) <= {"http://www.w3.org/2000/svg"}
        if path.suffix == ".md":
            targets = re.findall(r"\]\(([^)]+)\)", text)
        else:
            targets = re.findall(r'(?:href|src)="([^"]+)"', text)
        assert targets or path.suffix == ".svg", path
        for target in targets:
            file, _, anchor = target.partition("#")
            resolved = (path.parent / file).resolve() if file else path
            assert resolved.is_file(), f"{path.relative_to(site)} -> {target}"
            if anchor and resolved.suffix == ".html":
                assert f'id="{anchor}"' in resolved.read_text(encoding="utf-8"), target


def test_drawings_are_well_formed_svg(site: Path) -> None:
    for path in site.rglob("*.svg"):
        root = ET.fromstring(path.read_text(encoding="utf-8"))
        assert root.tag == "{http://www.w3.org/2000/svg}svg", path


def test_output_is_deterministic(mini: Inspection) -> None:
    assert build_site(mini, YEAR) == build_site(mini, YEAR)


def test_a_plan_with_errors_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PlanError):
        write_site(Inspection(tmp_path), tmp_path / "out", year=YEAR)


def test_cli_sheet(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["sheet", str(MINI_PLAN), "--out", str(out), "--year", "2027"])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file()
    assert "Calendrier 2027" in (out / "calendar.html").read_text(encoding="utf-8")

"""The data-collection map page of the site: the demo plan's map, and a plan without one."""

from __future__ import annotations

from pathlib import Path

from animato.plan import Inspection, inspect_plan
from animato.sheet import build_site

RETAIL = Path(__file__).parent.parent.parent / "examples" / "retail"


def test_the_demo_plan_site_shows_its_map_with_who_reads_each_datum() -> None:
    result = inspect_plan(RETAIL)
    assert result.errors == []
    markdown = build_site(result, 2026)["collection.md"]
    assert "## Adhésion au Cercle Lumière" in markdown
    [birth] = [line for line in markdown.splitlines() if line.startswith("| **birth\\_date**")]
    assert "Offrir un cadeau d'anniversaire" in birth and "Temps réel" in birth
    assert "[Anniversaire du client](scenarios/anniversaire_client.md)" in birth
    [phone] = [line for line in markdown.splitlines() if line.startswith("| **phone**")]
    assert "Opt-in SMS (offres\\_sms)" in phone
    assert "Aucune : chaque donnée lue par un scénario ou une campagne est collectée." in markdown
    assert "[Collecte des données](collection.md)" in build_site(result, 2026)["index.md"]


def test_a_plan_without_a_map_says_so(mini: Inspection) -> None:
    markdown = build_site(mini, 2026)["collection.md"]
    assert "ne déclare pas de cartographie de la collecte" in markdown

"""The scenario tree: targets in lifecycle order, actions under their own or program's target."""

from __future__ import annotations

from animato.plan import Plan
from animato.sheet.document import Document
from animato.sheet.tree import targets, tree_page, tree_svg


def test_targets_in_order_with_their_programs_and_actions(plan: Plan) -> None:
    found = {
        target: [(b.program.id, [a.id for a in b.actions]) for b in branches]
        for target, branches in targets(plan)
    }
    assert list(found) == ["prospect", "client", "loyal"]  # lifecycle stages, then segments
    assert found["prospect"] == [("accueil", ["bienvenue", "soldes_hiver"])]
    # "anniversaire" names its own target (segment loyal); the rest inherit "client".
    assert found["client"] == [
        ("fidelite", ["relance", "noel", "newsletter", "releve", "lancement", "fete_marque"])
    ]
    assert found["loyal"] == [("fidelite", ["anniversaire"])]


def test_tree_svg_links_each_action_to_its_sheet(plan: Plan) -> None:
    target, branches = targets(plan)[0]
    svg = tree_svg(plan, target, branches, Document("tree", "Arbre"))
    assert 'href="scenarios/bienvenue.html"' in svg
    assert 'href="campaigns/soldes_hiver.html"' in svg
    assert svg.count('class="action ') == 2


def test_tree_page_has_one_section_per_target(plan: Plan) -> None:
    markdown = tree_page(plan).markdown()
    assert [line for line in markdown.splitlines() if line.startswith("## ")] == [
        "## Cible : prospect",
        "## Cible : client",
        "## Cible : loyal",
    ]
    assert "![Arbre des scénarios — loyal](tree-loyal.svg)" in markdown

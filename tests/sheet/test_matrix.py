"""The prioritisation matrix: weighted scores and ranking, computed by hand."""

from __future__ import annotations

import pytest

from animato.plan import Plan
from animato.plan import model as m
from animato.sheet.matrix import matrix_page, ranking, weighted_score

ALL_ONE = {name: 1.0 for name in m.CRITERIA}


def test_weighted_score_with_equal_weights() -> None:
    criteria = m.MatrixCriteria(
        business_impact=5,
        data_availability=1,
        feasibility=4,
        content_ready=2,
        legal=3,
        customer_interest=3,
    )
    assert weighted_score(criteria, ALL_ONE) == pytest.approx((5 + 1 + 4 + 2 + 3 + 3) / 6)


def test_weighted_score_ignores_criteria_without_weight() -> None:
    criteria = m.MatrixCriteria(business_impact=5, feasibility=4, customer_interest=3, legal=1)
    weights = {"business_impact": 3.0, "feasibility": 2.0, "customer_interest": 1.0}
    # (3*5 + 2*4 + 1*3) / (3 + 2 + 1) = 26 / 6
    assert weighted_score(criteria, weights) == pytest.approx(26 / 6)
    assert weighted_score(criteria, {}) == 0.0


def test_ranking_of_the_fixture_plan(plan: Plan) -> None:
    lines = ranking(plan)
    # Weights 3 (impact), 2 (feasibility), 1 (customer interest), others 0:
    # bienvenue (5, 4, 3) = 26/6 = 4.33; noel (3, 5, 3) = 22/6 = 3.67 and gain 20 000;
    # relance (4, 3, 4) = 22/6 = 3.67 and gain 15 000; the rest at default 3 -> 3.00 in plan
    # order (programs accueil then fidelite; scenarios before campaigns).
    assert [line.action.id for line in lines] == [
        "bienvenue",
        "noel",
        "relance",
        "soldes_hiver",
        "anniversaire",
        "newsletter",
        "releve",
        "lancement",
        "fete_marque",
    ]
    assert [line.rank for line in lines] == list(range(1, 10))
    assert lines[0].score == pytest.approx(26 / 6)
    assert lines[1].score == pytest.approx(22 / 6) == lines[2].score
    assert lines[3].score == pytest.approx(3.0)


def test_matrix_page_lists_scores(plan: Plan) -> None:
    markdown = matrix_page(plan).markdown()
    assert "| 1 | [Bienvenue](scenarios/bienvenue.md) | Scénario | Accueil |" in markdown
    assert "**4,33**" in markdown and "20\u202f000\u202f€" in markdown

"""The prioritisation matrix ("matrice scénarios"): every action scored and ranked.

Each scenario and campaign carries the seeds' criteria, scored 1 (poor) to 5 (excellent). Its
weighted score is ``sum(weight × score) / sum(weights)`` with the plan's
``conventions.matrix_weights``; a criterion left out of the weights weighs nothing. Actions are
ranked by score, then expected gain, then plan order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from animato.plan import model as m
from animato.sheet import wording as w
from animato.sheet.document import Document, Inline, Link, Strong, Styled

Action = m.Scenario | m.Campaign


@dataclass(frozen=True)
class Ranked:
    """One line of the matrix: an action, its scores, weighted score and rank (1 is first)."""

    action: Action
    program: m.Program
    score: float
    rank: int

    @property
    def kind(self) -> str:
        """``scenario`` or ``campaign``."""
        return "scenario" if isinstance(self.action, m.Scenario) else "campaign"

    @property
    def page(self) -> str:
        """The page of the action's sheet."""
        return f"{self.kind}s/{self.action.id}"


def weighted_score(criteria: m.MatrixCriteria, weights: Mapping[str, float]) -> float:
    """``sum(weight × score) / sum(weights)`` over the criteria; 0 when no weight is positive."""
    total = sum(weights.get(name, 0.0) for name in m.CRITERIA)
    if total <= 0:
        return 0.0
    points = sum(weights.get(name, 0.0) * getattr(criteria, name) for name in m.CRITERIA)
    return float(points / total)


def plan_weights(plan: m.Plan) -> dict[str, float]:
    """The plan's criteria weights, every criterion present (0 when left out)."""
    given = {str(name): weight for name, weight in plan.conventions.matrix_weights.items()}
    return {name: given.get(name, 0.0) for name in m.CRITERIA}


def ranking(plan: m.Plan) -> list[Ranked]:
    """Every scenario and campaign, best weighted score first."""
    weights = plan_weights(plan)
    scored = []
    for order, (program, action) in enumerate((p, a) for p in plan.programs for a in p.actions):
        score = weighted_score(action.matrix, weights)
        gain = action.matrix.expected_gain or 0.0
        scored.append(((-round(score, 9), -gain, order), program, action, score))
    scored.sort(key=lambda item: item[0])
    return [
        Ranked(action, program, score, rank)
        for rank, (_, program, action, score) in enumerate(scored, 1)
    ]


def rank_of(plan: m.Plan, action_id: str) -> Ranked:
    """The matrix line of one action."""
    for line in ranking(plan):
        if line.action.id == action_id:
            return line
    raise KeyError(action_id)


def decimal(value: float) -> str:
    """A score the French way: ``3,40``."""
    return f"{value:.2f}".replace(".", ",")


def _grid(doc: Document, lines: list[Ranked]) -> None:
    """Impact (rows) against feasibility (columns): where the quick wins are."""
    rows: list[list[Inline]] = []
    for impact in range(5, 0, -1):
        row: list[Inline] = [Strong(str(impact))]
        for feasibility in range(1, 6):
            here = [
                line
                for line in lines
                if line.action.matrix.business_impact == impact
                and line.action.matrix.feasibility == feasibility
            ]
            chips: list[Inline] = []
            for line in here:
                chips += [Styled(Link(f"#{line.rank} {line.action.name}", line.page), "chip"), " "]
            zone = (
                "zone-win"
                if impact >= 4 and feasibility >= 4
                else (
                    "zone-hard"
                    if impact >= 4
                    else ("zone-easy" if feasibility >= 4 else "zone-low")
                )
            )
            row.append(Styled(chips or "", zone))
        rows.append(row)
    doc.table(["Impact ↓ · Faisabilité →", "1", "2", "3", "4", "5"], rows, css="grid")


def matrix_page(plan: m.Plan) -> Document:
    """The matrix page: weights, the ranked table, and the impact × feasibility grid."""
    doc = Document("matrix", "Matrice de priorisation", "Plan d'animation")
    lines = ranking(plan)
    weights = plan_weights(plan)
    doc.para(
        "Chaque scénario et chaque campagne est noté de 1 (faible) à 5 (excellent) sur les "
        "critères ci-dessous. Le score pondéré est la moyenne des notes pondérée par les poids "
        "du plan ; le classement départage les ex aequo par le gain attendu, puis par l'ordre "
        "du plan.",
        css="lead",
    )
    doc.heading("Pondération")
    doc.table(
        ["Critère", "Poids"],
        [[w.CRITERIA[name], f"{weights[name]:g}"] for name in m.CRITERIA],
        numeric=[1],
        css="narrow",
    )
    doc.heading("Classement")
    rows: list[list[Inline]] = []
    for line in lines:
        criteria = line.action.matrix
        gain = criteria.expected_gain
        rows.append(
            [
                str(line.rank),
                Link(line.action.name, line.page),
                "Scénario" if line.kind == "scenario" else "Campagne",
                line.program.name,
                *[
                    Styled(str(getattr(criteria, n)), f"heat s{getattr(criteria, n)}")
                    for n in m.CRITERIA
                ],
                w.money(gain, plan.currency) if gain is not None else "—",
                Strong(decimal(line.score)),
            ]
        )
    doc.table(
        [
            "Rang",
            "Action",
            "Type",
            "Programme",
            *[f"{w.CRITERIA_SHORT[n]} ×{weights[n]:g}" for n in m.CRITERIA],
            "Gain attendu",
            "Score",
        ],
        rows,
        numeric=[0, 10, 11],
        css="matrix",
        empty="Aucune action dans le plan.",
    )
    doc.heading("Impact business × faisabilité")
    doc.para(
        "En haut à droite, les gains rapides (fort impact, mise en œuvre facile) ; en haut à "
        "gauche, les chantiers à fort impact qui demandent plus d'effort.",
        css="muted",
    )
    _grid(doc, lines)
    return doc

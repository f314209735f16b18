"""The flow diagram of a scenario: one box per step, conditions, side notes, valid SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from animato.plan import Inspection, Plan
from animato.sheet.diagram import flow_diagram

SVG = "{http://www.w3.org/2000/svg}"


def groups(svg: str, css: str) -> list[ET.Element]:
    """The ``<g>`` elements of a drawing whose class list holds ``css``."""
    root = ET.fromstring(svg)
    return [g for g in root.iter(f"{SVG}g") if css in g.get("class", "").split()]


def texts(element: ET.Element) -> str:
    """All the text inside an element, joined by spaces."""
    return " ".join(t.text or "" for t in element.iter(f"{SVG}text"))


def test_bienvenue_diagram(plan: Plan, mini: Inspection) -> None:
    scenario = next(s for s in plan.scenarios if s.id == "bienvenue")
    svg = flow_diagram(plan, scenario, mini.templates)
    steps = groups(svg, "step")
    assert [g.get("data-step") for g in steps] == ["t1", "t2"]
    assert [g.get("data-channel") for g in steps] == ["email", "sms"]
    assert "Modèle : bienvenue" in texts(steps[0]) and "DIX" in texts(steps[0])
    assert "Modèle : rappel" in texts(steps[1])
    # The trigger, entry conditions, t2's condition, the goal and the side notes are drawn.
    assert "newsletter_signup" in texts(groups(svg, "trigger")[0])
    entry = texts(groups(svg, "entry")[0])
    assert "country == 'FR'" in entry and "open_complaint" in entry
    decision = groups(svg, "decision")
    assert [g.get("data-step") for g in decision] == ["t2"]
    assert "not opened('t1')" in texts(decision[0])
    assert "10\u202f% des entrants" in texts(groups(svg, "holdout")[0])
    assert "E-mail" in texts(groups(svg, "fallback")[0])
    assert "purchase" in texts(groups(svg, "goal")[0])
    assert "complaint_opened" in texts(groups(svg, "exits")[0])
    # The wait of t2 is written on the arrow that leads to it.
    assert "attendre 3\u202fj · envoi à 10:00" in svg


def test_simple_scenario_has_no_decision_nor_fallback(plan: Plan) -> None:
    scenario = next(s for s in plan.scenarios if s.id == "relance")
    svg = flow_diagram(plan, scenario)
    assert len(groups(svg, "step")) == 1
    for css in ("decision", "fallback", "exits"):
        assert groups(svg, css) == [], css
    assert "Inactivité" in texts(groups(svg, "trigger")[0])
    # No holdout of its own, but the plan's global control group (5 %) still applies.
    control = texts(groups(svg, "holdout")[0])
    assert "témoin global : 5\u202f%" in control and "des entrants" not in control
    without = plan.model_copy(update={"global_control": 0.0})
    assert groups(flow_diagram(without, scenario), "holdout") == []

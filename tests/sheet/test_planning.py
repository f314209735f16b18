"""The planning page of a year: the Gantt chart and its tables."""

from __future__ import annotations

from datetime import date

from animato.plan import Plan
from animato.plan import model as m
from animato.sheet.planning import calendar_page


def with_blackouts(plan: Plan, *blackouts: m.Blackout) -> Plan:
    """The plan with other blackouts."""
    conventions = plan.conventions.model_copy(update={"blackouts": list(blackouts)})
    return plan.model_copy(update={"conventions": conventions})


def test_month_rows_show_a_blackout_that_spans_the_month_end(plan: Plan) -> None:
    easter = m.Blackout(id="paques", name="Pont", from_=date(2026, 3, 30), to=date(2026, 4, 2))
    lines = calendar_page(with_blackouts(plan, easter), 2026).markdown().splitlines()
    months = {line.split(" | ")[0].lstrip("| "): line for line in lines if line.startswith("| ")}
    assert "| Pont |" in months["Mars"] and "| Pont |" in months["Avril"]
    assert "| Pont |" not in months["Mai"]


def test_chart_has_one_marker_per_send_and_hollow_ones_when_held(plan: Plan) -> None:
    doc = calendar_page(plan, 2026)
    svg = doc.assets["calendar-2026.svg"]
    # 68 sends in 2026. Held: winter sales (7 Jan) and the Mondays 12, 19, 26 Jan and 2 Feb in
    # the winter-sales truce (7 Jan - 3 Feb); Mondays 3 and 10 Aug and the 5 Aug statement in
    # the summer pause (1-16 Aug): 1 + 4 + 2 + 1 = 8.
    assert svg.count("<polygon") == 68
    assert svg.count('fill="#ffffff" stroke="#dc2626"') == 8
    assert svg.count("(trêve)") == 8

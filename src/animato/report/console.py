"""Terminal tables of what a tick did, per scenario."""

from __future__ import annotations

from rich.table import Table

from animato.engine import TickResult
from animato.plan.model import Plan


def tick_table(plan: Plan, result: TickResult) -> Table | str:
    """Enrolments and decisions per scenario of one tick, in plan order."""
    if not result.ran:
        return f"Nothing to do: the last tick already covers {result.end:%Y-%m-%d %H:%M} UTC."
    decisions = sorted({k for d in result.decisions.values() for k in d if k != "ended"})
    table = Table(
        title=f"Tick ({result.start:%Y-%m-%d %H:%M}, {result.end:%Y-%m-%d %H:%M}] UTC"
        f" — {result.duration_ms} ms"
    )
    table.add_column("scenario")
    table.add_column("enrolled", justify="right")
    table.add_column("ended", justify="right")
    for decision in decisions:
        table.add_column(decision, justify="right")
    for scenario in plan.scenarios:
        counts = result.decisions.get(scenario.id, {})
        enrolled = result.enrolments.get(scenario.id, 0)
        if not enrolled and not any(counts.values()):
            continue
        table.add_row(
            scenario.id,
            str(enrolled),
            str(counts.get("ended", 0)),
            *(str(counts.get(d, 0)) for d in decisions),
        )
    return table

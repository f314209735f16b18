"""Terminal tables of what a tick did, per scenario, and of what an ingest loaded."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from animato.engine import TickResult
from animato.plan.model import Plan
from animato.store.ingest import IngestSummary


def tick_table(plan: Plan, result: TickResult) -> Table | str:
    """Enrolments and decisions per scenario of one tick, in plan order."""
    if not result.ran:
        return f"Nothing to do: the last tick already covers {result.end:%Y-%m-%d %H:%M} UTC."
    decisions = sorted({k for d in result.decisions.values() for k in d if k != "ended"})
    ticks = "Tick" if result.ticks == 1 else f"{result.ticks} ticks"
    table = Table(
        title=f"{ticks} ({result.start:%Y-%m-%d %H:%M}, {result.end:%Y-%m-%d %H:%M}] UTC"
        f" — {result.duration_ms:,} ms"
    )
    table.add_column("scenario", no_wrap=True)
    table.add_column("enrolled", justify="right")
    table.add_column("ended", justify="right")
    for decision in decisions:
        table.add_column(decision, justify="right")
    shown = 0
    for scenario in plan.scenarios:
        counts = result.decisions.get(scenario.id, {})
        enrolled = result.enrolments.get(scenario.id, 0)
        if not enrolled and not any(counts.values()):
            continue
        shown += 1
        table.add_row(
            scenario.id,
            str(enrolled),
            str(counts.get("ended", 0)),
            *(str(counts.get(d, 0)) for d in decisions),
        )
    if not shown:
        return f"{table.title}: no enrolment and no message."
    return table


def ingest_table(path: Path, summary: IngestSummary) -> Table:
    """Rows of one ingested file: loaded, duplicates, and quarantined by reason."""
    table = Table(title=f"{path.name}: {summary.rows:,} rows read")
    table.add_column("rows")
    table.add_column("count", justify="right")
    table.add_row("loaded", f"{summary.loaded:,}")
    table.add_row("duplicates (already loaded)", f"{summary.duplicates:,}")
    for reason, count in summary.quarantined.items():
        table.add_row(f"quarantined: {reason}", f"{count:,}", style="yellow")
    if summary.quarantine_file is not None:
        table.caption = f"Quarantined rows and their reasons: {summary.quarantine_file}"
    return table

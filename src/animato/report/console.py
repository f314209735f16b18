"""Terminal tables of what a tick did, per scenario, and of what an ingest loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table

from animato.demo.uplift import Check
from animato.engine import TickResult
from animato.measure.results import Results
from animato.plan.model import Plan
from animato.simulate.diff import Diff
from animato.store.ingest import IngestSummary

OUTCOMES = ("accepted", "combined", "postponed", "dropped", "withheld", "skipped", "failed")


def tick_table(plan: Plan, result: TickResult) -> Table | str:
    """Enrolments and decisions per scenario or campaign of one tick, in plan order: how many
    messages were accepted, postponed, dropped, withheld (control group) or skipped (``if``),
    and how many accepted ones failed to render (their template, for that customer).
    """
    if not result.ran:
        return f"Nothing to do: the last tick already covers {result.end:%Y-%m-%d %H:%M} UTC."
    ticks = "Tick" if result.ticks == 1 else f"{result.ticks} ticks"
    table = Table(
        title=f"{ticks} ({result.start:%Y-%m-%d %H:%M}, {result.end:%Y-%m-%d %H:%M}] UTC"
        f" — {result.duration_ms:,} ms"
    )
    table.add_column("scenario / campaign", no_wrap=True)
    for heading in ("enrolled", "ended", *OUTCOMES):
        table.add_column(heading, justify="right")
    shown = 0
    for program in plan.programs:
        for action in program.actions:
            counts = result.decisions.get(action.id, {})
            enrolled = result.enrolments.get(action.id, 0)
            if not enrolled and not any(counts.values()):
                continue
            shown += 1
            outcome = {
                o: sum(n for k, n in counts.items() if k.split(":")[0] == o) for o in OUTCOMES
            }
            table.add_row(
                action.id,
                f"{enrolled:,}",
                f"{counts.get('ended', 0):,}",
                *(f"{outcome[o]:,}" for o in OUTCOMES),
            )
    if not shown:
        return f"{table.title}: no enrolment and no message."
    return table


def reasons_table(result: TickResult) -> Table | None:
    """Every reason a message was not accepted, with its count and the actions it hit most."""
    totals: dict[str, dict[str, int]] = {}
    for action, counts in result.decisions.items():
        for decision, n in counts.items():
            if ":" in decision and n:
                totals.setdefault(decision, {})[action] = n
    if not totals:
        return None
    table = Table(title="Decisions by reason")
    table.add_column("decision", no_wrap=True)
    table.add_column("messages", justify="right")
    table.add_column("most hit")
    order = {o: i for i, o in enumerate(OUTCOMES)}
    for decision in sorted(
        totals, key=lambda d: (order[d.split(":")[0]], -sum(totals[d].values()))
    ):
        hits = sorted(totals[decision].items(), key=lambda p: (-p[1], p[0]))
        most = ", ".join(f"{action} {n:,}" for action, n in hits[:3])
        table.add_row(decision, f"{sum(totals[decision].values()):,}", most)
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


def diff_tables(result: Diff) -> list[Table | str]:
    """What a plan change does: customers affected, messages per action, pressure before and
    after, and the decisions that flip.
    """
    lines: list[Table | str] = [f"{result.customers_affected:,} customers see a difference."]
    sent = Table(title="Messages per action")
    for heading in ("action", "old plan", "new plan", "change"):
        sent.add_column(heading, justify="left" if heading == "action" else "right")
    for row in result.tables["messages"].to_pylist():
        if row["change"]:
            sent.add_row(
                row["action_id"], f"{row['old_messages']:,}", f"{row['new_messages']:,}",
                f"{row['change']:+,}",
            )  # fmt: skip
    lines.append(sent if sent.row_count else "Messages per action: no change.")
    pressure = Table(title="Customer-weeks by messages received")
    for heading in ("messages a week", "old plan", "new plan"):
        pressure.add_column(heading, justify="right")
    for row in result.tables["pressure_week"].to_pylist():
        pressure.add_row(
            str(row["messages"]), f"{row['old_customer_weeks']:,}",
            f"{row['new_customer_weeks']:,}",
        )  # fmt: skip
    lines.append(pressure)
    flips = Table(title="Decisions that flip (top 15)")
    for heading in ("action", "old decision", "new decision", "messages"):
        flips.add_column(heading, justify="right" if heading == "messages" else "left")
    for row in result.tables["flips"].to_pylist()[:15]:
        flips.add_row(
            row["action_id"], row["old_decision"], row["new_decision"], f"{row['messages']:,}"
        )
    lines.append(flips if flips.row_count else "No decision changes.")
    return lines


def incrementality_table(results: Results) -> Table:
    """Per scenario and campaign against its control group: sizes, conversion uplift with its
    95 % interval, incremental revenue with its interval, and the verdict.
    """
    table = Table(
        title=f"Incrementality {results.start:%Y-%m-%d} → {results.end:%Y-%m-%d}"
        f" ({results.currency})"
    )
    table.add_column("action", no_wrap=True)
    for heading in ("control", "treated", "control n", "uplift (pt)", "95 % CI",
                    "incremental revenue", "95 % CI", "verdict"):  # fmt: skip
        table.add_column(heading, justify="left" if heading in ("control", "verdict") else "right")

    def pt(v: float | None) -> str:
        return "—" if v is None else f"{v * 100:+.1f}"

    def money(v: float | None) -> str:
        return "—" if v is None else f"{v:,.0f}"

    for r in results.rows("incrementality"):
        if r["conversion_uplift"] is None:
            continue
        table.add_row(
            r["action_id"],
            r["control"],
            f"{r['treated']:,}",
            f"{r['control_size']:,}",
            pt(r["conversion_uplift"]),
            f"[{pt(r['conversion_uplift_low'])}, {pt(r['conversion_uplift_high'])}]",
            money(r["incremental_revenue"]),
            f"[{money(r['incremental_revenue_low'])}, {money(r['incremental_revenue_high'])}]",
            r["verdict"],
        )
    return table


def truth_table(checks: list[Check]) -> Table:
    """The demo's planted effects beside the report's estimates and intervals."""
    table = Table(title="Planted uplift (demo data) against the KPI report, treated vs holdout")
    for heading in ("scenario", "planted", "treated", "true (pt)", "measured (pt)", "95 % CI",
                    "true €/entrant", "measured", "95 % CI", "recovered"):  # fmt: skip
        table.add_column(heading, justify="left" if heading == "scenario" else "right")

    def pt(v: float | None) -> str:
        return "—" if v is None else f"{v * 100:+.1f}"

    def eur(v: float | None) -> str:
        return "—" if v is None else f"{v:+.2f}"

    for c in checks:
        table.add_row(
            c.action_id,
            f"{c.planted:.0%}",
            f"{c.treated:,}",
            pt(c.true_conversion),
            pt(c.measured_conversion),
            f"[{pt(c.low)}, {pt(c.high)}]",
            eur(c.true_revenue),
            eur(c.measured_revenue),
            f"[{eur(c.revenue_low)}, {eur(c.revenue_high)}]",
            "yes" if c.recovered else "NO",
        )
    return table


def consent_tables(
    customer_id: str, current: list[dict[str, Any]], history: list[dict[str, Any]]
) -> tuple[Table, Table]:
    """A customer's consent now (per channel and purpose) and every event that led there, with
    its proof: when, from which source, under which wording.
    """
    now = Table(title=f"Consent of {customer_id}")
    past = Table(title="History")
    for table in (now, past):
        for heading in ("channel", "purpose", "state", "since" if table is now else "time"):
            table.add_column(heading, no_wrap=True)
        table.add_column("source")
        table.add_column("wording")
    past.add_column("recorded")
    for row in current:
        now.add_row(*_consent_cells(row))
    for row in history:
        past.add_row(*_consent_cells(row), f"{row['_loaded_at']:%Y-%m-%d %H:%M}")
    return now, past


def _consent_cells(row: dict[str, Any]) -> list[str]:
    state = "[green]granted[/]" if row["granted"] else "[red]withdrawn[/]"
    return [row["channel"], row["purpose"], state, f"{row['time']:%Y-%m-%d %H:%M} UTC",
            row["source"] or "—", row["wording_version"] or "—"]  # fmt: skip

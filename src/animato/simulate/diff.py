"""Two versions of a plan replayed on the same history, and what changes between them.

Message ids are hashes of their natural key (customer, scenario, occurrence, step), so the same
message in both replays has the same id: comparing final decisions id by id says which
decisions flip (``accepted`` → ``dropped:cap_week``…), which messages appear or disappear, and
which customers the change touches. This is how a team reviews a plan change in a pull request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pcsv

from animato.plan.model import Plan
from animato.simulate import Simulation, simulate
from animato.simulate.charts import stacked_bars
from animato.simulate.page import CSS, table_html
from animato.store import Store

ABSENT = "absent"  # no such message in that version of the plan


@dataclass
class Diff:
    """What changes from the old plan to the new one over the same period and data."""

    old: Simulation
    new: Simulation
    tables: dict[str, pa.Table] = field(default_factory=dict)
    customers_affected: int = 0
    report: Path | None = None


def _sql(query: str, **tables: pa.Table) -> duckdb.DuckDBPyRelation:
    """Run ``query`` over Arrow tables named by the keywords, in a throwaway DuckDB."""
    con = duckdb.connect()
    for name, table in tables.items():
        con.register(name, table)
    return con.sql(query)


def final_decisions(store_path: Path, plan: Plan) -> pa.Table:
    """Each message's last word: the latest arbitration decision, or its hard-filter decision."""
    store = Store(plan, store_path)
    try:
        messages = (
            store.table("messages")
            .select("message_id", "customer_id", "action_id", "decision")
            .to_pyarrow()
        )
        log = store.table("decisions").select("message_id", "decision", "decided_at").to_pyarrow()
    finally:
        store.close()
    return _sql(
        """
        SELECT m.message_id, m.customer_id, m.action_id,
               coalesce(last.decision, m.decision) AS decision
        FROM messages m
        LEFT JOIN (
            SELECT message_id, arg_max(decision, decided_at) AS decision
            FROM log GROUP BY message_id
        ) last USING (message_id)
        """,
        messages=messages,
        log=log,
    ).fetch_arrow_table()


def compare(
    old_plan: Plan,
    new_plan: Plan,
    source: Path,
    folder: Path,
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(days=1),
    *,
    on_tick: Callable[[str, int, int, datetime], None] | None = None,
) -> Diff:
    """Simulate both plans on ``source`` into ``folder/old`` and ``folder/new`` and compare."""

    def progress(name: str) -> Callable[[int, int, datetime], None] | None:
        if on_tick is None:
            return None
        return lambda done, total, moment: on_tick(name, done, total, moment)

    old = simulate(old_plan, source, folder / "old", start, end, step, on_tick=progress("old"))
    new = simulate(new_plan, source, folder / "new", start, end, step, on_tick=progress("new"))
    before = final_decisions(old.replay.store, old_plan)
    after = final_decisions(new.replay.store, new_plan)
    pair = _sql(
        f"""
        SELECT coalesce(b.message_id, a.message_id) AS message_id,
               coalesce(b.customer_id, a.customer_id) AS customer_id,
               coalesce(b.action_id, a.action_id) AS action_id,
               coalesce(b.decision, '{ABSENT}') AS old_decision,
               coalesce(a.decision, '{ABSENT}') AS new_decision
        FROM before b FULL OUTER JOIN after a USING (message_id)
        """,
        before=before,
        after=after,
    ).fetch_arrow_table()
    result = Diff(old, new)
    result.tables["flips"] = _sql(
        """
        SELECT action_id, old_decision, new_decision, count(*) AS messages
        FROM pair WHERE old_decision <> new_decision
        GROUP BY ALL ORDER BY messages DESC, action_id, old_decision, new_decision
        """,
        pair=pair,
    ).fetch_arrow_table()
    touched = _sql(
        "SELECT count(DISTINCT customer_id) FROM pair WHERE old_decision <> new_decision",
        pair=pair,
    ).fetchone()
    result.customers_affected = int(touched[0]) if touched else 0
    result.tables["messages"] = _sent(old, new)
    result.tables["pressure_week"] = _pressure(old, new)
    return result


def _sent(old: Simulation, new: Simulation) -> pa.Table:
    """Messages that would go out per action, in each version, and the difference."""
    return _sql(
        """
        WITH b AS (SELECT action_id, sum(messages) AS n FROM before GROUP BY action_id),
             a AS (SELECT action_id, sum(messages) AS n FROM after GROUP BY action_id)
        SELECT coalesce(b.action_id, a.action_id) AS action_id,
               coalesce(b.n, 0)::BIGINT AS old_messages, coalesce(a.n, 0)::BIGINT AS new_messages,
               (coalesce(a.n, 0) - coalesce(b.n, 0))::BIGINT AS change
        FROM b FULL OUTER JOIN a USING (action_id)
        ORDER BY abs(change) DESC, action_id
        """,
        before=old.figures.tables["volumes"],
        after=new.figures.tables["volumes"],
    ).fetch_arrow_table()


def _pressure(old: Simulation, new: Simulation) -> pa.Table:
    """Customer-weeks by number of messages received, before and after."""
    return _sql(
        """
        SELECT coalesce(b.messages, a.messages) AS messages,
               coalesce(b.customer_weeks, 0) AS old_customer_weeks,
               coalesce(a.customer_weeks, 0) AS new_customer_weeks
        FROM before b FULL OUTER JOIN after a USING (messages) ORDER BY messages
        """,
        before=old.figures.tables["pressure_week"],
        after=new.figures.tables["pressure_week"],
    ).fetch_arrow_table()


def write(result: Diff, folder: Path) -> Path:
    """Write ``diff.html`` and the tables as CSV into ``folder``; return the page."""
    tables = folder / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    for name, table in result.tables.items():
        pcsv.write_csv(table, tables / f"diff_{name}.csv")
    pressure = result.tables["pressure_week"].to_pylist()
    chart = stacked_bars(
        [str(r["messages"]) for r in pressure],
        {
            "old plan": [float(r["old_customer_weeks"]) for r in pressure],
            "new plan": [float(r["new_customer_weeks"]) for r in pressure],
        },
        title="Customer-weeks by number of messages received",
        grouped=True,
        height=240,
    )
    sent = result.tables["messages"].to_pylist()
    flips = result.tables["flips"].to_pylist()
    body = [
        "<h1>Plan change: what it does</h1>",
        f'<p class="lead">{escape(result.old.replay.start.isoformat(" "))} → '
        f"{escape(result.old.replay.end.isoformat(' '))} UTC, same history. "
        f"{result.customers_affected:,} customers see a difference.</p>",
        "<h2>Messages per action</h2>",
        table_html(
            ["action", "old plan", "new plan", "change"],
            [[r["action_id"], r["old_messages"], r["new_messages"], r["change"]] for r in sent],
        ),
        "<h2>Pressure before and after</h2>",
        f"<figure>{chart}</figure>",
        "<h2>Decisions that flip</h2>",
        table_html(
            ["action", "old decision", "new decision", "messages"],
            [[r["action_id"], r["old_decision"], r["new_decision"], r["messages"]] for r in flips],
        )
        if flips
        else '<p class="note">No decision changes.</p>',
    ]
    page = folder / "diff.html"
    page.write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Plan change</title>'
        f"<style>{CSS}</style></head><body><main>{''.join(body)}</main></body></html>\n",
        encoding="utf-8",
    )
    result.report = page
    return page

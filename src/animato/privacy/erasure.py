"""Erasure: a customer's personal data deleted everywhere animato keeps it.

In the store, the customer's profile (every version), consents, suppressions and state rows are
deleted, and so are the quarantined records that mention them. The rows KPIs need (events,
enrolments, journeys, messages, decisions, outbox, engagement, deliveries) stay under a
pseudonym, with the columns that could hold personal data cleared (message content, provider
answers, free-text event properties). Beside the store: the rendered email bodies, the call
lists and postal files, the quarantine files of the inputs and the simulation copies. The
fingerprints of the customer id, email and phone are kept (:mod:`identities`) so that a later
import is suppressed at once, unless the erasure is a retention purge (``remember=False``).

DuckDB leaves deleted bytes in the file's free blocks until they are reused: :func:`compact`
rewrites the file, which needs the store to itself (``animato privacy erase`` does it).
This module and :mod:`retention` hold the only statements that change stored rows: Ibis has no
UPDATE or DELETE.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from animato.delivery.worker import files_dir
from animato.engine.state import HISTORY, STATE
from animato.errors import StoreError
from animato.plan.model import Plan
from animato.privacy import audit
from animato.privacy.identities import Keys, remember
from animato.store import schema
from animato.store.quarantine import quarantine_path
from animato.store.store import Store

DELETED = ("customers", "customer_versions", "consents", "suppressions", STATE)
# Tables whose rows stay, under the pseudonym, with these columns cleared.
KEPT: dict[str, tuple[str, ...]] = {
    "enrolments": (),
    "journey_log": (),
    "messages": (),
    "waiting": (),  # the messages rows of the postponed ones
    "decisions": (),
    "segment_log": (),
    "outbox": ("subject", "html", "text", "fields", "content"),
    "engagement": ("detail",),
    "delivery_attempts": ("detail",),
    "deliveries": ("detail", "provider_id"),
    "privacy_log": (),
}
WITHOUT_CUSTOMERS = (
    "ticks",
    "state_meta",
    "waiting_meta",
    "quarantine",
    "erased_identities",
    "pauses",  # who paused a scenario from the dashboard
    "score_fits",  # BG/NBD parameters of the whole base
    "variant_winners",  # which A/B variant won a step
)
ERASING, MARKS = "_erasing", "_erasing_marks"


@dataclass
class Erasure:
    """What an erasure did: rows deleted or pseudonymised per table, files rewritten."""

    customers: list[str]
    rows: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


def event_columns(plan: Plan) -> tuple[str, ...]:
    """Event properties that may hold free text (cleared on erasure); categories, numbers,
    dates and booleans stay for the KPIs.
    """
    free = {"string", "email", "phone"}
    return tuple(
        sorted(
            {
                name
                for spec in plan.data.events.values()
                for name, prop in spec.properties.items()
                if prop.type in free
            }
        )
    )


def erase(
    store: Store,
    customer_ids: Sequence[str],
    *,
    actor: str = "cli",
    remember_identities: bool = True,
    now: datetime | None = None,
    reason: str = "request",
) -> Erasure:
    """Delete the personal data of ``customer_ids`` from the store and the files beside it.

    Files are rewritten first and the store after, in one transaction: an erasure cut short is
    done again from the start, since the store still names what to look for.
    Example: ``erase(Store(plan, "store.duckdb"), ["C000042"])``
    """
    if store.server:
        raise StoreError("erasure works on a DuckDB store for now, not on a database server")
    now = now or datetime.now(UTC).replace(tzinfo=None)
    ids = sorted(set(customer_ids))
    keys = Keys.of(store)
    people = _identities(store, ids)
    unknown = [c for c in ids if c not in people]
    if unknown:
        raise StoreError(f"nothing is known of customer(s) {', '.join(unknown[:5])}")
    marks = sorted({v for found in people.values() for k, v in found if k != "customer_id"})
    done = Erasure(ids)
    done.files = _files(store, set(ids), marks)
    con = store.con.con
    erasing = pa.table({"customer_id": ids, "pseudonym": [keys.pseudonym(c) for c in ids]})
    quoted = [f'"{c}"' for c in ids]  # as the customer id appears in a record's JSON
    con.register(ERASING, erasing)
    con.register(MARKS, pa.table({"mark": marks + quoted}))
    try:
        with store.transaction():
            if remember_identities:
                remember(store, keys, (i for found in people.values() for i in found), now)
            done.rows = _rows(store, con)
            rows = done.rows if len(ids) == 1 else {}
            audit.log(store, "erase", erasing["pseudonym"].to_pylist(), now, actor,
                      reason=reason, rows=rows, files=len(done.files))  # fmt: skip
    finally:
        con.unregister(ERASING)
        con.unregister(MARKS)
    return done


def _identities(store: Store, ids: list[str]) -> dict[str, set[tuple[str, str]]]:
    """Per customer known to the store: its (kind, value) identifiers, the email and phone of
    every version of its profile included.
    """
    found: dict[str, set[tuple[str, str]]] = {}
    wanted = store.load("_erased", pa.table({"customer_id": pa.array(ids, pa.string())}))
    for name in ("customers", "customer_versions"):
        table = store.table(name)
        columns = [c for c in ("customer_id", "email", "phone") if c in table.columns]
        rows = table.semi_join(wanted, "customer_id").select(*columns)
        for row in rows.to_pyarrow().to_pylist():
            mine = found.setdefault(row["customer_id"], {("customer_id", row["customer_id"])})
            mine.update((k, row[k]) for k in ("email", "phone") if row.get(k))
    for name in ("events", "consents", "messages"):  # customers whose profile is gone already
        table = store.table(name)
        rows = table.semi_join(wanted, "customer_id").select("customer_id").distinct()
        for row in rows.to_pyarrow().to_pylist():
            found.setdefault(row["customer_id"], {("customer_id", row["customer_id"])})
    return found


def stored(store: Store) -> set[str]:
    """The store's own tables (not the temporary ones, nor registered views)."""
    if store.server:
        known = {*schema.tables(store.plan), STATE, HISTORY}
        return known & set(store.con.list_tables())
    found = store.con.raw_sql(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        " AND schema_name = 'main' AND NOT temporary"
    ).fetchall()
    return {name for (name,) in found}


def _rows(store: Store, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Delete and pseudonymise the rows of the customers of ``_erasing``; counts per table."""
    counts: dict[str, int] = {}
    present = stored(store)
    kept = {**KEPT, "events": event_columns(store.plan)}
    if HISTORY in present:  # the state's copy of some events: as the events
        columns = set(store.con.table(HISTORY).columns)
        kept[HISTORY] = tuple(c for c in kept["events"] if c in columns)
    for name in DELETED:
        if name in present:
            where = f"customer_id IN (SELECT customer_id FROM {ERASING})"
            counts[name] = _run(con, f'DELETE FROM "{name}" WHERE {where}')
    for name, cleared in kept.items():
        sets = ", ".join(["customer_id = e.pseudonym", *(f'"{c}" = NULL' for c in cleared)])
        where = f'"{name}".customer_id = e.customer_id'
        counts[name] = _run(con, f'UPDATE "{name}" SET {sets} FROM {ERASING} e WHERE {where}')
    counts["quarantine"] = _run(
        con,
        f"DELETE FROM quarantine WHERE EXISTS"
        f" (SELECT 1 FROM {MARKS} m WHERE contains(quarantine.record, m.mark))",
    )
    uncovered = present - set(DELETED) - set(kept) - set(WITHOUT_CUSTOMERS)
    if uncovered:  # a table added without saying what erasure does with it
        raise StoreError(f"erasure has no rule for table(s) {', '.join(sorted(uncovered))}")
    return {name: n for name, n in counts.items() if n}


def _run(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    result = con.execute(sql).fetchone()
    return int(result[0]) if result else 0


# --- files ---------------------------------------------------------------------------------


def _files(store: Store, ids: set[str], marks: list[str]) -> list[str]:
    """Rewrite every file beside the store that holds the customers' data; return their paths."""
    changed: list[str] = []
    outbox = store.table("outbox")
    mine = outbox.filter(outbox.customer_id.isin(list(ids)) & outbox.content.notnull())
    messages = mine.select("message_id", "content").to_pyarrow().to_pylist()
    for name in sorted({m["content"] for m in messages}):
        path = store.content_dir / name
        if path.exists() and _drop_messages(path, {m["message_id"] for m in messages}):
            changed.append(str(path))
    folder = Path(os.environ.get("ANIMATO_FILES_DIR") or files_dir(store))  # as delivery does
    csvs = sorted(folder.rglob("*.csv")) if folder.exists() else []
    sources = store.table("quarantine").source.to_pyarrow().to_pylist()
    csvs += [quarantine_path(Path(s)) for s in sorted(set(sources))]
    for path in csvs:
        if path.exists() and _drop_lines(path, ids, marks):
            changed.append(str(path))
    changed += _simulation_copies(store)
    return changed


def _drop_messages(path: Path, message_ids: set[str]) -> bool:
    """Rewrite a Parquet file of email bodies without these messages."""
    table = pq.read_table(path)
    keep = [i for i, m in enumerate(table["message_id"].to_pylist()) if m not in message_ids]
    if len(keep) == table.num_rows:
        return False
    _replace(path, lambda tmp: pq.write_table(table.take(keep), tmp, compression="zstd"))
    return True


def _drop_lines(path: Path, ids: set[str], marks: Iterable[str]) -> bool:
    """Rewrite a CSV file without the rows that name a customer or hold one of ``marks``."""
    text = path.read_text(encoding="utf-8")
    marks = [m for m in marks if m]
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return False
    header, body = rows[0], rows[1:]

    exact = {m.lower() for m in marks}
    inside = marks if len(marks) <= 50 else []  # a purge of many: whole cells only

    def personal(row: list[str]) -> bool:
        return any(
            cell in ids or cell.strip().lower() in exact or any(m in cell for m in inside)
            for cell in row
        )

    kept = [row for row in body if not personal(row)]
    if len(kept) == len(body):
        return False
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *kept])
    _replace(path, lambda tmp: Path(tmp).write_text(buffer.getvalue(), encoding="utf-8"))
    return True


def _replace(path: Path, write: Any) -> None:
    """Write ``path`` anew through a temporary file renamed over it (never half a file)."""
    tmp = path.with_name(path.name + ".erasing")
    write(str(tmp))
    with open(tmp, "rb") as file:
        os.fsync(file.fileno())
    os.replace(tmp, path)


def _simulation_copies(store: Store) -> list[str]:
    """Remove the stores copied by simulations and diffs beside the store (rebuilt on the next
    run); their reports hold counts, not people.
    """
    if store.location == ":memory:":
        return []
    here = Path(store.location)
    removed = []
    for folder in here.parent.glob(here.name + ".*"):
        if not folder.is_dir():
            continue
        for copy in folder.rglob("*.duckdb"):
            for path in (copy, Path(f"{copy}.wal"), copy.parent / "simulation.json"):
                if path.exists():
                    path.unlink()
                    removed.append(str(path))
    return removed


def compact(location: str | Path) -> None:
    """Rewrite a store file with only its live rows, so that no deleted byte stays on disk.

    The store must be closed (no other connection to the file).
    """
    source = Path(location)
    target = source.with_name(source.name + ".compacting")
    target.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{_sql_path(source)}' AS old")
        con.execute("CHECKPOINT old")
        con.execute(f"ATTACH '{_sql_path(target)}' AS fresh")
        con.execute("COPY FROM DATABASE old TO fresh")
        con.execute("DETACH old")
        con.execute("DETACH fresh")
    finally:
        con.close()
    os.replace(target, source)
    Path(f"{source}.wal").unlink(missing_ok=True)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def erase_offline(plan: Plan, location: str | Path, customer_ids: Sequence[str]) -> Erasure:
    """Erase with the store to oneself (``animato privacy erase``): the delivery journal folded
    first, the file compacted after, so that no deleted byte stays on disk.
    """
    from animato.delivery.ledger import Ledger

    store = Store(plan, location)
    try:
        Ledger(store).fold()
        done = erase(store, customer_ids)
    finally:
        store.close()
    compact(location)
    return done

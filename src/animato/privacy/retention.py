"""Retention: the periods of the conventions applied to the store (``animato privacy purge``).

- ``events``: events older than the period are deleted (the state of their customers is
  recomputed without them);
- ``inactive_customers``: customers created before the period with no event and no consent
  change within it are erased as an erasure request would, except that their identifiers are
  not kept: they may sign up again;
- ``quarantine``: rejected rows recorded before the period are deleted.

A purge is logged in ``privacy_log`` with what it removed; running it twice at the same time
removes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import ibis
import pyarrow as pa

from animato.engine import state
from animato.errors import StoreError
from animato.plan.model import Plan
from animato.privacy import audit
from animato.privacy.erasure import compact, erase
from animato.store.store import Store


@dataclass
class Purge:
    """What a purge removed: rows per table, and the customers erased for inactivity."""

    rows: dict[str, int] = field(default_factory=dict)
    customers: int = 0


def purge(store: Store, now: datetime | None = None, *, actor: str = "cli") -> Purge:
    """Apply the plan's retention periods at ``now``.

    Example: ``purge(Store(plan, "store.duckdb"))``
    """
    if store.server:
        raise StoreError("the purge works on a DuckDB store for now, not on a database server")
    now = now or datetime.now(UTC).replace(tzinfo=None)
    rules = store.plan.conventions.retention
    done = Purge()
    if rules.inactive_customers is not None:
        idle = inactive(store, now - rules.inactive_customers.delta())
        if idle:
            erase(store, idle, actor=actor, remember_identities=False, now=now, reason="retention")
            done.customers = len(idle)
    con = store.con
    with store.transaction():
        if rules.events is not None:
            cutoff = now - rules.events.delta()
            events = store.table("events")
            old = events.filter(events.time < cutoff)
            who = store.materialize("_purged", old.select("customer_id").distinct())
            removed = con.raw_sql(f"DELETE FROM events WHERE time < {_ts(cutoff)}").fetchone()
            done.rows["events"] = int(removed[0]) if removed else 0
            if state.HISTORY in con.list_tables():  # the state's copy of some events
                con.raw_sql(f'DELETE FROM "{state.HISTORY}" WHERE time < {_ts(cutoff)}')
            if done.rows["events"]:
                state.recompute(store, who)
            con.drop_table("_purged", force=True)
        if rules.quarantine is not None:
            cutoff = now - rules.quarantine.delta()
            removed = con.raw_sql(
                f"DELETE FROM quarantine WHERE _loaded_at < {_ts(cutoff)}"
            ).fetchone()
            done.rows["quarantine"] = int(removed[0]) if removed else 0
        audit.log(store, "purge", "", now, actor, rows=done.rows, erased=done.customers)
    return done


def inactive(store: Store, cutoff: datetime) -> list[str]:
    """Customers created before ``cutoff`` with no event and no consent change since."""
    customers = store.table("customers")
    events, consents = store.table("events"), store.table("consents")
    recent = ibis.union(
        events.filter(events.time >= cutoff).select("customer_id"),
        consents.filter(consents.time >= cutoff).select("customer_id"),
    )
    born = customers.created_at.fill_null(customers._loaded_at)
    idle = customers.filter(born < cutoff).anti_join(recent, "customer_id")
    found: pa.Table = idle.select("customer_id").to_pyarrow()
    return sorted(found["customer_id"].to_pylist())


def _ts(moment: datetime) -> str:
    return f"TIMESTAMP '{moment:%Y-%m-%d %H:%M:%S.%f}'"


def purge_offline(plan: Plan, location: str | Path, now: datetime | None = None) -> Purge:
    """Purge with the store to oneself (``animato privacy purge``), then compact the file when
    rows were removed.
    """
    store = Store(plan, location)
    try:
        done = purge(store, now)
    finally:
        store.close()
    if done.customers or any(done.rows.values()):
        compact(location)
    return done

"""The replay's copy of a store: its events in time order, whatever order they were written in."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from animato import load_plan
from animato.simulate.replay import in_time_order, replay
from animato.store import Store
from tests.simulate.simplan import START, write_history


def _times(path: Path) -> list[datetime]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [t for (t,) in con.sql("SELECT time FROM events ORDER BY rowid").fetchall()]
    finally:
        con.close()


def test_events_written_in_another_order_are_replayed_in_time_order(tmp_path: Path) -> None:
    plan_dir, source = write_history(tmp_path)
    plan = load_plan(plan_dir)
    store = Store(plan, source)
    assert in_time_order(store)  # written by the store: in time order
    # an older store's history: 400,000 events (four of DuckDB's row groups) in no time order,
    # over some 280 days (written behind the store's back, as a store made before events were
    # kept in time order holds them)
    store.con.raw_sql(
        "INSERT INTO events (event_id, customer_id, type, time) SELECT 'v' || i, 'c',"
        " 'cart_abandoned', TIMESTAMP '2026-01-01' + (i * 7919 % 400000) * INTERVAL 1 MINUTE"
        " FROM range(400000) t(i)"
    )
    assert not in_time_order(store)
    store.close()
    before = _times(source)

    done = replay(plan, source, tmp_path / "sim", START, START + timedelta(days=2))

    assert done.result.ticks == 2
    assert _times(done.store) == sorted(before)
    assert _times(source) == before  # the source is left as it was

"""Aggregates that do arithmetic on times give the same numbers on every backend."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest

from animato import load_plan
from animato.engine.aggregates import aggregate_table
from animato.engine.compile import Aggregate
from animato.store import Store

PLAN = Path(__file__).resolve().parents[2] / "examples" / "retail"


# py4j leaves its gateway sockets to the garbage collector
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_median_gap_counts_whole_seconds_on_every_backend(location: str) -> None:
    # Spark's epoch has no fraction of a second, DuckDB's and PostgreSQL's have one: 9.6 s and
    # 10.7 s between these visits would be a median of 10.15 s here and 10 s there.
    store = Store(load_plan(PLAN), location)
    try:
        times = [datetime(2026, 3, 1, 9, 0, 0, 600_000), datetime(2026, 3, 1, 9, 0, 10, 200_000),
                 datetime(2026, 3, 1, 9, 0, 20, 900_000)]  # fmt: skip
        store.append(
            "events",
            pa.table(
                {
                    "event_id": [f"v{i}" for i in range(len(times))],
                    "customer_id": ["c1"] * len(times),
                    "type": ["visit"] * len(times),
                    "time": pa.array(times, pa.timestamp("us")),
                }
            ),
        )
        gap = Aggregate("median_gap", "visit")
        table = aggregate_table(store.table("events"), [gap], datetime(2026, 3, 2))
        assert table is not None
        rows = table.to_pyarrow().to_pylist()
    finally:
        store.close()
    assert [(r["customer_id"], float(r[gap.column])) for r in rows] == [("c1", 10.0)]

"""Appends skip the rows whose key is already in the table, looking among the ``known`` ones."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa

from animato import load_plan
from animato.store import Store

PLAN = Path(__file__).resolve().parents[2] / "examples" / "retail"
MONDAY, TUESDAY = datetime(2026, 3, 2, 6), datetime(2026, 3, 3, 6)


def _decisions(ids: list[str], at: datetime) -> pa.Table:
    return pa.table(
        {
            "row_id": ids,
            "message_id": [f"m-{i}" for i in ids],
            "decision": ["accepted"] * len(ids),
            "decided_at": pa.array([at] * len(ids), pa.timestamp("us")),
        }
    )


def test_an_append_skips_known_keys_and_looks_only_among_the_rows_it_is_told(
    tmp_path: Path,
) -> None:
    store = Store(load_plan(PLAN), tmp_path / "store.duckdb")
    try:
        assert store.append("decisions", _decisions(["a", "b"], MONDAY)) == 2
        assert store.append("decisions", _decisions(["b", "c"], TUESDAY)) == 1  # b is known
        log = store.table("decisions")
        today = log.filter(log.decided_at == TUESDAY)
        # among Tuesday's rows only: c is known there, a (Monday's) is not looked at
        assert store.append("decisions", _decisions(["a", "c"], TUESDAY), known=today) == 1
        rows = store.table("decisions").to_pyarrow().to_pylist()
    finally:
        store.close()
    assert sorted(r["row_id"] for r in rows) == ["a", "a", "b", "c"]

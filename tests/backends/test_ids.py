"""Control-group draws and row ids are the same numbers on every backend as in Python."""

from __future__ import annotations

from pathlib import Path

import ibis
import pyarrow as pa
import pytest

from animato import load_plan
from animato.engine.ids import below, row_id, row_id_expr, unit_hash, unit_hash_expr
from animato.store import Store

PLAN = Path(__file__).resolve().parents[2] / "examples" / "retail"


# py4j leaves its gateway sockets to the garbage collector
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_unit_hash_is_pythons_to_the_last_bit_on_every_backend(location: str) -> None:
    # ids whose digests start with every hex digit, 'f' and '0' included (the two ends)
    ids = [f"c{i}" for i in range(200)]
    assert {row_id(f"s:x:{c}")[0] for c in ids} >= set("0123456789abcdef")
    shares = [0.05, 0.5, unit_hash("s:x:c7")]  # the last one on a digest: the boundary
    store = Store(load_plan(PLAN), location)
    try:
        store.append("customers", pa.table({"customer_id": ids}))
        customers = store.table("customers")
        drawn = customers.select(
            "customer_id",
            u=unit_hash_expr(ibis.literal("s:x:") + customers.customer_id),
            rid=row_id_expr(customers.customer_id, ibis.literal("t1")),
            **{
                f"below{i}": below(ibis.literal("s:x:") + customers.customer_id, share)
                for i, share in enumerate(shares)
            },
        )
        rows = drawn.to_pyarrow().to_pylist()
    finally:
        store.close()
    assert len(rows) == len(ids)
    for row in rows:
        assert row["u"] == unit_hash(f"s:x:{row['customer_id']}")
        assert row["rid"] == row_id(row["customer_id"], "t1")
        for i, share in enumerate(shares):
            assert row[f"below{i}"] == (row["u"] < share)

"""Ids and control-group assignment agree between Python and the store's SQL engine."""

from __future__ import annotations

import hashlib

import ibis
import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from animato.engine.ids import (
    below,
    in_control,
    in_control_expr,
    row_id,
    row_id_expr,
    unit_hash,
    unit_hash_expr,
)


def test_control_formula_is_the_one_in_design() -> None:
    digest = hashlib.md5(b"salt:welcome:c42").hexdigest()
    assert unit_hash("salt:welcome:c42") == int(digest[:8], 16) / 16**8
    assert in_control("salt", "welcome", "c42", 1.0)
    assert not in_control("salt", "welcome", "c42", 0.0)


def test_control_share_is_close_to_the_declared_share() -> None:
    chosen = sum(in_control("s", "scenario", f"c{i}", 0.10) for i in range(20_000))
    assert 1_800 < chosen < 2_200


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=30, unique=True),
    st.floats(0.01, 0.5),
)
def test_duckdb_and_python_agree(customers: list[str], share: float) -> None:
    table = ibis.memtable(pa.table({"c": customers}))
    expr = table.mutate(
        u=unit_hash_expr(ibis.literal("s:x:") + table.c),
        control=in_control_expr("s", "x", table.c, share),
        rid=row_id_expr(table.c, ibis.literal("t1"), ibis.null("string")),
    )
    for row in expr.to_pyarrow().to_pylist():
        assert row["u"] == unit_hash(f"s:x:{row['c']}")
        assert row["control"] == in_control("s", "x", row["c"], share)
        assert row["rid"] == row_id(row["c"], "t1", None)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(max_size=12), min_size=1, max_size=30, unique=True),
    st.one_of(st.floats(-0.5, 1.5), st.sampled_from([0.0, 1.0, 2**-32, 1 - 2**-32])),
    st.sampled_from([None, 0.0, 2**-40, -(2**-40)]),
)
@example(["a", "b", ""], 1.0, None)  # every digest is below 1
@example(["a", "b", ""], 0.0, None)
def test_below_is_the_unit_hash_compared_with_the_share(
    texts: list[str], share: float, off_a_digest: float | None
) -> None:
    if off_a_digest is not None:  # at a digest's value (not below it), or just either side
        share = unit_hash(texts[0]) + off_a_digest
    table = ibis.memtable(pa.table({"t": texts}))
    rows = table.mutate(b=below(table.t, share)).to_pyarrow().to_pylist()
    assert {row["t"]: row["b"] for row in rows} == {t: unit_hash(t) < share for t in texts}

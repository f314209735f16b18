"""A paused scenario takes no new entrants and sends nothing; resumed, it catches up."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from animato.engine import Engine
from animato.engine.pauses import paused, set_paused
from tests.engine.engineplan import customers, event, make_store, rows


def test_a_paused_scenario_enrols_and_decides_nothing_until_resumed(tmp_path: Path) -> None:
    store = make_store(tmp_path / "plan")
    customers(
        store,
        {"customer_id": "a", "first_name": "Anne", "phone": "+33600000001"},
        {"customer_id": "b", "first_name": "Bea", "phone": "+33600000002"},
    )
    event(store, "e1", "a", "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    engine = Engine(store)
    engine.tick(datetime(2027, 3, 1, 12), since=datetime(2027, 3, 1))
    assert [m["step_id"] for m in rows(store, "messages")] == ["t1"]

    set_paused(store, "panier", True, "ops", datetime(2027, 3, 1, 13))
    assert paused(store) == ["panier"]
    event(store, "e2", "b", "cart_abandoned", datetime(2027, 3, 2, 9), cart_value=90.0)
    paused_tick = engine.tick(datetime(2027, 3, 2, 23))  # a's t2 falls due, b's cart comes in
    assert paused_tick.enrolments == {}
    assert [m["step_id"] for m in rows(store, "messages")] == ["t1"]  # nothing decided

    set_paused(store, "panier", False, "ops", datetime(2027, 3, 3, 8))
    assert paused(store) == []
    engine.tick(datetime(2027, 3, 3, 12))
    # resumed: a's overdue step is decided now; b's cart came in while paused and stays out
    assert sorted(m["step_id"] for m in rows(store, "messages")) == ["t1", "t2"]
    assert [e["customer_id"] for e in rows(store, "enrolments")] == ["a"]

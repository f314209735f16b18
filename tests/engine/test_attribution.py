"""Conversions credited to the last message of a scenario within its attribution window."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from animato.engine import Engine
from animato.store import Store
from tests.engine.engineplan import customers, event, make_store, rows


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return make_store(tmp_path / "plan")


def test_a_purchase_is_credited_to_the_last_message_before_it(store: Store) -> None:
    customers(
        store,
        {"customer_id": "a", "first_name": "Anne"},
        {"customer_id": "b", "first_name": "Bob"},  # never messaged
        {"customer_id": "c", "first_name": "Chloé"},
    )
    for who in "ac":
        event(store, f"cart-{who}", who, "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    engine = Engine(store)
    engine.tick(datetime(2027, 3, 1, 12), since=datetime(2027, 3, 1))  # t1 sent at 12:00
    event(store, "buy-a", "a", "purchase", datetime(2027, 3, 2, 8), amount=120.0)
    event(store, "buy-b", "b", "purchase", datetime(2027, 3, 2, 8), amount=60.0)
    event(store, "early-c", "c", "purchase", datetime(2027, 3, 1, 11), amount=10.0)  # before t1
    engine.tick(datetime(2027, 3, 2, 12))
    [credit] = rows(store, "engagement", kind="converted")
    [t1] = rows(store, "outbox", customer_id="a", step_id="t1")
    assert (credit["message_id"], credit["detail"], credit["time"]) == (
        t1["message_id"],
        "buy-a",
        datetime(2027, 3, 2, 8),
    )
    assert (credit["action_id"], credit["step_id"]) == ("panier", "t1")
    engine.tick(datetime(2027, 3, 2, 12))  # the same tick again credits nothing more
    assert len(rows(store, "engagement", kind="converted")) == 1


def test_a_purchase_after_the_attribution_window_is_not_credited(store: Store) -> None:
    customers(store, {"customer_id": "a", "first_name": "Anne"})
    event(store, "cart-a", "a", "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    engine = Engine(store)
    engine.tick(datetime(2027, 3, 1, 12), since=datetime(2027, 3, 1))
    engine.tick(datetime(2027, 3, 5, 12))  # t2 goes with this tick, at 03-05 12:00
    event(store, "late", "a", "purchase", datetime(2027, 3, 12, 13), amount=50.0)  # 7 d 1 h after
    engine.tick(datetime(2027, 3, 13, 12))
    assert rows(store, "engagement", kind="converted") == []

"""The customer state kept tick by tick equals the aggregates recomputed from the whole history;
and splitting a tick in smaller ticks decides the same things where the semantics say so."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from animato.engine import Engine
from animato.engine.aggregates import aggregate_table
from animato.engine.compile import Compiler
from animato.engine.state import HISTORY, STATE, columns, mergeable, refresh
from animato.store import Store
from tests.engine.engineplan import customers, make_store, rows

BASE = datetime(2027, 1, 1)
PEOPLE = ["a", "b", "c", "d"]


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp())
    yield path
    shutil.rmtree(path)


def fresh_store(folder: Path, plan_text: str | None = None) -> Store:
    target = Path(tempfile.mkdtemp(dir=folder))
    store = make_store(target / "plan") if plan_text is None else make_store(target, plan_text)
    customers(store, *({"customer_id": p, "account_id": "F"} for p in PEOPLE))
    return store


def load(store: Store, events: list[dict[str, Any]]) -> None:
    if events:
        store.append("events", pa.Table.from_pylist(events))


def as_rows(table: Any) -> list[dict[str, Any]]:
    found = table.to_pyarrow().to_pylist()
    return sorted(found, key=lambda r: r["customer_id"])


event_rows = st.lists(
    st.tuples(
        st.sampled_from(PEOPLE),
        st.sampled_from(["purchase", "complaint_opened", "cart_abandoned"]),
        st.integers(0, 24 * 120),  # hours after BASE
        st.integers(1, 200),
    ),
    max_size=25,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    batches=st.lists(event_rows, min_size=1, max_size=4),
    days=st.lists(st.integers(1, 150), min_size=1, max_size=4, unique=True),
)
def test_state_equals_a_full_recompute(
    folder: Path, batches: list[list[tuple[str, str, int, int]]], days: list[int]
) -> None:
    """Events arrive in batches (some late, some in the future); after every refresh the state
    holds exactly what a recompute over all events up to ``now`` gives."""
    store = fresh_store(folder)
    n = 0
    for batch, day in zip(batches, sorted(days) + [max(days)] * len(batches), strict=False):
        load(
            store,
            [
                {
                    "event_id": f"e{(n := n + 1)}",
                    "customer_id": who,
                    "type": kind,
                    "time": BASE + timedelta(hours=hours),
                    "amount": float(amount) if kind == "purchase" else None,
                }
                for who, kind, hours, amount in batch
            ],
        )
        now = BASE + timedelta(days=day, hours=6)
        compiler = Compiler(store.plan, now)
        state = refresh(store, compiler, now)
        full = aggregate_table(store.table("events"), columns(store.plan, compiler), now)
        assert full is not None
        assert as_rows(state.table) == as_rows(full.select(*state.table.columns))
        # the state's copy of the events whose aggregates it recomputes follows the loads
        copied = store.table(HISTORY)
        events = store.table("events")
        types = sorted({a.event for a in columns(store.plan, compiler) if not mergeable(a)})
        mine = events.filter(events.type.isin(types)).select(*copied.columns)
        assert every_row(copied) == every_row(mine)
    store.close()


def every_row(table: Any) -> list[tuple[str, ...]]:
    return sorted(tuple(str(v) for v in row.values()) for row in table.to_pyarrow().to_pylist())


def test_a_new_plan_aggregate_rebuilds_the_state(tmp_path: Path) -> None:
    store = fresh_store(tmp_path)
    load(store, [{"event_id": "e1", "customer_id": "a", "type": "purchase", "time": BASE}])
    now = BASE + timedelta(days=1)
    refresh(store, Compiler(store.plan, now), now)
    held = store.table(STATE).columns
    assert "agg_last_time_purchase" in held and "agg_median_gap_purchase" in held
    assert "agg_sum_purchase_amount_365d" in held  # the segment gros_client


SPLIT_PLAN = """\
name: Split
salt: pepper
data:
  customer: {first_name: string}
  events:
    purchase: {properties: {amount: number}}
    cart_abandoned: {properties: {cart_value: number}}
programs:
  - id: p
    name: P
    kpis: [{name: CA, metric: revenue}]
    scenarios:
      - id: panier
        name: Panier
        trigger: {event: cart_abandoned, where: "event.cart_value >= 50"}
        reentry: never
        holdout: 30%
        priority: 90
        steps:
          - {id: t1, wait: 1h, channel: email, template: mail}
          - {id: t2, wait: 2d, channel: email, template: mail}
      - id: inactif
        name: Inactif
        trigger: {inactive: {event: purchase, for: 20d}}
        reentry: never
        priority: 50
        steps: [{channel: email, template: mail}]
"""


def decisions(store: Store) -> tuple[list[Any], list[Any]]:
    """Enrolments, and the first steps' messages (a later step waits after the previous one's
    send time, which a coarser tick moves later: that is the semantics, not a difference)."""
    enrolled = [
        (r["enrolment_id"], r["entered_at"], r["control"]) for r in rows(store, "enrolments")
    ]
    sent = [
        (r["message_id"], r["due_at"], r["decision"])
        for r in rows(store, "messages")
        if r["step_id"] != "t2"
    ]
    return sorted(enrolled), sorted(sent)


def later_steps_wait_after_the_send(store: Store) -> None:
    sent = {(r["enrolment_id"], r["step_id"]): r for r in rows(store, "messages")}
    for (enrolment, step), message in sent.items():
        if step == "t2":
            first = sent[(enrolment, "t1")]
            assert message["due_at"] == first["send_at"] + timedelta(days=2)


@settings(
    max_examples=10,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # each example runs a dozen ticks
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    carts=st.lists(
        st.tuples(st.sampled_from(PEOPLE), st.integers(0, 24 * 30), st.integers(0, 100)),
        max_size=8,
    ),
    purchases=st.lists(st.tuples(st.sampled_from(PEOPLE), st.integers(0, 24 * 20)), max_size=6),
    cuts=st.lists(st.integers(1, 40 * 24 - 1), max_size=3, unique=True),
)
def test_split_ticks_decide_like_one_big_tick(
    folder: Path,
    carts: list[tuple[str, int, int]],
    purchases: list[tuple[str, int]],
    cuts: list[int],
) -> None:
    """With the history loaded up front, ticking (start, end] at once or in pieces enrols the
    same customers and decides the same messages (send times aside: never before a tick)."""
    start = BASE + timedelta(days=20)
    end = start + timedelta(days=40)
    history = [
        {
            "event_id": f"p{i}",
            "customer_id": who,
            "type": "purchase",
            "time": BASE + timedelta(hours=h),
            "amount": 10.0,
        }
        for i, (who, h) in enumerate(purchases)
    ] + [
        {
            "event_id": f"c{i}",
            "customer_id": who,
            "type": "cart_abandoned",
            "time": start + timedelta(hours=h),
            "cart_value": float(value),
        }
        for i, (who, h, value) in enumerate(carts)
    ]
    outcomes = []
    for pieces in ([], sorted(cuts)):
        store = fresh_store(folder, SPLIT_PLAN)
        load(store, history)
        engine = Engine(store)
        for hours in pieces:
            engine.tick(start + timedelta(hours=hours), since=start)
        engine.tick(end, since=start)
        again = engine.tick(end)
        assert not again.ran  # the same tick twice writes nothing
        outcomes.append(decisions(store))
        later_steps_wait_after_the_send(store)
        store.close()
    assert outcomes[0] == outcomes[1]

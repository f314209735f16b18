"""Engagement with earlier steps: recorded by tracking in production, assumed in simulation."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest

from animato.engine import Engine
from animato.engine.engagement import Assumption, reads
from animato.engine.ids import row_id, unit_hash
from animato.store import Store
from tests.engine.engineplan import PLAN, customers, event, make_store, rows

# t2 goes only to those who did not open t1.
FOLLOW_UP = PLAN.replace(
    '          - {id: t2, wait: 1d, at: "18:00", channel: sms, template: sms,\n'
    "             fallback: {channel: email, template: mail}}\n",
    "          - {id: t2, wait: 1d, if: \"not opened('t1')\", channel: sms, template: sms}\n",
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    assert FOLLOW_UP != PLAN
    return make_store(tmp_path / "plan", FOLLOW_UP)


def _carts(store: Store, n: int) -> list[str]:
    ids = [f"c{i:02d}" for i in range(n)]
    people = (
        {"customer_id": c, "first_name": "Ana", "phone": f"+3360000{i:04d}"}
        for i, c in enumerate(ids)
    )
    customers(store, *people)
    for c in ids:
        event(store, f"e-{c}", c, "cart_abandoned", datetime(2027, 3, 1, 9), cart_value=80.0)
    return ids


def _t1_id(store: Store, customer: str) -> str:
    [message] = rows(store, "messages", customer_id=customer, step_id="t1")
    return str(message["message_id"])


def _t2(store: Store) -> dict[str, str]:
    """Step t2's decision per customer: skipped by its ``if``, or what arbitration said."""
    decided = {d["message_id"]: d["decision"] for d in rows(store, "decisions")}
    return {
        m["customer_id"]: decided.get(m["message_id"], m["decision"])
        for m in rows(store, "messages", step_id="t2")
    }


def test_reads_sees_bare_and_named_engagement() -> None:
    assert reads("not opened('t1')") and reads("clicked") and reads("converted('t2') or opened")
    assert not reads("customer.first_name == 'opened'") and not reads(None)


def test_a_recorded_open_skips_the_follow_up_in_production(store: Store) -> None:
    _carts(store, 2)
    engine = Engine(store)
    engine.tick(datetime(2027, 3, 1, 12), since=datetime(2027, 3, 1))
    opened = _t1_id(store, "c00")
    store.append(
        "engagement",
        pa.Table.from_pylist(
            [
                {
                    "row_id": "o1",
                    "message_id": opened,
                    "customer_id": "c00",
                    "kind": "opened",
                    "time": datetime(2027, 3, 1, 20),
                    "source": "pixel",
                },
                # c01 opened only after t2 was decided: it does not count
                {
                    "row_id": "o2",
                    "message_id": _t1_id(store, "c01"),
                    "customer_id": "c01",
                    "kind": "clicked",
                    "time": datetime(2027, 3, 5),
                    "source": "redirect",
                },
            ]  # fmt: skip
        ),
    )
    engine.tick(datetime(2027, 3, 2, 12))
    assert _t2(store) == {"c00": "skipped:condition", "c01": "accepted"}


def test_without_a_record_production_assumes_nothing_was_opened(store: Store) -> None:
    _carts(store, 3)
    engine = Engine(store)
    engine.tick(datetime(2027, 3, 1, 12), since=datetime(2027, 3, 1))
    engine.tick(datetime(2027, 3, 2, 12))
    assert set(_t2(store).values()) == {"accepted"}


def test_a_simulation_draws_opens_from_the_message_id(store: Store) -> None:
    ids = _carts(store, 40)
    assume = Assumption(open_rate=0.5, click_rate=0.1)
    engine = Engine(store, assume=assume)
    engine.tick(datetime(2027, 3, 1, 12), since=datetime(2027, 3, 1))
    engine.tick(datetime(2027, 3, 2, 12))
    expected = {
        c: "skipped:condition"
        if unit_hash(f"pepper:engagement:{_t1_id(store, c)}") < 0.5
        else "accepted"
        for c in ids
    }
    assert _t2(store) == expected
    assert 5 < list(expected.values()).count("accepted") < 35
    # the id is that of (enrolment, step): the same in every run
    [one] = rows(store, "enrolments", customer_id="c00")
    assert _t1_id(store, "c00") == row_id(one["enrolment_id"], "t1")


def test_a_simulation_keeps_recorded_engagement_where_there_is_some(store: Store) -> None:
    _carts(store, 1)
    engine = Engine(store, assume=Assumption(open_rate=1.0, click_rate=1.0))
    engine.tick(datetime(2027, 3, 1, 12), since=datetime(2027, 3, 1))
    store.append(
        "engagement",
        pa.Table.from_pylist(
            [
                {
                    "row_id": "d1",
                    "message_id": _t1_id(store, "c00"),
                    "customer_id": "c00",
                    "kind": "delivered",
                    "time": datetime(2027, 3, 1, 12),
                    "source": "smtp",
                }
            ]
        ),  # fmt: skip
    )
    engine.tick(datetime(2027, 3, 2, 12))
    assert _t2(store) == {"c00": "accepted"}  # delivered, never opened: the record wins

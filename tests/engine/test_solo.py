"""Arbitration in the store (customers alone with one candidate) against the Python arbitration.

Whatever the candidates and the messages already scheduled, a tick's decisions written by
:func:`animato.engine.outbox.arbitrate` (part of them decided by queries, see
:mod:`animato.engine.solo`) are those :func:`animato.engine.arbitration.decide` gives for all
of them, one customer at a time.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from animato.engine import outbox
from animato.engine.arbitration import Rules, decide
from animato.engine.clock import Interval
from animato.store import Store
from tests.engine.engineplan import PLAN, make_store

CAMPAIGN = """\
    campaigns:
      - id: promo
        name: Promo
        every: {weekday: wednesday, time: "10:00"}
        channel: email
        template: mail
"""
PRESSURE = {
    "strict": """\
  pressure:
    caps: {all: {day: 1, week: 2}, email: {week: 3}, sms: {month: 1}}
    min_gap: 12h
  quiet_hours: {start: "21:00", end: "08:30", days: [sunday]}
  blackouts:
    - {id: treve, from: 2027-03-04, to: 2027-03-05, scope: scenarios}
    - {id: pont, from: 2027-03-06, to: 2027-03-06, scope: all}
""",
    "caps only": "  pressure:\n    caps: {all: {week: 1}}\n",
    "none": "",
}
START = datetime(2027, 3, 3, 6)  # Wednesday 7:00 in Paris
NOW = START + timedelta(hours=12)
ZONES = [None, "Europe/Paris", "America/Montreal"]
ACTIONS = [("panier", "t1"), ("panier", "t2"), ("inactif", "t1"), ("promo", "")]


def world() -> st.SearchStrategy[tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any]]]:
    """Customers' candidates (0 to 3 each) and the messages already scheduled for them."""
    who = st.sampled_from("abcde")
    hours = st.integers(-36, 60)
    candidate = st.tuples(who, st.sampled_from(ACTIONS), st.sampled_from(["email", "sms"]), hours)
    scheduled = st.tuples(who, st.sampled_from(["email", "sms"]), st.integers(-24 * 30, 24 * 10))
    zones = st.lists(st.sampled_from(ZONES), min_size=5, max_size=5)
    return st.tuples(
        st.lists(candidate, max_size=12).map(_candidates),
        st.lists(scheduled, max_size=12).map(_scheduled),
        zones,
    )


def _candidates(drawn: list[tuple[str, tuple[str, str], str, int]]) -> list[dict[str, Any]]:
    rows, seen = [], set()
    for i, (who, (action, step), channel, hours) in enumerate(drawn):
        if sum(1 for r in rows if r["customer_id"] == who) >= 3 or (who, action) in seen:
            continue
        seen.add((who, action))
        due = START + timedelta(hours=hours)
        rows.append(
            {
                "message_id": f"m{i}",
                "enrolment_id": None if action == "promo" else f"e{i}",
                "customer_id": who,
                "action_id": action,
                "step_id": step,
                "channel": channel,
                "due_at": due,
                # never before the tick, as journeys and campaigns make them
                "send_at": max(due + timedelta(hours=i % 3), NOW),
                "decision": "candidate",
                "tick_id": "T",
                "variant": None,
            }  # fmt: skip
        )
    return rows


def _scheduled(drawn: list[tuple[str, str, int]]) -> list[dict[str, Any]]:
    return [
        {"message_id": f"old{i}", "customer_id": who, "action_id": "x", "step_id": "s",
         "channel": channel, "send_at": START + timedelta(hours=hours), "tick_id": "old"}
        for i, (who, channel, hours) in enumerate(drawn)
    ]  # fmt: skip


def stores() -> dict[str, Store]:
    made = {}
    for name, conventions in PRESSURE.items():
        text = PLAN.replace("    scenarios:\n", CAMPAIGN + "    scenarios:\n", 1)
        text = text.replace("conventions:\n", "conventions:\n" + conventions)
        # a refused step is postponed until its max_delay has run out (in months: in Python)
        text = text.replace("priority: 90\n", "priority: 90\n        max_delay: 1d\n")
        text = text.replace("priority: 50\n", "priority: 50\n        max_delay: 1mo\n")
        made[name] = make_store(Path(tempfile.mkdtemp()) / "plan", text)
    return made


STORES: dict[str, Store] = {}


@pytest.mark.parametrize("pressure", sorted(PRESSURE))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=world())
def test_the_store_decides_as_the_python_arbitration(
    pressure: str, drawn: tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any]]
) -> None:
    if not STORES:
        STORES.update(stores())
    store = STORES[pressure]
    cands, scheduled, zones = drawn
    for table in ("customers", "messages", "outbox", "decisions"):
        store.clear(table)
    people = [
        {"customer_id": c, "timezone": z, "first_name": c}
        for c, z in zip("abcde", zones, strict=True)
    ]
    store.append("customers", pa.Table.from_pylist(people))
    for name, rows in (("messages", cands), ("outbox", scheduled)):
        if rows:
            schema = store.table(name).schema().to_pyarrow()
            store.append(name, pa.Table.from_pylist(rows, schema=schema))
    # journeys that converted while their message waited (and one not among the candidates)
    ended = ["e-gone"] + [r["enrolment_id"] for r in cands[::4] if r["enrolment_id"]]
    log = [
        {"row_id": e, "enrolment_id": e, "customer_id": "a", "scenario_id": "panier",
         "kind": "converted", "time": START, "reason": "", "tick_id": "old"}
        for e in ended
    ]  # fmt: skip
    store.clear("journey_log")
    store.append("journey_log", pa.Table.from_pylist(log))
    interval = Interval(START, NOW, store.plan.timezone)
    counts = outbox.arbitrate(store, store.plan, outbox.waiting(store), interval, "T")

    zone = dict(zip("abcde", zones, strict=True))
    meta = outbox._actions(store.plan)
    expected = decide(
        [
            outbox._candidate(
                {**row, "timezone": zone[row["customer_id"]], "not_before": None},
                meta[row["action_id"]],
            )
            for row in cands
            if row["enrolment_id"] not in ended
        ],
        [(r["customer_id"], r["channel"], r["send_at"]) for r in scheduled],
        Rules.of(store.plan),
        NOW,
    )
    found = store.table("decisions").to_pyarrow().to_pylist()
    gone = {r["message_id"]: ("dropped:journey_ended", None, None) for r in cands[::4]}
    assert {r["message_id"]: (r["decision"], r["send_at"], r["retry_at"]) for r in found} == {
        **{d.message_id: (d.decision, d.send_at, d.retry_at) for d in expected},
        **{k: v for k, v in gone.items() if k not in {d.message_id for d in expected}},
    }
    assert sum(n for by in counts.values() for n in by.values()) == len(cands)
    accepted = {d.message_id: d.send_at for d in expected if d.decision == "accepted"}
    sent = store.table("outbox").filter(store.table("outbox").tick_id == "T")
    assert {r["message_id"]: r["send_at"] for r in sent.to_pyarrow().to_pylist()} == accepted


def test_a_message_refused_for_certain_is_dropped_or_postponed_by_the_rule_that_refuses_it() -> (
    None
):
    # caps all: 1 a day, 2 a week; a 12 h minimum gap; the campaign message goes at NOW
    # (Wednesday 19:00 in Paris, no quiet hours nor blackout then)
    if not STORES:
        STORES.update(stores())
    store = STORES["strict"]
    for table in ("customers", "messages", "outbox", "decisions", "journey_log"):
        store.clear(table)
    store.append("customers", pa.Table.from_pylist([{"customer_id": c} for c in "abcdefg"]))
    cands = [
        {"message_id": f"m{c}", "enrolment_id": None, "customer_id": c, "action_id": "promo",
         "step_id": "2027-03-03", "channel": "email", "due_at": NOW, "send_at": NOW,
         "decision": "candidate", "tick_id": "T", "variant": None}
        for c in "abcde"
    ] + [  # a step with a max_delay of 1 day, due 2 hours ago and 30 hours ago
        {"message_id": f"m{c}", "enrolment_id": f"e{c}", "customer_id": c, "action_id": "panier",
         "step_id": "t1", "channel": "email", "due_at": NOW - timedelta(hours=h), "send_at": NOW,
         "decision": "candidate", "tick_id": "T", "variant": None}
        for c, h in (("f", 2), ("g", 30))
    ]  # fmt: skip
    before = {
        "a": [-6],  # within the gap
        "b": [-20],  # the same day
        "c": [-72, -120],  # twice in the week
        "d": [-96, 72],  # once before and once after in the week: no window holds three
        "e": [-30],  # nothing in the way
        "f": [-6],
        "g": [-6],
    }
    scheduled = [
        {"message_id": f"old{c}{h}", "customer_id": c, "action_id": "x", "step_id": "s",
         "channel": "email", "send_at": NOW + timedelta(hours=h), "tick_id": "old"}
        for c, hours in before.items()
        for h in hours
    ]  # fmt: skip
    for name, rows in (("messages", cands), ("outbox", scheduled)):
        store.append(
            name, pa.Table.from_pylist(rows, schema=store.table(name).schema().to_pyarrow())
        )
    outbox.arbitrate(store, store.plan, outbox.waiting(store), Interval(START, NOW, "UTC"), "T")
    found = store.table("decisions").to_pyarrow().to_pylist()
    assert {r["customer_id"]: (r["decision"], r["send_at"]) for r in found} == {
        "a": ("dropped:min_gap", None),
        "b": ("dropped:cap_day", None),
        "c": ("dropped:cap_week", None),
        "d": ("accepted", NOW),
        "e": ("accepted", NOW),
        "f": ("postponed:min_gap", None),  # until a later tick, while its day has not run out
        "g": ("dropped:min_gap", None),
    }

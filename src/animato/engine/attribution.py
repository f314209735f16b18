"""Conversions: a goal event (a purchase…) credited to the last message of each scenario or
campaign that the customer was sent within its attribution window before the event.

Each tick looks at the events it is the first to see, so a conversion is credited once, as an
``engagement`` row of kind ``converted`` (detail: the event id) on that message. Reports read
them for conversion rates and revenue; a step's ``if`` reads them as ``converted``.
"""

from __future__ import annotations

from datetime import timedelta

import ibis

from animato.engine.clock import Interval
from animato.engine.compile import Compiler
from animato.engine.ids import row_id_expr
from animato.engine.state import State
from animato.engine.triggers import _interval
from animato.plan.model import Campaign, Scenario
from animato.store.schema import event_properties
from animato.store.store import Store


def attribute(
    store: Store, current: State, interval: Interval, compiler: Compiler, tick_id: str
) -> int:
    """Credit the tick's new goal events to the messages they follow; return how many."""
    plan = store.plan
    actions: list[Scenario | Campaign] = [
        a for p in plan.programs for a in p.actions if a.goal is not None
    ]
    if not actions:
        return 0
    events = store.table("events")
    fresh = current.recent
    if fresh is None:  # a first tick: only the events of its interval
        fresh = events.filter((events.time > interval.start) & (events.time <= interval.end))
    types = sorted({a.goal.event for a in actions if a.goal is not None})
    fresh = fresh.filter(fresh.type.isin(types) & (fresh.time <= interval.end))
    fresh = fresh.mutate(**{f"event__{p}": fresh[p] for p in event_properties(plan)})
    earliest = fresh.time.min().to_pyarrow().as_py()
    if earliest is None:
        return 0
    # only messages sent within the longest window before the earliest new goal event can be
    # credited: the outbox's older rows are skipped by their send time
    longest = max(a.attribution_window.approx_days() for a in actions)
    outbox = store.table("outbox")
    recent = outbox.send_at > earliest - timedelta(days=longest + 1)
    sent = outbox.filter(recent & (outbox.send_at <= interval.end) & outbox.error.isnull())
    sent = sent.select("message_id", "customer_id", "action_id", "step_id", "send_at")
    found = fresh.join(sent, "customer_id")
    matches = []
    for action in actions:
        goal = action.goal
        assert goal is not None
        hit = (
            (found.action_id == action.id)
            & (found.type == goal.event)
            & (found.send_at <= found.time)
            & (found.send_at > found.time - _interval(action.attribution_window))
        )
        matches.append(hit & compiler.condition(goal.where, found))
    found = found.filter(ibis.or_(*matches))
    last = ibis.row_number().over(
        group_by=["event_id", "action_id"], order_by=[ibis.desc("send_at"), "message_id"]
    )
    found = found.mutate(_rank=last).filter(ibis._._rank == 0)
    rows = found.select(
        row_id=row_id_expr(found.message_id, ibis.literal("converted"), found.event_id),
        message_id=found.message_id,
        customer_id=found.customer_id,
        action_id=found.action_id,
        step_id=found.step_id,
        kind=ibis.literal("converted"),
        time=found.time,
        detail=found.event_id,
        source=ibis.literal(f"attribution:{tick_id}"),
    )
    return store.append("engagement", rows)

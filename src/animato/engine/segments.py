"""Segment membership between ticks, for ``segment:`` triggers (``on: enter | exit``).

Membership is recomputed once per tick (one pass over customer state) for the segments that
triggers watch, and only changes are logged in ``segment_log``. The first evaluation of a segment
is a baseline: it records today's members without firing, so switching a plan on does not
"enter" every current member at once.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from animato.engine.clock import Interval, existing
from animato.engine.compile import Compiler
from animato.engine.ids import row_id_expr
from animato.engine.state import State
from animato.store.store import Store


def watched(store: Store) -> list[str]:
    """Segments that some scenario's trigger watches, in plan order."""
    names: list[str] = []
    for scenario in store.plan.scenarios:
        name = scenario.trigger.segment
        if name is not None and name not in names:
            names.append(name)
    return names


def changes(
    store: Store, state: State, interval: Interval, compiler: Compiler, tick_id: str
) -> dict[str, ir.Table]:
    """Log membership changes of watched segments; return the changes (not the baselines)."""
    out: dict[str, ir.Table] = {}
    customers = existing(store.table("customers"), interval.end)
    for name in watched(store):
        condition = f"segment('{name}')"
        table = customers
        aggs = state.aggregates(compiler.aggregates(condition))
        if aggs is not None:
            table = customers.left_join(aggs, "customer_id").drop("customer_id_right")
        now_member = table.select("customer_id", member=compiler.condition(condition, table))
        log = store.table("segment_log").filter(ibis._.segment == name)
        baseline = not log.count().to_pyarrow().as_py()
        latest = (
            log.mutate(
                _rank=ibis.row_number().over(group_by="customer_id", order_by=ibis.desc("time"))
            )
            .filter(ibis._._rank == 0)
            .select("customer_id", was=ibis._.member)
        )
        joined = now_member.left_join(latest, "customer_id").drop("customer_id_right")
        changed = joined.filter(joined.member != joined.was.fill_null(False))
        rows = changed.select(
            row_id=row_id_expr(changed.customer_id, ibis.literal(name), ibis.literal(tick_id)),
            customer_id=changed.customer_id,
            segment=ibis.literal(name),
            member=changed.member,
            time=ibis.literal(interval.end),
            tick_id=ibis.literal(tick_id),
        )
        # a row's key holds its tick, whose end is its time: only this tick's rows could have it
        this_tick = store.table("segment_log").filter(ibis._.time == interval.end)
        store.append("segment_log", rows, known=this_tick)
        if not baseline:
            out[name] = store.table("segment_log").filter(
                (ibis._.segment == name) & (ibis._.tick_id == tick_id)
            )
    return out

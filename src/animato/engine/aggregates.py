"""Per-customer event aggregates that conditions and triggers need, in one pass over the events.

Every :class:`~animato.engine.compile.Aggregate` becomes one conditional aggregation (``count``,
``sum``… of an event type, over a window ending at ``now``) in a single ``GROUP BY customer_id``.
Only events up to ``now`` count, so a backtest over loaded history sees what production saw then.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from animato.engine.clock import seconds
from animato.engine.compile import Aggregate


def _since(agg: Aggregate, now: datetime) -> datetime | None:
    if agg.window is None:
        return None
    return now - agg.window.delta()


def aggregate_table(
    events: ir.Table,
    aggregates: Iterable[Aggregate],
    now: datetime,
    customers: ir.Table | None = None,
) -> ir.Table | None:
    """One row per customer with a column per aggregate; ``None`` when none are needed.

    ``customers`` (a table with ``customer_id``) restricts the work to those customers.
    """
    wanted = sorted(set(aggregates), key=lambda a: a.column)
    if not wanted:
        return None
    e = events.filter(events.time <= now)
    if customers is not None:
        e = e.semi_join(customers.select("customer_id").distinct(), "customer_id")
    today = ibis.literal(now.date())
    columns: dict[str, Any] = {}
    gaps = [agg for agg in wanted if agg.func == "median_gap"]
    for agg in wanted:
        mask = e.type == agg.event
        since = _since(agg, now)
        if since is not None:
            mask = mask & (e.time > since)
        if agg.func == "count":
            columns[agg.column] = e.count(where=mask)
        elif agg.func in ("sum", "avg", "min", "max"):
            assert agg.prop is not None
            columns[agg.column] = getattr(e[agg.prop], "mean" if agg.func == "avg" else agg.func)(
                where=mask
            )
        elif agg.func == "days_since":
            columns[agg.column] = today.delta(e.time.max(where=mask).date(), unit="day")
        elif agg.func == "last_time":
            columns[agg.column] = e.time.max(where=mask)
        elif agg.func == "first_time":
            columns[agg.column] = e.time.min(where=mask)
        elif agg.func == "days":  # distinct days with such an event
            columns[agg.column] = e.time.date().nunique(where=mask)
        elif agg.func == "last":
            assert agg.prop is not None
            columns[agg.column] = e[agg.prop].argmax(e.time, where=mask)
    table = e.group_by("customer_id").aggregate(**columns)
    for agg in gaps:
        table = table.left_join(_median_gap(e, agg, now), "customer_id").drop("customer_id_right")
    return table


def _median_gap(events: ir.Table, agg: Aggregate, now: datetime) -> ir.Table:
    """Each customer's median interval, in seconds, between two successive events of a type."""
    mine = events.filter(events.type == agg.event)
    since = _since(agg, now)
    if since is not None:
        mine = mine.filter(mine.time > since)
    at = seconds(mine.time)
    gaps = mine.mutate(gap=at - at.lag().over(group_by="customer_id", order_by=mine.time))
    return gaps.group_by("customer_id").aggregate(**{agg.column: gaps.gap.median()})

"""Per-customer event aggregates that conditions need, in one pass over the events.

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
    for agg in wanted:
        mask = e.type == agg.event
        since = _since(agg, now)
        if since is not None:
            mask = mask & (e.time > since)
        if agg.func == "count":
            columns[agg.column] = mask.cast("int64").sum()
        elif agg.func in ("sum", "avg", "min", "max"):
            assert agg.prop is not None
            columns[agg.column] = getattr(e[agg.prop], "mean" if agg.func == "avg" else agg.func)(
                where=mask
            )
        elif agg.func == "days_since":
            columns[agg.column] = today.delta(e.time.max(where=mask).date(), unit="day")
        elif agg.func == "last":
            assert agg.prop is not None
            columns[agg.column] = e[agg.prop].argmax(e.time, where=mask)
    return e.group_by("customer_id").aggregate(**columns)


def context(
    customers: ir.Table, events: ir.Table, aggregates: Iterable[Aggregate], now: datetime
) -> ir.Table:
    """Customers with the aggregate columns conditions need (left join: no events, no row)."""
    table = aggregate_table(events, aggregates, now, customers)
    if table is None:
        return customers
    joined = customers.left_join(table, "customer_id")
    return joined.drop("customer_id_right") if "customer_id_right" in joined.columns else joined

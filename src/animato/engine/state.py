"""Per-customer state: the event aggregates the plan reads, kept up to date tick after tick.

The state is a cache of the events table (``customer_state``): one row per customer with a column
per aggregate the plan's conditions and inactivity triggers need, as of the last tick. A tick
recomputes only the customers it touches: those with events new to it (by event time, or loaded
since the previous tick however old they are) and those with an event leaving one of the plan's
windows. A daily tick therefore costs what the day's activity costs, not what the history costs.
The events explain every value; the state is rebuilt from them when the plan's aggregates change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from animato.engine.aggregates import aggregate_table
from animato.engine.compile import Aggregate, Compiler
from animato.plan.durations import Duration
from animato.plan.model import Plan
from animato.store.store import Store

STATE = "customer_state"
META = "state_meta"


def stored(agg: Aggregate) -> Aggregate:
    """What the state keeps for an aggregate: ``days_since`` is kept as the last event's time."""
    if agg.func == "days_since":
        return Aggregate("last_time", agg.event, None, agg.window)
    return agg


def last_time(event: str) -> Aggregate:
    """The time of a customer's last event of a type (inactivity triggers)."""
    return Aggregate("last_time", event)


def cadence(event: str) -> tuple[Aggregate, Aggregate]:
    """How many events of a type a customer had, and their median gap (cadence triggers)."""
    return Aggregate("count", event), Aggregate("median_gap", event)


def _conditions(plan: Plan) -> Iterator[str]:
    conv = plan.conventions
    yield from conv.definitions.values()
    yield from conv.segments.values()
    yield from (stage.when for stage in conv.lifecycle)
    yield from (rule.when for rule in conv.exclusions.values())
    for scenario in plan.scenarios:
        yield from (t for t in (scenario.when, scenario.trigger.where) if t is not None)
        yield from (step.if_ for step in scenario.steps if step.if_ is not None)
    yield from (c.when for c in plan.campaigns if c.when is not None)


def columns(plan: Plan, compiler: Compiler) -> list[Aggregate]:
    """Every aggregate the state keeps for a plan, in a stable order."""
    found: set[Aggregate] = set()
    for text in _conditions(plan):
        found |= {stored(agg) for agg in compiler.aggregates(text)}
    for scenario in plan.scenarios:
        spec = scenario.trigger.inactive
        if spec is None:
            continue
        found.add(last_time(spec.event))
        if spec.for_ == "cadence":
            found.update(cadence(spec.event))
    return sorted(found, key=lambda a: a.column)


def _signature(aggs: Iterable[Aggregate]) -> str:
    return hashlib.sha256(",".join(a.column for a in aggs).encode()).hexdigest()[:16]


@dataclass
class State:
    """The state as of one tick's ``now``: a table of aggregate columns to join on customers.

    An aggregate the plan does not use (an ad-hoc condition) is computed from ``events``.
    """

    table: ir.Table
    events: ir.Table
    now: datetime
    refreshed: int = 0
    recent: ir.Table | None = None  # events new since the previous tick; None: all of them
    since: datetime | None = None  # ``recent`` holds every event of a later time

    def after(self, moment: datetime) -> ir.Table:
        """Events among which are all those of a time after ``moment``: the ``recent`` ones
        when they hold them all, else every event.
        """
        if self.recent is not None and self.since is not None and self.since <= moment:
            return self.recent
        return self.events

    def aggregates(self, wanted: Iterable[Aggregate]) -> ir.Table | None:
        """``customer_id`` and one column per wanted aggregate (``None`` when none are wanted)."""
        wanted = sorted(set(wanted), key=lambda a: a.column)
        if not wanted:
            return None
        today = ibis.literal(self.now.date())
        held = self.table
        missing = [a for a in wanted if stored(a).column not in held.columns]
        extra = aggregate_table(self.events, missing, self.now)
        if extra is not None:
            held = held.outer_join(extra, "customer_id")
            held = held.mutate(customer_id=held.customer_id.fill_null(held.customer_id_right))
        cols = {}
        for agg in wanted:
            if agg in missing:
                cols[agg.column] = held[agg.column]
                continue
            value = held[stored(agg).column]
            cols[agg.column] = (
                today.delta(value.date(), unit="day") if agg.func == "days_since" else value
            )
        return held.select("customer_id", **cols)


def refresh(store: Store, compiler: Compiler, now: datetime) -> State:
    """Bring the state to ``now``: touched customers only, or a rebuild when needed."""
    aggs = columns(store.plan, compiler)
    if not aggs:
        empty = ibis.memtable(pa.table({"customer_id": pa.array([], pa.string())}))
        return State(empty, store.table("events"), now)
    con = store.con
    events = store.table("events")
    signature = _signature(aggs)
    meta = store.table(META).to_pyarrow().to_pylist()
    mark = events._loaded_at.max().to_pyarrow().as_py()
    last = meta[0] if meta else None
    rebuild = (
        last is None
        or last["signature"] != signature
        or STATE not in con.list_tables()
        or now < last["as_of"]
    )
    recent = since = None
    if rebuild or last is None:
        full = aggregate_table(events, aggs, now)
        assert full is not None
        store.replace(STATE, full)
        refreshed = store.count(STATE)
    else:  # read by the tick's triggers, goals and attribution too: computed once
        since = last["as_of"]
        recent = store.materialize(
            "tick_recent", _new_events(events, since, last["loaded_mark"], now)
        )
        refreshed = 0
        if now != since or mark != last["loaded_mark"]:
            who = store.materialize("_touched", _touched(events, recent, aggs, since, now))
            fresh = aggregate_table(events, aggs, now, who)
            assert fresh is not None
            store.delete(STATE, "customer_id", who)
            store.insert(STATE, fresh)
            refreshed = int(who.count().to_pyarrow().as_py())
    store.clear(META)
    store.append(
        META,
        pa.table(
            {
                "as_of": pa.array([now], pa.timestamp("us")),
                "loaded_mark": pa.array([mark], pa.timestamp("us")),
                "signature": [signature],
            }
        ),
    )
    return State(con.table(STATE), events, now, refreshed, recent, since)


def _touched(
    events: ir.Table, recent: ir.Table, aggs: list[Aggregate], as_of: datetime, now: datetime
) -> ir.Table:
    """Customers whose aggregates may differ between ``as_of`` and ``now``: with ``recent``
    events, or with an event leaving a window.
    """
    parts = [recent.select("customer_id")]
    leaving: dict[Duration, set[str]] = {}
    for agg in aggs:
        if agg.window is not None:
            leaving.setdefault(agg.window, set()).add(agg.event)
    for window, types in sorted(leaving.items(), key=lambda item: str(item[0])):
        delta = window.delta()
        gone = (
            events.type.isin(sorted(types))
            & (events.time > as_of - delta)
            & (events.time <= now - delta)
        )
        parts.append(events.filter(gone).select("customer_id"))
    return ibis.union(*parts, distinct=True) if len(parts) > 1 else parts[0].distinct()


def _new_events(
    events: ir.Table, as_of: datetime, loaded_mark: datetime | None, now: datetime
) -> ir.Table:
    """Events a tick at ``now`` sees for the first time: by event time, or loaded since.

    Two range filters rather than one ``or``, so that DuckDB skips row groups by their min/max.
    """
    if loaded_mark is None:
        return events.filter(events.time <= now)
    timely = events.filter(events.time > as_of, events.time <= now)
    late = events.filter(events._loaded_at > loaded_mark, events.time <= as_of)
    return ibis.union(timely, late)


def recompute(store: Store, who: ir.Table) -> None:
    """Recompute, as of the state's time, the rows of the customers of ``who`` (a table with
    ``customer_id``) whose events were removed rather than added (a retention purge).
    """
    meta = store.table(META).to_pyarrow().to_pylist()
    if not meta or STATE not in store.con.list_tables():
        return  # no state yet: the next tick builds it
    as_of = meta[0]["as_of"]
    aggs = columns(store.plan, Compiler(store.plan, as_of))
    if not aggs:
        return
    chosen = store.materialize("_recompute", who.select("customer_id").distinct())
    fresh = aggregate_table(store.table("events"), aggs, as_of, chosen)
    assert fresh is not None
    store.delete(STATE, "customer_id", chosen)
    store.insert(STATE, fresh)
